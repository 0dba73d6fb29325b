"""Joining and splitting: Concat, stack and SliceChannel (split).

Concat and stack take a variable number of inputs named ``arg0, arg1, ...``;
``num_args`` counts them (front ends fill it from the number of inputs).
"""

from __future__ import annotations

import jax.numpy as jnp

from ...base import DTypeError, ShapeError
from ..params import Bool, Int
from ..registry import register_op
from ..shape import normalize_axis


def _args(p):
    return [f"arg{i}" for i in range(p.num_args)]


def _merge(in_shapes, skip):
    """One shape agreeing with every known input except on axis ``skip``."""
    ref_i, ref = next(
        ((i, s) for i, s in enumerate(in_shapes) if s is not None), (None, None)
    )
    if ref is None:
        return None
    for i, shape in enumerate(in_shapes):
        if shape is None:
            continue
        rest = [d for a, d in enumerate(shape) if a != skip]
        ref_rest = [d for a, d in enumerate(ref) if a != skip]
        if len(shape) != len(ref) or rest != ref_rest:
            where = "except on the concatenated axis " if skip is not None else ""
            raise ShapeError(
                f"input 'arg{i}' has shape {shape}, but 'arg{ref_i}' has shape {ref}; "
                f"all inputs must have the same shape {where}".rstrip()
            )
    return ref


def _uniform_type(p, in_types, n_out, n_aux):
    ref_i, ref = next(
        ((i, t) for i, t in enumerate(in_types) if t is not None), (None, None)
    )
    for i, t in enumerate(in_types):
        if t is not None and t != ref:
            raise DTypeError(
                f"input 'arg{i}' has dtype {t}, but 'arg{ref_i}' has {ref}; "
                "all inputs must have the same dtype"
            )
    return [ref] * len(in_types), [ref], []


def _concat_shape(p, in_shapes):
    ref = next((s for s in in_shapes if s is not None), None)
    if ref is None:
        return in_shapes, [None], []
    axis = normalize_axis(p.dim, len(ref), "dim")
    _merge(in_shapes, axis)
    if any(s is None for s in in_shapes):
        return in_shapes, [None], []
    out = ref[:axis] + (sum(s[axis] for s in in_shapes),) + ref[axis + 1 :]
    return in_shapes, [out], []


register_op(
    "Concat",
    aliases=("concat",),
    variadic="num_args",
    doc="Join arrays along an existing axis.",
    params=[
        Int("num_args", lower=1, doc="Number of inputs to concatenate."),
        Int("dim", default=1, doc="The axis to join along."),
    ],
    arguments=_args,
    infer_shape=_concat_shape,
    infer_type=_uniform_type,
    lower=lambda p, *xs: jnp.concatenate(xs, axis=normalize_axis(p.dim, xs[0].ndim)),
)


def _stack_shape(p, in_shapes):
    ref = _merge(in_shapes, None)
    if ref is None:
        return in_shapes, [None], []
    axis = normalize_axis(p.axis, len(ref) + 1)
    out = ref[:axis] + (p.num_args,) + ref[axis:]
    return [ref] * p.num_args, [out], []


register_op(
    "stack",
    variadic="num_args",
    doc="Join arrays of the same shape along a new axis.",
    params=[
        Int("axis", default=0, doc="Position of the new axis in the result."),
        Int("num_args", lower=1, doc="Number of inputs to stack."),
    ],
    arguments=_args,
    infer_shape=_stack_shape,
    infer_type=_uniform_type,
    lower=lambda p, *xs: jnp.stack(xs, axis=normalize_axis(p.axis, xs[0].ndim + 1)),
)


def _split_shape(p, in_shapes):
    data = in_shapes[0]
    if data is None:
        return in_shapes, [None] * p.num_outputs, []
    axis = normalize_axis(p.axis, len(data))
    size = data[axis]
    if size % p.num_outputs:
        raise ShapeError(
            f"input 'data' {data} cannot be split into num_outputs={p.num_outputs} "
            f"equal parts along axis {axis} (size {size})"
        )
    if p.squeeze_axis and size != p.num_outputs:
        raise ShapeError(
            f"squeeze_axis=True needs axis {axis} of input 'data' {data} to have size "
            f"num_outputs={p.num_outputs}"
        )
    part = (
        data[:axis]
        + (() if p.squeeze_axis else (size // p.num_outputs,))
        + data[axis + 1 :]
    )
    return in_shapes, [part] * p.num_outputs, []


def _split(p, x):
    axis = normalize_axis(p.axis, x.ndim)
    parts = jnp.split(x, p.num_outputs, axis=axis)
    if p.squeeze_axis:
        parts = [jnp.squeeze(part, axis) for part in parts]
    return tuple(parts)


register_op(
    "SliceChannel",
    aliases=("split",),
    doc="Split an array into num_outputs equal parts along an axis.",
    params=[
        Int("num_outputs", lower=1, doc="Number of parts."),
        Int("axis", default=1, doc="The axis to split."),
        Bool(
            "squeeze_axis",
            default=False,
            doc="Drop the split axis (its size must equal num_outputs).",
        ),
    ],
    outputs=lambda p: [f"output{i}" for i in range(p.num_outputs)],
    infer_shape=_split_shape,
    lower=_split,
)
