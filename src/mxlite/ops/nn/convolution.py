"""Convolution: N-d cross-correlation with MXNet's (num_filter, C/group, *kernel) weight.

Two lowerings compute the same numbers. On CPU an im2col formulation
(``im2col.py``: strided slices of the input held as (C, N, H, W), then one
GEMM, each with a custom gradient) beats XLA's CPU convolution for forward +
backward at LeNet sizes by 2-4x and, unlike XLA's convolution, stays fast
inside a compiled loop (docs/performance.md, section 2); elsewhere
``lax.conv_general_dilated`` maps onto cuDNN.
"""

from __future__ import annotations

import jax.numpy as jnp
from jax import lax

from ...base import ParamError, ShapeError
from ..params import Bool, Enum, Int, Shape
from ..registry import register_op
from ..shape import conv_out
from .im2col import Window, patch_gemm

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


def _conv_swapped(p, xs, w, b=None):
    """Convolution on a (C, N, *S) input giving (F, N, *out), as im2col + GEMM.

    On CPU this orientation (weight rows times a wide patch matrix) runs the
    GEMMs of LeNet's forward and backward passes up to 2x faster than
    (patches x weight) in NHWC, and pooling and activations between
    convolutions stay in this layout (see ``executor.compiler``).
    """
    kernel, stride, dilate, pad = _geometry(p)
    if any(pad):
        xs = jnp.pad(xs, [(0, 0), (0, 0)] + [(q, q) for q in pad])
    out = tuple(conv_out(n, k, s, 0, d)
                for n, k, s, d in zip(xs.shape[2:], kernel, stride, dilate))
    y = patch_gemm(xs, w, Window(kernel, stride, dilate, out), p.num_group)
    return y if b is None else y + b.reshape((-1,) + (1,) * (y.ndim - 1))


def _swap(x):
    return jnp.swapaxes(x, 0, 1)


def _lower_cpu(p, x, w, b=None):
    """NCHW in and out around :func:`_conv_swapped`; inside a graph the swaps
    between convolutions are dropped (``channel_swap``)."""
    return _swap(_conv_swapped(p, _swap(x), w, b))


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
    channel_swap=lambda p, platform: (_conv_swapped, True) if platform == "cpu" else None,
)
