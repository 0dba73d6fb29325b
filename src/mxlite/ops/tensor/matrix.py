"""Matrix and layout operators: dot, transpose, slicing, tiling, Cast, where, ...

MXNet 1.x semantics: ``dot`` on N-D arrays contracts the last axis of ``lhs``
(first if ``transpose_a``) with the first axis of ``rhs`` (last if
``transpose_b``); results that would be 0-d have shape ``(1,)``.
"""

from __future__ import annotations

import ast

import jax
import jax.numpy as jnp
import numpy as np

from ...base import DTypeError, ShapeError
from ..params import Bool, DType, Enum, Float, Int, Param, Shape, _Invalid
from ..registry import register_op
from ..shape import known, normalize_axis



class _IndexTuple(Param):
    """MXNet's Tuple<optional<int>>: ints or None, e.g. ``(None, 1)``."""

    def describe(self) -> str:
        return "a tuple of ints or None"

    def _parse(self, value):
        if isinstance(value, str):
            text = value.strip()
            try:
                value = ast.literal_eval(text) if text not in ("()", "[]") else ()
            except (ValueError, SyntaxError) as err:
                raise _Invalid from err
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


def _unary(rule):
    """Wrap ``rule(p, shape) -> out_shape`` into a partial infer_shape."""

    def infer(p, in_shapes):
        data = in_shapes[0]
        return in_shapes, [None if data is None else tuple(rule(p, data))], []

    return infer


def _drop(shape, axis):
    return shape[:axis] + shape[axis + 1 :]


# -- dot, batch_dot ----------------------------------------------------------
def _dot_axes(p, lhs, rhs):
    la = 0 if p.transpose_a else len(lhs) - 1
    ra = len(rhs) - 1 if p.transpose_b else 0
    return la, ra


def _dot_shape(p, in_shapes):
    lhs, rhs = in_shapes
    if not known(lhs, rhs):
        return in_shapes, [None], []
    if not lhs or not rhs:
        raise ShapeError(
            f"inputs 'lhs' {lhs} and 'rhs' {rhs} must have at least 1 axis"
        )
    if len(lhs) == 1 and len(rhs) == 1 and (p.transpose_a or p.transpose_b):
        raise ShapeError(f"cannot transpose vectors: 'lhs' {lhs}, 'rhs' {rhs}")
    la, ra = _dot_axes(p, lhs, rhs)
    if lhs[la] != rhs[ra]:
        raise ShapeError(
            f"inputs 'lhs' {lhs} and 'rhs' {rhs} do not fit: dot contracts axis {la} "
            f"of lhs (size {lhs[la]}) with axis {ra} of rhs (size {rhs[ra]}) "
            f"(transpose_a={p.transpose_a}, transpose_b={p.transpose_b})"
        )
    return in_shapes, [(_drop(lhs, la) + _drop(rhs, ra)) or (1,)], []


def _dot(p, a, b):
    la, ra = _dot_axes(p, a.shape, b.shape)
    out = jnp.tensordot(a, b, axes=([la], [ra]))
    return out.reshape(out.shape or (1,))


def _batch_dot_shape(p, in_shapes):
    lhs, rhs = in_shapes
    if not known(lhs, rhs):
        return in_shapes, [None], []
    ok = len(lhs) >= 3 and len(lhs) == len(rhs) and lhs[:-2] == rhs[:-2]
    if ok:
        m, k = (lhs[-1], lhs[-2]) if p.transpose_a else lhs[-2:]
        k2, n = (rhs[-1], rhs[-2]) if p.transpose_b else rhs[-2:]
        ok = k == k2
    if not ok:
        raise ShapeError(
            f"inputs 'lhs' {lhs} and 'rhs' {rhs} do not fit: batch_dot needs N-D "
            "inputs (N >= 3) with equal leading batch axes and matching inner sizes "
            f"(transpose_a={p.transpose_a}, transpose_b={p.transpose_b})"
        )
    return in_shapes, [lhs[:-2] + (m, n)], []


def _batch_dot(p, a, b):
    a = jnp.swapaxes(a, -1, -2) if p.transpose_a else a
    b = jnp.swapaxes(b, -1, -2) if p.transpose_b else b
    return jnp.matmul(a, b)


_DOT_PARAMS = [
    Bool(
        "transpose_a",
        default=False,
        doc="Transpose lhs (N-D: contract its first axis).",
    ),
    Bool(
        "transpose_b", default=False, doc="Transpose rhs (N-D: contract its last axis)."
    ),
    Enum(
        "forward_stype",
        ("csr", "default", "row_sparse"),
        default=None,
        doc="Sparse output storage; accepted for MXNet files, always dense here.",
    ),
]
register_op(
    "dot",
    doc="Dot product: contract lhs's last axis with rhs's first.",
    params=_DOT_PARAMS,
    arguments=["lhs", "rhs"],
    infer_shape=_dot_shape,
    lower=_dot,
)
register_op(
    "batch_dot",
    doc="Batched matrix product over the leading axes.",
    params=_DOT_PARAMS,
    arguments=["lhs", "rhs"],
    infer_shape=_batch_dot_shape,
    lower=_batch_dot,
)


# -- axes: transpose, expand_dims, squeeze, SwapAxis ------------------------
def _perm(p, shape):
    axes = p.axes or tuple(reversed(range(len(shape))))
    if sorted(axes) != list(range(len(shape))):
        raise ShapeError(
            f"axes={p.axes} is not a permutation of the {len(shape)} axes "
            f"of input 'data' {shape}"
        )
    return axes


register_op(
    "transpose",
    doc="Permute axes; axes=() reverses them.",
    params=[Shape("axes", default=(), doc="Target order of the axes; () reverses.")],
    infer_shape=_unary(lambda p, s: [s[a] for a in _perm(p, s)]),
    lower=lambda p, x: jnp.transpose(x, _perm(p, x.shape)),
)


def _expand_axis(p, shape):
    return normalize_axis(p.axis, len(shape) + 1)


register_op(
    "expand_dims",
    doc="Insert a new axis of size 1 at position axis.",
    params=[Int("axis", doc="Position of the new axis, in [-ndim-1, ndim].")],
    infer_shape=_unary(
        lambda p, s: s[: _expand_axis(p, s)] + (1,) + s[_expand_axis(p, s) :]
    ),
    lower=lambda p, x: jnp.expand_dims(x, _expand_axis(p, x.shape)),
)


def _squeezed(p, shape):
    if p.axis is None:
        axes = [i for i, d in enumerate(shape) if d == 1]
    else:
        axes = [normalize_axis(a, len(shape)) for a in p.axis]
        bad = [a for a in axes if shape[a] != 1]
        if bad:
            raise ShapeError(
                f"cannot squeeze axis {bad[0]} of input 'data' {shape}: "
                "its size is not 1"
            )
    return tuple(d for i, d in enumerate(shape) if i not in axes) or (1,)


register_op(
    "squeeze",
    doc="Remove axes of size 1 (all of them when axis is None).",
    params=[Shape("axis", default=None, allow_negative=True, doc="Axes to remove.")],
    infer_shape=_unary(_squeezed),
    lower=lambda p, x: x.reshape(_squeezed(p, x.shape)),
)


def _swap(p, shape):
    a = normalize_axis(p.dim1, len(shape), "dim1")
    b = normalize_axis(p.dim2, len(shape), "dim2")
    axes = list(range(len(shape)))
    axes[a], axes[b] = b, a
    return axes


register_op(
    "SwapAxis",
    aliases=("swapaxes",),
    doc="Interchange two axes.",
    params=[
        Int("dim1", default=0, doc="First axis."),
        Int("dim2", default=0, doc="Second axis."),
    ],
    infer_shape=_unary(lambda p, s: [s[a] for a in _swap(p, s)]),
    lower=lambda p, x: jnp.transpose(x, _swap(p, x.shape)),
)


# -- values: clip, Cast, zeros_like, ones_like, BlockGrad, _copy ------------
def _clip(p, x):
    lo, hi = jnp.asarray(p.a_min, x.dtype), jnp.asarray(p.a_max, x.dtype)
    # MXNet's order: x > a_max -> a_max, else x < a_min -> a_min (this matters when
    # a_min > a_max, which MXNet allows); the gradient is 1 inside [a_min, a_max],
    # boundaries included.
    return jnp.where(x > hi, hi, jnp.where(x < lo, lo, x))


_same = _unary(lambda p, s: s)
_CAST_DTYPES = ("bfloat16", "bool", "float16", "float32", "float64")
_CAST_DTYPES += ("int32", "int64", "int8", "uint8")
register_op(
    "clip",
    doc="Clip values to [a_min, a_max].",
    infer_shape=_same,
    lower=_clip,
    params=[Float("a_min", doc="Minimum value."), Float("a_max", doc="Maximum value.")],
)
register_op(
    "Cast",
    aliases=("cast",),
    doc="Cast to another dtype (floats truncate toward 0).",
    params=[
        DType("dtype", _CAST_DTYPES, doc="Output dtype."),
    ],
    infer_shape=_same,
    infer_type=lambda p, t, n_out, n_aux: (t, [p.dtype], []),
    lower=lambda p, x: x.astype(p.dtype),
)
register_op(
    "zeros_like",
    doc="An array of zeros with the input's shape and dtype.",
    infer_shape=_same,
    lower=lambda p, x: jnp.zeros_like(x),
)
register_op(
    "ones_like",
    doc="An array of ones with the input's shape and dtype.",
    infer_shape=_same,
    lower=lambda p, x: jnp.ones_like(x),
)
register_op(
    "BlockGrad",
    aliases=("stop_gradient",),
    infer_shape=_same,
    doc="Identity forward; stops the gradient (backward gives zeros).",
    lower=lambda p, x: jax.lax.stop_gradient(x),
)
register_op(
    "_copy",
    aliases=("identity",),
    doc="Identity: a copy of the input.",
    infer_shape=_same,
    lower=lambda p, x: x,
)


# -- tile, repeat ------------------------------------------------------------
def _tiled(p, shape):
    if any(r < 1 for r in p.reps):
        raise ShapeError(f"reps={p.reps} must be >= 1 in every entry")
    n = max(len(shape), len(p.reps))
    shape, reps = (1,) * (n - len(shape)) + shape, (1,) * (n - len(p.reps)) + p.reps
    return tuple(d * r for d, r in zip(shape, reps))


register_op(
    "tile",
    doc="Repeat the whole array reps times along each axis.",
    params=[Shape("reps", doc="Repetitions per axis (aligned to the right).")],
    infer_shape=_unary(_tiled),
    lower=lambda p, x: jnp.tile(x, p.reps).reshape(_tiled(p, x.shape)),
)


def _repeated(p, shape):
    if p.axis is None:
        return (int(np.prod(shape)) * p.repeats,)
    a = normalize_axis(p.axis, len(shape))
    return shape[:a] + (shape[a] * p.repeats,) + shape[a + 1 :]


register_op(
    "repeat",
    doc="Repeat each element repeats times along axis (flattened if None).",
    params=[
        Int("repeats", lower=0, doc="Repetitions of each element."),
        Int("axis", default=None, doc="Axis to repeat along; None flattens."),
    ],
    infer_shape=_unary(_repeated),
    lower=lambda p, x: jnp.repeat(
        x,
        p.repeats,
        axis=None if p.axis is None else normalize_axis(p.axis, x.ndim),
        total_repeat_length=_repeated(p, x.shape)[0] if p.axis is None else None,
    ),
)


# -- slice_axis, slice -------------------------------------------------------
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
    infer_shape=_unary(_slice_axis_shape),
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
    infer_shape=_unary(_sliced),
    lower=lambda p, x: x[_slices(p, x.shape)],
)


# -- where -------------------------------------------------------------------
def _where_shape(p, in_shapes):
    cond, x, y = in_shapes
    data = x if x is not None else y
    if x is not None and y is not None and x != y:
        raise ShapeError(f"inputs 'x' {x} and 'y' {y} must have the same shape")
    if (
        cond is not None
        and data is not None
        and cond != data
        and (len(cond) != 1 or not data or cond[0] != data[0])
    ):
        raise ShapeError(
            f"input 'condition' {cond} must have the shape of 'x' {data} "
            f"or be 1-D of length {data[0] if data else '?'}"
        )
    return [cond if cond is not None else data, data, data], [data], []


def _where_type(p, in_types, n_out, n_aux):
    cond, x, y = in_types
    if x is not None and y is not None and x != y:
        raise DTypeError(f"inputs 'x' ({x}) and 'y' ({y}) must have the same dtype")
    data = x or y
    return [cond or data, data, data], [data], []


def _where(p, cond, x, y):
    c = cond != 0
    if c.ndim != x.ndim:
        c = c.reshape(c.shape + (1,) * (x.ndim - 1))
    return jnp.where(jnp.broadcast_to(c, x.shape), x, y)


register_op(
    "where",
    doc="Take x where condition is nonzero, else y (condition may be 1-D over "
    "the first axis).",
    arguments=["condition", "x", "y"],
    infer_shape=_where_shape,
    infer_type=_where_type,
    lower=_where,
)
