"""Activation: elementwise relu, sigmoid, tanh, softrelu or softsign."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ..params import Enum
from ..registry import register_op
from ..shape import same_as_input

ACTIVATIONS = {
    "relu": jax.nn.relu,
    "sigmoid": jax.nn.sigmoid,
    "tanh": jnp.tanh,
    "softrelu": jax.nn.softplus,
    "softsign": jax.nn.soft_sign,
}


def _lower(p, x):
    return ACTIVATIONS[p.act_type](x)


register_op(
    "Activation",
    doc="Apply an activation function elementwise.",
    params=[Enum("act_type", tuple(ACTIVATIONS), doc="Activation function to apply.")],
    infer_shape=same_as_input,
    lower=_lower,
    channel_swap=lambda p, platform: (_lower, False),  # elementwise: any layout
)
