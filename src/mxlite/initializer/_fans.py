"""Fan-in and fan-out of a weight, under each system's layout convention."""

from __future__ import annotations

import numpy as np

from ._checks import _choice, _shape

__all__ = ["FAN_CONVENTIONS", "fans"]

FAN_CONVENTIONS = {
    "mxnet": "(out, in, *kernel): fan_in = in * prod(kernel), "
             "fan_out = out * prod(kernel)",
    "chainer": "the same as 'mxnet' (chainer.initializer.get_fans)",
    "mocha": "(*fea, out), Mocha's Julia shape as written there: "
             "fan_in = prod(shape[:-1]), fan_out = shape[-1]",
}
"""How each system reads fans off a weight's shape (at least 2-D).

Mocha's own InnerProduct weight is (fea, out) and its filter (kw, kh, C, F);
in MXNet's layout these are (out, fea) and (F, C, kh, kw), and ``'mxnet'``
gives the same fan_in for them. A Mocha dialect that stores MXNet-layout
arrays therefore uses ``fan='mxnet'``; ``'mocha'`` is for Mocha-layout ones.
"""


def fans(shape: tuple[int, ...], fan: str = "mxnet") -> tuple[float, float]:
    """Return ``(fan_in, fan_out)`` of a weight under a system's convention.

    Args:
        shape: the weight's shape, at least 2-D.
        fan: ``'mxnet'``, ``'chainer'`` or ``'mocha'`` (:data:`FAN_CONVENTIONS`).

    Raises:
        ParamError: unknown ``fan``. ShapeError: fewer than 2 dimensions.

    Example:
        >>> from mxlite.initializer import rules
        >>> rules.fans((64, 32, 3, 3))
        (288.0, 576.0)
        >>> rules.fans((5, 5, 32, 64), fan='mocha')
        (800.0, 64.0)
    """
    _choice("fans", "fan", fan, tuple(FAN_CONVENTIONS))
    shape = _shape("fans", shape, min_ndim=2)
    if fan == "mocha":
        return float(np.prod(shape[:-1])), float(shape[-1])
    hw_scale = float(np.prod(shape[2:])) if len(shape) > 2 else 1.0
    return shape[1] * hw_scale, shape[0] * hw_scale

