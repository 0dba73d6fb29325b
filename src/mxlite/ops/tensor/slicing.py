"""slice_axis and slice (MXNet's ``crop``), with MXNet's index tuples."""

from __future__ import annotations

import jax
import numpy as np

from ...base import ShapeError
from ..params import Int, Param, _Invalid, parse_literal
from ..registry import register_op
from ..shape import normalize_axis, unary_rule


class _IndexTuple(Param):
    """MXNet's Tuple<optional<int>>: ints or None, e.g. ``(None, 1)``."""

    def describe(self) -> str:
        return "a tuple of ints or None"

    def _parse(self, value):
        if isinstance(value, str):
            text = value.strip()
            value = parse_literal(text) if text not in ("()", "[]") else ()
        if value is None or isinstance(value, (int, np.integer)):
            value = (value,)
        if not isinstance(value, (tuple, list)):
            raise _Invalid
        for item in value:
            if item is not None and (
                isinstance(item, (bool, np.bool_))
                or not isinstance(item, (int, np.integer))
            ):
                raise _Invalid
        return tuple(None if i is None else int(i) for i in value)


def _axis_range(p, shape):
    axis = normalize_axis(p.axis, len(shape))
    n = shape[axis]
    begin = p.begin + n if p.begin < 0 else p.begin
    end = n if p.end is None else (p.end + n if p.end < 0 else p.end)
    if not 0 <= begin < end <= n:
        raise ShapeError(
            f"begin={p.begin}, end={p.end} is not a non-empty range of axis "
            f"{axis} (size {n}) of input 'data' {shape}"
        )
    return axis, begin, end


def _slice_axis(p, x):
    axis, begin, end = _axis_range(p, x.shape)
    return jax.lax.slice_in_dim(x, begin, end, axis=axis)


def _slice_axis_shape(p, shape):
    axis, begin, end = _axis_range(p, shape)
    return shape[:axis] + (end - begin,) + shape[axis + 1 :]


register_op(
    "slice_axis",
    doc="Slice [begin, end) along one axis.",
    params=[
        Int("axis", doc="Axis to slice."),
        Int("begin", doc="First index."),
        Int("end", optional=True, doc="End index (exclusive); None = axis size."),
    ],
    infer_shape=unary_rule(_slice_axis_shape),
    lower=_slice_axis,
)


def _slices(p, shape):
    n = len(p.begin)
    if len(p.end) != n or len(p.step) not in (0, n) or n > len(shape):
        raise ShapeError(
            f"begin={p.begin}, end={p.end}, step={p.step} must have the same "
            f"length (step may be ()), at most the {len(shape)} axes of "
            f"input 'data' {shape}"
        )
    steps = p.step or (None,) * n
    if 0 in steps:
        raise ShapeError(f"step={p.step} must not contain 0")
    return tuple(slice(b, e, s) for b, e, s in zip(p.begin, p.end, steps))


def _sliced(p, shape):
    cut = [len(range(*s.indices(d))) for s, d in zip(_slices(p, shape), shape)]
    return tuple(cut) + shape[len(cut) :]


register_op(
    "slice",
    aliases=("crop",),
    doc="NumPy-style basic slicing: x[b0:e0:s0, b1:e1:s1, ...].",
    params=[
        _IndexTuple("begin", doc="Start per axis (None = from the edge)."),
        _IndexTuple("end", doc="Stop per axis, exclusive (None = to the edge)."),
        _IndexTuple("step", default=(), doc="Step per axis (None or () = 1)."),
    ],
    infer_shape=unary_rule(_sliced),
    lower=lambda p, x: x[_slices(p, x.shape)],
)
