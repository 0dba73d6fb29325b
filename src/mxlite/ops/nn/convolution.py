"""Convolution: N-d cross-correlation with MXNet's (num_filter, C/group, *kernel) weight.

Two lowerings compute the same numbers. On CPU an im2col formulation (strided
slices of the NHWC input, then one GEMM) beats XLA's CPU convolution for
forward+backward at LeNet sizes by 1.5-4x; elsewhere ``lax.conv_general_dilated``
maps onto cuDNN.
"""

from __future__ import annotations

import itertools
from math import prod

import jax.numpy as jnp
from jax import lax

from ...base import ParamError, ShapeError
from ..params import Bool, Enum, Int, Shape
from ..registry import register_op
from ..shape import conv_out

_LAYOUTS = {1: "NCW", 2: "NCHW", 3: "NCDHW"}
_AXES = {1: "(batch, channel, width)", 2: "(batch, channel, height, width)",
         3: "(batch, channel, depth, height, width)"}
_DIMENSION_NUMBERS = {1: ("NCH", "OIH", "NCH"), 2: ("NCHW", "OIHW", "NCHW"),
                      3: ("NCDHW", "OIDHW", "NCDHW")}


def _per_axis(p, name, nd, fill):
    value = p[name]
    if not value:
        return (fill,) * nd
    if len(value) != nd:
        raise ParamError(
            f"Convolution: {name}={value} has {len(value)} entries but kernel={p.kernel} "
            f"has {nd}; give one per spatial axis or leave {name} empty."
        )
    return tuple(value)


def _geometry(p):
    """(kernel, stride, dilate, pad) with MXNet's defaults filled, or ParamError."""
    kernel, nd = tuple(p.kernel), len(p.kernel)
    if nd not in _LAYOUTS or 0 in kernel:
        raise ParamError(
            f"Convolution: kernel must be 1 to 3 positive ints (w,), (h, w) or (d, h, w); "
            f"got {kernel}."
        )
    if p.layout is not None and p.layout != _LAYOUTS[nd]:
        raise ParamError(
            f"Convolution: layout={p.layout!r} is not supported for a {nd}-D kernel; "
            f"mxlite supports {_LAYOUTS[nd]!r} (MXNet runs channel-last layouts on GPU "
            "only). Transpose the data to channel-first instead."
        )
    if p.num_filter % p.num_group:
        raise ParamError(
            f"Convolution: num_filter={p.num_filter} must be divisible by "
            f"num_group={p.num_group}."
        )
    stride, dilate = _per_axis(p, "stride", nd, 1), _per_axis(p, "dilate", nd, 1)
    if 0 in stride or 0 in dilate:
        raise ParamError(f"Convolution: stride and dilate must be >= 1; got "
                         f"stride={stride}, dilate={dilate}.")
    return kernel, stride, dilate, _per_axis(p, "pad", nd, 0)


def _infer_shape(p, in_shapes):
    kernel, stride, dilate, pad = _geometry(p)
    nd, data = len(kernel), in_shapes[0]
    bias = [] if p.no_bias else [(p.num_filter,)]
    if data is None:
        return [None, in_shapes[1]] + bias, [None], []
    if len(data) != nd + 2:
        raise ShapeError(
            f"input 'data' has shape {data} ({len(data)}-D), but kernel={kernel} needs "
            f"{nd + 2}-D {_LAYOUTS[nd]} input {_AXES[nd]}"
        )
    channels = data[1]
    if channels % p.num_group:
        raise ShapeError(
            f"input 'data' has {channels} channels (shape {data}), which "
            f"num_group={p.num_group} does not divide"
        )
    out = []
    for i, (n, k, s, q, d) in enumerate(zip(data[2:], kernel, stride, pad, dilate)):
        span = d * (k - 1) + 1
        if span > n + 2 * q:
            raise ShapeError(
                f"kernel={kernel} (dilate={dilate}) spans {span} along spatial axis {i}, "
                f"but input 'data' {data} is only {n + 2 * q} there after pad={pad}"
            )
        out.append(conv_out(n, k, s, q, d))
    weight = (p.num_filter, channels // p.num_group) + kernel
    return [data, weight] + bias, [(data[0], p.num_filter) + tuple(out)], []


def _add_bias(y, b):
    return y if b is None else y + b.reshape((1, -1) + (1,) * (y.ndim - 2))


def _patches(xt, kernel, stride, dilate, out):
    """(N, *S, C) padded input -> (N, *out, prod(kernel), C) by strided slicing."""
    n, c = xt.shape[0], xt.shape[-1]
    cols = []
    for offset in itertools.product(*(range(k) for k in kernel)):
        start = [o * d for o, d in zip(offset, dilate)]
        limit = [a + (m - 1) * s + 1 for a, m, s in zip(start, out, stride)]
        cols.append(lax.slice(xt, (0, *start, 0), (n, *limit, c), (1, *stride, 1)))
    return jnp.stack(cols, axis=-2)


def _lower_cpu(p, x, w, b=None):
    """im2col + GEMM in NHWC: measured fastest on CPU (see module docstring)."""
    kernel, stride, dilate, pad = _geometry(p)
    groups, f = p.num_group, p.num_filter
    xt = jnp.moveaxis(x, 1, -1)
    if any(pad):
        xt = jnp.pad(xt, [(0, 0)] + [(q, q) for q in pad] + [(0, 0)])
    out = [conv_out(n, k, s, q, d)
           for n, k, s, q, d in zip(x.shape[2:], kernel, stride, pad, dilate)]
    cols = _patches(xt, kernel, stride, dilate, out)        # (N, *out, K, C)
    rows, taps, cg = x.shape[0] * prod(out), prod(kernel), x.shape[1] // groups
    # weight (F, Cg, *k) -> (*k, Cg, F): rows ordered (tap, channel) like the patches.
    wt = jnp.transpose(w.reshape(f, cg, taps), (2, 1, 0))  # (K, Cg, F)
    # HIGHEST: no TF32 should this run on a GPU (cuDNN's f32 path is exact); a
    # no-op on CPU.
    if groups == 1:
        y = jnp.matmul(cols.reshape(rows, taps * cg), wt.reshape(taps * cg, f),
                       precision=lax.Precision.HIGHEST)
    else:
        cols = cols.reshape(rows, taps, groups, cg)
        wt = wt.reshape(taps, cg, groups, f // groups)
        y = jnp.einsum("mkgc,kcgf->mgf", cols, wt, precision=lax.Precision.HIGHEST)
        y = y.reshape(rows, f)
    y = jnp.moveaxis(y.reshape(x.shape[0], *out, f), -1, 1)
    return _add_bias(y, b)


def _lower_default(p, x, w, b=None):
    kernel, stride, dilate, pad = _geometry(p)
    y = lax.conv_general_dilated(
        x, w, window_strides=stride, padding=[(q, q) for q in pad],
        rhs_dilation=dilate, dimension_numbers=_DIMENSION_NUMBERS[len(kernel)],
        feature_group_count=p.num_group,
    )
    return _add_bias(y, b)


register_op(
    "Convolution",
    doc="Compute N-d convolution (cross-correlation) on (batch, channel, ...) input.",
    params=[
        Shape("kernel", doc="Convolution kernel size: (w,), (h, w) or (d, h, w)."),
        Shape("stride", default=(), doc="Convolution stride; defaults to 1 per axis."),
        Shape("dilate", default=(), doc="Convolution dilation; defaults to 1 per axis."),
        Shape("pad", default=(), doc="Zero padding on both sides; defaults to 0."),
        Int("num_filter", lower=1, doc="Number of output channels (filters)."),
        Int("num_group", default=1, lower=1, doc="Number of group partitions."),
        Int("workspace", default=1024, lower=0,
            doc="MXNet's scratch-space limit in MB; accepted and ignored."),
        Bool("no_bias", default=False, doc="Whether to disable the bias parameter."),
        Enum("cudnn_tune", ("off", "limited_workspace", "fastest"), default=None,
             doc="MXNet's cuDNN algorithm search; accepted and ignored."),
        Bool("cudnn_off", default=False, doc="Turn off cuDNN; accepted and ignored."),
        Enum("layout", ("NCW", "NCHW", "NCDHW", "NHWC", "NDHWC"), default=None,
             doc="Data layout; only channel-first (NCW/NCHW/NCDHW, the default) is "
                 "supported."),
    ],
    arguments=lambda p: ["data", "weight"] + ([] if p.no_bias else ["bias"]),
    infer_shape=_infer_shape,
    lower={"cpu": _lower_cpu, "default": _lower_default},
)
