"""Regression outputs (Linear, Logistic, MAE) and MakeLoss / make_loss.

These are MXNet "loss heads": the forward returns a prediction (or the loss
itself), and the backward writes MXNet's loss gradient, ignoring the head
gradient, so a graph can be trained by calling backward() on it directly.
"""

from __future__ import annotations

from math import prod

import jax
import jax.numpy as jnp

from ...base import ShapeError
from ..params import Enum, Float
from ..registry import register_op
from ..shape import same_as_input


def _regression_shape(p, in_shapes):
    data, label = in_shapes
    if data is None:
        return in_shapes, [None], []
    if not data:
        raise ShapeError("input 'data' must have at least 1 axis (batch, ...)")
    # MXNet: a (N, 1) prediction takes a (N,) label by default; any label with
    # the same batch size and element count is accepted.
    expect = (data[0],) if len(data) == 2 and data[1] == 1 else data
    if label is not None and (
        not label or label[0] != data[0] or prod(label) != prod(data)
    ):
        raise ShapeError(
            f"input 'label' has shape {label}, but 'data' {data} needs {expect} (or "
            f"any shape with batch size {data[0]} and {prod(data)} elements)"
        )
    return [data, label or expect], [data], []


def _regression(forward, grad):
    def lower(p, x, label):
        # MXNet semantics: the backward is grad(out, label) * grad_scale / num_output
        # (num_output = label.size / batch) and IGNORES the head gradient; it is
        # not the derivative of the forward, so this is a custom_vjp by design.
        @jax.custom_vjp
        def regression_output(x, label):
            return forward(x)

        def fwd(x, label):
            out = forward(x)
            return out, (out, label)

        def bwd(res, head):
            out, label = res
            num_output = label.size // label.shape[0] if label.ndim else 1
            scale = jnp.asarray(p.grad_scale / num_output, out.dtype)
            dx = grad(out, label.reshape(out.shape).astype(out.dtype)) * scale
            return dx, jnp.zeros_like(label)

        regression_output.defvjp(fwd, bwd)
        return regression_output(x, label)

    return lower


REGRESSION = {
    "LinearRegressionOutput": (
        lambda x: x,
        lambda out, y: out - y,
        (
            "Identity forward; backward (out - label) * grad_scale / num_output "
            "(L2 loss)."
        ),
    ),
    "LogisticRegressionOutput": (
        jax.nn.sigmoid,
        lambda out, y: out - y,
        (
            "Sigmoid forward; backward (out - label) * grad_scale / num_output "
            "(cross-entropy loss)."
        ),
    ),
    "MAERegressionOutput": (
        lambda x: x,
        lambda out, y: jnp.where(out - y > 0, 1.0, -1.0).astype(out.dtype),
        (
            "Identity forward; backward sign(out - label) * grad_scale / num_output "
            "(L1 loss; MXNet's sign is -1 at 0)."
        ),
    ),
}

for _name, (_forward, _grad, _doc) in REGRESSION.items():
    register_op(
        _name,
        doc=_doc,
        params=[
            Float("grad_scale", default=1.0, doc="Scale the gradient by this factor.")
        ],
        arguments=["data", "label"],
        infer_shape=_regression_shape,
        infer_type=lambda p, t, n_out, n_aux: ([t[0], t[1] or t[0]], [t[0]], []),
        lower=_regression(_forward, _grad),
    )


def _make_loss_grad(p, x):
    if p.normalization == "batch":
        return jnp.full(x.shape, p.grad_scale / x.shape[0], x.dtype)
    if p.normalization == "valid":
        valid = jnp.maximum(jnp.sum(x > p.valid_thresh), 1).astype(x.dtype)
        return jnp.full(x.shape, p.grad_scale, x.dtype) / valid
    return jnp.full(x.shape, p.grad_scale, x.dtype)


def _make_loss(p, x):
    # MXNet semantics: the backward writes grad_scale (normalized) and ignores the
    # head gradient, so d(loss)/d(data) is not the identity's; hence custom_vjp.
    @jax.custom_vjp
    def make_loss(x):
        return x

    def fwd(x):
        return x, x

    def bwd(x, head):
        return (_make_loss_grad(p, x),)

    make_loss.defvjp(fwd, bwd)
    return make_loss(x)


_MAKE_LOSS = register_op(
    "MakeLoss",
    doc="Identity forward; backward grad_scale (normalized), ignoring the head "
    "gradient. Turns any symbol into a loss to minimize.",
    params=[
        Float("grad_scale", default=1.0, doc="Gradient written by the backward."),
        Float(
            "valid_thresh",
            default=0.0,
            doc="With normalization='valid', elements > valid_thresh count as valid.",
        ),
        Enum(
            "normalization",
            ("batch", "null", "valid"),
            default="null",
            doc="Divide the gradient by nothing, the batch size, or the number of "
            "valid elements (at least 1).",
        ),
    ],
    infer_shape=same_as_input,
    lower=_make_loss,
)
_ONES = _MAKE_LOSS.parse({})  # make_loss == MakeLoss with its defaults
register_op(
    "make_loss",
    doc="Identity forward; backward writes ones, ignoring the head gradient "
    "(MakeLoss without parameters).",
    infer_shape=same_as_input,
    lower=lambda p, x: _make_loss(_ONES, x),
)
