"""``StandardUpdater``: one batch, one ``optimizer.update`` per iteration.

``update()`` takes the next batch from the ``'main'`` iterator, converts it
(``concat_examples`` by default) and calls ``optimizer.update(loss_func,
*in_arrays)``: the optimizer traces the loss function once per structure
and replays it as one compiled XLA step (``mxlite.training.traced``), so an
iteration costs one host-to-device copy of the batch and one call, and
the values the model reports stay device arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ....base import ParamError
from ... import backend
from ...dataset.convert import _is_host, concat_examples
from ...dataset.iterator import Iterator

__all__ = ["StandardUpdater", "Updater"]


class Updater:
    """The interface the Trainer drives: ``update()``, counters, ``serialize``."""

    def connect_trainer(self, trainer: Any) -> None:
        """Called by the Trainer's constructor (nothing by default)."""

    def finalize(self) -> None:
        """Called when training ends."""

    def get_optimizer(self, name: str) -> Any:
        raise NotImplementedError

    def get_all_optimizers(self) -> dict:
        raise NotImplementedError

    def update(self) -> None:
        raise NotImplementedError

    def serialize(self, serializer: Any) -> None:
        raise NotImplementedError


class StandardUpdater(Updater):
    """Update the main optimizer's target with batches of the main iterator.

    Args:
        iterator: an iterator, or a dict of them (``'main'`` is trained on).
        optimizer: an optimizer set up on the model, or a dict of them.
        converter: ``converter(batch, device)`` -> a tuple (positional
            arguments), a dict (keyword arguments) or one array.
        device: where batches go: None or a negative int keeps NumPy arrays
            on the host; a GPU id (or ``'@cupy:0'``) places them and the
            model on that device (an error without one).
        loss_func: the loss function; the main optimizer's target by default.
        loss_scale: gradients' scaling factor (the eager path is used).
        auto_new_epoch: call ``optimizer.new_epoch()`` after an epoch ends.
    """

    def __init__(self, iterator: Any, optimizer: Any,
                 converter: Callable = concat_examples, device: Any = None,
                 loss_func: Callable | None = None, loss_scale: float | None = None,
                 auto_new_epoch: bool = True) -> None:
        self._iterators = {"main": iterator} if isinstance(iterator, Iterator) \
            else dict(iterator)
        self._optimizers = dict(optimizer) if isinstance(optimizer, dict) \
            else {"main": optimizer}
        if "main" not in self._iterators or "main" not in self._optimizers:
            raise ParamError("StandardUpdater: the iterator and optimizer dicts need "
                             "a 'main' entry; got iterators "
                             f"{sorted(self._iterators)}, optimizers "
                             f"{sorted(self._optimizers)}.")
        if device is not None and not _is_host(device):
            target = backend.get_device(device)
            for opt in self._optimizers.values():
                opt.target.to_device(target)
        self.converter, self.loss_func, self.device = converter, loss_func, device
        self.loss_scale, self.auto_new_epoch = loss_scale, auto_new_epoch
        self.iteration = 0
        for opt in self._optimizers.values():
            opt.use_auto_new_epoch = auto_new_epoch

    @property
    def epoch(self) -> int:
        return self._iterators["main"].epoch

    @property
    def epoch_detail(self) -> float:
        return self._iterators["main"].epoch_detail

    @property
    def previous_epoch_detail(self) -> float | None:
        return self._iterators["main"].previous_epoch_detail

    @property
    def is_new_epoch(self) -> bool:
        return self._iterators["main"].is_new_epoch

    def finalize(self) -> None:
        for iterator in self._iterators.values():
            iterator.finalize()

    def get_optimizer(self, name: str) -> Any:
        return self._optimizers[name]

    def get_all_optimizers(self) -> dict:
        return dict(self._optimizers)

    def get_iterator(self, name: str) -> Any:
        return self._iterators[name]

    def update(self) -> None:
        """One iteration: :meth:`update_core`, then ``iteration += 1``."""
        self.update_core()
        self.iteration += 1

    def update_core(self) -> None:
        iterator = self._iterators["main"]
        in_arrays = self.converter(iterator.next(), self.device)
        optimizer = self._optimizers["main"]
        loss_func = self.loss_func or optimizer.target
        kwds = {} if self.loss_scale is None else {"loss_scale": self.loss_scale}
        if isinstance(in_arrays, tuple):
            optimizer.update(loss_func, *in_arrays, **kwds)
        elif isinstance(in_arrays, dict):
            optimizer.update(loss_func, **in_arrays, **kwds)
        else:
            optimizer.update(loss_func, in_arrays, **kwds)
        self.last_in_arrays = in_arrays
        if self.auto_new_epoch and iterator.is_new_epoch:
            optimizer.new_epoch(auto=True)

    def serialize(self, serializer: Any) -> None:
        """Chainer's keys: ``iterator:main/...``, ``optimizer:main/...``,
        ``model:main/...`` and ``iteration``."""
        for name, iterator in self._iterators.items():
            iterator.serialize(serializer["iterator:" + name])
        for name, optimizer in self._optimizers.items():
            optimizer.serialize(serializer["optimizer:" + name])
            optimizer.target.serialize(serializer["model:" + name])
        self.iteration = serializer("iteration", self.iteration)
