"""PrefetchingIter: read the next batches of other iterators in a background thread.

One worker thread per epoch fills a bounded queue; :meth:`PrefetchingIter.reset`
stops it (unblocking it if the queue is full), resets the wrapped iterators and
starts the next one, so the wrapped iterators are never used by two threads at
once. An exception in the worker is raised again, unchanged, by the next call
to ``next()``. Nothing waits without a timeout, and the worker holds no
reference to the PrefetchingIter, so dropping it stops the thread.
"""

from __future__ import annotations

import queue
import threading
import weakref
from typing import Any

from ..base import MXNetError, ParamError
from .data_iter import CurrentBatchIter, DataBatch, DataDesc, DataIter

__all__ = ["PrefetchingIter"]

_POLL_S = 0.05
_END = object()


class _Failure:
    """An exception raised in the worker, carried to the consumer."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


class _Worker:
    """One epoch of prefetching: a thread, its queue and its stop flag."""

    def __init__(self, iters: list[DataIter], capacity: int) -> None:
        self.queue: queue.Queue = queue.Queue(maxsize=capacity)
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=_fill,
            args=(iters, self.queue, self.stop),
            name="mxlite-prefetch",
            daemon=True,
        )
        self.thread.start()

    def get(self) -> Any:
        """The next item; never blocks forever, even if the thread died."""
        while True:
            try:
                return self.queue.get(timeout=_POLL_S)
            except queue.Empty:
                if not self.thread.is_alive() and self.queue.empty():
                    return _Failure(
                        MXNetError(
                            "PrefetchingIter: the prefetch thread "
                            "ended without a batch or an error."
                        )
                    )

    def shutdown(self) -> None:
        """Stop the thread and wait for it (it notices within one poll)."""
        self.stop.set()
        while self.thread.is_alive():
            _drain(self.queue)
            self.thread.join(_POLL_S)
        _drain(self.queue)


def _drain(q: queue.Queue) -> None:
    while True:
        try:
            q.get_nowait()
        except queue.Empty:
            return


def _put(q: queue.Queue, item: Any, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            q.put(item, timeout=_POLL_S)
            return True
        except queue.Full:
            continue
    return False


def _fill(iters: list[DataIter], q: queue.Queue, stop: threading.Event) -> None:
    """Thread body: read one batch from every iterator until the epoch ends."""
    while not stop.is_set():
        try:
            item = _next_group(iters)
        except BaseException as err:  # noqa: BLE001  (handed to the consumer)
            item = _Failure(err)
        if not _put(q, item, stop) or item is _END or isinstance(item, _Failure):
            return


def _next_group(iters: list[DataIter]) -> Any:
    batches = []
    for it in iters:
        try:
            batches.append(it.next())
        except StopIteration:
            batches.append(None)
    ended = [b is None for b in batches]
    if all(ended):
        return _END
    if any(ended):
        raise MXNetError(
            f"PrefetchingIter: the wrapped iterators have different "
            f"numbers of batches; got the end of iterators "
            f"{[i for i, e in enumerate(ended) if e]} only."
        )
    return batches


class PrefetchingIter(CurrentBatchIter):
    """Prefetch batches of one or more iterators in a background thread.

    With several iterators, each batch joins their data and labels (in order).

    Args:
        iters: a DataIter or a list of them, with the same number of batches.
        rename_data: None, or one dict per iterator mapping its data names to
            new names.
        rename_label: the same for label names.
        capacity: how many batches may be read ahead (an mxlite addition).

    Example:
        >>> import numpy as np
        >>> from mxlite.io import NDArrayIter
        >>> it = PrefetchingIter(NDArrayIter(np.ones((100, 10)), batch_size=25),
        ...                      rename_data=[{"data": "x"}])
        >>> it.provide_data
        [DataDesc[x,(25, 10),<class 'numpy.float32'>,NCHW]]
        >>> sum(1 for _ in it)
        4
    """

    def __init__(
        self,
        iters: DataIter | list[DataIter],
        rename_data: list | None = None,
        rename_label: list | None = None,
        capacity: int = 2,
    ) -> None:
        super().__init__()
        iters = list(iters) if isinstance(iters, (list, tuple)) else [iters]
        if not iters:
            raise ParamError(
                "PrefetchingIter: iters must hold at least one iterator; got none."
            )
        for what, renames in (
            ("rename_data", rename_data),
            ("rename_label", rename_label),
        ):
            if renames is not None and len(renames) != len(iters):
                raise ParamError(
                    f"PrefetchingIter: {what} needs one dict per iterator "
                    f"({len(iters)}); got {len(renames)}."
                )
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise ParamError(
                f"PrefetchingIter: capacity must be an int >= 1; got {capacity!r}."
            )
        self.iters = iters
        self.n_iter = len(iters)
        self.rename_data = rename_data
        self.rename_label = rename_label
        self.batch_size = iters[0].batch_size
        self._capacity = capacity
        self.current_batch: DataBatch | None = None
        self._done = False
        self._descs = (self.provide_data, self.provide_label)
        self._start()

    def _start(self) -> None:
        self._worker = _Worker(self.iters, self._capacity)
        self._finalizer = weakref.finalize(self, _Worker.shutdown, self._worker)
        self._finalizer.atexit = False  # a daemon thread; never hold up exit

    # -- descriptions -----------------------------------------------------
    @property
    def provide_data(self) -> list[DataDesc]:
        return _renamed([it.provide_data for it in self.iters], self.rename_data)

    @property
    def provide_label(self) -> list[DataDesc]:
        return _renamed([it.provide_label for it in self.iters], self.rename_label)

    # -- iteration --------------------------------------------------------
    def reset(self) -> None:
        """Stop prefetching, reset the wrapped iterators and prefetch again."""
        self._finalizer()
        for it in self.iters:
            it.reset()
        self._done = False
        self.current_batch = None
        self._start()

    def close(self) -> None:
        """Stop the background thread now (also done when the iterator is dropped)."""
        self._finalizer()
        self._done = True

    def iter_next(self) -> bool:
        if self._done:
            return False
        item = self._worker.get()
        if item is _END or isinstance(item, _Failure):
            self._done = True
            if isinstance(item, _Failure):
                raise item.error
            return False
        self.current_batch = self._join(item)
        return True

    def next(self) -> DataBatch:
        if self.iter_next():
            return self.current_batch
        raise StopIteration

    def _join(self, batches: list[DataBatch]) -> DataBatch:
        pads = {b.pad for b in batches}
        if len(pads) > 1:
            raise MXNetError(
                f"PrefetchingIter: the wrapped iterators' batches have "
                f"different padding; got {[b.pad for b in batches]}."
            )
        return DataBatch(
            [x for b in batches for x in b.data],
            [x for b in batches for x in (b.label or [])],
            batches[0].pad,
            batches[0].index,
            provide_data=self._descs[0],
            provide_label=self._descs[1],
        )


def _renamed(descs: list[list], renames: list | None) -> list[DataDesc]:
    out = []
    for i, group in enumerate(descs):
        rename = renames[i] if renames is not None else {}
        for desc in group:
            desc = desc if isinstance(desc, DataDesc) else DataDesc(*desc)
            out.append(
                DataDesc(
                    rename.get(desc.name, desc.name),
                    desc.shape,
                    desc.dtype,
                    desc.layout,
                )
            )
    return out
