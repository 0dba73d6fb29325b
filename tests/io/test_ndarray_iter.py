"""NDArrayIter: MXNet's batches and padding, seeded shuffles, device-resident data."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError, ParamError, ShapeError
from mxlite.io import DataBatch, DataDesc, DeviceEpoch, NDArrayIter


def table(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Row i of the data is [i, 100 + i]; label i is 1000 + i."""
    rows = np.arange(n)
    return np.stack([rows, 100 + rows], axis=1), 1000 + rows


def rows_of(batch: DataBatch) -> list[int]:
    data, label = batch.data[0].asnumpy(), batch.label[0].asnumpy()
    np.testing.assert_array_equal(data[:, 1], data[:, 0] + 100)
    np.testing.assert_array_equal(label, data[:, 0] + 1000)
    return data[:, 0].astype(int).tolist()


def epochs(it: NDArrayIter, count: int) -> list[list[tuple[list[int], int]]]:
    out = []
    for _ in range(count):
        out.append([(rows_of(b), b.pad) for b in it])
        it.reset()
    return out


# -- last_batch_handle ---------------------------------------------------------
def test_pad_wraps_from_the_start():
    it = NDArrayIter(*table(10), batch_size=3)
    expected = [([0, 1, 2], 0), ([3, 4, 5], 0), ([6, 7, 8], 0), ([9, 0, 1], 2)]
    assert epochs(it, 2) == [expected, expected]


def test_pad_tiles_when_batch_is_larger_than_data():
    it = NDArrayIter(*table(3), batch_size=8)
    assert epochs(it, 1) == [[([0, 1, 2, 0, 1, 2, 0, 1], 5)]]


def test_pad_exact_multiple_has_no_padding():
    it = NDArrayIter(*table(9), batch_size=3, last_batch_handle="pad")
    assert [pad for _, pad in epochs(it, 1)[0]] == [0, 0, 0]


def test_discard_drops_the_incomplete_batch():
    it = NDArrayIter(*table(10), batch_size=3, last_batch_handle="discard")
    expected = [([0, 1, 2], 0), ([3, 4, 5], 0), ([6, 7, 8], 0)]
    assert epochs(it, 2) == [expected, expected]


def test_discard_with_too_few_examples_gives_no_batch():
    it = NDArrayIter(*table(2), batch_size=3, last_batch_handle="discard")
    assert epochs(it, 2) == [[], []]


def test_roll_over_carries_the_remainder_into_the_next_epoch():
    # Hand-computed from MXNet 1.9.1's io.py: the first batch of an epoch starts
    # with the examples left over, and its pad is their number.
    it = NDArrayIter(*table(10), batch_size=3, last_batch_handle="roll_over")
    assert epochs(it, 4) == [
        [([0, 1, 2], 0), ([3, 4, 5], 0), ([6, 7, 8], 0)],
        [([9, 0, 1], 1), ([2, 3, 4], 0), ([5, 6, 7], 0)],
        [([8, 9, 0], 2), ([1, 2, 3], 0), ([4, 5, 6], 0), ([7, 8, 9], 0)],
        [([0, 1, 2], 0), ([3, 4, 5], 0), ([6, 7, 8], 0)],
    ]


def test_roll_over_with_batch_larger_than_data():
    it = NDArrayIter(*table(2), batch_size=5, last_batch_handle="roll_over")
    assert epochs(it, 5) == [[], [], [([0, 1, 0, 1, 0], 4)], [], [([1, 0, 1, 0, 1], 3)]]


def test_roll_over_reset_mid_epoch_drops_the_remainder():
    it = NDArrayIter(*table(10), batch_size=3, last_batch_handle="roll_over")
    list(it)
    it.reset()
    it.next()
    it.reset()
    assert [rows for rows, _ in epochs(it, 1)[0]] == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]


def test_roll_over_hard_reset_drops_the_remainder():
    it = NDArrayIter(*table(10), batch_size=3, last_batch_handle="roll_over")
    list(it)
    it.hard_reset()
    assert it.next().pad == 0 and rows_of(it.next()) == [3, 4, 5]


# -- shuffling -------------------------------------------------------------------
def test_shuffle_is_fixed_by_mx_random_seed():
    def run(seed):
        mx.random.seed(seed)
        return epochs(NDArrayIter(*table(12), batch_size=4, shuffle=True), 3)

    first, again, other = run(7), run(7), run(8)
    assert first == again
    assert first != other
    for epoch in first:
        assert sorted(r for rows, _ in epoch for r in rows) == list(range(12))
    assert first[0] != first[1]


def test_shuffle_does_not_touch_numpy_global_rng():
    mx.random.seed(1)
    np.random.seed(123)
    expected = np.random.random(3)
    np.random.seed(123)
    epochs(NDArrayIter(*table(10), batch_size=3, shuffle=True), 2)
    np.testing.assert_array_equal(np.random.random(3), expected)


def test_shuffled_pad_wraps_from_the_start_of_the_epoch_order():
    mx.random.seed(3)
    epoch = epochs(NDArrayIter(*table(10), batch_size=4, shuffle=True), 1)[0]
    order = epoch[0][0] + epoch[1][0] + epoch[2][0][:2]
    assert sorted(order) == list(range(10))
    assert epoch[2] == (order[8:] + order[:2], 2)


# -- inputs, names and descriptions --------------------------------------------------
def test_single_arrays_get_the_default_names():
    data, label = table(6)
    it = NDArrayIter(data, label, batch_size=4)
    assert it.provide_data == [DataDesc("data", (4, 2))]
    assert it.provide_label == [DataDesc("softmax_label", (4,))]
    desc = it.provide_data[0]
    assert desc.dtype == np.float32 and desc.layout == "NCHW"


def test_lists_are_named_by_position_and_dicts_sorted_by_name():
    data, label = table(6)
    it = NDArrayIter([data, data * 2], [label], batch_size=2)
    assert [d.name for d in it.provide_data] == ["_0_data", "_1_data"]
    assert [d.name for d in it.provide_label] == ["softmax_label"]
    it = NDArrayIter(
        {"zeta": data, "alpha": data[:, :1]}, {"b": label, "a": label}, batch_size=2
    )
    assert [(d.name, d.shape) for d in it.provide_data] == [
        ("alpha", (2, 1)),
        ("zeta", (2, 2)),
    ]
    assert [d.name for d in it.provide_label] == ["a", "b"]
    batch = it.next()
    np.testing.assert_array_equal(batch.data[0].asnumpy(), data[:2, :1])
    np.testing.assert_array_equal(batch.data[1].asnumpy(), data[:2])


def test_custom_names_and_no_label():
    it = NDArrayIter(np.ones((4, 3)), batch_size=2, data_name="x", label_name="y")
    assert it.provide_data[0].name == "x" and it.provide_label == []
    batch = it.next()
    assert batch.label == [] and batch.data[0].shape == (2, 3)


def test_numpy_becomes_float32_ndarray_keeps_dtype():
    it = NDArrayIter(
        {
            "a": np.arange(4, dtype=np.int8),
            "b": np.ones(4, np.float64),
            "c": mx.nd.array(np.arange(4), dtype="int32"),
            "d": [[1], [2], [3], [4]],
        },
        np.arange(4, dtype=np.int8),
        batch_size=2,
    )
    dtypes = {d.name: d.dtype for d in it.provide_data + it.provide_label}
    assert dtypes == {
        "a": np.float32,
        "b": np.float32,
        "c": np.int32,
        "d": np.float32,
        "softmax_label": np.float32,
    }
    batch = it.next()
    assert [x.dtype for x in batch.data] == [
        np.float32,
        np.float32,
        np.int32,
        np.float32,
    ]


def test_ndarray_and_jax_inputs():
    data, label = table(5)
    it = NDArrayIter(mx.nd.array(data), jnp.asarray(label, jnp.float32), batch_size=5)
    assert rows_of(it.next()) == [0, 1, 2, 3, 4]


def test_layout_with_examples_on_axis_1():
    data = np.arange(2 * 6 * 3).reshape(2, 6, 3)
    it = NDArrayIter(data, np.zeros((2, 6)), batch_size=4, layout="TNC")
    assert it.provide_data == [DataDesc("data", (2, 4, 3))]
    assert it.provide_data[0].layout == "TNC"
    batches = list(it)
    np.testing.assert_array_equal(batches[1].data[0].asnumpy(), data[:, [4, 5, 0, 1]])
    assert batches[1].pad == 2
    it.reset()
    assert it.device_epoch() is None  # the fast path gathers along axis 0 only


def test_batch_index_gives_the_example_rows():
    it = NDArrayIter(*table(5), batch_size=3)
    assert [b.index.tolist() for b in it] == [[0, 1, 2], [3, 4, 0]]


def test_iteration_protocol():
    it = NDArrayIter(*table(4), batch_size=2)
    assert iter(it) is it
    assert rows_of(next(it)) == [0, 1]
    assert it.iter_next() and it.getpad() == 0
    assert it.getdata()[0].shape == (2, 2) and it.getlabel()[0].shape == (2,)
    assert not it.iter_next()
    with pytest.raises(StopIteration):
        it.next()
    with pytest.raises(MXNetError, match="no current batch; call iter_next"):
        it.getdata()


# -- the device fast path ---------------------------------------------------------------
def gathered(epoch: DeviceEpoch) -> list[tuple[list[int], int]]:
    out = []
    for i in range(epoch.indices.shape[0]):
        data = np.asarray(jnp.take(epoch.data["data"], epoch.indices[i], axis=0))
        label = np.asarray(jnp.take(epoch.label["softmax_label"], epoch.indices[i]))
        np.testing.assert_array_equal(label, data[:, 0] + 1000)
        out.append((data[:, 0].astype(int).tolist(), int(epoch.pad[i])))
    return out


@pytest.mark.parametrize("handle", ["pad", "discard", "roll_over"])
@pytest.mark.parametrize("shuffle", [False, True])
def test_device_epoch_gives_exactly_the_batches_of_next(handle, shuffle):
    def make():
        mx.random.seed(11)
        return NDArrayIter(
            *table(11), batch_size=4, shuffle=shuffle, last_batch_handle=handle
        )

    expected = epochs(make(), 4)
    it = make()
    got = []
    for _ in range(4):
        epoch = it.device_epoch()
        assert epoch.indices.dtype == jnp.int32
        assert epoch.indices.shape == (len(epoch.pad), 4)
        got.append(gathered(epoch))
        with pytest.raises(StopIteration):  # the epoch is consumed
            it.next()
        it.reset()
    assert got == expected


def test_device_epoch_after_some_batches_gives_the_rest():
    it = NDArrayIter(*table(10), batch_size=3)
    it.next()
    it.next()
    assert gathered(it.device_epoch()) == [([6, 7, 8], 0), ([9, 0, 1], 2)]


def test_device_epoch_arrays_are_the_resident_arrays():
    it = NDArrayIter(*table(6), batch_size=2)
    epoch = it.device_epoch()
    assert isinstance(epoch.data["data"], jax.Array)
    assert epoch.data["data"] is it.data[0][1]._data
    assert epoch.data["data"].devices() == {mx.cpu().jax_device}
    assert isinstance(epoch.pad, np.ndarray) and epoch.pad.tolist() == [0, 0, 0]


def test_batches_are_gathered_on_the_device_without_host_copies(monkeypatch):
    mx.random.seed(0)
    it = NDArrayIter(*table(64), batch_size=4, shuffle=True)
    resident = it.data[0][1]._data
    first = it.next()  # the epoch's index matrix goes to the device once, here
    puts = []
    real_put = jax.device_put
    monkeypatch.setattr(
        jax, "device_put", lambda *a, **k: puts.append(a) or real_put(*a, **k)
    )
    batches = [first]
    with jax.transfer_guard("disallow_explicit"):
        batches += list(it)
    assert puts == [] and len(batches) == 16
    for batch in batches:
        for x in batch.data + batch.label:
            assert isinstance(x._data, jax.Array)
            assert x._data.devices() == resident.devices()
    it.reset()
    with jax.transfer_guard("disallow"):  # implicit transfers: none in a whole epoch
        assert len(list(it)) == 16
    assert len(puts) == 1  # the new epoch's index matrix, explicitly


# -- bad input ------------------------------------------------------------------------------
def test_label_length_must_match_data():
    with pytest.raises(ShapeError, match="'data' has 10 but 'softmax_label' has 9"):
        NDArrayIter(np.ones((10, 2)), np.ones(9))


@pytest.mark.parametrize("batch_size", [0, -3, 2.5, True, "4", None])
def test_batch_size_must_be_positive_int(batch_size):
    with pytest.raises(ParamError, match=r"batch_size must be an int >= 1; got"):
        NDArrayIter(np.ones((4, 2)), batch_size=batch_size)


def test_unknown_last_batch_handle():
    with pytest.raises(
        ParamError,
        match=r"must be one of 'pad', 'discard', 'roll_over'; "
        r"got 'rollover'. Did you mean 'roll_over'\?",
    ):
        NDArrayIter(np.ones((4, 2)), last_batch_handle="rollover")


@pytest.mark.parametrize(
    "data, error, message",
    [
        (None, ParamError, "data must hold at least one array"),
        ({}, ParamError, "data must hold at least one array"),
        ("abc", ParamError, "must be an array, a list of arrays or a dict"),
        (np.float32(3.0), ParamError, "must be an array"),
        (np.ones((0, 3)), ShapeError, "hold no examples"),
        ([np.ones(3), np.ones((3, 1, 1))], None, None),
        ({"x": object()}, ParamError, "input 'x' must be an NDArray or array-like"),
    ],
)
def test_bad_data(data, error, message):
    if error is None:
        NDArrayIter(data, batch_size=2)
        return
    with pytest.raises(error, match=message):
        NDArrayIter(data, batch_size=2)


def test_scalar_input_and_duplicate_names():
    with pytest.raises(ShapeError, match="at least one axis"):
        NDArrayIter({"x": np.float32(1)})
    with pytest.raises(ParamError, match=r"names must differ; got \['x'\]"):
        NDArrayIter({"x": np.ones(3)}, {"x": np.ones(3)})


def test_bad_layout():
    with pytest.raises(ParamError, match="layout must be a string with an 'N' axis"):
        NDArrayIter(np.ones((4, 2)), layout="CHW")
