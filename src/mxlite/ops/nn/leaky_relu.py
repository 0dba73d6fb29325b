"""LeakyReLU: the leaky, elu, prelu, selu, gelu and rrelu activations.

``prelu`` learns ``gamma`` (one slope per channel on axis 1, or one shared
slope). ``rrelu`` draws a slope per element from U(lower_bound, upper_bound) in
training and returns it as a second output 'mask' (MXNet 1.9.1 lists
[output, mask] for rrelu); in inference the slope is (lower + upper) / 2.
``gelu`` is MXNet 1.9.1's erf form.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ...base import ShapeError
from ..params import Enum, Float
from ..registry import register_op

# mshadow_op.h
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_LAMBDA = 1.0507009873554804934193349852946


def _arguments(p):
    return ["data", "gamma"] if p.act_type == "prelu" else ["data"]


def _outputs(p):
    return ["output", "mask"] if p.act_type == "rrelu" else ["output"]


def _infer_shape(p, in_shapes):
    data = in_shapes[0]
    outs = [data] * len(_outputs(p))
    if p.act_type != "prelu" or data is None:
        return in_shapes, outs, []
    if len(data) < 2:
        raise ShapeError(
            f"input 'data' has shape {data} ({len(data)}-D), but act_type='prelu' needs "
            "a channel axis 1 for 'gamma'"
        )
    gamma = in_shapes[1]
    if gamma is None:
        gamma = (data[1],)
    elif gamma not in ((data[1],), (1,)):
        raise ShapeError(
            f"input 'gamma' has shape {gamma}, but act_type='prelu' on input 'data' "
            f"{data} needs ({data[1]},) (one slope per channel) or (1,)"
        )
    return [data, gamma], outs, []


def _xelu(x, slope):
    return jnp.where(x > 0, x, slope * x)


def _scalar(value, x):
    return jnp.asarray(value, x.dtype)


def _selu_forward(x):
    neg = _scalar(_SELU_ALPHA, x) * jnp.expm1(x)
    return _scalar(_SELU_LAMBDA, x) * jnp.where(x > 0, x, neg)


# NOTE: the gradient is JAX's, the true derivative. MXNet 1.9.1's selu_grad
# evaluated lambda * (alpha + y) on the *output* y (mshadow_op.h), off by up to
# 0.08 on inputs in [-1, 1]; mxlite fixes that (docs/differences.md).
_selu = _selu_forward


def _rrelu(p, x, is_train, key):
    if not is_train:
        slope = _scalar((p.lower_bound + p.upper_bound) / 2.0, x)
        return _xelu(x, slope), jnp.zeros_like(x)
    mask = jax.random.uniform(key, x.shape, x.dtype, minval=p.lower_bound,
                              maxval=p.upper_bound)
    return _xelu(x, mask), mask


def _lower(p, x, gamma=None, *, is_train, key):
    act = p.act_type
    if act == "leaky":
        return _xelu(x, _scalar(p.slope, x))
    if act == "prelu":
        slope = gamma.reshape((1, gamma.shape[0]) + (1,) * (x.ndim - 2))
        return _xelu(x, jnp.broadcast_to(slope, x.shape))
    if act == "elu":
        return jnp.where(x > 0, x, _scalar(p.slope, x) * jnp.expm1(x))
    if act == "selu":
        return _selu(x)
    if act == "gelu":
        return jax.nn.gelu(x, approximate=False)
    return _rrelu(p, x, is_train, key)


register_op(
    "LeakyReLU",
    doc="Apply a leaky rectified linear unit (leaky, prelu, rrelu, elu, selu or gelu).",
    params=[
        Enum("act_type", ("rrelu", "leaky", "prelu", "elu", "selu", "gelu"),
             default="leaky", doc="Activation function to be applied."),
        Float("slope", default=0.25, doc="Slope of 'leaky', scale of 'elu'."),
        Float("lower_bound", default=0.125, doc="Lower bound of the random slope "
                                                "(rrelu only)."),
        Float("upper_bound", default=0.334, doc="Upper bound of the random slope "
                                                "(rrelu only)."),
    ],
    arguments=_arguments,
    outputs=_outputs,
    infer_shape=_infer_shape,
    needs_train=True,
    needs_key=True,
    lower=_lower,
)
