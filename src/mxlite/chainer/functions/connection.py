"""``F.linear`` (and the link-level connections)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...base import ShapeError
from .._ops import call
from ..variable import Variable
from ._check import shape_of

__all__ = ["linear"]


def linear(x: Any, W: Any, b: Any = None, n_batch_axes: int = 1) -> Variable:
    """``x . W^T + b`` over the last axes of ``x`` (the first ``n_batch_axes``
    are batch axes): the registry's FullyConnected."""
    w_shape = shape_of(W)
    if len(w_shape) != 2:
        raise ShapeError(f"linear: W must be 2-d (out_size, in_size); got shape {w_shape}.")
    x_shape = shape_of(x)
    inputs = (x, W) if b is None else (x, W, b)
    if n_batch_axes == 1:
        return call("FullyConnected", *inputs, num_hidden=w_shape[0], no_bias=b is None)
    batch = x_shape[:n_batch_axes]
    flat = call("Reshape", x, shape=(int(np.prod(batch)), -1))
    y = call("FullyConnected", flat, *inputs[1:], num_hidden=w_shape[0],
             no_bias=b is None)
    return call("Reshape", y, shape=(*batch, w_shape[0]))
