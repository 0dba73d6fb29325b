"""BatchNorm: normalize over every axis but ``axis``, with moving statistics as aux.

MXNet 1.9.1 semantics (src/operator/nn/batch_norm.cc): training uses the batch
mean and the *biased* batch variance, and updates
``moving = moving * momentum + batch * (1 - momentum)`` with that same biased
variance; inference or ``use_global_stats`` uses the moving statistics.
``fix_gamma=True`` treats gamma as 1 (its gradient is 0). The optional extra
outputs are the mean and the *inverse* standard deviation 1/sqrt(var + eps),
and no gradient flows back through them.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ...base import ShapeError
from ..params import Bool, Float, Int
from ..registry import register_op


def _outputs(p):
    return ["output", "mean", "var"] if p.output_mean_var else ["output"]


def _channel_axis(p, ndim, data):
    if not -ndim <= p.axis < ndim:
        raise ShapeError(
            f"axis={p.axis} is out of range for input 'data' of shape {data} ({ndim}-D)"
        )
    return p.axis % ndim


def _infer_shape(p, in_shapes):
    data = in_shapes[0]
    if data is None:
        return in_shapes, [None] * len(_outputs(p)), [None, None]
    if len(data) == 0:
        raise ShapeError("input 'data' is a scalar; BatchNorm needs a channel axis")
    channels = (data[_channel_axis(p, len(data), data)],)
    outs = [data] + [channels] * (len(_outputs(p)) - 1)
    return [data, channels, channels], outs, [channels, channels]


def _param_type(dtype):
    # MXNet keeps gamma, beta and the statistics in float32 for float16 data.
    return "float32" if dtype in ("float16", "bfloat16") else dtype


def _infer_type(p, in_types, n_out, n_aux):
    data = in_types[0]
    if data is None:
        return in_types, [None] * n_out, [None] * n_aux
    param = _param_type(data)
    ins = [data] + [t or param for t in in_types[1:]]
    return ins, [data] + [param] * (n_out - 1), [param] * n_aux


def _lower(p, x, gamma, beta, moving_mean, moving_var, *, is_train):
    axis = _channel_axis(p, x.ndim, x.shape)
    reduce_axes = tuple(i for i in range(x.ndim) if i != axis)
    bshape = tuple(x.shape[axis] if i == axis else 1 for i in range(x.ndim))
    acc = jnp.dtype(_param_type(jnp.dtype(x.dtype).name))
    xa = x.astype(acc)
    use_batch = is_train and not p.use_global_stats
    if use_batch:
        mean = jnp.mean(xa, axis=reduce_axes)
        var = jnp.mean(jnp.square(xa - mean.reshape(bshape)), axis=reduce_axes)
    else:
        mean, var = moving_mean.astype(acc), moving_var.astype(acc)
    invstd = jax.lax.rsqrt(var + jnp.asarray(p.eps, acc))
    scale = invstd if p.fix_gamma else invstd * gamma.astype(acc)
    y = (xa - mean.reshape(bshape)) * scale.reshape(bshape) + beta.astype(acc).reshape(bshape)
    outs = (y.astype(x.dtype),)
    if p.output_mean_var:
        # MXNet's backward reads only the gradient of 'output'.
        outs += (jax.lax.stop_gradient(mean), jax.lax.stop_gradient(invstd))
    if use_batch:
        m = jnp.asarray(p.momentum, acc)
        new_aux = (moving_mean * m + jax.lax.stop_gradient(mean) * (1 - m),
                   moving_var * m + jax.lax.stop_gradient(var) * (1 - m))
        new_aux = tuple(a.astype(moving_mean.dtype) for a in new_aux)
    else:
        new_aux = (moving_mean, moving_var)
    return (outs if p.output_mean_var else outs[0]), new_aux


register_op(
    "BatchNorm",
    doc="Batch normalization: normalize each channel by batch (training) or moving "
        "(inference) statistics, then scale by gamma and shift by beta.",
    params=[
        Float("eps", default=1e-3, lower=0.0, doc="Epsilon added to the variance."),
        Float("momentum", default=0.9, doc="Momentum of the moving averages."),
        Bool("fix_gamma", default=True, doc="Treat gamma as 1 (its gradient is 0)."),
        Bool("use_global_stats", default=False,
             doc="Use the moving statistics in training too."),
        Bool("output_mean_var", default=False,
             doc="Also output the mean and the inverse standard deviation."),
        Int("axis", default=1, doc="The channel axis."),
        Bool("cudnn_off", default=False, doc="Turn off cuDNN; accepted and ignored."),
        Float("min_calib_range", default=None,
              doc="Quantization calibration minimum; accepted and ignored."),
        Float("max_calib_range", default=None,
              doc="Quantization calibration maximum; accepted and ignored."),
    ],
    arguments=["data", "gamma", "beta"],
    aux=["moving_mean", "moving_var"],
    outputs=_outputs,
    infer_shape=_infer_shape,
    infer_type=_infer_type,
    needs_train=True,
    lower=_lower,
    # MXNet marks the moving statistics' variables with their initializers.
    extra={"input_var_attrs": {"moving_mean": {"__init__": '["zero", {}]'},
                               "moving_var": {"__init__": '["one", {}]'}}},
)
