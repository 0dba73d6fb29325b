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

# `import mxlite` is lazy and sets nothing; this sets JAX's config (x64 on)
# before any test touches JAX.
import mxlite._platform  # noqa: F401

# Strict: an accidental float64 or int64 promotion (mxlite runs with x64 on)
# fails instead of silently widening a computation.
jax.config.update("jax_numpy_rank_promotion", "raise")
jax.config.update("jax_numpy_dtype_promotion", "strict")


# The MXNet fixture generators import mxnet itself; they are run by hand.
collect_ignore = ["tests/fixtures"]
