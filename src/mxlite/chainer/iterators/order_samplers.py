"""``chainer.iterators.OrderSampler``: the order of examples in each epoch."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ...random import numpy_rng

__all__ = ["OrderSampler", "ShuffleOrderSampler"]


class OrderSampler:
    """Called at each epoch's start as ``sampler(current_order, current_position)``.

    It returns the next epoch's order, an index array of the same length.
    """

    def __call__(self, current_order: np.ndarray, current_position: int) -> np.ndarray:
        raise NotImplementedError


class ShuffleOrderSampler(OrderSampler):
    """A fresh random permutation for every epoch.

    Args:
        random_state: a ``numpy.random.Generator`` or ``RandomState``. By
            default a generator drawn from mxlite's seeded stream
            (:func:`mxlite.random.numpy_rng`), so ``mx.random.seed(n)`` fixes
            the shuffles. Chainer used NumPy's global ``numpy.random`` state
            instead, which ``numpy.random.seed`` controls; pass
            ``numpy.random.mtrand._rand`` to get that behaviour back.
    """

    def __init__(self, random_state: Any = None) -> None:
        self._random = numpy_rng() if random_state is None else random_state

    def __call__(self, current_order: np.ndarray, current_position: int) -> np.ndarray:
        return self._random.permutation(len(current_order))

    def serialize(self, serializer: Any) -> None:
        """Save or load the generator's state (an mxlite addition: Chainer kept
        it nowhere, so a resumed run shuffled differently from an
        uninterrupted one). A snapshot without it keeps the current state."""
        if not isinstance(self._random, np.random.Generator):
            return
        state = json.dumps(self._random.bit_generator.state)
        try:
            loaded = serializer("random_state", state)
        except KeyError:
            return
        if loaded is not None and str(loaded) != state:
            self._random.bit_generator.state = json.loads(str(loaded))
