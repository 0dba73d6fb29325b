"""Dropout: zero each element with probability p and scale the rest by 1/(1-p).

Active in training, or always with ``mode='always'``; identity otherwise. ``axes``
share one mask draw along those axes (variational dropout). The gradient is the
same mask (scaled), which is what autodiff of ``x * mask`` gives.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ...base import ShapeError
from ..params import Bool, Enum, Float, Shape
from ..registry import register_op


def _mask_shape(p, shape):
    ndim = len(shape)
    for a in p.axes:
        if not -ndim <= a < ndim:
            raise ShapeError(
                f"axes={p.axes} names axis {a}, out of range for input 'data' of shape "
                f"{shape} ({ndim}-D)"
            )
    shared = {a % ndim for a in p.axes}
    return tuple(1 if i in shared else n for i, n in enumerate(shape))


def _infer_shape(p, in_shapes):
    data = in_shapes[0]
    if data is not None:
        _mask_shape(p, data)
    return in_shapes, [data], []


def _lower(p, x, *, is_train, key):
    if not (is_train or p.mode == "always") or p.p == 0.0:
        return x
    keep = 1.0 - p.p
    if keep == 0.0:
        # MXNet computes 0 * (1/0) = nan here; every element is dropped, so 0.
        return jnp.zeros_like(x)
    kept = jax.random.bernoulli(key, keep, _mask_shape(p, x.shape))
    mask = kept.astype(x.dtype) * jnp.asarray(1.0 / keep, x.dtype)
    return x * jnp.broadcast_to(mask, x.shape)


register_op(
    "Dropout",
    doc="Apply dropout: zero elements with probability p in training and scale the "
        "kept ones by 1/(1-p); identity in inference unless mode='always'.",
    params=[
        Float("p", default=0.5, lower=0.0, upper=1.0,
              doc="Fraction of the input dropped in training."),
        Enum("mode", ("training", "always"), default="training",
             doc="Drop only in training, or also in inference."),
        Shape("axes", default=(), doc="Axes along which one mask value is shared."),
        Bool("cudnn_off", default=False, optional=True,
             doc="Turn off cuDNN dropout; accepted and ignored."),
    ],
    infer_shape=_infer_shape,
    needs_train=True,
    needs_key=True,
    lower=_lower,
)
