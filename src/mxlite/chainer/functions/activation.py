"""Activations: each one registry operator."""

from __future__ import annotations

from typing import Any

from .._ops import call
from ..variable import Variable
from ._check import need_axis, need_float, shape_of

__all__ = ["relu", "leaky_relu", "sigmoid", "tanh", "softmax", "log_softmax", "elu",
           "softplus"]


def relu(x: Any) -> Variable:
    """max(x, 0): ``Activation(act_type='relu')``, as ``mx.sym.Activation``."""
    return call("Activation", x, act_type="relu")


def leaky_relu(x: Any, slope: float = 0.2) -> Variable:
    """x for x >= 0, slope * x otherwise."""
    return call("LeakyReLU", x, act_type="leaky", slope=float(slope))


def elu(x: Any, alpha: float = 1.0) -> Variable:
    return call("LeakyReLU", x, act_type="elu", slope=float(alpha))


def sigmoid(x: Any) -> Variable:
    return call("Activation", x, act_type="sigmoid")


def tanh(x: Any) -> Variable:
    return call("Activation", x, act_type="tanh")


def softplus(x: Any, beta: float = 1.0) -> Variable:
    if beta != 1.0:
        return call("_div_scalar", call("Activation", call("_mul_scalar", x, scalar=beta),
                                        act_type="softrelu"), scalar=beta)
    return call("Activation", x, act_type="softrelu")


def softmax(x: Any, axis: int = 1) -> Variable:
    """exp(x) / sum(exp(x)) along ``axis``."""
    need_float("softmax", "x", x)
    return call("softmax", x, axis=need_axis("softmax", axis, len(shape_of(x))))


def log_softmax(x: Any, axis: int = 1) -> Variable:
    """log(softmax(x)) along ``axis``, computed stably."""
    need_float("log_softmax", "x", x)
    return call("log_softmax", x, axis=need_axis("log_softmax", axis, len(shape_of(x))))
