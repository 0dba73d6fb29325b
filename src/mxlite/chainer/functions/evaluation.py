"""``F.accuracy``: argmax, compare, average (registry operators)."""

from __future__ import annotations

from typing import Any

from ...base import ShapeError
from .._ops import call
from ..variable import Variable
from ._check import dtype_of, need_float, need_int, need_shape, shape_of
from .math import mean as F_mean
from .math import sum as F_sum

__all__ = ["accuracy"]


def accuracy(y: Any, t: Any, ignore_label: int | None = None) -> Variable:
    """The fraction of rows whose argmax over axis 1 equals ``t`` (a 0-d Variable)."""
    need_float("accuracy", "y", y)
    need_int("accuracy", "t", t)
    ys = shape_of(y)
    if len(ys) < 2:
        raise ShapeError(f"accuracy: y must be (batch, classes, ...); got shape {ys}.")
    need_shape("accuracy", "t", t, ys[:1] + ys[2:], f"for y of shape {ys}")
    pred = call("Cast", call("argmax", y, axis=1), dtype=dtype_of(t).name)
    hit = call("Cast", call("broadcast_equal", pred, t), dtype=dtype_of(y).name)
    if ignore_label is None:
        return F_mean(hit)
    valid = call("Cast", call("_not_equal_scalar", t, scalar=float(ignore_label)),
                 dtype=dtype_of(y).name)
    count = call("_maximum_scalar", F_sum(valid), scalar=1.0)
    return call("broadcast_div", F_sum(call("elemwise_mul", hit, valid)), count)
