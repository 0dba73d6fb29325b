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


def compiled(key: Hashable, build: Callable[[], Callable], *example: Any,
             donate_argnums: tuple[int, ...] = (), store: dict | None = None) -> Callable:
    """The executable for ``key`` and the example arguments' signature.

    ``build()`` returns the pure function; it is jitted (donating
    ``donate_argnums``), lowered and compiled on the first miss only. ``store``
    keeps executables private to their owner (when ``key`` cannot capture
    everything the function closes over); the default store is shared.
    """
    store = _CACHE if store is None else store
    full_key = (key, donate_argnums, signature(example))
    exe = store.get(full_key)
    if exe is not None:
        _STATS["hits"] += 1
        return exe
    start = time.perf_counter()
    exe = jax.jit(build(), donate_argnums=donate_argnums).lower(*example).compile()
    _STATS["compiles"] += 1
    _STATS["compile_seconds"] += time.perf_counter() - start
    store[full_key] = exe
    return exe


def stats() -> dict:
    """Counts and seconds of compilations so far."""
    return dict(_STATS)


def clear() -> None:
    """Forget every compiled executable."""
    _CACHE.clear()
