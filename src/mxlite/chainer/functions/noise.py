"""``F.dropout``: the registry's Dropout while ``chainer.config.train`` is on."""

from __future__ import annotations

from typing import Any

from ...base import ParamError
from .._ops import call
from ..configuration import config
from ..variable import Variable, array_of, as_variable
from ._check import need_float

__all__ = ["dropout"]


def dropout(x: Any, ratio: float = .5, **kwargs: Any) -> Any:
    """Zero each element with probability ``ratio`` and scale the others by
    ``1 / (1 - ratio)``; ``x`` itself (as a Variable) when
    ``chainer.config.train`` is False.

    Keyword arguments (Chainer's): ``mask``, an array of the ``0`` or
    ``1 / (1 - ratio)`` scale per element to use instead of a new draw, and
    ``return_mask=True`` to return ``(y, mask)``. Random draws come from
    ``mx.random.seed``'s stream, and inside a compiled ``optimizer.update``
    from the step's key (a new mask every step).
    """
    mask, return_mask = _options(kwargs)
    if not 0.0 <= ratio < 1.0:
        raise ParamError(f"dropout: ratio must be in [0, 1); got {ratio!r}.")
    need_float("dropout", "x", x)
    if not config.train:
        out = as_variable(x)
        return (out, None) if return_mask else out
    if mask is None and not return_mask:
        return call("Dropout", x, p=float(ratio))
    if mask is None:
        ones = call("ones_like", Variable(array_of(x), requires_grad=False))
        mask = call("Dropout", ones, p=float(ratio)).array
    y = call("broadcast_mul", x, Variable(array_of(mask), requires_grad=False))
    return (y, array_of(mask)) if return_mask else y


def _options(kwargs: dict) -> tuple:
    if "train" in kwargs:
        raise ParamError("dropout: the train argument is not supported anymore (as in "
                         "Chainer v2+); use chainer.using_config('train', False).")
    unknown = set(kwargs) - {"mask", "return_mask"}
    if unknown:
        raise TypeError(f"dropout() got unexpected keyword argument(s) "
                        f"{', '.join(sorted(unknown))}; accepted: mask, return_mask.")
    return kwargs.get("mask"), bool(kwargs.get("return_mask", False))
