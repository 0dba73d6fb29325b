"""Embedding: look rows of an (input_dim, output_dim) weight up by index.

As MXNet's Take kernel in clip mode (src/operator/tensor/indexing_op.h): an
index is truncated toward zero, then clipped into [0, input_dim - 1]; it is
never an error. The indices get no gradient.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ..params import Bool, DType, Int
from ..registry import register_op


def _infer_shape(p, in_shapes):
    data = in_shapes[0]
    weight = (p.input_dim, p.output_dim)
    out = None if data is None else tuple(data) + (p.output_dim,)
    return [data, weight], [out], []


def _infer_type(p, in_types, n_out, n_aux):
    # The weight's dtype wins when known, else the dtype parameter; data may be
    # of any type (MXNet's EmbeddingOpType).
    data, weight = in_types
    dtype = weight or p.dtype
    return [data, dtype], [dtype], []


def _lower(p, data, weight):
    # Clip before the cast so that huge or negative floats cannot overflow; the
    # cast then truncates toward zero like MXNet's static_cast.
    idx = jnp.clip(jax.lax.stop_gradient(data), 0, p.input_dim - 1).astype(jnp.int32)
    return jnp.take(weight, idx, axis=0, mode="clip")


register_op(
    "Embedding",
    doc="Map integer indices to dense vectors: output[..., :] = weight[data[...], :].",
    params=[
        Int("input_dim", lower=1, doc="Vocabulary size of the input indices."),
        Int("output_dim", lower=1, doc="Dimension of the embedding vectors."),
        DType("dtype", default="float32", doc="Data type of the weight and output when "
                                               "the weight's type is not given."),
        Bool("sparse_grad", default=False,
             doc="MXNet's row-sparse weight gradient; accepted, gradients stay dense."),
    ],
    arguments=["data", "weight"],
    infer_shape=_infer_shape,
    infer_type=_infer_type,
    lower=_lower,
)
