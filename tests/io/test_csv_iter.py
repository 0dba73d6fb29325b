"""CSVIter: MXNet 1.9.1's batches, padding and epochs, on small CSV files.

The expected batches are what MXNet 1.9.1's ``mx.io.CSVIter`` gave for the
same files (its docstring's example among them).
"""

from __future__ import annotations

import numpy as np
import pytest

from mxlite.base import FormatError, MXNetError, ParamError
from mxlite.datasets import DataNotFoundError
from mxlite.io import CSVIter, DataDesc

ROWS = "1,2,3\n2,3,4\n3,4,5\n4,5,6\n"  # MXNet's docstring example


@pytest.fixture
def write(tmp_path):
    def write(name: str, text: str) -> str:
        path = tmp_path / name
        path.write_text(text)
        return str(path)

    return write


def epochs(it: CSVIter, count: int) -> list:
    out = []
    for _ in range(count):
        out.append([(b.data[0].asnumpy()[:, 0].tolist(), b.pad, b.index.tolist()) for b in it])
        it.reset()
    return out


def test_round_batch_pads_from_the_start_and_goes_on_from_there(write):
    it = CSVIter(data_csv=write("d.csv", ROWS), data_shape=(3,), batch_size=3)
    assert it.provide_data == [DataDesc("data", (3, 3))]
    assert it.provide_label == [DataDesc("softmax_label", (3,))]
    assert epochs(it, 4) == [
        [([1, 2, 3], 0, [0, 1, 2]), ([4, 1, 2], 2, [3, 0, 1])],
        [([3, 4, 1], 1, [2, 3, 0])],
        [([2, 3, 4], 0, [1, 2, 3])],
        [([1, 2, 3], 0, [0, 1, 2]), ([4, 1, 2], 2, [3, 0, 1])],
    ]


def test_without_round_batch_the_padding_repeats_the_previous_batch(write):
    it = CSVIter(data_csv=write("d.csv", ROWS), data_shape=(3,), batch_size=3,
                 round_batch=False)
    assert epochs(it, 2) == [[([1, 2, 3], 0, [0, 1, 2]), ([4, 2, 3], 2, [3, 1, 2])]] * 2


def test_rows_are_reshaped_and_labels_read(write):
    data = write("d.csv", "1,2,3,4\n5,6,7,8\n")
    label = write("l.csv", "1,2\n3,4\n")
    it = CSVIter(data_csv=data, data_shape=(2, 2), label_csv=label, label_shape=(2,),
                 batch_size=2)
    assert it.provide_data == [DataDesc("data", (2, 2, 2))]
    assert it.provide_label == [DataDesc("softmax_label", (2, 2))]
    (batch,) = list(it)
    np.testing.assert_array_equal(batch.data[0].asnumpy(), [[[1, 2], [3, 4]], [[5, 6], [7, 8]]])
    np.testing.assert_array_equal(batch.label[0].asnumpy(), [[1, 2], [3, 4]])
    assert batch.data[0].dtype == np.float32 and batch.pad == 0


def test_labels_default_to_zeros_and_one_value_labels_are_flat(write):
    data = write("d.csv", ROWS)
    it = CSVIter(data_csv=data, data_shape=(3,), batch_size=2, label_shape=(1, 1))
    assert it.provide_label == [DataDesc("softmax_label", (2,))]
    assert [b.label[0].asnumpy().tolist() for b in it] == [[0, 0], [0, 0]]
    labelled = CSVIter(data_csv=data, data_shape=(3,), batch_size=2,
                       label_csv=write("l.csv", "10\n20\n30\n40\n"))
    assert [b.label[0].asnumpy().tolist() for b in labelled] == [[10, 20], [30, 40]]
    wide = CSVIter(data_csv=data, data_shape=(3,), batch_size=2, label_shape=(1, 2),
                   label_csv=write("l2.csv", "1,2\n3,4\n5,6\n7,8\n"))
    assert wide.provide_label == [DataDesc("softmax_label", (2, 1, 2))]


@pytest.mark.parametrize("dtype", ["int32", "int64", np.int32])
def test_integer_dtype_for_data_and_labels(write, dtype):
    it = CSVIter(data_csv=write("d.csv", ROWS), data_shape=(3,), batch_size=4,
                 label_csv=write("l.csv", "7\n8\n9\n2147483647\n"), dtype=dtype)
    (batch,) = list(it)
    want = np.dtype(dtype)
    assert batch.data[0].dtype == want and batch.label[0].dtype == want
    assert it.provide_data[0].dtype == want
    assert batch.label[0].asnumpy().tolist() == [7, 8, 9, 2147483647]


def test_a_directory_reads_every_file_in_name_order(tmp_path):
    (tmp_path / "b.csv").write_text("3,3\n")
    (tmp_path / "a.csv").write_text("1,1\n2,2\n")
    (tmp_path / ".hidden").write_text("not,a,row\n")
    it = CSVIter(data_csv=str(tmp_path), data_shape=(2,), batch_size=3)
    assert [b.data[0].asnumpy()[:, 0].tolist() for b in it] == [[1, 2, 3]]


def test_device_epoch_gives_the_same_batches(write):
    it = CSVIter(data_csv=write("d.csv", ROWS), data_shape=(3,), batch_size=3)
    epoch = it.device_epoch()
    np.testing.assert_array_equal(np.asarray(epoch.indices), [[0, 1, 2], [3, 0, 1]])
    assert epoch.pad.tolist() == [0, 2]
    it.reset()
    assert [b.index.tolist() for b in it] == [[2, 3, 0]]


def test_empty_epoch_when_the_padding_used_the_whole_file(write):
    # MXNet 1.9.1 too: 2 rows, batch 3 -> [0 1 0], [1 0 1], then an empty epoch.
    it = CSVIter(data_csv=write("d.csv", "1,1\n2,2\n"), data_shape=(2,), batch_size=3)
    assert [[(b.index.tolist(), b.pad) for b in e] for e in _raw_epochs(it, 4)] == [
        [([0, 1, 0], 1)], [([1, 0, 1], 2)], [], [([0, 1, 0], 1)]]


def _raw_epochs(it, count):
    out = []
    for _ in range(count):
        out.append(list(it))
        it.reset()
    return out


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        ("1,2,3\n4,5\n", {}, r"'.*d\.csv' line 2 has 2 values; expected 3 \(data_shape=\(3,\)\)"),
        ("1,2,3\n\n4,x,6\n", {}, r"line 3, column 2: 'x' is not a number; expected 3 "),
        ("1,2,3,4\n", {}, r"line 1 has 4 values; expected 3"),
        ("1,2,\n", {}, r"line 1, column 3: '' is not a number"),
        ("1,2.5,3\n", {"dtype": "int32"}, r"column 2: '2.5' is not an int32"),
        ("1,2,3000000000\n", {"dtype": "int32"}, r"column 3: '3000000000' is not an int32"),
        ("", {}, r"'.*d\.csv' holds no rows; expected lines of 3 comma-separated values"),
        ("\n\n", {}, r"holds no rows"),
    ],
)
def test_malformed_files_name_the_file_and_line(write, text, kwargs, message):
    with pytest.raises(FormatError, match=message):
        CSVIter(data_csv=write("d.csv", text), data_shape=(3,), batch_size=1, **kwargs)


def test_label_file_errors(write):
    data = write("d.csv", ROWS)
    with pytest.raises(FormatError, match=r"label_csv '.*l\.csv' has 3 rows but data_csv "
                                          r"'.*d\.csv' has 4; expected one label row"):
        CSVIter(data_csv=data, data_shape=(3,), batch_size=1,
                label_csv=write("l.csv", "1\n2\n3\n"))
    with pytest.raises(FormatError, match=r"line 1 has 2 values; expected 1 \(label_shape"):
        CSVIter(data_csv=data, data_shape=(3,), batch_size=1,
                label_csv=write("l.csv", "1,2\n"))


def test_bad_arguments(write, tmp_path):
    data = write("d.csv", ROWS)
    with pytest.raises(DataNotFoundError, match=r"'.*nope\.csv' does not exist"):
        CSVIter(data_csv=str(tmp_path / "nope.csv"), data_shape=(3,), batch_size=1)
    with pytest.raises(ParamError, match="dtype must be one of 'float32', 'int32', "
                                         "'int64'; got 'float64'"):
        CSVIter(data_csv=data, data_shape=(3,), batch_size=1, dtype="float64")
    with pytest.raises(ParamError, match=r"unknown argument.*batchsize.*Did you mean "
                                         r"'batch_size'"):
        CSVIter(data_csv=data, data_shape=(3,), batch_size=1, batchsize=2)
    with pytest.raises(ParamError, match=r"data_shape must be a tuple of ints >= 1; got \(0,\)"):
        CSVIter(data_csv=data, data_shape=(0,), batch_size=1)
    with pytest.raises(ParamError, match="batch_size must be an int >= 1; got 0"):
        CSVIter(data_csv=data, data_shape=(3,), batch_size=0)
    with pytest.raises(TypeError):
        CSVIter(data, (3,), 1)  # MXNet's iterators take keywords only
    # Accepted, as MXNet's prefetcher options, and without effect.
    CSVIter(data_csv=data, data_shape=3, batch_size=1, prefetch_buffer=2, ctx="cpu")


def test_round_batch_needs_enough_rows(write):
    # MXNet 1.9.1: "number of input must be bigger than batch size".
    with pytest.raises(ParamError, match="batch_size=5 needs 3 rows from the start"):
        CSVIter(data_csv=write("d.csv", "1\n2\n"), data_shape=(1,), batch_size=5)
    it = CSVIter(data_csv=write("d.csv", "1\n2\n"), data_shape=(1,), batch_size=5,
                 round_batch=False)
    (batch,) = list(it)
    assert batch.pad == 3 and batch.index.tolist() == [0, 1, 0, 1, 0]


def test_no_current_batch_before_next(write):
    it = CSVIter(data_csv=write("d.csv", ROWS), data_shape=(3,), batch_size=2)
    with pytest.raises(MXNetError, match="no current batch"):
        it.getdata()
