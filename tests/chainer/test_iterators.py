"""chainer.iterators.SerialIterator and chainer.dataset.concat_examples."""

from __future__ import annotations

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import ContextError, ParamError
from mxlite.chainer import dataset
from mxlite.chainer.datasets import TupleDataset, get_mnist
from mxlite.chainer.iterators import SerialIterator, ShuffleOrderSampler
from mxlite.chainer.serializers import (
    DictionarySerializer,
    NpzDeserializer,
    load_npz,
    save_npz,
)
from mxlite.context import num_gpus


@pytest.fixture(autouse=True)
def no_env(monkeypatch):
    monkeypatch.delenv("MXLITE_DATA", raising=False)


def _take(it, n):
    return [next(it) for _ in range(n)]


# ---- epochs and positions ---------------------------------------------------------


def test_mnist_epoch_is_600_batches_of_100():
    train, _ = get_mnist()
    it = SerialIterator(train, 100)
    for i in range(1, 601):
        batch = next(it)
        assert len(batch) == 100
        assert it.is_new_epoch == (i == 600)
        assert it.epoch == (1 if i == 600 else 0)
    assert it.epoch_detail == 1.0 and it.previous_epoch_detail == pytest.approx(599 / 600)
    x, t = dataset.concat_examples(batch)
    assert x.shape == (100, 784) and x.dtype == np.float32 and t.dtype == np.int32
    next(it)
    assert not it.is_new_epoch and it.epoch_detail == pytest.approx(1 + 1 / 600)


def test_an_epoch_visits_every_example_once():
    mx.random.seed(0)
    it = SerialIterator(list(range(50)), 10)
    seen = [i for batch in _take(it, 5) for i in batch]
    assert sorted(seen) == list(range(50)) and seen != list(range(50))


def test_last_batch_wraps_around_into_the_next_epoch():
    it = SerialIterator(list(range(10)), 3, shuffle=False)
    expected = [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 0, 1], [2, 3, 4], [5, 6, 7], [8, 9, 0]]
    new_epoch = [False, False, False, True, False, False, True]
    details = [0.3, 0.6, 0.9, 1.2, 1.5, 1.8, 2.1]
    for batch, flag, detail in zip(expected, new_epoch, details):
        previous = it.epoch_detail
        assert next(it) == batch
        assert it.is_new_epoch == flag
        assert it.epoch_detail == pytest.approx(detail)
        assert it.previous_epoch_detail == pytest.approx(previous)
    assert (it.epoch, it.current_position) == (2, 1)


def test_wrapped_batch_takes_its_tail_from_the_next_shuffled_order():
    mx.random.seed(1)
    it = SerialIterator(list(range(10)), 3)
    first = [i for batch in _take(it, 3) for i in batch]
    wrapped = next(it)
    assert it.is_new_epoch and it.epoch == 1
    assert sorted(first + wrapped[:1]) == list(range(10))
    rest = wrapped[1:] + [i for batch in _take(it, 2) for i in batch] + next(it)[:2]
    assert sorted(rest) == list(range(10))


def test_an_epoch_that_ends_exactly_sets_is_new_epoch():
    it = SerialIterator(list(range(9)), 3, shuffle=False)
    _take(it, 3)
    assert it.is_new_epoch and it.epoch == 1 and it.current_position == 0
    assert next(it) == [0, 1, 2]


def test_previous_epoch_detail_is_none_before_the_first_batch():
    it = SerialIterator(list(range(10)), 3, shuffle=False)
    assert it.previous_epoch_detail is None and it.epoch_detail == 0.0
    next(it)
    assert it.previous_epoch_detail == 0.0


def test_without_repeat_the_last_batch_is_short_then_stop_iteration():
    it = SerialIterator(list(range(10)), 3, repeat=False, shuffle=False)
    assert list(it) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert it.epoch == 1 and it.is_new_epoch
    with pytest.raises(StopIteration):
        next(it)


def test_reset_starts_over():
    it = SerialIterator(list(range(10)), 3, repeat=False, shuffle=False)
    list(it)
    it.reset()
    assert (it.epoch, it.current_position, it.is_new_epoch) == (0, 0, False)
    assert next(it) == [0, 1, 2]


def test_shuffle_is_fixed_by_mx_random_seed():
    def batches():
        mx.random.seed(5)
        return _take(SerialIterator(list(range(20)), 4), 10)

    assert batches() == batches()


def test_order_sampler_is_used_each_epoch():
    calls = []

    def reverse(order, position):
        calls.append(position)
        return np.arange(len(order))[::-1]

    it = SerialIterator(list(range(4)), 3, order_sampler=reverse)
    assert _take(it, 2) == [[3, 2, 1], [0, 3, 2]]
    assert calls == [0, 3]


def test_finalize_and_context_manager():
    with SerialIterator([1, 2], 1) as it:
        next(it)
    it.finalize()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"batch_size": 0}, r"SerialIterator: batch_size must be >= 1; got 0"),
        ({"batch_size": 2.0}, r"SerialIterator: batch_size must be an int; got 2.0"),
        (
            {"batch_size": 2, "shuffle": True, "order_sampler": ShuffleOrderSampler()},
            r"shuffle is not None and an order_sampler is set",
        ),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ParamError, match=message):
        SerialIterator(list(range(4)), **kwargs)


def test_empty_dataset_cannot_repeat():
    it = SerialIterator([], 2, shuffle=False)
    with pytest.raises(ParamError, match="epoch size must be positive"):
        next(it)


# ---- serialize -----------------------------------------------------------------------


def test_serialize_mid_epoch_restores_the_next_batches(tmp_path):
    mx.random.seed(2)
    data = TupleDataset(np.arange(20), np.arange(20) * 2)
    it = SerialIterator(data, 3)
    _take(it, 2)
    save_npz(tmp_path / "it.npz", it)
    expected = _take(it, 4)
    mx.random.seed(99)
    restored = SerialIterator(data, 3)
    load_npz(tmp_path / "it.npz", restored)
    assert (restored.epoch, restored.current_position) == (0, 6)
    assert restored.epoch_detail == pytest.approx(0.3)
    assert restored.previous_epoch_detail == pytest.approx(0.15)
    for want, got in zip(expected, _take(restored, 4)):
        assert [int(x) for x, _ in got] == [int(x) for x, _ in want]


def test_serialize_writes_chainers_keys():
    it = SerialIterator(list(range(10)), 3)
    next(it)
    target = DictionarySerializer()
    target.save(it)
    # Chainer's keys, plus the shuffle generator's state (an mxlite addition)
    assert sorted(target.target) == [
        "current_position", "epoch", "is_new_epoch", "order",
        "order_sampler/random_state", "previous_epoch_detail",
    ]  # fmt: skip
    restored = SerialIterator(list(range(10)), 3)
    NpzDeserializer(target.target).load(restored)
    assert isinstance(restored.current_position, int) and restored.current_position == 3
    assert isinstance(restored.is_new_epoch, bool)
    np.testing.assert_array_equal(restored._state.order, it._state.order)
    for _ in range(8):  # this epoch and the next ones (their shuffles too)
        assert next(restored) == next(it)


def test_serialize_guesses_previous_epoch_detail_for_old_snapshots():
    old = {"current_position": np.asarray(6), "epoch": np.asarray(0),
           "is_new_epoch": np.asarray(False)}  # fmt: skip
    it = SerialIterator(list(range(10)), 3, shuffle=False)
    NpzDeserializer(old).load(it)
    assert it.previous_epoch_detail == pytest.approx(0.3)


# ---- concat_examples ------------------------------------------------------------------


def test_concat_examples_tuples_dicts_and_arrays():
    batch = [(np.full(2, i, np.float32), np.int32(i)) for i in range(3)]
    x, t = dataset.concat_examples(batch)
    assert x.shape == (3, 2) and x.dtype == np.float32 and t.tolist() == [0, 1, 2]
    d = dataset.concat_examples([{"a": np.zeros(2), "b": 1}, {"a": np.ones(2), "b": 2}])
    assert d["a"].shape == (2, 2) and d["b"].tolist() == [1, 2]
    assert dataset.concat_examples([np.zeros(3), np.ones(3)], device=-1).shape == (2, 3)
    assert dataset.convert.concat_examples([1, 2, 3]).tolist() == [1, 2, 3]


def test_concat_examples_padding():
    x, t = dataset.concat_examples(
        [(np.ones(2), np.ones((1, 2))), (np.ones(3), np.ones((2, 1)))], padding=(-1, 0)
    )
    np.testing.assert_array_equal(x, [[1, 1, -1], [1, 1, 1]])
    np.testing.assert_array_equal(t, [[[1, 1], [0, 0]], [[1, 0], [1, 0]]])


def test_concat_examples_errors():
    with pytest.raises(ParamError, match="concat_examples: batch is empty"):
        dataset.concat_examples([])
    with pytest.raises(ParamError, match=r"different shapes; got \[\(2,\), \(3,\)\]"):
        dataset.concat_examples([np.ones(2), np.ones(3)])


def test_device_hook():
    batch = [np.zeros(2), np.ones(2)]
    if num_gpus() == 0:  # mxlite.chainer installs its sender: a clear error without a GPU
        with pytest.raises(ContextError, match="GPU 0 was asked for but this machine has 0"):
            dataset.concat_examples(batch, device=0)
    sent = []
    previous = dataset.set_device_sender(lambda device, x: sent.append(device) or ("on", x))
    try:
        out = dataset.concat_examples(batch, device="@cupy:0")
    finally:
        dataset.set_device_sender(previous)
    assert sent == ["@cupy:0"] and out[0] == "on"
    assert dataset.to_device(None, "anything") == "anything"
