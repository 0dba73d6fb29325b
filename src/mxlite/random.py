"""One seed for every random draw: ``mx.random.seed(n)``.

Initializers, shuffles and dropout all take their keys from this stream, so one
call fixes them all (MXNet's NDArrayIter used NumPy's global RNG instead, and
``mx.random.seed`` did not make it reproducible).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import jax
import numpy as np

from . import _platform  # noqa: F401  (JAX config: x64 before any array)
from .base import ParamError

__all__ = ["seed", "next_key", "host_key", "numpy_rng", "seed_words", "traced_keys",
           "get_state", "set_state"]

_lock = threading.RLock()
_state: dict = {}
_local = threading.local()


def seed(seed_state: int, ctx: object = "all") -> None:
    """Seed every mxlite random stream.

    Args:
        seed_state: a non-negative integer.
        ctx: accepted for MXNet compatibility; one stream serves all devices.
    """
    if isinstance(seed_state, bool) or not isinstance(seed_state, (int, np.integer)):
        raise ParamError(f"random.seed: seed must be an int; got {seed_state!r}.")
    if seed_state < 0:
        raise ParamError(f"random.seed: seed must be >= 0; got {seed_state}.")
    with _lock:
        _state["seed"] = int(seed_state)
        _state["counter"] = 0
        _state["key"] = None


def get_state() -> dict[str, int]:
    """The stream's position, ``{"seed": s, "counter": n}`` (JSON data): a
    checkpoint keeps it so a resumed run draws what the first would have."""
    with _lock:
        _ensure_seeded()
        return {"seed": _state["seed"], "counter": _state["counter"]}


def set_state(state: dict) -> None:
    """Put the stream back where :func:`get_state` found it."""
    values = [state.get(k) if isinstance(state, dict) else None
              for k in ("seed", "counter")]
    if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in values):
        raise ParamError("random.set_state: state must be {'seed': int >= 0, "
                         "'counter': int >= 0} as get_state() gives; got "
                         f"{state!r}.")
    with _lock:
        seed(values[0])
        _state["counter"] = values[1]


def _ensure_seeded() -> None:
    if "seed" not in _state:
        seed(int.from_bytes(os.urandom(4), "little"))


def _draw_index() -> tuple[int, int]:
    with _lock:
        _ensure_seeded()
        index = _state["counter"]
        _state["counter"] += 1
        return _state["seed"], index


@contextmanager
def traced_keys(key: jax.Array) -> Iterator[None]:
    """Inside a traced step: :func:`next_key` derives keys from ``key`` (the
    step's key, a traced value) instead of the host stream, so a compiled
    step draws fresh random numbers every time it runs, not the ones frozen
    into it when it was traced."""
    prev = getattr(_local, "traced", None)
    _local.traced = [key, 0]
    try:
        yield
    finally:
        _local.traced = prev


def next_key() -> jax.Array:
    """Return a fresh PRNG key; the sequence is fixed by :func:`seed`."""
    traced = getattr(_local, "traced", None)
    if traced is not None:
        traced[1] += 1
        return jax.random.fold_in(traced[0], traced[1] - 1)
    return host_key()


def host_key() -> jax.Array:
    """The next key of the host stream, also inside a traced step (for
    values created once, such as a lazily initialized parameter)."""
    base, index = _draw_index()
    key = _state.get("key")
    if key is None:
        key = _state["key"] = jax.random.PRNGKey(base)
    return jax.random.fold_in(key, index)


def seed_words() -> tuple[int, int]:
    """One draw of the stream as two integers: the root of a derived stream
    (an iterator's shuffles) that can be saved and restored on its own."""
    return _draw_index()


def numpy_rng() -> np.random.Generator:
    """Return a NumPy generator drawn from the same stream (for host shuffles)."""
    base, index = _draw_index()
    return np.random.default_rng([base, index])
