"""Reductions: sum, mean, max, min, prod, nansum, norm, argmax and argmin.

MXNet 1.x has no 0-d arrays: reducing every axis gives shape ``(1,)``. Integer
inputs stay integer (``mean`` of ints truncates, as MXNet's C++ division does).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ...base import ShapeError
from ..params import Bool, DType, Int, Shape, _Invalid
from ..registry import register_op
from ..shape import normalize_axis


class _Ord(Int):
    def describe(self) -> str:
        return "1 or 2"

    def _parse(self, value):
        value = super()._parse(value)
        if value not in (1, 2):
            raise _Invalid
        return value


def _axes(p, shape: tuple) -> tuple:
    """Sorted, normalized reduction axes (MXNet: None or () means all axes)."""
    ndim = len(shape)
    if not p.axis:
        return tuple(range(ndim))
    axes = []
    for a in p.axis:
        if not -ndim <= a < ndim:
            raise ShapeError(
                f"axis={p.axis} is out of range for input 'data' of shape {shape} "
                f"({ndim}-D); each axis must be in [-{ndim}, {ndim - 1}]"
            )
        axes.append(a % ndim)
    if len(set(axes)) != len(axes):
        raise ShapeError(f"axis={p.axis} names the same axis twice")
    if getattr(p, "exclude", False):
        axes = [a for a in range(ndim) if a not in axes]
    return tuple(sorted(axes))


def _out_shape(shape: tuple, axes: tuple, keepdims: bool) -> tuple:
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes) or (1,)


def _reduce_shape(p, in_shapes):
    data = in_shapes[0]
    if data is None:
        return in_shapes, [None], []
    return in_shapes, [_out_shape(data, _axes(p, data), p.keepdims)], []


def _sum_like(fn):
    def lower(p, x):
        axes = _axes(p, x.shape)
        y = fn(x, axis=axes, dtype=x.dtype)
        return y.reshape(_out_shape(x.shape, axes, p.keepdims))

    return lower


def _mean(x, axis, dtype):
    if jnp.issubdtype(dtype, jnp.floating):
        return jnp.mean(x, axis=axis, dtype=dtype)
    count = int(np.prod([x.shape[a] for a in axis]))
    # NOTE: MXNet divides integer sums in C++, which truncates toward zero.
    return jax.lax.div(jnp.sum(x, axis=axis, dtype=dtype), jnp.asarray(count, dtype))


def _chooser(fn):
    def lower(p, x):
        axes = _axes(p, x.shape)

        # MXNet semantics: the gradient of max/min is head_grad * (x == y), so
        # every tied element gets the full gradient; JAX would split it among ties.
        @jax.custom_vjp
        def choose(x):
            return fn(x, axis=axes, keepdims=True)

        def fwd(x):
            y = choose(x)
            return y, (x, y)

        def bwd(res, g):
            x, y = res
            return ((x == y).astype(g.dtype) * g,)

        choose.defvjp(fwd, bwd)
        return choose(x).reshape(_out_shape(x.shape, axes, p.keepdims))

    return lower


_REDUCE_PARAMS = [
    Shape(
        "axis",
        default=None,
        allow_negative=True,
        doc="Axes to reduce (int or tuple); None or () reduces every axis.",
    ),
    Bool("keepdims", default=False, doc="Keep reduced axes with size 1."),
    Bool("exclude", default=False, doc="Reduce every axis except those in axis."),
]

REDUCE = {
    "sum": (_sum_like(jnp.sum), ("sum_axis",), "Sum of array elements over axes."),
    "mean": (_sum_like(_mean), (), "Mean of array elements over axes."),
    "prod": (_sum_like(jnp.prod), (), "Product of array elements over axes."),
    "nansum": (_sum_like(jnp.nansum), (), "Sum over axes, treating NaN as zero."),
    "max": (_chooser(jnp.max), ("max_axis",), "Maximum over axes."),
    "min": (_chooser(jnp.min), ("min_axis",), "Minimum over axes."),
}

for _name, (_lower, _aliases, _doc) in REDUCE.items():
    register_op(
        _name,
        aliases=_aliases,
        doc=_doc,
        params=_REDUCE_PARAMS,
        infer_shape=_reduce_shape,
        lower=_lower,
    )


def _norm_dtype(p, data_dtype):
    return p.out_dtype or np.dtype(data_dtype).name


def _norm(p, x):
    axes = _axes(p, x.shape)
    out = _norm_dtype(p, x.dtype)
    if np.dtype(out).kind == "f":
        x = x.astype(out)
    elif not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.float32)  # integer norms are computed in float, then cast
    if p.ord == 1:
        y = jnp.sum(jnp.abs(x), axis=axes, keepdims=True)
    else:
        # Scaled by the largest magnitude so that squares cannot overflow.
        scale = jax.lax.stop_gradient(jnp.max(jnp.abs(x), axis=axes, keepdims=True))
        scale = jnp.where(scale == 0, jnp.ones_like(scale), scale)
        y = scale * jnp.sqrt(jnp.sum(jnp.square(x / scale), axis=axes, keepdims=True))
    return y.astype(out).reshape(_out_shape(x.shape, axes, p.keepdims))


register_op(
    "norm",
    doc="L1 (ord=1) or L2 (ord=2, Frobenius for several axes) norm over axes.",
    params=[
        _Ord("ord", default=2, doc="Order of the norm: 1 or 2."),
        Shape(
            "axis",
            default=None,
            allow_negative=True,
            doc="Axes to reduce (int or tuple); None reduces every axis.",
        ),
        DType(
            "out_dtype",
            ("float16", "float32", "float64", "int32", "int64", "int8"),
            default=None,
            doc="Output dtype; None keeps the input's.",
        ),
        Bool("keepdims", default=False, doc="Keep reduced axes with size 1."),
    ],
    infer_shape=_reduce_shape,
    infer_type=lambda p, t, n_out, n_aux: (
        t,
        [None if t[0] is None else _norm_dtype(p, t[0])],
        [],
    ),
    lower=_norm,
)


def _arg_shape(p, in_shapes):
    data = in_shapes[0]
    if data is None:
        return in_shapes, [None], []
    if p.axis is None:
        return in_shapes, [(1,) * len(data) if p.keepdims else (1,)], []
    axis = normalize_axis(p.axis, len(data))
    return in_shapes, [_out_shape(data, (axis,), p.keepdims)], []


def _arg(fn):
    def lower(p, x):
        if p.axis is None:
            idx = fn(x.reshape(-1)).reshape((1,) * x.ndim if p.keepdims else (1,))
        else:
            idx = fn(x, axis=normalize_axis(p.axis, x.ndim), keepdims=p.keepdims)
        # MXNet returns indices in the data's dtype (float32 for float32 data).
        return idx.astype(x.dtype)

    return lower


for _name, _fn in (("argmax", jnp.argmax), ("argmin", jnp.argmin)):
    register_op(
        _name,
        doc=f"Index of the {_name[3:]}imum along an axis (flattened when axis is "
        "None), returned in the data's dtype.",
        params=[
            Int("axis", default=None, doc="Axis to search; None flattens the input."),
            Bool("keepdims", default=False, doc="Keep the reduced axis with size 1."),
        ],
        infer_shape=_arg_shape,
        lower=_arg(_fn),
    )
