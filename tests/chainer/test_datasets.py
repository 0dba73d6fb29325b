"""chainer.datasets: TupleDataset indexing, SubDataset and splits, get_mnist."""

from __future__ import annotations

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError, ParamError
from mxlite.chainer.dataset import DatasetMixin
from mxlite.chainer.datasets import (
    SubDataset,
    TupleDataset,
    get_mnist,
    split_dataset,
    split_dataset_random,
)
from mxlite.datasets import load_mnist_raw


@pytest.fixture
def tuple_dataset():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    t = np.arange(10, dtype=np.int32) * 10
    return TupleDataset(x, t), x, t


@pytest.fixture(autouse=True)
def no_env(monkeypatch):
    monkeypatch.delenv("MXLITE_DATA", raising=False)


@pytest.fixture(scope="module")
def mnist():
    return get_mnist()


# ---- TupleDataset -------------------------------------------------------------


def test_tuple_dataset_int_index_gives_one_example(tuple_dataset):
    ds, x, _ = tuple_dataset
    assert len(ds) == 10
    xi, ti = ds[3]
    np.testing.assert_array_equal(xi, x[3])
    assert ti == 30


def test_tuple_dataset_negative_index_counts_from_the_end(tuple_dataset):
    ds, x, _ = tuple_dataset
    xi, ti = ds[-1]
    np.testing.assert_array_equal(xi, x[9])
    assert ti == 90


def test_tuple_dataset_slice_gives_a_list_of_tuples(tuple_dataset):
    ds, x, _ = tuple_dataset
    part = ds[2:8:2]
    assert isinstance(part, list) and len(part) == 3
    assert all(isinstance(example, tuple) and len(example) == 2 for example in part)
    np.testing.assert_array_equal(part[1][0], x[4])
    assert [int(example[1]) for example in part] == [20, 40, 60]


@pytest.mark.parametrize("index", [np.array([7, 0, 3]), [7, 0, 3]], ids=["ndarray", "list"])
def test_tuple_dataset_array_index_gives_a_tuple_of_batches(tuple_dataset, index):
    ds, x, _ = tuple_dataset
    xb, tb = ds[index]
    np.testing.assert_array_equal(xb, x[[7, 0, 3]])
    np.testing.assert_array_equal(tb, [70, 0, 30])


def test_tuple_dataset_permutation_slice_as_in_the_seed_tutorial(tuple_dataset):
    ds, x, t = tuple_dataset
    perm = np.random.RandomState(0).permutation(10)
    np.testing.assert_array_equal(ds[perm[0:4]][0], x[perm[:4]])
    np.testing.assert_array_equal(ds[perm[0:4]][1], t[perm[:4]])


def test_tuple_dataset_of_lists():
    ds = TupleDataset([1, 2, 3], ["a", "b", "c"])
    assert ds[1] == (2, "b")
    assert ds[:2] == [(1, "a"), (2, "b")]


def test_tuple_dataset_rejects_bad_arguments():
    with pytest.raises(ParamError, match=r"TupleDataset: no datasets"):
        TupleDataset()
    with pytest.raises(ParamError, match=r"TupleDataset: dataset 1 .*got 2.*has 3"):
        TupleDataset([1, 2, 3], [1, 2])


# ---- SubDataset and splits ------------------------------------------------------


def test_sub_dataset_indexing():
    sub = SubDataset(list(range(10)), 3, 7)
    assert len(sub) == 4
    assert sub[0] == 3 and sub[-1] == 6
    assert sub[1:3] == [4, 5] and sub[[0, 3]] == [3, 6]
    with pytest.raises(IndexError, match="got 4"):
        sub[4]
    with pytest.raises(IndexError):
        sub[-5]


def test_sub_dataset_with_order_and_bad_bounds():
    sub = SubDataset(list("abcde"), 1, 3, order=[4, 3, 2, 1, 0])
    assert sub[:] == ["d", "c"]
    with pytest.raises(ParamError, match=r"SubDataset: subset overruns.*finish=9"):
        SubDataset([1, 2, 3], 0, 9)
    with pytest.raises(ParamError, match=r"len\(order\)=2"):
        SubDataset([1, 2, 3], 0, 2, order=[0, 1])


def test_sub_dataset_is_a_dataset_mixin():
    assert isinstance(SubDataset([1], 0, 1), DatasetMixin)


def test_split_dataset_sizes_and_errors():
    a, b = split_dataset(list(range(10)), 4)
    assert a[:] == [0, 1, 2, 3] and b[:] == [4, 5, 6, 7, 8, 9]
    with pytest.raises(ParamError, match=r"split_dataset: split_at must be an int; got float"):
        split_dataset([1, 2], 1.5)
    with pytest.raises(ParamError, match=r"in \[0, 2\].*got 3"):
        split_dataset([1, 2], 3)


def test_split_dataset_random_sizes_and_partition():
    a, b = split_dataset_random(list(range(100)), 70, seed=3)
    assert (len(a), len(b)) == (70, 30)
    assert sorted(a[:] + b[:]) == list(range(100))


def test_split_dataset_random_with_seed_is_chainers_split():
    a, _ = split_dataset_random(list(range(50)), 20, seed=7)
    assert a[:] == np.random.RandomState(7).permutation(50)[:20].tolist()
    again, _ = split_dataset_random(list(range(50)), 20, seed=7)
    assert again[:] == a[:]
    other, _ = split_dataset_random(list(range(50)), 20, seed=8)
    assert other[:] != a[:]


def test_split_dataset_random_without_seed_follows_mx_random_seed():
    mx.random.seed(11)
    a, _ = split_dataset_random(list(range(50)), 20)
    mx.random.seed(11)
    b, _ = split_dataset_random(list(range(50)), 20)
    assert a[:] == b[:]


# ---- get_mnist ------------------------------------------------------------------


def test_get_mnist_default(mnist):
    train, test = mnist
    assert isinstance(train, TupleDataset) and (len(train), len(test)) == (60000, 10000)
    x, t = train[0]
    assert x.shape == (784,) and x.dtype == np.float32
    assert t.dtype == np.int32 and int(t) == 5
    xb, tb = test[np.arange(5)]
    assert xb.shape == (5, 784) and tb.tolist() == [7, 2, 1, 0, 4]


def test_get_mnist_values_are_pixels_over_255(mnist):
    train, _ = mnist
    raw = load_mnist_raw()["train_data"]
    x, _ = train[np.arange(100)]
    assert x.min() == 0.0 and x.max() == 1.0
    expected = raw[:100].reshape(100, 784).astype(np.float32) * np.float32(1 / 255)
    np.testing.assert_array_equal(x, expected)


@pytest.mark.parametrize(
    ("ndim", "shape"), [(1, (784,)), (2, (28, 28)), (3, (1, 28, 28))]
)
def test_get_mnist_ndim(ndim, shape):
    train, test = get_mnist(ndim=ndim)
    assert train[0][0].shape == shape and test[0][0].shape == shape


@pytest.mark.slow
def test_get_mnist_scale_dtype_and_rgb():
    train, _ = get_mnist(ndim=3, scale=255.0, dtype=np.float64, rgb_format=True,
                         label_dtype=np.int64)  # fmt: skip
    x, t = train[np.arange(10)]
    assert x.shape == (10, 3, 28, 28) and x.dtype == np.float64 and t.dtype == np.int64
    assert x.max() == 255.0 and x.min() == 0.0
    np.testing.assert_array_equal(x[:, 0], x[:, 2])


def test_get_mnist_without_labels_gives_arrays():
    train, test = get_mnist(withlabel=False, ndim=2)
    assert isinstance(train, np.ndarray) and train.shape == (60000, 28, 28)
    assert test.shape == (10000, 28, 28) and test.dtype == np.float32


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ndim": 4}, r"get_mnist: ndim must be 1, 2 or 3; got 4\."),
        ({"dtype": np.int32}, r"get_mnist: dtype must be a floating dtype.*got int32"),
        ({"dtype": "nonsense"}, r"get_mnist: dtype is not a NumPy dtype; got 'nonsense'"),
        ({"scale": "1"}, r"get_mnist: scale must be a real number; got '1'"),
        ({"label_dtype": "U3"}, r"get_mnist: label_dtype must be a numeric dtype"),
    ],
)
def test_get_mnist_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ParamError, match=message) as info:
        get_mnist(**kwargs)
    assert isinstance(info.value, (MXNetError, ValueError))
