"""Pooling: max, avg, sum and Lp pooling over 1 to 3 spatial axes.

MXNet's conventions: ``stride`` defaults to 1 per axis (not the kernel), windows
that overhang the padded input ('full', 'same') are cut off there, the
'avg' divisor counts the explicit padding (unless ``count_include_pad=False``)
but never the overhang, and a max window with no input cell yields the
dtype's lowest finite value (src/operator/nn/pool.h).
"""

from __future__ import annotations

import functools
import itertools

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ...base import ParamError, ShapeError
from ..params import Bool, Enum, Int, Shape
from ..registry import register_op
from ..shape import pool_out

_CHANNEL_FIRST = {3: "NCW", 4: "NCHW", 5: "NCDHW"}
_CHANNEL_LAST = {3: "NWC", 4: "NHWC", 5: "NDHWC"}


def _check_params(p):
    nd = len(p.kernel)
    if not p.global_pool and nd not in (1, 2, 3):
        raise ParamError(
            f"Pooling: kernel must be (x,), (y, x) or (d, y, x) unless global_pool=True; "
            f"got kernel={p.kernel}."
        )
    for name in ("stride", "pad"):
        if p[name] and len(p[name]) != nd and not p.global_pool:
            raise ParamError(
                f"Pooling: {name}={p[name]} has {len(p[name])} entries but "
                f"kernel={p.kernel} has {nd}; give one per spatial axis or leave it empty."
            )
    if 0 in p.kernel or 0 in p.stride:
        raise ParamError(f"Pooling: kernel and stride must be >= 1; got kernel={p.kernel}, "
                         f"stride={p.stride}.")
    if p.pool_type == "lp" and p.p_value not in (1, 2, 3):
        raise ParamError(f"Pooling: pool_type='lp' needs p_value 1, 2 or 3; "
                         f"got p_value={p.p_value}.")
    if p.layout is not None and not p.global_pool and len(p.layout) != nd + 2:
        raise ParamError(f"Pooling: layout={p.layout!r} does not fit a {nd}-D "
                         f"kernel={p.kernel}.")


def _spatial_axes(p, ndim):
    last = p.layout is not None and p.layout in _CHANNEL_LAST.values()
    return tuple(range(1, ndim - 1)) if last else tuple(range(2, ndim))


def _geometry(p, shape):
    """(axes, kernel, stride, pad) for a known input shape."""
    axes = _spatial_axes(p, len(shape))
    if p.global_pool:
        n = len(axes)
        return axes, tuple(shape[a] for a in axes), (1,) * n, (0,) * n
    nd = len(p.kernel)
    return axes, tuple(p.kernel), p.stride or (1,) * nd, p.pad or (0,) * nd


def _check_data(p, data):
    ndim = len(data)
    want = ndim if p.global_pool else len(p.kernel) + 2
    if ndim != want or ndim not in _CHANNEL_FIRST:
        what = ("3-D, 4-D or 5-D" if p.global_pool else
                f"{want}-D {_CHANNEL_FIRST.get(want, '')} input for kernel={p.kernel}")
        raise ShapeError(f"input 'data' has shape {data} ({ndim}-D), but Pooling needs {what}")
    if p.layout is not None and len(p.layout) != ndim:
        raise ShapeError(f"input 'data' has shape {data} ({ndim}-D), which does not fit "
                         f"layout={p.layout!r}")


def _out_shape(p, data):
    axes, kernel, stride, pad = _geometry(p, data)
    out = list(data)
    for a, k, s, q in zip(axes, kernel, stride, pad):
        if p.global_pool:
            out[a] = 1
            continue
        if k > data[a] + 2 * q:
            raise ShapeError(
                f"kernel={tuple(kernel)} exceeds input 'data' {data} on axis {a}: "
                f"{k} > {data[a]} padded to {data[a] + 2 * q}"
            )
        out[a] = pool_out(data[a] + 2 * q, k, s, 0, p.pooling_convention)
    return tuple(out)


def _infer_shape(p, in_shapes):
    _check_params(p)
    data = in_shapes[0]
    if data is None:
        return in_shapes, [None], []
    _check_data(p, data)
    return in_shapes, [_out_shape(p, data)], []


def _divisor(p, shape, out, geometry):
    """MXNet's avg divisor per output cell, broadcastable against the output."""
    axes, kernel, stride, pad = geometry
    count = np.ones([1] * len(shape))
    for a, k, s, q in zip(axes, kernel, stride, pad):
        start = np.arange(out[a]) * s - q
        end = np.minimum(start + k, shape[a] + q)
        if p.count_include_pad is False:
            end, start = np.minimum(end, shape[a]), np.maximum(start, 0)
        size = np.maximum(end - start, 1).reshape([-1 if i == a else 1
                                                   for i in range(len(shape))])
        count = count * size
    return count


def _tiles(p, x, geometry, out) -> bool:
    """Whether max pooling here is a max over disjoint tiles (kernel == stride,
    no padding, every window inside the input), as in LeNet."""
    axes, kernel, stride, pad = geometry
    return (p.pool_type == "max" and jnp.issubdtype(x.dtype, jnp.floating)
            and tuple(kernel) == tuple(stride) and not any(pad)
            and all(out[a] * k <= x.shape[a] for a, k in zip(axes, kernel)))


def _tile_slices(x, axes, kernel):
    """One strided slice per offset in the tile, in row-major offset order."""
    for offset in itertools.product(*(range(k) for k in kernel)):
        index = [slice(None)] * x.ndim
        for a, o, k in zip(axes, offset, kernel):
            index[a] = slice(o, None, k)
        yield x[tuple(index)]


@functools.partial(jax.custom_vjp, nondiff_argnums=(1, 2))
def _max_tiles(x, axes, kernel):
    """Max over disjoint tiles (``x`` cropped to whole tiles).

    The forward pass is ``reduce_window``: an elementwise max of strided
    slices ran 2.4-5x faster alone but made LeNet's step slower (see
    docs/performance.md). The point is the gradient, an
    elementwise pass over the tile offsets that XLA:CPU runs many times faster
    than ``select_and_scatter``."""
    window = [1] * x.ndim
    for a, k in zip(axes, kernel):
        window[a] = k
    return lax.reduce_window(x, -jnp.inf, lax.max, tuple(window), tuple(window), "VALID")


def _max_tiles_fwd(x, axes, kernel):
    y = _max_tiles(x, axes, kernel)
    return y, (x, y)


def _max_tiles_bwd(axes, kernel, res, g):
    # MXNet (and select_and_scatter) send the gradient to the first maximum.
    x, y = res
    taken, parts = jnp.zeros(y.shape, bool), []
    for part in _tile_slices(x, axes, kernel):
        first = (part == y) & ~taken
        taken = taken | first
        parts.append(jnp.where(first, g, jnp.zeros_like(g)))
    nd = len(kernel)
    grads = jnp.stack(parts).reshape(*kernel, *y.shape)
    order = []
    for d in range(y.ndim):  # each tile offset axis right after its spatial axis
        order.append(nd + d)
        if d in axes:
            order.append(axes.index(d))
    return (grads.transpose(order).reshape(x.shape),)


_max_tiles.defvjp(_max_tiles_fwd, _max_tiles_bwd)


def _lower(p, x):
    _check_params(p)
    geometry = _geometry(p, x.shape)
    axes, kernel, stride, pad = geometry
    out = _out_shape(p, x.shape)
    if _tiles(p, x, geometry, out):
        crop = [slice(None)] * x.ndim
        for a, k in zip(axes, kernel):
            crop[a] = slice(0, out[a] * k)
        return _max_tiles(x[tuple(crop)], tuple(axes), tuple(kernel))
    window, strides = [1] * x.ndim, [1] * x.ndim
    padding = [(0, 0)] * x.ndim
    for a, k, s, q in zip(axes, kernel, stride, pad):
        window[a], strides[a] = k, s
        # Right overhang so that 'full'/'same' windows exist; it never counts.
        extra = max(0, (out[a] - 1) * s + k - (x.shape[a] + 2 * q))
        padding[a] = (q, q + extra)

    def pool(v, init, op):
        return lax.reduce_window(v, init, op, tuple(window), tuple(strides), padding)

    if p.pool_type == "max":
        floor = jnp.finfo(x.dtype).min if jnp.issubdtype(x.dtype, jnp.floating) \
            else jnp.iinfo(x.dtype).min
        y = pool(x, -jnp.inf if jnp.issubdtype(x.dtype, jnp.floating) else floor, lax.max)
        return jnp.maximum(y, jnp.asarray(floor, x.dtype))
    if p.pool_type == "lp":
        return _lp_root(pool(x ** p.p_value, 0, lax.add), p.p_value)
    y = pool(x, 0, lax.add)
    if p.pool_type == "avg":
        div = jnp.asarray(_divisor(p, x.shape, out, geometry), y.dtype)
        y = y / div if jnp.issubdtype(y.dtype, jnp.inexact) else y // div
    return y


def _lp_root(total, p_value):
    # MXNet's Lp gradient is 0 where the pooled value is 0 (pool_utils.h lp_grad);
    # the safe branch keeps autodiff from producing inf * 0 = nan there.
    if p_value == 1:
        return total
    nonzero = total != 0
    safe = jnp.where(nonzero, total, jnp.ones_like(total))
    root = jnp.sqrt(safe) if p_value == 2 else jnp.cbrt(safe)
    return jnp.where(nonzero, root, jnp.zeros_like(total))


register_op(
    "Pooling",
    doc="Perform max, average, sum or Lp pooling on 1-D, 2-D or 3-D spatial input.",
    params=[
        Shape("kernel", default=(), doc="Pooling kernel size: (x,), (y, x) or (d, y, x)."),
        Enum("pool_type", ("max", "avg", "sum", "lp"), default="max",
             doc="Pooling type to be applied."),
        Bool("global_pool", default=False,
             doc="Ignore kernel size and pool over the whole spatial extent."),
        Bool("cudnn_off", default=False, doc="Turn off cuDNN; accepted and ignored."),
        Enum("pooling_convention", ("full", "valid", "same"), default="valid",
             doc="Output size rule: 'valid' floors, 'full' ceils, 'same' is "
                 "ceil((size + 2*pad) / stride)."),
        Shape("stride", default=(), doc="Stride per spatial axis; defaults to 1 (not "
                                        "the kernel size)."),
        Shape("pad", default=(), doc="Padding per spatial axis; defaults to 0."),
        Int("p_value", default=None, doc="p of Lp pooling (1, 2 or 3); required for 'lp'."),
        Bool("count_include_pad", default=None,
             doc="avg only: whether padding cells count in the divisor (default True)."),
        Enum("layout", ("NCW", "NCHW", "NCDHW", "NWC", "NHWC", "NDHWC"), default=None,
             doc="Data layout; default channel-first (NCW, NCHW or NCDHW)."),
    ],
    infer_shape=_infer_shape,
    lower=_lower,
    # Spatial axes come last in (N, C, ...) and in its swapped (C, N, ...) form.
    channel_swap=lambda p, platform: (
        (_lower, False) if p.layout is None or p.layout in _CHANNEL_FIRST.values() else None),
)
