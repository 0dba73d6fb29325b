"""``srand(seed)``: the one seed of a Mocha script (initialization and shuffling)."""

from __future__ import annotations

from .. import random

__all__ = ["current", "srand"]

_SEED = [0]


def srand(seed: int) -> None:
    """Seed parameter initialization (``mxlite.random``) and data shuffling,
    as Mocha's examples seed Julia's global RNG with ``srand``."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"srand: seed must be an integer >= 0; got {seed!r}.")
    random.seed(seed)
    _SEED[0] = seed


def current() -> int:
    """The seed last given to :func:`srand` (0 before any call)."""
    return _SEED[0]
