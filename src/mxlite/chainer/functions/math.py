"""Reductions and elementwise math, plus the Variable operators (``x + y``...)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ...base import ParamError
from .._ops import call
from ..variable import Variable, as_variable
from ._check import need_axis, need_float, need_shape, shape_of

__all__ = ["sum", "mean", "average", "max", "min", "exp", "log", "sqrt", "square", "absolute",
           "matmul", "clip", "argmax", "argmin", "install_variable_arithmetics"]

_builtin_sum = sum


def _axis(where: str, x: Any, axis: Any) -> Any:
    """``axis`` (None, an int or a tuple) checked against ``x`` and made
    non-negative."""
    if axis is None:
        return None
    ndim = len(shape_of(x))
    many = isinstance(axis, (list, tuple))
    axes = tuple(need_axis(where, a, ndim) for a in (axis if many else (axis,)))
    if len(set(axes)) != len(axes):
        raise ParamError(f"{where}: axis={tuple(axis)} repeats an axis.")
    return axes if many else axes[0]


def _reduce(op: str, x: Any, axis: Any, keepdims: bool) -> Variable:
    """A registry reduction with NumPy's result shape (MXNet gives (1,) for a
    reduction to one value; Chainer and NumPy give a 0-d array)."""
    axis = _axis(op, x, axis)
    out = call(op, x, axis=axis, keepdims=keepdims)
    if not keepdims and out.shape == (1,):
        ndim = len(as_variable(x).shape)
        axes = range(ndim) if axis is None else (
            axis if isinstance(axis, tuple) else (axis,))
        if len(set(axes)) == ndim:
            return call("Reshape", out, shape=())
    return out


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    """The sum over ``axis`` (None: every axis; an int or a tuple)."""
    return _reduce("sum", x, axis, keepdims)


def mean(x: Any, axis: Any = None, weights: Any = None, keepdims: bool = False
         ) -> Variable:
    """The (weighted) average over ``axis``, Chainer's ``F.average``.

    ``weights``: None, or an array of ``x``'s shape (``axis`` None) or of
    shape ``(x.shape[axis],)`` (one int axis); the result is
    ``sum(x * weights) / sum(weights)``.
    """
    need_float("mean", "x", x)
    if weights is None:
        return _reduce("mean", x, axis, keepdims)
    axis = _axis("mean", x, axis)
    axes = axis if isinstance(axis, tuple) else None if axis is None else (axis,)
    if axes is not None and len(axes) > 1:
        raise ParamError(f"mean: a tuple axis {axes} is not supported when weights "
                         "is given.")
    xs = shape_of(x)
    w_shape = xs if axes is None else tuple(d if i in axes else 1
                                             for i, d in enumerate(xs))
    expected = xs if axes is None else (xs[axes[0]],)
    need_shape("mean", "weights", weights, expected, f"for x of shape {xs} and "
               f"axis={axis}")
    weighted = call("broadcast_mul", x, call("Reshape", weights, shape=w_shape))
    total = _reduce("sum", weighted, axis, keepdims)
    divider = call("Reshape", _reduce("sum", weights, None, False),
                   shape=(1,) * len(total.shape))
    return call("broadcast_div", total, divider)


average = mean


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    return _reduce("max", x, axis, keepdims)


def min(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    return _reduce("min", x, axis, keepdims)


def argmax(x: Any, axis: Any = None) -> Variable:
    return call("Cast", call("argmax", x, axis=axis), dtype="int32")


def argmin(x: Any, axis: Any = None) -> Variable:
    return call("Cast", call("argmin", x, axis=axis), dtype="int32")


def exp(x: Any) -> Variable:
    return call("exp", x)


def log(x: Any) -> Variable:
    return call("log", x)


def sqrt(x: Any) -> Variable:
    return call("sqrt", x)


def square(x: Any) -> Variable:
    return call("square", x)


def absolute(x: Any) -> Variable:
    return call("abs", x)


def clip(x: Any, x_min: float, x_max: float) -> Variable:
    return call("clip", x, a_min=float(x_min), a_max=float(x_max))


def matmul(a: Any, b: Any, transa: bool = False, transb: bool = False) -> Variable:
    return call("dot", a, b, transpose_a=transa, transpose_b=transb)


# -- Variable operators -----------------------------------------------------------------
def _is_scalar(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def _binary(op: str, scalar_op: str, reverse_scalar_op: str | None = None):
    def forward(self: Variable, other: Any) -> Variable:
        if _is_scalar(other):
            return call(scalar_op, self, scalar=float(other))
        return call(f"broadcast_{op}", self, _like(other, self))

    def reverse(self: Variable, other: Any) -> Variable:
        if _is_scalar(other):
            return call(reverse_scalar_op or scalar_op, self, scalar=float(other))
        return call(f"broadcast_{op}", _like(other, self), self)

    return forward, reverse


def _like(value: Any, like: Variable) -> Variable:
    if isinstance(value, Variable):
        return value
    return as_variable(np.asarray(value, dtype=like.dtype)
                       if isinstance(value, (list, tuple, np.ndarray)) else value)


def install_variable_arithmetics() -> None:
    """Give Variable its operators, each a registry operator (as Chainer's
    ``basic_math.install_variable_arithmetics``)."""
    table = {"add": ("_plus_scalar", None), "sub": ("_minus_scalar", "_rminus_scalar"),
             "mul": ("_mul_scalar", None), "div": ("_div_scalar", "_rdiv_scalar"),
             "power": ("_power_scalar", "_rpower_scalar")}
    names = {"add": "add", "sub": "sub", "mul": "mul", "div": "truediv", "power": "pow"}
    for op, (scalar_op, reverse_op) in table.items():
        forward, reverse = _binary(op, scalar_op, reverse_op)
        setattr(Variable, f"__{names[op]}__", forward)
        setattr(Variable, f"__r{names[op]}__", reverse)
    compare = {"lt": "lesser", "le": "lesser_equal", "gt": "greater",
               "ge": "greater_equal"}
    for dunder, op in compare.items():
        forward, _ = _binary(op, f"_{op}_scalar")
        setattr(Variable, f"__{dunder}__", forward)
    Variable.__neg__ = lambda self: call("negative", self)
    Variable.__pos__ = lambda self: self
    Variable.__abs__ = lambda self: call("abs", self)
    Variable.__matmul__ = lambda self, other: matmul(self, _like(other, self))
    Variable.__rmatmul__ = lambda self, other: matmul(_like(other, self), self)
