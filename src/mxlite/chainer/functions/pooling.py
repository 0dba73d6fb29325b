"""Spatial pooling: ``F.max_pooling_2d`` and ``F.average_pooling_2d``.

Both are the registry's Pooling. Chainer's ``cover_all=True`` (max pooling's
default) is MXNet's ``pooling_convention='full'``: the output size is
``ceil((size + 2 pad - k) / stride) + 1`` and the windows that overhang the
bottom/right edge see only the cells inside it. Average pooling divides by
the whole window, padding included (``count_include_pad``), as Chainer does.
"""

from __future__ import annotations

from typing import Any

from ...base import ParamError, ShapeError
from .._ops import call
from ..configuration import no_backprop_mode
from ..variable import Variable
from ._check import need_float, need_ndim, pair, shape_of
from .array import pad_constant
from .connection import conv_outsize

__all__ = ["max_pooling_2d", "average_pooling_2d"]


def _window(where: str, x: Any, ksize: Any, stride: Any, pad: Any, *, cover_all: bool
            ) -> tuple:
    need_float(where, "x", x)
    need_ndim(where, "x", x, 4, "(batch, channels, height, width)")
    kernel = pair(where, "ksize", ksize)
    stride = kernel if stride is None else pair(where, "stride", stride)
    pad = pair(where, "pad", pad)
    if min(kernel) < 1 or min(stride) < 1 or min(pad) < 0:
        raise ParamError(f"{where}: ksize and stride must be >= 1 and pad >= 0; got "
                         f"ksize={kernel}, stride={stride}, pad={pad}.")
    xs = shape_of(x)
    out = tuple(conv_outsize(xs[2 + i], kernel[i], stride[i], pad[i], cover_all=cover_all)
                for i in range(2))
    if min(out) <= 0 or any(kernel[i] > xs[2 + i] + 2 * pad[i] for i in range(2)):
        raise ShapeError(f"{where}: x of shape {xs} is too small for ksize={kernel} "
                         f"with pad={pad}; the window must fit in the padded input.")
    return kernel, stride, pad, out


def max_pooling_2d(x: Any, ksize: Any, stride: Any = None, pad: Any = 0,
                   cover_all: bool = True, return_indices: bool = False) -> Any:
    """The maximum over each ``ksize`` window (``stride`` defaults to
    ``ksize``).

    With ``return_indices=True`` returns ``(y, indexes)``: ``indexes`` (an
    int32 array shaped like ``y``) holds each maximum's place in its window,
    ``ky * kw + kx``, as Chainer's CPU kernel.
    """
    kernel, stride, pad, out = _window("max_pooling_2d", x, ksize, stride, pad,
                                          cover_all=cover_all)
    y = call("Pooling", x, kernel=kernel, stride=stride, pad=pad, pool_type="max",
             pooling_convention="full" if cover_all else "valid")
    if not return_indices:
        return y
    return y, _max_indexes(x, kernel, stride, pad, out)


def _max_indexes(x: Any, kernel: tuple, stride: tuple, pad: tuple, out: tuple) -> Any:
    """Argmax of each window over its ``kh * kw`` cells, -inf padded."""
    xs = shape_of(x)
    extra = [max(0, (out[i] - 1) * stride[i] + kernel[i] - xs[2 + i] - 2 * pad[i])
             for i in range(2)]
    with no_backprop_mode():
        xp = pad_constant(Variable(getattr(x, "array", x), requires_grad=False),
                          [(0, 0), (0, 0), (pad[0], pad[0] + extra[0]),
                           (pad[1], pad[1] + extra[1])], float("-inf"))
        cells = [call("slice", xp, begin=(None, None, ky, kx),
                      end=(None, None, ky + (out[0] - 1) * stride[0] + 1,
                           kx + (out[1] - 1) * stride[1] + 1),
                      step=(None, None) + stride)
                 for ky in range(kernel[0]) for kx in range(kernel[1])]
        stacked = call("stack", *cells, axis=2, num_args=len(cells))
        return call("Cast", call("argmax", stacked, axis=2), dtype="int32").array


def average_pooling_2d(x: Any, ksize: Any, stride: Any = None, pad: Any = 0) -> Variable:
    """The mean over each ``ksize`` window, zero padding counted in the
    divisor (every window divides by ``kh * kw``)."""
    kernel, stride, pad, _ = _window("average_pooling_2d", x, ksize, stride, pad,
                                    cover_all=False)
    return call("Pooling", x, kernel=kernel, stride=stride, pad=pad, pool_type="avg",
                pooling_convention="valid", count_include_pad=True)
