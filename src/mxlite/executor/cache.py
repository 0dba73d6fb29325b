"""Compile cache for graph functions, with compile time kept apart.

Compiled executables are keyed by (graph digest, platform, mode, gradient
set, argument signature), so executors of the same symbol share them and a
shape seen once is never compiled again. ``stats()`` reports how many
compilations ran and how long they took, for benchmarks that must separate
warm-up from steady state.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any

import jax

__all__ = ["compiled", "stats", "signature", "clear"]

_CACHE: dict = {}
_STATS = {"compiles": 0, "compile_seconds": 0.0, "hits": 0}


def signature(tree: Any) -> Hashable:
    """Shapes, dtypes and structure of a pytree of arrays."""
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    return treedef, tuple(
        (tuple(x.shape), str(x.dtype)) if hasattr(x, "shape") else x for x in leaves
    )


def compiled(key: Hashable, build: Callable[[], Callable], *example: Any) -> Callable:
    """The executable for ``key`` and the example arguments' signature."""
    full_key = (key, signature(example))
    exe = _CACHE.get(full_key)
    if exe is not None:
        _STATS["hits"] += 1
        return exe
    start = time.perf_counter()
    exe = jax.jit(build()).lower(*example).compile()
    _STATS["compiles"] += 1
    _STATS["compile_seconds"] += time.perf_counter() - start
    _CACHE[full_key] = exe
    return exe


def stats() -> dict:
    """Counts and seconds of compilations so far."""
    return dict(_STATS)


def clear() -> None:
    """Forget every compiled executable."""
    _CACHE.clear()
