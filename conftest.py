"""Settings for every test and doctest: strict JAX, a compile cache of the run's own.

At the repository root so that both ``tests/`` and the docstring examples
under ``src/`` (``--doctest-modules``, see pyproject.toml) run with them.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import jax

# Many tests build the same programs (the tutorial's MLP, LeNet, one operator
# under several front ends): a persistent compilation cache private to this
# run compiles each once, for every pytest-xdist worker (they inherit the
# variable), and leaves the user's own cache alone. The process that made the
# folder removes it at the end.
if "MXLITE_COMPILATION_CACHE" not in os.environ:
    _RUN_CACHE = tempfile.mkdtemp(prefix="mxlite-test-xla-")
    os.environ["MXLITE_COMPILATION_CACHE"] = _RUN_CACHE
else:
    _RUN_CACHE = None

# `import mxlite` is lazy and sets nothing; this sets JAX's config (x64 on)
# before any test touches JAX.
import mxlite._platform  # noqa: F401

# Strict: an accidental float64 or int64 promotion (mxlite runs with x64 on)
# fails instead of silently widening a computation.
jax.config.update("jax_numpy_rank_promotion", "raise")
jax.config.update("jax_numpy_dtype_promotion", "strict")


# The MXNet fixture generators import mxnet itself; they are run by hand.
collect_ignore = ["tests/fixtures"]


def pytest_unconfigure(config) -> None:
    if _RUN_CACHE is not None:
        shutil.rmtree(_RUN_CACHE, ignore_errors=True)


def pytest_collection_modifyitems(config, items) -> None:
    """Run the slow tests first, so that pytest-xdist starts the longest ones
    at once instead of leaving them for the end of the run on one worker."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
