"""Losses as compositions of registry operators (no new kernels)."""

from __future__ import annotations

from typing import Any

from ...base import ParamError
from .._ops import call
from ..variable import Variable
from ._check import (
    dtype_of,
    labels_in_range,
    need_float,
    need_int,
    need_shape,
    shape_of,
)
from .math import mean as F_mean
from .math import sum as F_sum

__all__ = ["softmax_cross_entropy", "sigmoid_cross_entropy", "mean_squared_error",
           "mean_absolute_error"]


def _reduce_arg(where: str, reduce: str) -> None:
    if reduce not in ("mean", "no"):
        raise ParamError(f"{where}: reduce must be 'mean' or 'no'; got {reduce!r}.")


def softmax_cross_entropy(x: Any, t: Any, normalize: bool = True, cache_score: bool = True,
                          class_weight: Any = None, ignore_label: int = -1,
                          reduce: str = "mean", enable_double_backprop: bool = False,
                          soft_target_loss: str = "cross-entropy") -> Variable:
    """Cross entropy of ``softmax(x, axis=1)`` and integer labels ``t``.

    Averaged over the labels that are not ``ignore_label`` (``normalize=True``)
    or over the batch (``normalize=False``); ``reduce='no'`` keeps one loss
    per label.
    """
    where = "softmax_cross_entropy"
    _reduce_arg(where, reduce)
    if class_weight is not None:
        raise ParamError(f"{where}: class_weight is not supported.")
    need_float(where, "x", x)
    need_int(where, "t", t)
    xs = shape_of(x)
    if len(xs) < 2:
        raise ParamError(f"{where}: x must be (batch, classes, ...); got shape {xs}.")
    need_shape(where, "t", t, xs[:1] + xs[2:], f"for x of shape {xs}")
    labels_in_range(where, t, xs[1], ignore_label)
    log_p = call("log_softmax", x, axis=1)
    picked = call("pick", log_p, t, axis=1, mode="clip")
    valid = call("Cast", call("_not_equal_scalar", t, scalar=float(ignore_label)),
                 dtype=str(log_p.dtype))
    losses = call("negative", call("elemwise_mul", picked, valid))
    if reduce == "no":
        return losses
    total = F_sum(losses)
    if normalize:
        count = call("_maximum_scalar", F_sum(valid), scalar=1.0)
        return call("broadcast_div", total, count)
    return call("_div_scalar", total, scalar=float(xs[0]))


def sigmoid_cross_entropy(x: Any, t: Any, normalize: bool = True, reduce: str = "mean"
                          ) -> Variable:
    """Cross entropy of ``sigmoid(x)`` and 0/1 labels ``t`` (-1: ignored)."""
    where = "sigmoid_cross_entropy"
    _reduce_arg(where, reduce)
    need_float(where, "x", x)
    need_int(where, "t", t)
    need_shape(where, "t", t, shape_of(x), "(the shape of x)")
    tf = call("Cast", t, dtype=dtype_of(x).name)
    valid = call("Cast", call("_not_equal_scalar", t, scalar=-1.0), dtype=str(tf.dtype))
    # log(1 + exp(-|x|)) + max(x, 0) - x*t, the stable form
    absx = call("abs", x)
    softplus = call("log1p", call("exp", call("negative", absx)))
    loss = call("elemwise_sub", call("elemwise_add", softplus,
                                     call("_maximum_scalar", x, scalar=0.0)),
                call("elemwise_mul", x, tf))
    loss = call("elemwise_mul", loss, valid)
    if reduce == "no":
        return loss
    total = F_sum(loss)
    if normalize:
        return call("broadcast_div", total,
                    call("_maximum_scalar", F_sum(valid), scalar=1.0))
    return call("_div_scalar", total, scalar=float(shape_of(x)[0]))


def mean_squared_error(x0: Any, x1: Any) -> Variable:
    """Mean of ``(x0 - x1)**2`` over every element."""
    need_float("mean_squared_error", "x0", x0)
    need_float("mean_squared_error", "x1", x1)
    need_shape("mean_squared_error", "x1", x1, shape_of(x0), "(the shape of x0)")
    return F_mean(call("square", call("elemwise_sub", x0, x1)))


def mean_absolute_error(x0: Any, x1: Any) -> Variable:
    """Mean of ``|x0 - x1|`` over every element."""
    need_float("mean_absolute_error", "x0", x0)
    need_float("mean_absolute_error", "x1", x1)
    need_shape("mean_absolute_error", "x1", x1, shape_of(x0), "(the shape of x0)")
    return F_mean(call("abs", call("elemwise_sub", x0, x1)))
