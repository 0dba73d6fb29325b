"""FullyConnected: ``y = x @ W.T + b`` with MXNet's (num_hidden, in_units) weight."""

from __future__ import annotations

from math import prod

import jax.numpy as jnp

from ...base import ShapeError
from ..params import Bool, Int
from ..registry import register_op


def _arguments(p):
    return ["data", "weight"] if p.no_bias else ["data", "weight", "bias"]


def _in_units(p, data):
    return prod(data[1:]) if p.flatten else data[-1]


def _infer_shape(p, in_shapes):
    data = in_shapes[0]
    if data is None:
        return in_shapes, [None], []
    if (len(data) < 2 and p.flatten) or len(data) < 1:
        raise ShapeError(f"input 'data' has shape {data}; needs at least 2 axes")
    units = _in_units(p, data)
    expect = [data, (p.num_hidden, units)] + ([] if p.no_bias else [(p.num_hidden,)])
    out = (data[0], p.num_hidden) if p.flatten else data[:-1] + (p.num_hidden,)
    return expect, [out], []


def _lower(p, x, w, b=None):
    if p.flatten:
        x = x.reshape(x.shape[0], -1)
    y = jnp.matmul(x, w.T)
    return y if b is None else y + b.reshape((1,) * (y.ndim - 1) + b.shape)


register_op(
    "FullyConnected",
    doc="Apply a linear transformation: Y = X W^T + b.",
    params=[
        Int("num_hidden", lower=1, doc="Number of hidden nodes of the output."),
        Bool("no_bias", default=False, doc="Whether to disable the bias."),
        Bool("flatten", default=True, doc="Whether to collapse all but the first axis."),
    ],
    arguments=_arguments,
    infer_shape=_infer_shape,
    lower=_lower,
)
