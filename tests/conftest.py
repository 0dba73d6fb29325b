"""Strict, deterministic test settings and the OpCase parametrization."""

from __future__ import annotations

import os

import jax

# Thousands of small test programs need not be written to the user's
# persistent compilation cache; tests/test_compilation_cache.py checks it.
os.environ.setdefault("MXLITE_COMPILATION_CACHE", "off")

import mxlite  # noqa: E402, F401  (sets JAX's config before any test touches JAX)

jax.config.update("jax_numpy_rank_promotion", "raise")


def pytest_generate_tests(metafunc):
    cls = metafunc.cls
    if cls is not None and "case" in metafunc.fixturenames and hasattr(cls, "cases"):
        metafunc.parametrize("case", cls.cases, ids=[str(c) for c in cls.cases])
