"""Shape arithmetic shared by several operators (pure Python on tuples).

``None`` stands for an unknown shape; rules return ``None`` for what they
cannot know instead of raising (MXNet's ``infer_shape_partial``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from math import prod
from typing import Any

from ..base import ShapeError

__all__ = [
    "known",
    "conv_out",
    "pool_out",
    "broadcast_shapes",
    "flatten2d",
    "check_ndim",
    "normalize_axis",
    "unary_rule",
    "same_as_input",
]


def unary_rule(rule: Callable[[Any, tuple], Sequence[int]]) -> Callable:
    """The ``infer_shape`` of a one-input operator whose output shape is
    ``rule(params, input_shape)`` (unknown while the input's is)."""

    def infer(p, in_shapes):
        data = in_shapes[0]
        return in_shapes, [None if data is None else tuple(rule(p, data))], []

    return infer


def same_as_input(p, in_shapes):
    """The ``infer_shape`` of an operator whose output has its first input's shape."""
    return in_shapes, [in_shapes[0]], []


def known(*shapes) -> bool:
    """True when every shape is known."""
    return all(s is not None for s in shapes)


def check_ndim(shape: tuple, ndim: int, what: str, why: str = "") -> None:
    """Raise a ShapeError unless ``shape`` has ``ndim`` axes."""
    if len(shape) != ndim:
        raise ShapeError(
            f"input {what!r} has shape {shape} ({len(shape)}-D), but {ndim}-D is "
            f"needed{why}."
        )


def conv_out(size: int, kernel: int, stride: int, pad: int, dilate: int) -> int:
    """Output length of a convolution along one axis."""
    return (size + 2 * pad - dilate * (kernel - 1) - 1) // stride + 1


def pool_out(size: int, kernel: int, stride: int, pad: int, convention: str) -> int:
    """Output length of pooling along one axis (MXNet 'valid'/'full'/'same')."""
    if convention == "same":
        return -(-size // stride)
    span = size + 2 * pad - kernel
    if convention == "full":
        return -(-span // stride) + 1
    return span // stride + 1


def broadcast_shapes(lhs: tuple, rhs: tuple, op: str = "broadcast") -> tuple:
    """NumPy broadcasting of two shapes, or a ShapeError naming both."""
    ndim = max(len(lhs), len(rhs))
    a = (1,) * (ndim - len(lhs)) + tuple(lhs)
    b = (1,) * (ndim - len(rhs)) + tuple(rhs)
    out = []
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            raise ShapeError(
                f"inputs 'lhs' {tuple(lhs)} and 'rhs' {tuple(rhs)} cannot be broadcast "
                "together; each axis must match or be 1"
            )
        out.append(y if x == 1 else x)
    return tuple(out)


def flatten2d(shape: tuple) -> tuple:
    """(N, a, b, ...) -> (N, a*b*...)."""
    return (shape[0], prod(shape[1:])) if shape else (1, 1)


def normalize_axis(axis: int, ndim: int, what: str = "axis") -> int:
    """Map a possibly negative axis into ``range(ndim)`` or raise."""
    if not -ndim <= axis < max(ndim, 1):
        raise ShapeError(f"{what}={axis} is out of range for a {ndim}-D input")
    return axis % ndim if ndim else 0
