"""SoftmaxOutput: softmax forward, MXNet's cross-entropy gradient backward."""

from __future__ import annotations

from math import prod

import jax
import jax.numpy as jnp

from ...base import ShapeError
from ..params import Bool, Enum, Float, Params
from ..registry import register_op


def _label_shape(p, data):
    if p.preserve_shape:
        return data[:-1]
    if p.multi_output:
        return (data[0],) + data[2:]
    return (data[0],)


def _infer_shape(p, in_shapes):
    data, label = in_shapes
    if data is None:
        return in_shapes, [None], []
    if len(data) < 1 or (p.multi_output and len(data) < 2):
        raise ShapeError(f"input 'data' has shape {data}; too few axes")
    expect = _label_shape(p, data)
    if label is not None and label != expect and prod(label) == prod(expect):
        expect = label
    return [data, expect], [data], []


def _class_axis(p, ndim):
    return ndim - 1 if p.preserve_shape or not p.multi_output else 1


def _forward(p, x):
    if p.preserve_shape or p.multi_output:
        return jax.nn.softmax(x, axis=_class_axis(p, x.ndim))
    return jax.nn.softmax(x.reshape(x.shape[0], -1), axis=-1).reshape(x.shape)


def _grad(p, prob, label):
    axis = _class_axis(p, prob.ndim)
    flat = not (p.preserve_shape or p.multi_output)
    probs = prob.reshape(prob.shape[0], -1) if flat else prob
    k = probs.shape[axis]
    label = label.reshape(probs.shape[:axis] + probs.shape[axis + 1:])
    idx = label.astype(jnp.int32)
    onehot = jax.nn.one_hot(idx, k, axis=axis, dtype=probs.dtype)
    if p.smooth_alpha:
        onehot = onehot * (1 - p.smooth_alpha) + (1 - onehot) * (p.smooth_alpha / (k - 1))
    grad = probs - onehot
    valid = jnp.ones(label.shape, probs.dtype)
    if p.use_ignore:
        valid = (label != p.ignore_label).astype(probs.dtype)
        grad = grad * jnp.expand_dims(valid, axis)
    scale = p.grad_scale
    if p.normalization == "batch":
        scale = scale / probs.shape[0]
    elif p.normalization == "valid":
        scale = scale / jnp.maximum(valid.sum(), 1.0)
    if p.multi_output and p.normalization != "null":
        scale = scale / prod(probs.shape[2:])
    return (grad * scale).reshape(prob.shape)


def _lower(p, x, label):
    # MXNet semantics: the gradient is (softmax - one_hot(label)) * grad_scale and
    # ignores the head gradient (unless out_grad=True); finite differences of the
    # forward would NOT match this, so it is a custom_vjp by design.
    @jax.custom_vjp
    def softmax_output(x, label):
        return _forward(p, x)

    def fwd(x, label):
        prob = _forward(p, x)
        return prob, (prob, label)

    def bwd(res, head):
        prob, label = res
        grad = _grad(p, prob, label)
        if p.out_grad:
            grad = grad * head
        return grad.astype(prob.dtype), jnp.zeros_like(label)

    softmax_output.defvjp(fwd, bwd)
    return softmax_output(x, label)


def _label_input(p: Params) -> tuple[int, float | None] | None:
    """Input 1 holds class indices (unless the softmax runs per position)."""
    if p.multi_output or p.preserve_shape:
        return None
    return 1, (p.ignore_label if p.use_ignore else None)


register_op(
    "SoftmaxOutput",
    aliases=("Softmax",),
    doc="Softmax forward; backward is (softmax - one_hot(label)) * grad_scale.",
    label_input=_label_input,
    params=[
        Float("grad_scale", default=1.0, doc="Scale the gradient by this factor."),
        Float("ignore_label", default=-1.0, doc="Label to ignore when use_ignore."),
        Bool("multi_output", default=False, doc="Softmax over axis 1 of (n, k, ...)."),
        Bool("use_ignore", default=False, doc="Skip examples labelled ignore_label."),
        Bool("preserve_shape", default=False, doc="Softmax over the last axis."),
        Enum("normalization", ("null", "batch", "valid"), default="null",
             doc="How to normalize the gradient."),
        Bool("out_grad", default=False, doc="Multiply by the head gradient."),
        Float("smooth_alpha", default=0.0, lower=0.0, doc="Label smoothing."),
    ],
    arguments=["data", "label"],
    infer_shape=_infer_shape,
    infer_type=lambda p, t, n_out, n_aux: ([t[0], t[1] or t[0]], [t[0]], []),
    lower=_lower,
)
