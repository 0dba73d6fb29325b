"""MNISTIter and get_mnist_iterator: MXNet's C++ iterator semantics, on small parts."""

from __future__ import annotations

import gzip
import logging
import struct

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import ParamError
from mxlite.datasets import load_mnist_raw, mnist_files
from mxlite.io import DataDesc, MNISTIter

PARTS = 60  # 1000 of the 60000 training images: quick


@pytest.fixture(autouse=True)
def no_env(monkeypatch):
    monkeypatch.delenv("MXLITE_DATA", raising=False)


@pytest.fixture(scope="module")
def raw():
    return load_mnist_raw()


def test_shapes_scaling_and_labels(raw):
    it = MNISTIter(batch_size=100, num_parts=PARTS, part_index=2, silent=True)
    assert it.provide_data == [DataDesc("data", (100, 1, 28, 28))]
    assert it.provide_label == [DataDesc("softmax_label", (100,))]
    batches = list(it)
    assert len(batches) == 10
    for batch in batches:
        rows = batch.index
        assert rows.min() >= 2000 and rows.max() < 3000
        data, label = batch.data[0].asnumpy(), batch.label[0].asnumpy()
        assert data.dtype == np.float32 and label.dtype == np.float32
        # MXNet's MNISTIter scales by 1/256 (get_mnist uses 1/255).
        np.testing.assert_array_equal(
            data[:, 0], raw["train_data"][rows] / np.float32(256)
        )
        np.testing.assert_array_equal(label, raw["train_label"][rows])
    seen = np.concatenate([b.index for b in batches])
    assert sorted(seen) == list(range(2000, 3000))


def test_flat_gives_rows_of_784(raw):
    it = MNISTIter(batch_size=50, flat=True, num_parts=PARTS, silent=True)
    assert it.provide_data[0].shape == (50, 784)
    batch = it.next()
    np.testing.assert_array_equal(
        batch.data[0].asnumpy(), raw["train_data"][batch.index].reshape(50, 784) / 256.0
    )


def test_shuffled_once_with_seed():
    def order(**kw):
        it = MNISTIter(batch_size=100, num_parts=PARTS, silent=True, **kw)
        first = np.concatenate([b.index for b in it])
        it.reset()
        second = np.concatenate([b.index for b in it])
        np.testing.assert_array_equal(first, second)  # same order every epoch
        return first

    seeded = order()
    np.testing.assert_array_equal(seeded, order(seed=0))
    assert not np.array_equal(seeded, order(seed=1))
    assert not np.array_equal(seeded, np.arange(1000))
    np.testing.assert_array_equal(order(shuffle=False), np.arange(1000))


def test_drops_the_last_incomplete_batch():
    it = MNISTIter(batch_size=300, num_parts=PARTS, silent=True)
    assert [b.pad for b in it] == [0, 0, 0]


def test_parts_follow_mxnet_getpart():
    # 10000 test images in 3 parts: [0, 3333), [3333, 6666), [6666, 10000).
    files = mnist_files()
    it = MNISTIter(
        image=files["test_data"],
        label=files["test_label"],
        batch_size=1000,
        shuffle=False,
        num_parts=3,
        part_index=2,
        silent=True,
    )
    rows = np.concatenate([b.index for b in it])
    np.testing.assert_array_equal(rows, np.arange(6666, 9666))


def test_device_epoch_matches_next():
    it = MNISTIter(batch_size=200, num_parts=PARTS, silent=True)
    expected = [b.index.tolist() for b in it]
    it.reset()
    epoch = it.device_epoch()
    assert epoch.indices.shape == (5, 200) and epoch.pad.tolist() == [0] * 5
    rows = it._source_rows[np.asarray(epoch.indices)]
    assert rows.tolist() == expected


def test_mxnet_keywords_accepted_and_summary_logged(caplog):
    with caplog.at_level(logging.INFO):
        it = MNISTIter(
            batch_size=10, num_parts=PARTS, input_shape=(1, 28, 28), prefetch_buffer=4,
            ctx="cpu", dtype="float32",
        )
    assert it.batch_size == 10
    assert (
        "MNISTIter: load 1000 images, shuffle=1, shape=(10, 1, 28, 28)" in caplog.text
    )


def test_custom_files_and_names(tmp_path):
    images = np.arange(6 * 4 * 4).reshape(6, 4, 4) % 256
    for name, array in (("img", images), ("lab", np.arange(6) % 10)):
        header = bytes([0, 0, 8, array.ndim]) + struct.pack(
            f">{array.ndim}I", *array.shape
        )
        (tmp_path / name).write_bytes(
            gzip.compress(header + array.astype(np.uint8).tobytes())
        )
    it = MNISTIter(
        image=tmp_path / "img",
        label=str(tmp_path / "lab"),
        batch_size=4,
        shuffle=False,
        data_name="x",
        label_name="y",
        silent=True,
    )
    assert [d.name for d in it.provide_data + it.provide_label] == ["x", "y"]
    batch = it.next()
    np.testing.assert_array_equal(batch.data[0].asnumpy()[:, 0], images[:4] / 256.0)
    with pytest.raises(StopIteration):
        it.next()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"batch_size": 0}, "batch_size must be an int >= 1; got 0"),
        ({"num_parts": 0}, "num_parts must be an int >= 1; got 0"),
        ({"num_parts": 2, "part_index": 2}, "part_index must be < num_parts=2; got 2"),
        ({"part_index": -1}, "part_index must be an int >= 0; got -1"),
        ({"seed": -1}, "seed must be an int >= 0"),
        ({"num_parts": 100000}, "is empty"),
        ({"batchsize": 50}, r"unknown argument\(s\) batchsize; expected the param"),
        ({"dtype": "float16"}, "dtype must be None or float32; got 'float16'"),
        ({"dtype": "nonsense"}, "dtype must be None or float32; got 'nonsense'"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ParamError, match=message):
        MNISTIter(silent=True, **kwargs)


def test_get_mnist_iterator():
    train, val = mx.test_utils.get_mnist_iterator(100, (1, 28, 28), num_parts=PARTS)
    assert isinstance(train, MNISTIter) and isinstance(val, MNISTIter)
    assert train.provide_data[0].shape == (100, 1, 28, 28)
    assert len(list(train)) == 10
    # 10000 / 60 -> 166 test images, one batch of 100; shuffled, as MXNet's
    # get_mnist_iterator leaves the validation MNISTIter at its default shuffle=True.
    val_rows = np.concatenate([b.index for b in val])
    assert len(val_rows) == 100 and val_rows.max() < 166
    assert val_rows.tolist() != list(range(100))
    train, val = mx.test_utils.get_mnist_iterator(
        50, (784,), num_parts=PARTS, part_index=1
    )
    assert train.provide_data[0].shape == (50, 784) and val.provide_data[0].shape == (
        50,
        784,
    )
