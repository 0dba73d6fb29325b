"""Array manipulation: reshape, flatten, transpose, concat, indexing."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from ... import autograd, ndarray
from ...base import ParamError, ShapeError
from ...ndarray._indexing import gather_exact, plan_index
from ...ndarray._invoke import invoke_fn
from .._ops import call, call_all
from ..configuration import config
from ..variable import Variable, as_variable
from ._check import need_axis, shape_of

__all__ = ["reshape", "flatten", "transpose", "concat", "get_item", "expand_dims",
           "squeeze", "split_axis", "swapaxes", "broadcast_to", "cast", "where", "stack",
           "pad_constant"]


def reshape(x: Any, shape: Any) -> Variable:
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return call("Reshape", x, shape=shape)


def flatten(x: Any) -> Variable:
    """All elements as one axis (Chainer's flatten keeps no batch axis)."""
    return call("Reshape", x, shape=(-1,))


def transpose(x: Any, axes: Any = None) -> Variable:
    return call("transpose", x, axes=() if axes is None else tuple(axes))


def swapaxes(x: Any, axis1: int, axis2: int) -> Variable:
    return call("SwapAxis", x, dim1=axis1, dim2=axis2)


def expand_dims(x: Any, axis: int) -> Variable:
    return call("expand_dims", x, axis=axis)


def squeeze(x: Any, axis: Any = None) -> Variable:
    return call("squeeze", x, axis=axis)


def concat(xs: Any, axis: int = 1) -> Variable:
    xs = list(xs)
    if not xs:
        raise ParamError("concat: xs is empty; give at least one array.")
    shapes = [shape_of(x) for x in xs]
    axis = need_axis("concat", axis, len(shapes[0]))
    for i, shape in enumerate(shapes[1:], 1):
        if len(shape) != len(shapes[0]) or any(
                a != b for d, (a, b) in enumerate(zip(shape, shapes[0])) if d != axis):
            raise ShapeError(f"concat: xs[{i}] has shape {shape}, which does not match "
                             f"xs[0] {shapes[0]} outside axis {axis}.")
    return call("Concat", *xs, dim=axis, num_args=len(xs))


def stack(xs: Any, axis: int = 0) -> Variable:
    xs = list(xs)
    return call("stack", *xs, axis=axis, num_args=len(xs))


def split_axis(x: Any, indices_or_sections: Any, axis: int, force_tuple: bool = True
               ) -> tuple[Variable, ...]:
    if not isinstance(indices_or_sections, int):
        raise ParamError("split_axis: only a number of equal sections is supported; got "
                         f"{indices_or_sections!r}.")
    outs = call_all("SliceChannel", x, num_outputs=indices_or_sections, axis=axis)
    return tuple(outs)


def broadcast_to(x: Any, shape: Any) -> Variable:
    shape = tuple(shape)
    xs = shape_of(x)
    lead = (1,) * (len(shape) - len(xs))
    x = call("Reshape", x, shape=lead + xs) if lead else x
    return call("broadcast_add", x, call("zeros_like", _zeros(shape, x)))


def _zeros(shape: tuple, like: Any) -> Variable:
    return Variable(ndarray.zeros(shape, dtype=as_variable(like).dtype)._data,
                    requires_grad=False)


def cast(x: Any, typ: Any) -> Variable:
    return call("Cast", x, dtype=np.dtype(typ).name)


def where(condition: Any, x: Any, y: Any) -> Variable:
    return call("where", condition, x, y)


def get_item(x: Any, slices: Any) -> Variable:
    """``x[slices]``: basic and advanced indexing, differentiable."""
    x = as_variable(x)
    if isinstance(slices, Variable):
        slices = slices.array
    elif isinstance(slices, tuple):
        slices = tuple(s.array if isinstance(s, Variable) else s for s in slices)
    plan, dyn = plan_index(slices, x.shape)
    with _recording():
        return invoke_fn(("chainer.get_item", plan), partial(gather_exact, plan), [x], dyn)


def _recording() -> Any:
    return autograd._Scope(bool(config.enable_backprop), None)


def pad_constant(x: Any, pads: Any, value: float) -> Variable:
    """``x`` with ``(before, after)`` cells of ``value`` added along each axis
    (Concat with constant blocks; the constants get no gradient)."""
    for axis, (before, after) in enumerate(pads):
        for side, width in (("before", before), ("after", after)):
            if width <= 0:
                continue
            shape = list(shape_of(x))
            shape[axis] = width
            like = as_variable(x)
            block = Variable(ndarray.full(tuple(shape), value, ctx=like._ctx,
                                          dtype=like.dtype)._data, requires_grad=False)
            parts = (block, x) if side == "before" else (x, block)
            x = call("Concat", *parts, dim=axis, num_args=2)
    return as_variable(x)
