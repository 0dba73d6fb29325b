"""``chainer.iterators.SerialIterator``: batches read one example at a time."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...base import ParamError
from ..dataset.iterator import Iterator
from ._statemachine import IteratorState, iterator_statemachine
from .order_samplers import ShuffleOrderSampler

__all__ = ["SerialIterator"]


class SerialIterator(Iterator):
    """Iterate over a dataset in batches of ``batch_size`` examples.

    ``next(it)`` returns a list of examples (``dataset[i]`` each); pass it to
    ``chainer.dataset.concat_examples`` to get arrays. With ``repeat`` the
    iterator never ends: the batch that reaches an epoch's end is filled up
    from the next epoch's order, and ``is_new_epoch`` is True after it.
    Without ``repeat`` the last batch may be short and then ``StopIteration``.

    Args:
        dataset: anything with ``len`` and integer indexing.
        batch_size: examples per batch, >= 1.
        repeat: loop over the dataset forever.
        shuffle: shuffle every epoch; None means True unless ``order_sampler``
            is given. Shuffles come from mxlite's seeded stream
            (``mx.random.seed``), not ``numpy.random`` as in Chainer (see
            :class:`ShuffleOrderSampler`).
        order_sampler: ``sampler(order, position) -> next order``; only with
            ``shuffle=None``.

    Example:
        >>> it = SerialIterator(list(range(10)), 3, shuffle=False)
        >>> [next(it) for _ in range(4)], it.epoch, it.is_new_epoch
        ([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 0, 1]], 1, True)
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int,
        repeat: bool = True,
        shuffle: bool | None = None,
        order_sampler: Any = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise ParamError(f"SerialIterator: batch_size must be an int; got {batch_size!r}.")
        if batch_size < 1:
            raise ParamError(f"SerialIterator: batch_size must be >= 1; got {batch_size}.")
        if shuffle is not None and order_sampler is not None:
            raise ParamError(
                f"SerialIterator: shuffle is not None and an order_sampler is set; "
                f"got shuffle={shuffle!r}. Set shuffle=None to use the order sampler."
            )
        if order_sampler is None and shuffle is not False:
            order_sampler = ShuffleOrderSampler()
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self._repeat = repeat
        self._shuffle = shuffle
        self.order_sampler = order_sampler
        self.reset()

    def __next__(self) -> list:
        self._previous_epoch_detail = self.epoch_detail
        self._state, indices = iterator_statemachine(
            self._state, self.batch_size, self._repeat, self.order_sampler, len(self.dataset)
        )
        if indices is None:
            raise StopIteration
        return [self.dataset[index] for index in indices]

    next = __next__

    @property
    def current_position(self) -> int:
        """The index, in this epoch's order, of the next example."""
        return self._state.current_position

    @property
    def epoch(self) -> int:
        """The number of completed epochs."""
        return self._state.epoch

    @property
    def is_new_epoch(self) -> bool:
        """True right after the batch that completed an epoch."""
        return self._state.is_new_epoch

    @property
    def epoch_detail(self) -> float:
        """``epoch + current_position / epoch size``."""
        size = self._epoch_size
        return self.epoch + (self.current_position / size if size else 0.0)

    @property
    def previous_epoch_detail(self) -> float | None:
        """``epoch_detail`` before the last ``next``; None before the first."""
        # -1 stands for None, since some serializers cannot store None.
        return None if self._previous_epoch_detail < 0 else self._previous_epoch_detail

    @property
    def repeat(self) -> bool:
        """Whether the iterator loops forever."""
        return self._repeat

    def reset(self) -> None:
        """Go back to the start of epoch 0 with a freshly sampled order."""
        order = None
        if self.order_sampler:
            order = self.order_sampler(np.arange(len(self.dataset)), 0)
        self._state = IteratorState(0, 0, False, order)
        self._previous_epoch_detail = -1.0

    def serialize(self, serializer: Any) -> None:
        """Save or load the position (Chainer's keys, readable by Chainer)."""
        position = serializer("current_position", self.current_position)
        epoch = serializer("epoch", self.epoch)
        is_new_epoch = serializer("is_new_epoch", self.is_new_epoch)
        order = self._state.order
        if order is not None:
            try:
                loaded = serializer("order", order)
            except KeyError:
                loaded = serializer("_order", order)
            order = order if loaded is None else loaded
        self._state = IteratorState(position, epoch, is_new_epoch, order)
        try:
            self._previous_epoch_detail = serializer(
                "previous_epoch_detail", self._previous_epoch_detail
            )
        except KeyError:  # a snapshot from before Chainer v4: guess it
            self._previous_epoch_detail = self._guess_previous_epoch_detail()
        if hasattr(self.order_sampler, "serialize"):
            self.order_sampler.serialize(serializer["order_sampler"])

    def _guess_previous_epoch_detail(self) -> float:
        detail = self.epoch + (self.current_position - self.batch_size) / self._epoch_size
        return max(detail, 0.0) if self.epoch_detail > 0 else -1.0

    @property
    def _epoch_size(self) -> int:
        order = self._state.order
        return len(self.dataset) if order is None else len(order)
