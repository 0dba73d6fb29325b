"""Connections: ``F.linear``, ``F.convolution_2d``, ``F.embed_id``.

Each is one registry operator (FullyConnected, Convolution, Embedding) with
Chainer's argument checks in front.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...base import DTypeError, ParamError, ShapeError
from .._ops import call
from ..variable import Variable
from ._check import (
    dtype_of,
    labels_in_range,
    need_float,
    need_int,
    need_ndim,
    need_shape,
    pair,
    shape_of,
)
from .array import pad_constant

__all__ = ["linear", "convolution_2d", "embed_id"]


def linear(x: Any, W: Any, b: Any = None, n_batch_axes: int = 1) -> Variable:
    """``x . W^T + b`` over the last axes of ``x`` (the first ``n_batch_axes``
    are batch axes): the registry's FullyConnected."""
    where = "linear"
    need_float(where, "x", x)
    need_float(where, "W", W)
    w_shape, x_shape = shape_of(W), shape_of(x)
    if len(w_shape) != 2:
        raise ShapeError(f"{where}: W must be 2-d (out_size, in_size); got shape {w_shape}.")
    if not 1 <= n_batch_axes < len(x_shape):
        raise ParamError(f"{where}: n_batch_axes must be in [1, x.ndim); got "
                         f"{n_batch_axes} for x of shape {x_shape}.")
    features = int(np.prod(x_shape[n_batch_axes:], dtype=np.int64))
    if features != w_shape[1]:
        raise ShapeError(f"{where}: x of shape {x_shape} has {features} features per "
                         f"example; W of shape {w_shape} expects {w_shape[1]}.")
    if b is not None:
        need_shape(where, "b", b, (w_shape[0],), f"for W of shape {w_shape}")
    inputs = (x, W) if b is None else (x, W, b)
    if n_batch_axes == 1:
        return call("FullyConnected", *inputs, num_hidden=w_shape[0], no_bias=b is None)
    batch = x_shape[:n_batch_axes]
    flat = call("Reshape", x, shape=(int(np.prod(batch)), -1))
    y = call("FullyConnected", flat, *inputs[1:], num_hidden=w_shape[0],
             no_bias=b is None)
    return call("Reshape", y, shape=(*batch, w_shape[0]))


def conv_outsize(size: int, k: int, s: int, p: int, *, cover_all: bool = False,
                 d: int = 1) -> int:
    """Chainer's ``utils.conv.get_conv_outsize``."""
    dk = k + (k - 1) * (d - 1)
    if cover_all:
        return (size + p * 2 - dk + s - 1) // s + 1
    return (size + p * 2 - dk) // s + 1


def convolution_2d(x: Any, W: Any, b: Any = None, stride: Any = 1, pad: Any = 0,
                   cover_all: bool = False, *, dilate: Any = 1, groups: int = 1
                   ) -> Variable:
    """Two-dimensional convolution (cross-correlation) of NCHW ``x`` with
    ``W`` of shape ``(out_channels, in_channels / groups, kh, kw)``.

    ``cover_all=True`` adds output rows/columns so that every input pixel is
    covered (the extra windows overhang the bottom/right edge, padded with 0).
    """
    where = "convolution_2d"
    _check_conv_args(where, x, W, b, groups)
    stride, pad = pair(where, "stride", stride), pair(where, "pad", pad)
    dilate = pair(where, "dilate", dilate)
    xs, ws = shape_of(x), shape_of(W)
    out = [conv_outsize(xs[2 + i], ws[2 + i], stride[i], pad[i], cover_all=cover_all,
                        d=dilate[i]) for i in range(2)]
    if min(out) <= 0:
        raise ShapeError(f"{where}: x of shape {xs} with W of shape {ws}, stride={stride}, "
                         f"pad={pad}, dilate={dilate} gives an empty output {tuple(out)}; "
                         "the (dilated) kernel must fit in the padded input.")
    if cover_all:
        extra = [max(0, (out[i] - 1) * stride[i] + ws[2 + i] + (ws[2 + i] - 1) *
                     (dilate[i] - 1) - xs[2 + i] - 2 * pad[i]) for i in range(2)]
        x = pad_constant(x, [(0, 0), (0, 0), (0, extra[0]), (0, extra[1])], 0.0)
    inputs = (x, W) if b is None else (x, W, b)
    return call("Convolution", *inputs, kernel=tuple(ws[2:]), stride=stride, pad=pad,
                dilate=dilate, num_filter=ws[0], num_group=int(groups), no_bias=b is None)


def _check_conv_args(where: str, x: Any, W: Any, b: Any, groups: int) -> None:
    need_float(where, "x", x)
    need_float(where, "W", W)
    need_ndim(where, "x", x, 4, "(batch, channels, height, width)")
    need_ndim(where, "W", W, 4, "(out_channels, in_channels / groups, kh, kw)")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ParamError(f"{where}: groups must be an int >= 1; got {groups!r}.")
    xs, ws = shape_of(x), shape_of(W)
    if dtype_of(x) != dtype_of(W):
        raise DTypeError(f"{where}: x is {dtype_of(x).name} but W is {dtype_of(W).name}; "
                         "give both the same dtype.")
    if xs[1] != ws[1] * groups:
        raise ShapeError(f"{where}: x of shape {xs} has {xs[1]} channels, but W of shape "
                         f"{ws} with groups={groups} expects {ws[1] * groups}.")
    if ws[0] % groups:
        raise ShapeError(f"{where}: W of shape {ws} has {ws[0]} output channels, which "
                         f"groups={groups} does not divide.")
    if b is not None:
        need_float(where, "b", b)
        need_shape(where, "b", b, (ws[0],), f"for W of shape {ws}")


def embed_id(x: Any, W: Any, ignore_label: int | None = None) -> Variable:
    """Rows of ``W`` (``(in_size, out_size)``) picked by the integer IDs ``x``;
    the result has shape ``x.shape + (out_size,)``. IDs equal to
    ``ignore_label`` give zero vectors (and no gradient to ``W``)."""
    where = "embed_id"
    need_int(where, "x", x)
    need_float(where, "W", W)
    need_ndim(where, "W", W, 2, "(in_size, out_size)")
    ws = shape_of(W)
    labels_in_range(where, x, ws[0], ignore_label)
    y = call("Embedding", x, W, input_dim=ws[0], output_dim=ws[1])
    if ignore_label is None:
        return y
    keep = call("Cast", call("_not_equal_scalar", x, scalar=float(ignore_label)),
                dtype=dtype_of(W).name)
    return call("broadcast_mul", y, call("expand_dims", keep, axis=len(shape_of(x))))
