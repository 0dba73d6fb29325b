"""mx.test_utils: MXNet 1.9.1's comparisons, default context, random arrays and
get_mnist_ubyte."""

from __future__ import annotations

import os

import numpy as np
import pytest

import mxlite as mx
from mxlite import testing as test_utils
from mxlite.base import DTypeError, ParamError
from mxlite.datasets import load_mnist_raw
from mxlite.io import MNISTIter


# -- assert_almost_equal ---------------------------------------------------
def test_message_names_the_largest_error_as_mxnet():
    a = mx.nd.array([[1, 2, 3], [4, 5, 6]])
    b = np.array([[1, 2, 3.1], [4, 5.5, 6]], dtype=np.float32)
    with pytest.raises(AssertionError) as info:
        test_utils.assert_almost_equal(a, b, names=("got", "want"))
    message = str(info.value)
    # MXNet 1.9.1's lines for the same arrays, word for word.
    assert (
        "Error 322.580627 exceeds tolerance rtol=1.000000e-04, atol=1.000000e-03 "
        "(mismatch 33.333333%).\n"
        "Location of maximum error: (1, 1), got=5.00000000, want=5.50000000\n"
    ) in message
    assert "  2: Error 76.335808  Location of error: (0, 2), got=3.00000000, " \
           "want=3.09999990" in message
    assert " ACTUAL: array([[1., 2., 3.]," in message
    assert np.get_printoptions()["threshold"] == 1000  # restored afterwards


def test_default_tolerances_follow_the_dtypes():
    one = np.ones(3, np.float32)
    test_utils.assert_almost_equal(one, one + 5e-4)  # float32: atol 1e-3
    with pytest.raises(AssertionError, match=r"rtol=1\.000000e-05, atol=1\.000000e-20"):
        test_utils.assert_almost_equal(one.astype(np.float64), one.astype(np.float64) + 5e-4)
    # The larger of the two dtypes' defaults wins: float16's 1e-1, float32's 1e-3.
    test_utils.assert_almost_equal(one.astype(np.float16), one + 0.05)
    test_utils.assert_almost_equal(one, one.astype(np.float64) + 5e-4)
    with pytest.raises(AssertionError, match=r"atol=0\.000000e"):
        test_utils.assert_almost_equal(np.array([1, 2]), np.array([1, 3]))
    test_utils.assert_almost_equal(one, one + 0.5, atol={np.dtype(np.float32): 1.0})
    test_utils.assert_almost_equal(one, one + 0.5, rtol=0, atol=0.6)


def test_mismatch_count_is_exact_and_the_list_is_capped():
    with pytest.raises(AssertionError) as info:
        test_utils.assert_almost_equal(np.arange(30.0), np.arange(30.0) + 1,
                                       mismatches=(3, 3))
    message = str(info.value)
    assert "(mismatch 100.000000%)" in message
    assert "Largest errors (3 of 30):" in message and "  4: " not in message
    assert "Location of maximum error: (0,), a=0.00000000, b=1.00000000" in message


def test_scalars_nans_bools_and_shapes():
    with pytest.raises(AssertionError, match=r"Error 90\.\d+ exceeds tolerance"):
        test_utils.assert_almost_equal(np.float32(1.0), np.float32(1.1))
    nan = np.array([1.0, np.nan])
    test_utils.assert_almost_equal(nan, nan, equal_nan=True)
    with pytest.raises(AssertionError, match=r"Location of maximum error: \(1,\)"):
        test_utils.assert_almost_equal(nan, nan)
    test_utils.assert_almost_equal(np.array([True, False]), np.array([True, False]))
    with pytest.raises(AssertionError):
        test_utils.assert_almost_equal(np.array([True]), np.array([False]))
    test_utils.assert_almost_equal(np.ones((2, 3)), np.ones(3))  # broadcast
    with pytest.raises(AssertionError, match=r"a.shape = \(2, 3\) and b.shape = \(3,\)"):
        test_utils.assert_almost_equal(np.ones((2, 3)), np.ones(3), use_broadcast=False)
    with pytest.raises(AssertionError, match=r"a.shape = \(2,\) and b.shape = \(3,\)"):
        test_utils.assert_almost_equal(np.ones(2), np.ones(3))
    with pytest.raises(DTypeError, match="no default rtol for dtype complex64"):
        test_utils.assert_almost_equal(np.ones(2, np.complex64), np.ones(2, np.complex64))


def test_almost_equal_same_and_assert_allclose():
    # almost_equal's defaults are float64's (1e-5, 1e-20) whatever the dtype, as MXNet.
    assert test_utils.almost_equal(mx.nd.array([1, 2]), [1, 2 + 1e-5])
    assert not test_utils.almost_equal(np.float32(1), np.float32(1.001))
    assert test_utils.same(mx.nd.array([1, 2]), np.array([1, 2], np.float32))
    assert not test_utils.same(np.ones(2), np.ones(3))
    test_utils.assert_allclose(np.array([1.0, np.nan]), np.array([1.0, np.nan]))
    with pytest.raises(AssertionError, match=r"rtol=1\.000000e-07, atol=0"):
        test_utils.assert_allclose(np.ones(2), np.ones(2) + 1e-6)


# -- default context, random arrays ---------------------------------------
def test_default_context_and_rand_ndarray():
    assert test_utils.default_context() == mx.cpu(0)
    test_utils.set_default_context(mx.cpu(0))
    assert test_utils.default_context() == mx.cpu(0)
    with pytest.raises(ParamError, match="ctx must be a Context"):
        test_utils.set_default_context("cpu")
    mx.random.seed(7)
    first = test_utils.rand_ndarray((200, 50))
    mx.random.seed(7)
    again = test_utils.rand_ndarray((200, 50), dtype="float64")
    assert first.dtype == np.float32 and again.dtype == np.float64
    np.testing.assert_array_equal(first.asnumpy(), again.asnumpy().astype(np.float32))
    assert abs(float(first.asnumpy().mean())) < 0.02
    assert 0.95 < float(first.asnumpy().std()) < 1.05
    with pytest.raises(ParamError, match="sparse arrays are not supported"):
        test_utils.rand_ndarray((2, 2), stype="csr")


# -- get_mnist_ubyte ----------------------------------------------------------
NAMES = ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
         "train-images-idx3-ubyte", "train-labels-idx1-ubyte"]


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.delenv("MXLITE_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_get_mnist_ubyte_writes_data_for_the_mxnet_tutorial(in_tmp):
    assert test_utils.get_mnist_ubyte() is not None
    assert sorted(os.listdir("data")) == NAMES  # nothing else: no temporaries left
    assert os.path.getsize("data/train-images-idx3-ubyte") == 16 + 60000 * 28 * 28
    raw = load_mnist_raw()
    it = MNISTIter(image="data/t10k-images-idx3-ubyte", label="data/t10k-labels-idx1-ubyte",
                   batch_size=100, shuffle=False, silent=True)
    batch = next(it)
    np.testing.assert_array_equal(batch.label[0].asnumpy(), raw["test_label"][:100])
    np.testing.assert_array_equal(batch.data[0].asnumpy()[:, 0],
                                  raw["test_data"][:100] / np.float32(256))
    # MXNet's tutorial's training iterator.
    train = MNISTIter(image="data/train-images-idx3-ubyte",
                      label="data/train-labels-idx1-ubyte", batch_size=100, silent=True,
                      num_parts=60)
    assert train.provide_data[0].shape == (100, 1, 28, 28)


def test_get_mnist_ubyte_keeps_good_files_and_replaces_bad_ones(in_tmp):
    files = test_utils.get_mnist_ubyte()
    before = {key: os.stat(path).st_ino for key, path in files.items()}
    test_utils.get_mnist_ubyte()
    assert {key: os.stat(path).st_ino for key, path in files.items()} == before
    labels = files["train_label"]
    good = labels.read_bytes()
    labels.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))  # same size, other content
    files["test_label"].write_bytes(b"truncated")
    test_utils.get_mnist_ubyte()
    assert labels.read_bytes() == good
    assert files["test_label"].stat().st_size == 8 + 10000
    assert os.stat(files["train_data"]).st_ino == before["train_data"]
