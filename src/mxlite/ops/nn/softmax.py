"""softmax, log_softmax and SoftmaxActivation (numerically stable).

The maximum is subtracted before exponentiating, so logits of +-1e4 or +-3e38
give finite results. As in MXNet, a row with no finite maximum (all -inf, or any
+inf) has no defined softmax and gives NaN.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ...base import DTypeError, ShapeError
from ..params import Bool, DType, Enum, Float, Int, _Invalid
from ..registry import register_op
from ..shape import normalize_axis


class _NoLength(Bool):
    """log_softmax declares use_length but, in MXNet 1.9.1, has no length input."""

    def describe(self) -> str:
        return "False (log_softmax takes no length input)"

    def _parse(self, value):
        if super()._parse(value):
            raise _Invalid
        return False


def _params(use_length):
    return [
        Int("axis", default=-1, doc="The axis to normalize over."),
        Float("temperature", default=None, doc="Divide the input by this first."),
        DType(
            "dtype",
            ("float16", "float32", "float64"),
            default=None,
            doc="Output (and computation) dtype; None keeps the input's.",
        ),
        use_length(
            "use_length",
            default=False,
            doc="Use the 'length' input: positions at or past length along "
            "axis are masked out (output 0).",
        ),
    ]


def _arguments(p):
    return ["data", "length"] if p.use_length else ["data"]


def _infer_shape(p, in_shapes):
    data = in_shapes[0]
    if data is None:
        return in_shapes, [None], []
    axis = normalize_axis(p.axis, len(data))
    if p.use_length:
        return [data, data[:axis] + data[axis + 1 :]], [data], []
    return in_shapes, [data], []


def _infer_type(p, in_types, n_out, n_aux):
    data = in_types[0]
    if data is not None and np.dtype(data).kind != "f":
        raise DTypeError(
            f"input 'data' has dtype {data}; softmax needs a float dtype "
            "(cast it with Cast/astype)"
        )
    if p.use_length:
        length = in_types[1] or "int32"
        if np.dtype(length).kind not in "iu":
            raise DTypeError(
                f"input 'length' has dtype {length}; it must be an int dtype"
            )
        return [data, length], [p.dtype or data], []
    return in_types, [p.dtype or data], []


def _prepare(p, x):
    x = x.astype(p.dtype or x.dtype)
    if p.temperature is not None and p.temperature != 1.0:
        x = x / jnp.asarray(p.temperature, x.dtype)
    return x


# NOTE: written out rather than jax.nn.softmax: the same stable formula, but about
# 8x cheaper to compile per new shape in eager (imperative autograd) mode.
def _stable_softmax(x, axis):
    e = jnp.exp(x - jax.lax.stop_gradient(jnp.max(x, axis=axis, keepdims=True)))
    return e / jnp.sum(e, axis=axis, keepdims=True)


def _stable_log_softmax(x, axis):
    shifted = x - jax.lax.stop_gradient(jnp.max(x, axis=axis, keepdims=True))
    return shifted - jnp.log(jnp.sum(jnp.exp(shifted), axis=axis, keepdims=True))


def _softmax(p, x, length=None):
    axis = normalize_axis(p.axis, x.ndim)
    x = _prepare(p, x)
    if length is None:
        return _stable_softmax(x, axis)
    n = x.shape[axis]
    pos = jax.lax.iota(jnp.int32, n).reshape(
        [n if a == axis else 1 for a in range(x.ndim)]
    )
    mask = pos < jnp.expand_dims(length.astype(jnp.int32), axis)
    # A finite fill (not -inf) keeps all-masked rows, and their gradients, NaN-free.
    y = _stable_softmax(jnp.where(mask, x, jnp.finfo(x.dtype).min), axis)
    return jnp.where(mask, y, jnp.zeros_like(y))


def _log_softmax(p, x):
    return _stable_log_softmax(_prepare(p, x), normalize_axis(p.axis, x.ndim))


register_op(
    "softmax",
    doc="Softmax along axis: exp(x / t) / sum(exp(x / t)).",
    params=_params(Bool),
    arguments=_arguments,
    infer_shape=_infer_shape,
    infer_type=_infer_type,
    lower=_softmax,
)
register_op(
    "log_softmax",
    doc="Log of softmax along axis, computed stably.",
    params=_params(_NoLength),
    infer_shape=_infer_shape,
    infer_type=_infer_type,
    lower=_log_softmax,
)


def _activation_shape(p, in_shapes):
    data = in_shapes[0]
    if data is not None and p.mode == "channel" and len(data) < 3:
        raise ShapeError(
            f"input 'data' has shape {data} ({len(data)}-D), but "
            "mode='channel' needs at least 3-D (batch, channel, ...)"
        )
    return in_shapes, [data], []


register_op(
    "SoftmaxActivation",
    doc="Softmax over the last axis (mode='instance') or over axis 1 (mode='channel').",
    params=[
        Enum(
            "mode",
            ("channel", "instance"),
            default="instance",
            doc="'instance': last axis; 'channel': axis 1 of (N, C, ...).",
        )
    ],
    infer_shape=_activation_shape,
    lower=lambda p, x: _stable_softmax(x, 1 if p.mode == "channel" else x.ndim - 1),
)
