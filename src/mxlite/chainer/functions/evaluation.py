"""``F.accuracy``: argmax, compare, average (registry operators)."""

from __future__ import annotations

from typing import Any

from .._ops import call
from ..variable import Variable
from ._check import need_int, need_shape, shape_of
from .math import mean as F_mean
from .math import sum as F_sum

__all__ = ["accuracy"]


def accuracy(y: Any, t: Any, ignore_label: int | None = None) -> Variable:
    """The fraction of rows whose argmax over axis 1 equals ``t`` (a 0-d Variable)."""
    need_int("accuracy", "t", t)
    ys = shape_of(y)
    need_shape("accuracy", "t", t, ys[:1] + ys[2:], f"for y of shape {ys}")
    pred = call("Cast", call("argmax", y, axis=1), dtype=str(t.dtype))
    hit = call("Cast", call("broadcast_equal", pred, t), dtype=str(y.dtype))
    if ignore_label is None:
        return F_mean(hit)
    valid = call("Cast", call("_not_equal_scalar", t, scalar=float(ignore_label)),
                 dtype=str(y.dtype))
    count = call("_maximum_scalar", F_sum(valid), scalar=1.0)
    return call("broadcast_div", F_sum(call("elemwise_mul", hit, valid)), count)
