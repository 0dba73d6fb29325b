"""Layout and value operators: transpose, squeeze, Cast, clip, tile, where, ...

``dot`` and ``batch_dot`` live in ``dot.py``, the slicing operators in
``slicing.py``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ...base import DTypeError, ShapeError
from ..params import DType, Float, Int, Shape
from ..registry import register_op
from ..shape import normalize_axis, same_as_input, unary_rule


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
    infer_shape=unary_rule(lambda p, s: [s[a] for a in _perm(p, s)]),
    lower=lambda p, x: jnp.transpose(x, _perm(p, x.shape)),
)


def _expand_axis(p, shape):
    return normalize_axis(p.axis, len(shape) + 1)


register_op(
    "expand_dims",
    doc="Insert a new axis of size 1 at position axis.",
    params=[Int("axis", doc="Position of the new axis, in [-ndim-1, ndim].")],
    infer_shape=unary_rule(
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
    infer_shape=unary_rule(_squeezed),
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
    infer_shape=unary_rule(lambda p, s: [s[a] for a in _swap(p, s)]),
    lower=lambda p, x: jnp.transpose(x, _swap(p, x.shape)),
)


# -- values: clip, Cast, zeros_like, ones_like, BlockGrad, _copy ------------
def _clip(p, x):
    lo, hi = jnp.asarray(p.a_min, x.dtype), jnp.asarray(p.a_max, x.dtype)
    # MXNet's order: x > a_max -> a_max, else x < a_min -> a_min (this matters when
    # a_min > a_max, which MXNet allows); the gradient is 1 inside [a_min, a_max],
    # boundaries included.
    return jnp.where(x > hi, hi, jnp.where(x < lo, lo, x))


_CAST_DTYPES = ("bfloat16", "bool", "float16", "float32", "float64")
_CAST_DTYPES += ("int32", "int64", "int8", "uint8")
register_op(
    "clip",
    doc="Clip values to [a_min, a_max].",
    infer_shape=same_as_input,
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
    infer_shape=same_as_input,
    infer_type=lambda p, t, n_out, n_aux: (t, [p.dtype], []),
    lower=lambda p, x: x.astype(p.dtype),
)
register_op(
    "zeros_like",
    doc="An array of zeros with the input's shape and dtype.",
    infer_shape=same_as_input,
    lower=lambda p, x: jnp.zeros_like(x),
)
register_op(
    "ones_like",
    doc="An array of ones with the input's shape and dtype.",
    infer_shape=same_as_input,
    lower=lambda p, x: jnp.ones_like(x),
)
register_op(
    "BlockGrad",
    aliases=("stop_gradient",),
    infer_shape=same_as_input,
    doc="Identity forward; stops the gradient (backward gives zeros).",
    lower=lambda p, x: jax.lax.stop_gradient(x),
)
register_op(
    "_copy",
    aliases=("identity",),
    doc="Identity: a copy of the input.",
    infer_shape=same_as_input,
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
    infer_shape=unary_rule(_tiled),
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
    infer_shape=unary_rule(_repeated),
    lower=lambda p, x: jnp.repeat(
        x,
        p.repeats,
        axis=None if p.axis is None else normalize_axis(p.axis, x.ndim),
        total_repeat_length=_repeated(p, x.shape)[0] if p.axis is None else None,
    ),
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
    c = cond.astype(jnp.bool_)  # nonzero is true, as MXNet's condition != 0
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
