"""Argument checks shared by the functions: one message style, naming the function."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...base import DTypeError, ParamError, ShapeError
from ...training.traced import check_labels, declare_labels, is_traced
from ..variable import array_of

__all__ = ["dtype_of", "labels_in_range", "need_axis", "need_float", "need_int",
           "need_ndim", "need_shape", "pair", "shape_of"]


def shape_of(x: Any) -> tuple[int, ...]:
    return tuple(np.shape(array_of(x))) if not hasattr(array_of(x), "shape") else \
        tuple(array_of(x).shape)


def dtype_of(x: Any) -> np.dtype:
    return np.dtype(array_of(x).dtype)


def need_float(where: str, what: str, x: Any) -> None:
    """``x`` must hold floating-point values."""
    dt = dtype_of(x)
    if dt.kind != "f":
        raise DTypeError(f"{where}: {what} must be a floating-point array; got {dt.name} "
                         f"of shape {shape_of(x)}.")


def need_int(where: str, what: str, x: Any) -> None:
    """``x`` must hold integers (class labels)."""
    dt = dtype_of(x)
    if dt.kind not in "iu":
        raise DTypeError(f"{where}: {what} must hold integer class labels (int32); got "
                         f"{dt.name} of shape {shape_of(x)}.")


def need_shape(where: str, what: str, x: Any, expected: tuple, why: str = "") -> None:
    got = shape_of(x)
    if got != tuple(expected):
        raise ShapeError(f"{where}: {what} has shape {got}; expected {tuple(expected)}"
                         f"{' ' + why if why else ''}.")


def labels_in_range(where: str, t: Any, classes: int, ignore: int | None) -> None:
    """Class labels must lie in ``[0, classes)`` (or be ``ignore``): checked now
    for NumPy labels, at every compiled step's call for a step's input (also
    on the host, without a device sync); labels already on a device are not
    read back to check them."""
    data = array_of(t)
    if isinstance(data, np.ndarray):
        check_labels(data, classes, ignore, where)
    elif is_traced(data):
        declare_labels(data, classes, ignore, where)


def need_ndim(where: str, what: str, x: Any, ndim: int, why: str = "") -> None:
    """``x`` must have ``ndim`` axes."""
    got = shape_of(x)
    if len(got) != ndim:
        raise ShapeError(f"{where}: {what} has shape {got} ({len(got)}-d); expected a "
                         f"{ndim}-d array{' ' + why if why else ''}.")


def need_axis(where: str, axis: int, ndim: int, what: str = "axis") -> int:
    """``axis`` in ``[-ndim, ndim)``, made non-negative."""
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ParamError(f"{where}: {what} must be an int; got {axis!r}.")
    if not -ndim <= axis < ndim:
        raise ShapeError(f"{where}: {what}={axis} is out of range for an input with "
                         f"{ndim} axes; expected {-ndim} <= {what} < {ndim}.")
    return int(axis) % ndim


def pair(where: str, what: str, value: Any) -> tuple[int, int]:
    """Chainer's ``_pair``: ``k`` or ``(kh, kw)`` as ``(kh, kw)``."""
    pair_ = tuple(value) if hasattr(value, "__getitem__") else (value, value)
    if len(pair_) != 2 or not all(isinstance(v, (int, np.integer)) and
                                  not isinstance(v, bool) for v in pair_):
        raise ParamError(f"{where}: {what} must be an int or a pair of ints; got "
                         f"{value!r}.")
    return int(pair_[0]), int(pair_[1])
