"""Indexing: one_hot, take, pick and topk.

Indices may be given in any dtype (MXNet's are usually float32); they are
truncated toward zero, as MXNet's C++ casts do. Out-of-range indices are
clipped or wrapped by ``mode`` and never read outside the array.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ...base import ShapeError
from ..params import Bool, DType, Enum, Float, Int
from ..registry import register_op
from ..shape import normalize_axis


def _index_types(p, in_types, n_out, n_aux):
    """Output takes the data's dtype; an unknown index dtype defaults to float32."""
    data, index = in_types
    return [data, index or "float32"], [data], []


def _fix(idx, n, mode):
    idx = idx.astype(jnp.int32) if idx.dtype != jnp.int64 else idx
    if mode == "wrap":
        return jnp.mod(idx, n)
    return jnp.clip(idx, 0, n - 1)


# -- one_hot -------------------------------------------------------------------
_ONE_HOT_DTYPES = ("bfloat16", "float16", "float32", "float64")
_ONE_HOT_DTYPES += ("int32", "int64", "int8", "uint8")


def _one_hot(p, indices):
    depth = jax.lax.iota(jnp.int64, p.depth).reshape((1,) * indices.ndim + (p.depth,))
    hit = indices.astype(jnp.int64)[..., None] == depth
    # Values are cast like MXNet's C++ cast: 2.5 becomes 2 for an int dtype.
    on, off = (jnp.asarray(v).astype(p.dtype) for v in (p.on_value, p.off_value))
    return jnp.where(hit, on, off)


register_op(
    "one_hot",
    doc="One-hot encode indices; out-of-range indices give all off_value.",
    params=[
        Int("depth", lower=0, doc="Size of the one-hot axis."),
        Float("on_value", default=1.0, doc="Value at the index."),
        Float("off_value", default=0.0, doc="Value elsewhere."),
        DType(
            "dtype",
            _ONE_HOT_DTYPES,
            default="float32",
            doc="Output dtype.",
        ),
    ],
    arguments=["indices"],
    infer_shape=lambda p, s: (s, [None if s[0] is None else s[0] + (p.depth,)], []),
    infer_type=lambda p, t, n_out, n_aux: ([t[0] or "float32"], [p.dtype], []),
    lower=_one_hot,
)


# -- take ------------------------------------------------------------------------
def _take_shape(p, in_shapes):
    a, idx = in_shapes
    if a is None or idx is None:
        return in_shapes, [None], []
    if not a:
        raise ShapeError("input 'a' must have at least 1 axis")
    axis = normalize_axis(p.axis, len(a))
    return in_shapes, [a[:axis] + idx + a[axis + 1 :]], []


def _take(p, a, indices):
    axis = normalize_axis(p.axis, a.ndim)
    # NOTE: mode='raise' cannot check values inside jit; it clips like 'clip'.
    idx = _fix(indices, a.shape[axis], "wrap" if p.mode == "wrap" else "clip")
    return jnp.take(a, idx, axis=axis, mode="clip")


register_op(
    "take",
    doc="Take slices of a along axis at the given indices.",
    params=[
        Int("axis", default=0, doc="The axis to index."),
        Enum(
            "mode",
            ("clip", "raise", "wrap"),
            default="clip",
            doc="Out-of-range indices: clip, wrap around, or 'raise' (which cannot be "
            "checked inside a compiled step and behaves like clip here).",
        ),
    ],
    arguments=["a", "indices"],
    infer_shape=_take_shape,
    infer_type=_index_types,
    lower=_take,
)


# -- pick ------------------------------------------------------------------------
def _pick_shape(p, in_shapes):
    data, index = in_shapes
    if data is None:
        return in_shapes, [None], []
    axis = normalize_axis(p.axis, len(data))
    reduced, kept = (
        data[:axis] + data[axis + 1 :],
        data[:axis] + (1,) + data[axis + 1 :],
    )
    if index is not None and index not in (reduced, kept):
        raise ShapeError(
            f"input 'index' has shape {index}, but data {data} with axis="
            f"{p.axis} needs {reduced} (or {kept})"
        )
    return [data, index or reduced], [kept if p.keepdims else reduced], []


def _pick(p, data, index):
    axis = normalize_axis(p.axis, data.ndim)
    kept = data.shape[:axis] + (1,) + data.shape[axis + 1 :]
    idx = _fix(index.reshape(kept), data.shape[axis], p.mode)
    out = jnp.take_along_axis(data, idx, axis=axis)
    return out if p.keepdims else jnp.squeeze(out, axis)


register_op(
    "pick",
    doc="Pick one element per position along axis, at index.",
    params=[
        Int("axis", default=-1, doc="The axis to pick from (MXNet rejects None too)."),
        Bool("keepdims", default=False, doc="Keep the picked axis with size 1."),
        Enum("mode", ("clip", "wrap"), default="clip", doc="Out-of-range indices."),
    ],
    arguments=["data", "index"],
    infer_shape=_pick_shape,
    infer_type=_index_types,
    lower=_pick,
)


# -- topk ------------------------------------------------------------------------
def _topk_geometry(p, shape):
    """(axis or None for flattened, n, k)."""
    if p.axis is None:
        axis, n = None, int(np.prod(shape))
    else:
        axis = normalize_axis(p.axis, len(shape))
        n = shape[axis]
    k = n if p.k < 1 else p.k
    if k > n:
        raise ShapeError(
            f"k={p.k} is larger than the {n} elements along the axis of "
            f"input 'data' {shape}"
        )
    return axis, n, k


def _topk_outputs(p):
    return {"both": ["output0", "output1"], "value": ["output0"]}.get(
        p.ret_typ, ["output"]
    )


def _topk_shape(p, in_shapes):
    data = in_shapes[0]
    n_out = len(_topk_outputs(p))
    if data is None:
        return in_shapes, [None] * n_out, []
    axis, _, k = _topk_geometry(p, data)
    if p.ret_typ == "mask":
        return in_shapes, [data], []
    out = (k,) if axis is None else data[:axis] + (k,) + data[axis + 1 :]
    return in_shapes, [out] * n_out, []


def _topk_type(p, in_types, n_out, n_aux):
    data = in_types[0]
    out = {"indices": [p.dtype], "both": [data, p.dtype]}.get(p.ret_typ, [data])
    return in_types, out, []


def _topk(p, data):
    axis, n, k = _topk_geometry(p, data.shape)
    x = data.reshape(-1) if axis is None else jnp.moveaxis(data, axis, -1)
    # Ties keep the lower index first (MXNet's order for small axes).
    idx = (jnp.argsort(x, axis=-1, stable=True)[..., :k] if p.is_ascend
           else jax.lax.top_k(x, k)[1])
    if p.ret_typ == "mask":
        mask = jax.nn.one_hot(idx, n, dtype=data.dtype).sum(axis=-2)
        return (
            mask.reshape(data.shape) if axis is None else jnp.moveaxis(mask, -1, axis)
        )
    values = jnp.take_along_axis(x, idx, axis=-1)
    if axis is not None:
        idx, values = jnp.moveaxis(idx, -1, axis), jnp.moveaxis(values, -1, axis)
    indices = idx.astype(p.dtype)
    return {"indices": indices, "value": values, "both": (values, indices)}[p.ret_typ]


register_op(
    "topk",
    doc="The k largest (or smallest) elements along an axis: their indices, "
    "values, both, or a 0/1 mask.",
    params=[
        Int(
            "axis",
            default=-1,
            optional=True,
            doc="Axis to search; None flattens the input.",
        ),
        Int("k", default=1, doc="Number of elements; k < 1 returns them all, sorted."),
        Enum(
            "ret_typ",
            ("both", "indices", "mask", "value"),
            default="indices",
            doc="What to return; 'both' returns (value, indices).",
        ),
        Bool("is_ascend", default=False, doc="Select the smallest instead."),
        DType(
            "dtype",
            ("float16", "float32", "float64", "int32", "int64", "uint8"),
            default="float32",
            doc="Dtype of returned indices.",
        ),
    ],
    outputs=_topk_outputs,
    infer_shape=_topk_shape,
    infer_type=_topk_type,
    lower=_topk,
)
