"""mxlite.io.hdf5_stream: Mocha's HDF5DataLayer batches, epochs and exact resume."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

from mxlite.base import FormatError, MissingKeyError, ParamError
from mxlite.datasets.hdf5 import HDF5FormatError, read_tree, write_tree
from mxlite.datasets.mnist import DataNotFoundError
from mxlite.io.hdf5_stream import HDF5Stream
from mxlite.io.labels import check_class_labels

SIZES = (7, 5)  # two files of different sizes; 12 samples per epoch


@pytest.fixture
def source(tmp_path):
    """Two HDF5 files (7 and 5 samples) whose ``label`` is the global sample id."""
    start = 0
    for i, n in enumerate(SIZES):
        ids = np.arange(start, start + n)
        data = (ids[:, None, None, None] * np.ones((1, 2, 3))).astype(np.float32)
        write_tree(tmp_path / f"part{i}.h5", {"data": data, "label": ids[:, None]})
        start += n
    # one relative path, one absolute path, and blank lines
    lst = tmp_path / "list.txt"
    lst.write_text(f"part0.h5\n\n  \n{tmp_path / 'part1.h5'}\n")
    return lst


def _ids(batch):
    return batch["label"][:, 0].tolist()


def test_batches_cross_file_and_epoch_boundaries_in_order(source):
    s = HDF5Stream(source, 5, ("data", "label"))
    assert s.n_samples == 12 and s.sample_shapes == {"data": (1, 2, 3), "label": (1,)}
    assert s.dtypes == {"data": np.float32, "label": np.int64}
    seen, epochs, until = [], [], []
    for _ in range(6):
        until.append(s.batches_until_epoch_end())
        batch = s.take(1)
        assert batch["data"].shape == (5, 1, 2, 3) and batch["data"].dtype == np.float32
        np.testing.assert_array_equal(batch["data"][:, 0, 1, 2], batch["label"][:, 0])
        seen.append(_ids(batch))
        epochs.append(s.epoch)
    assert seen == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11, 0, 1, 2],
                    [3, 4, 5, 6, 7], [8, 9, 10, 11, 0], [1, 2, 3, 4, 5]]
    assert epochs == [0, 0, 1, 1, 2, 2]
    assert until == [3, 2, 1, 2, 1, 3]


def test_shuffle_permutes_files_per_epoch_and_samples_per_entry(source):
    s = HDF5Stream(source, 4, shuffle=True, seed=3)
    epochs = [_ids(s.take(3)) for _ in range(4)]  # 12 rows: one epoch each
    assert s.epoch == 4
    for ids in epochs:
        assert sorted(ids) == list(range(12))
        first = ids[:7] if ids[0] < 7 else ids[:5]  # a file is read through
        assert len({i < 7 for i in first}) == 1
    assert len({tuple(ids) for ids in epochs}) == 4
    orders = {ids[0] < 7 for ids in epochs}
    assert orders == {True, False}, "file order never changed across 4 epochs"
    again = HDF5Stream(source, 4, shuffle=True, seed=3)
    assert _ids(again.take(3)) == epochs[0]
    assert _ids(HDF5Stream(source, 4, shuffle=True, seed=4).take(3)) != epochs[0]


def test_a_batch_larger_than_an_epoch(source):
    s = HDF5Stream(source, 30)
    assert s.batches_until_epoch_end() == 1
    assert _ids(s.take(1)) == list(range(12)) * 2 + list(range(6))
    assert s.epoch == 2 and s.batches_until_epoch_end() == 1


def test_peek_does_not_advance_and_take_returns_the_same(source):
    s = HDF5Stream(source, 5, shuffle=True, seed=1)
    s.take(1)
    state = s.state()
    peeked = s.peek(2)
    assert not peeked["data"].flags.writeable
    assert json.dumps(s.state(), default=str) == json.dumps(state, default=str)
    taken = s.take(2)
    np.testing.assert_array_equal(taken["label"], peeked["label"])
    assert taken["data"].flags.writeable
    other = HDF5Stream(source, 5, shuffle=True, seed=1)
    other.take(1)
    np.testing.assert_array_equal(other.take(2)["label"], taken["label"])
    assert s.peek(1)["label"].shape == (5, 1)
    np.testing.assert_array_equal(s.take(3)["label"], other.take(3)["label"])


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("k", [0, 1, 2, 5, 7])
def test_restore_continues_exactly(source, shuffle, k):
    s = HDF5Stream(source, 5, shuffle=shuffle, seed=11)
    for _ in range(k):
        s.take(1)
    state = s.state()
    expected = [s.take(1) for _ in range(8)]  # crosses several epoch boundaries
    resumed = HDF5Stream(source, 5, shuffle=shuffle, seed=999)
    resumed.take(2)
    resumed.restore(json.loads(json.dumps(state, default=lambda a: a.tolist())))
    assert resumed.epoch == state["epoch"]
    for want in expected:
        got = resumed.take(1)
        np.testing.assert_array_equal(got["label"], want["label"])
        np.testing.assert_array_equal(got["data"], want["data"])
    assert resumed.epoch == s.epoch


def test_state_survives_an_hdf5_round_trip(source, tmp_path):
    s = HDF5Stream(source, 5, shuffle=True, seed=2)
    s.take(3)
    write_tree(tmp_path / "state.h5", {"stream": s.state()})
    resumed = HDF5Stream(source, 5, shuffle=True)
    resumed.restore(read_tree(tmp_path / "state.h5", where="t")["stream"])
    np.testing.assert_array_equal(resumed.take(4)["label"], s.take(4)["label"])


def _tampered(state, **changes):
    out = dict(state)
    out.update(changes)
    return out


@pytest.mark.parametrize("change, key", [
    ({"order": np.array([0, 0])}, "order"),
    ({"order": np.array([1.0, 0.0])}, "order"),
    ({"slot": 2}, "slot"),
    ({"pos": 7}, "pos"),
    ({"pos": -1}, "pos"),
    ({"perm": np.arange(6)}, "perm"),
    ({"epoch": True}, "epoch"),
    ({"rng": {"state": "0x1"}}, "rng"),
    ({"rng": {"state": "zz", "inc": "0x1", "has_uint32": 0, "uinteger": 0}}, "rng"),
    ({"n_rows": np.array([7, 6])}, "n_rows"),
    ({"shuffle": False}, "shuffle"),
])
def test_restore_refuses_hostile_states(source, change, key):
    s = HDF5Stream(source, 5, shuffle=True)
    state = s.state()
    state["order"], state["slot"], state["pos"] = np.array([1, 0]), 0, 0
    state["perm"] = np.arange(5)  # file 1 holds 5 samples
    s.restore(state)  # the untampered state is accepted
    before = s.state()
    with pytest.raises(FormatError, match=rf"state\[{key!r}\]"):
        s.restore(_tampered(state, **change))
    assert json.dumps(s.state(), default=str) == json.dumps(before, default=str)
    with pytest.raises(FormatError, match="'perm'"):
        s.restore({k: v for k, v in state.items() if k != "perm"})


def test_source_list_errors_name_the_list(tmp_path, source):
    where = "HDF5DataLayer('train-data')"
    with pytest.raises(DataNotFoundError, match=r"source list .*missing\.txt") as err:
        HDF5Stream(tmp_path / "missing.txt", 5, where=where)
    assert where in str(err.value)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n")
    with pytest.raises(FormatError, match="names no file"):
        HDF5Stream(empty, 5, where=where)
    bad = tmp_path / "bad.txt"
    bad.write_text("part0.h5\nnot-there.h5\n")
    with pytest.raises(DataNotFoundError, match=r"not-there\.h5") as err:
        HDF5Stream(bad, 5, where=where)
    assert where in str(err.value) and "bad.txt" in str(err.value)
    with pytest.raises(MissingKeyError, match="'image'") as err:
        HDF5Stream(source, 5, ("image", "label"), where=where)
    assert "part0.h5" in str(err.value)


@pytest.mark.parametrize("batch_size", [0, -1, 2.0, True])
def test_batch_size_must_be_a_positive_int(source, batch_size):
    with pytest.raises(ParamError, match="batch_size must be an int > 0"):
        HDF5Stream(source, batch_size)


def test_bad_files_in_the_list(tmp_path, source):
    write_tree(tmp_path / "wide.h5", {"data": np.zeros((3, 1, 2, 4), np.float32),
                                      "label": np.zeros((3, 1))})
    (tmp_path / "mixed.txt").write_text("part0.h5\nwide.h5\n")
    with pytest.raises(HDF5FormatError, match=r"\(1, 2, 4\)") as err:
        HDF5Stream(tmp_path / "mixed.txt", 5)
    assert "wide.h5" in str(err.value) and "'data'" in str(err.value)
    with h5py.File(tmp_path / "text.h5", "w") as f:
        f.create_dataset("data", data=np.array([b"a", b"b"]))
        f.create_dataset("label", data=np.zeros(2))
    (tmp_path / "text.txt").write_text("text.h5\n")
    with pytest.raises(HDF5FormatError, match="has dtype") as err:
        HDF5Stream(tmp_path / "text.txt", 5)
    assert "text.h5" in str(err.value) and "'data'" in str(err.value)
    write_tree(tmp_path / "counts.h5", {"data": np.zeros((3, 2)), "label": np.zeros(4)})
    (tmp_path / "counts.txt").write_text("counts.h5\n")
    with pytest.raises(HDF5FormatError, match="different sample counts"):
        HDF5Stream(tmp_path / "counts.txt", 5)


def test_check_class_labels():
    check_class_labels(np.array([[0.0], [9.0]], np.float32), 10, "t")
    check_class_labels(np.array([0, 9], np.uint8), 10, "t")
    with pytest.raises(ParamError, match=r"whole class numbers in \[0, 10\); got 2\.5"):
        check_class_labels(np.array([1.0, 2.5]), 10, "AccuracyLayer('acc')")
    with pytest.raises(ParamError, match=r"range over \[0, 10\]"):
        check_class_labels(np.array([0.0, 10.0]), 10, "t")
    with pytest.raises(ParamError, match=r"whole class numbers in \[0, 10\); got nan"):
        check_class_labels(np.array([np.nan]), 10, "t")
