"""PrefetchingIter: same batches as the wrapped iterators, errors surface, never hangs."""

from __future__ import annotations

import gc
import time

import numpy as np
import pytest

from mxlite.base import MXNetError, ParamError
from mxlite.io import DataBatch, DataDesc, DataIter, NDArrayIter, PrefetchingIter


def rows(batch: DataBatch) -> list[list[float]]:
    return [x.asnumpy().tolist() for x in batch.data + batch.label]


def make(n=10, batch_size=3, **kw) -> NDArrayIter:
    return NDArrayIter(np.arange(n * 2).reshape(n, 2), np.arange(n), batch_size, **kw)


def wait_for(predicate, timeout=5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


class Failing(DataIter):
    """Two good batches, then the error given."""

    def __init__(self, error: BaseException, after: int = 2) -> None:
        super().__init__(batch_size=2)
        self.error, self.after, self.count = error, after, 0
        self.provide_data = [DataDesc("data", (2,))]
        self.provide_label = []

    def reset(self) -> None:
        self.count = 0

    def next(self) -> DataBatch:
        self.count += 1
        if self.count > self.after:
            raise self.error
        return DataBatch([np.full(2, self.count)], [], pad=0)


def test_same_batches_as_the_wrapped_iterator():
    expected = [(rows(b), b.pad) for b in make()]
    it = PrefetchingIter(make())
    assert [(rows(b), b.pad) for b in it] == expected
    with pytest.raises(StopIteration):
        it.next()
    assert it.provide_data == make().provide_data
    assert it.provide_label == make().provide_label
    assert it.batch_size == 3


def test_reset_after_the_end_and_in_the_middle():
    expected = [rows(b) for b in make()]
    it = PrefetchingIter(make(), capacity=1)
    assert [rows(b) for b in it] == expected
    it.reset()
    assert rows(it.next()) == expected[0]
    it.reset()
    assert [rows(b) for b in it] == expected


def test_several_iterators_are_joined_and_renamed():
    first, second = make(), make(n=10, batch_size=3)
    it = PrefetchingIter(
        [first, second],
        rename_data=[{"data": "a"}, {"data": "b"}],
        rename_label=[{"softmax_label": "la"}, {"softmax_label": "lb"}],
    )
    assert [d.name for d in it.provide_data] == ["a", "b"]
    assert [d.name for d in it.provide_label] == ["la", "lb"]
    batch = it.next()
    assert len(batch.data) == 2 and len(batch.label) == 2
    assert [d.name for d in batch.provide_data] == ["a", "b"]
    assert batch.pad == 0 and len(list(it)) == 3


def test_iterators_of_different_length_fail_clearly():
    it = PrefetchingIter([make(n=6), make(n=9)])
    list_before = [it.next(), it.next()]
    assert len(list_before) == 2
    with pytest.raises(MXNetError, match="different numbers of batches"):
        it.next()


def test_worker_exception_is_raised_in_the_consumer():
    it = PrefetchingIter(Failing(KeyError("boom")))
    assert it.next().data[0].tolist() == [1, 1]
    assert it.next().data[0].tolist() == [2, 2]
    with pytest.raises(KeyError, match="boom"):
        it.next()
    with pytest.raises(StopIteration):  # the epoch ended with the error
        it.next()
    it.reset()  # and a reset starts over
    assert it.next().data[0].tolist() == [1, 1]


@pytest.mark.slow
def test_abandoned_iterator_stops_its_thread():
    it = PrefetchingIter(make(n=100, batch_size=1), capacity=1)
    it.next()
    thread = it._worker.thread
    time.sleep(0.1)  # the worker now blocks on a full queue
    assert thread.is_alive()
    del it
    gc.collect()
    assert wait_for(lambda: not thread.is_alive())


def test_close_and_reset_do_not_leak_threads():
    it = PrefetchingIter(make(n=50, batch_size=1), capacity=2)
    threads = []
    for _ in range(5):
        threads.append(it._worker.thread)
        it.next()
        it.reset()
    assert not any(t.is_alive() for t in threads)
    it.close()
    assert not it._worker.thread.is_alive()
    with pytest.raises(StopIteration):
        it.next()


def test_bad_arguments():
    with pytest.raises(ParamError, match="at least one iterator"):
        PrefetchingIter([])
    with pytest.raises(ParamError, match="rename_data needs one dict per iterator"):
        PrefetchingIter(make(), rename_data=[{}, {}])
    with pytest.raises(ParamError, match="capacity must be an int >= 1"):
        PrefetchingIter(make(), capacity=0)


def test_device_epoch_is_not_offered():
    assert PrefetchingIter(make()).device_epoch() is None
