"""Sampling operators with no inputs: _random_uniform and _random_normal.

Each draw uses the PRNG key the executor hands the node, so a fixed key gives
fixed values. As in MXNet 1.x, ``shape=None`` or ``()`` means "unknown".
"""

from __future__ import annotations

import jax
import numpy as np

from ...base import ParamError
from ..params import DType, Float, Shape, Str
from ..registry import register_op


def _common(doc_shape):
    return [
        Shape("shape", default=None, doc=doc_shape),
        Str(
            "ctx",
            default="",
            doc="Device context; accepted for MXNet files and ignored "
            "(the executor places the result).",
        ),
        DType(
            "dtype",
            ("float16", "float32", "float64"),
            default=None,
            doc="Output dtype; None means float32.",
        ),
    ]


def _check(name, p):
    if name == "_random_uniform" and p.low > p.high:
        raise ParamError(
            f"{name}: low must be <= high; got low={p.low}, high={p.high}."
        )
    if name == "_random_normal" and p.scale <= 0:
        raise ParamError(f"{name}: scale must be > 0; got {p.scale}.")


def _sampler(name, draw):
    def infer_shape(p, in_shapes):
        _check(name, p)
        return [], [p.shape or None], []

    def lower(p, *, key):
        _check(name, p)
        if not p.shape:
            raise ParamError(
                f"{name}: shape must be given to sample; got shape={p.shape}."
            )
        return draw(p, key, p.shape, p.dtype or "float32")

    return infer_shape, lower


SAMPLERS = {
    "_random_uniform": (
        ("uniform", "random_uniform"),
        [
            Float("low", default=0.0, doc="Lower bound (inclusive)."),
            Float("high", default=1.0, doc="Upper bound (exclusive)."),
        ],
        lambda p, key, shape, dtype: jax.random.uniform(
            key, shape, dtype, minval=p.low, maxval=p.high
        ),
        "Draw samples from the uniform distribution on [low, high).",
    ),
    "_random_normal": (
        ("normal", "random_normal"),
        [
            Float("loc", default=0.0, doc="Mean of the distribution."),
            Float("scale", default=1.0, doc="Standard deviation (> 0)."),
        ],
        lambda p, key, shape, dtype: (
            jax.random.normal(key, shape, dtype) * np.asarray(p.scale, dtype)
            + np.asarray(p.loc, dtype)
        ),
        "Draw samples from the normal distribution N(loc, scale**2).",
    ),
}

for _name, (_aliases, _params, _draw, _doc) in SAMPLERS.items():
    _infer, _lower = _sampler(_name, _draw)
    register_op(
        _name,
        aliases=_aliases,
        doc=_doc,
        params=_params + _common("Output shape (required to sample)."),
        arguments=[],
        needs_key=True,
        infer_shape=_infer,
        infer_type=lambda p, t, n_out, n_aux: ([], [p.dtype or "float32"], []),
        lower=_lower,
    )
