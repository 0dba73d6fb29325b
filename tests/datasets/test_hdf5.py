"""mxlite.datasets.hdf5: atomic writes, defensive reads, row reads, MNIST conversion."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest

from mxlite._fileio import remove_stale_temporaries
from mxlite.base import FormatError, MissingKeyError, ParamError
from mxlite.cli.main import main
from mxlite.datasets import load_mnist_raw
from mxlite.datasets.hdf5 import (
    DatasetReader,
    HDF5FormatError,
    checked_dataset,
    open_checked,
    read_attrs,
    read_tree,
    write_tree,
)
from mxlite.datasets.mnist import DataNotFoundError

# ---------------------------------------------------------------- write_tree / read_tree


def test_tree_round_trip_keeps_values_and_types(tmp_path):
    w = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    tree = {"params_all": {"ip1": {"0": w, "1": np.arange(4, dtype=np.int16)}},
            "solver_state": {"iteration": 5000, "obj_val": 0.125, "name": "SGD",
                             "flag": True}}
    path = tmp_path / "snapshot-005000.jld"
    write_tree(path, tree, attrs={"format": "mxlite-mocha", "version": 1})
    back = read_tree(path, where="t")
    np.testing.assert_array_equal(back["params_all"]["ip1"]["0"], w)
    assert back["params_all"]["ip1"]["0"].dtype == np.float32
    assert back["params_all"]["ip1"]["1"].dtype == np.int16
    assert back["solver_state"] == {"iteration": 5000, "obj_val": 0.125, "name": "SGD",
                                    "flag": True}
    assert read_attrs(path, where="t") == {"format": "mxlite-mocha", "version": 1}
    with h5py.File(path) as f:  # contiguous, unfiltered: memory-mappable
        assert f["params_all/ip1/0"].chunks is None
        assert f["params_all/ip1/0"].compression is None


def test_write_tree_replaces_atomically_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "s.h5"
    write_tree(path, {"a": np.zeros(3)})
    with pytest.raises(ParamError, match="'bad'"):
        write_tree(path, {"bad": object()})
    np.testing.assert_array_equal(read_tree(path, where="t")["a"], np.zeros(3))
    assert os.listdir(tmp_path) == ["s.h5"]


@pytest.mark.parametrize("key", ["", "a/b", 3])
def test_write_tree_refuses_keys_that_are_not_plain_names(tmp_path, key):
    with pytest.raises(ParamError, match="keys must be non-empty strings"):
        write_tree(tmp_path / "k.h5", {key: 1})


def test_remove_stale_temporaries_by_file_and_by_directory(tmp_path):
    for name in (".s.h5.abcd_123.tmp", ".t.h5.zzzzzzzz.tmp", ".s.h5.short.tmp", "s.h5"):
        (tmp_path / name).write_bytes(b"x")
    removed = remove_stale_temporaries(tmp_path / "s.h5")
    assert [os.path.basename(p) for p in removed] == [".s.h5.abcd_123.tmp"]
    assert remove_stale_temporaries(tmp_path / "s.h5", min_age_s=3600) == []
    removed = remove_stale_temporaries(tmp_path)
    assert [os.path.basename(p) for p in removed] == [".t.h5.zzzzzzzz.tmp"]
    assert sorted(os.listdir(tmp_path)) == [".s.h5.short.tmp", "s.h5"]


# ---------------------------------------------------------------- hostile files


def _assert_names(err: pytest.ExceptionInfo, path, dataset: str | None) -> None:
    message = str(err.value)
    assert repr(str(path)) in message, message
    if dataset is not None:
        assert repr(dataset) in message, message


def test_garbage_and_truncated_files_are_format_errors(tmp_path):
    garbage = tmp_path / "garbage.h5"
    garbage.write_bytes(b"not an HDF5 file at all" * 100)
    with pytest.raises(HDF5FormatError, match="not a readable HDF5 file") as err:
        read_tree(garbage, where="t")
    _assert_names(err, garbage, None)
    good = tmp_path / "good.h5"
    write_tree(good, {"data": np.arange(10_000.0)})
    cut = tmp_path / "cut.h5"
    cut.write_bytes(good.read_bytes()[:5000])
    with pytest.raises(HDF5FormatError) as err:
        read_tree(cut, where="t")
    _assert_names(err, cut, None)
    with pytest.raises(HDF5FormatError, match="truncated") as err:
        DatasetReader(cut, ["data"], where="t")  # HDF5 checks the stored end of file
    _assert_names(err, cut, None)
    assert issubclass(HDF5FormatError, FormatError)


def test_missing_file_and_missing_dataset(tmp_path):
    with pytest.raises(DataNotFoundError, match="does not exist") as err:
        read_tree(tmp_path / "nope.h5", where="t")
    _assert_names(err, tmp_path / "nope.h5", None)
    path = tmp_path / "d.h5"
    write_tree(path, {"data": np.zeros((2, 3))})
    with pytest.raises(MissingKeyError, match="no such dataset") as err:
        DatasetReader(path, ["data", "label"], where="t")
    _assert_names(err, path, "label")


def test_links_that_leave_the_file_are_refused(tmp_path):
    other = tmp_path / "other.h5"
    write_tree(other, {"x": np.ones(3)})
    path = tmp_path / "links.h5"
    with h5py.File(path, "w") as f:
        f["data"] = np.zeros(3)
        f["ext"] = h5py.ExternalLink(str(other), "/x")
    with pytest.raises(HDF5FormatError, match="ExternalLink") as err:
        read_tree(path, where="t")
    _assert_names(err, path, "ext")
    with h5py.File(path, "w") as f:
        f["data"] = np.zeros(3)
        f["soft"] = h5py.SoftLink("/data")
    with pytest.raises(HDF5FormatError, match="SoftLink") as err:
        read_tree(path, where="t")
    _assert_names(err, path, "soft")


def test_virtual_and_external_storage_are_refused(tmp_path):
    raw = tmp_path / "raw.bin"
    np.arange(4, dtype="<f4").tofile(raw)
    path = tmp_path / "ext.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("data", shape=(4,), dtype="<f4", external=[(str(raw), 0, 16)])
    with pytest.raises(HDF5FormatError, match="external storage") as err:
        read_tree(path, where="t")
    _assert_names(err, path, "data")
    layout = h5py.VirtualLayout(shape=(3,), dtype="f8")
    layout[:] = h5py.VirtualSource(str(tmp_path / "other.h5"), "x", shape=(3,))
    with h5py.File(path, "w") as f:
        f.create_virtual_dataset("data", layout)
    with pytest.raises(HDF5FormatError, match="virtual") as err:
        DatasetReader(path, ["data"], where="t")
    _assert_names(err, path, "data")


@pytest.mark.parametrize("dtype", [
    h5py.string_dtype(), h5py.vlen_dtype(np.float32), h5py.ref_dtype,
    np.dtype([("a", "f4"), ("b", "i4")]),
])
def test_data_reader_refuses_non_numeric_dtypes(tmp_path, dtype):
    path = tmp_path / "dt.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("data", shape=(3,), dtype=dtype)
    with pytest.raises(HDF5FormatError, match="has dtype") as err:
        DatasetReader(path, ["data"], where="HDF5DataLayer('d')")
    _assert_names(err, path, "data")
    assert "HDF5DataLayer('d')" in str(err.value)


def test_read_tree_refuses_compound_and_references(tmp_path):
    path = tmp_path / "c.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("g/rec", shape=(2,), dtype=[("a", "f4"), ("b", "i4")])
    with pytest.raises(HDF5FormatError, match="compound") as err:
        read_tree(path, where="t")
    _assert_names(err, path, "g/rec")


def test_huge_declared_shape_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("data", shape=(10**12, 784), dtype="f4", chunks=(1, 784))
        f.create_dataset("label", shape=(10**12, 1), dtype="f4", chunks=(1, 1))
    assert path.stat().st_size < 100_000
    with pytest.raises(HDF5FormatError, match="declares shape") as err:
        DatasetReader(path, ["data", "label"], where="t")
    _assert_names(err, path, "data")
    with pytest.raises(HDF5FormatError, match="declares shape") as err:
        read_tree(path, where="t", max_bytes=1 << 20)
    _assert_names(err, path, "data")


def test_read_tree_budget_covers_all_datasets_together(tmp_path):
    path = tmp_path / "two.h5"
    write_tree(path, {"a": np.zeros(100), "b": np.zeros(100)})  # 800 bytes each
    assert set(read_tree(path, where="t", max_bytes=1600)) == {"a", "b"}
    with pytest.raises(HDF5FormatError, match="exceeds the limit of 1500") as err:
        read_tree(path, where="t", max_bytes=1500)
    _assert_names(err, path, "b")


def test_checked_dataset_checks_ndim_and_kind(tmp_path):
    path = tmp_path / "n.h5"
    write_tree(path, {"m": np.zeros((2, 2)), "s": "text"})
    with open_checked(path, where="t") as f:
        assert checked_dataset(f, "m", where="t", ndim=2).shape == (2, 2)
        with pytest.raises(HDF5FormatError, match="has 2 dimensions"):
            checked_dataset(f, "m", where="t", ndim=(1, 3))
        with pytest.raises(HDF5FormatError, match="expected float or int"):
            checked_dataset(f, "s", where="t")
        assert checked_dataset(f, "s", where="t", kinds="S").shape == ()


# ---------------------------------------------------------------- DatasetReader


def _data_file(path, n=50, chunks=None, compression=None):
    rng = np.random.default_rng(1)
    data = rng.standard_normal((n, 1, 3, 2)).astype(np.float32)
    label = rng.integers(0, 10, (n, 1)).astype(np.float32)
    with h5py.File(path, "w") as f:
        f.create_dataset("data", data=data, chunks=chunks, compression=compression)
        f.create_dataset("label", data=label)
    return data, label


@pytest.mark.parametrize("layout", [{}, {"chunks": (4, 1, 3, 2), "compression": "gzip"},
                                    {"chunks": (1, 1, 3, 2)}])
def test_read_rows_any_order_with_repeats(tmp_path, layout):
    path = tmp_path / "d.h5"
    data, label = _data_file(path, **layout)
    idx = np.array([49, 0, 7, 7, 23, 3, 48, 1, 22])
    with DatasetReader(path, ["data", "label"], where="t") as reader:
        assert (reader._maps["data"] is None) == bool(layout)
        assert reader.n_samples == 50
        assert reader.sample_shapes == {"data": (1, 3, 2), "label": (1,)}
        rows = reader.read_rows(idx)
        np.testing.assert_array_equal(rows["data"], data[idx])
        np.testing.assert_array_equal(rows["label"], label[idx])
        np.testing.assert_array_equal(reader.read_rows(np.arange(50))["data"], data)
        assert reader.read_rows(np.zeros(0, np.int64))["data"].shape == (0, 1, 3, 2)
        with pytest.raises(ParamError, match=r"range over \[0, 50\]"):
            reader.read_rows([0, 50])


def test_reader_refuses_differing_sample_counts_and_scalars(tmp_path):
    path = tmp_path / "m.h5"
    write_tree(path, {"data": np.zeros((5, 2)), "label": np.zeros(4), "s": 3.0})
    with pytest.raises(HDF5FormatError, match="different sample counts") as err:
        DatasetReader(path, ["data", "label"], where="t")
    _assert_names(err, path, "data, label")
    with pytest.raises(HDF5FormatError, match=r"has shape \(\)") as err:
        DatasetReader(path, ["s"], where="t")
    _assert_names(err, path, "s")


# ---------------------------------------------------------------- real MNIST, CLI


@pytest.fixture
def run_mnist_hdf5():
    """``main(argv)`` with its stdout and stderr captured."""
    def run(argv: list[str]) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
        return code, out.getvalue(), err.getvalue()

    return run


def test_convert_mnist_through_the_cli(tmp_path, run_mnist_hdf5):
    code, out, err = run_mnist_hdf5(["mnist-hdf5", str(tmp_path / "data")])
    assert code == 0, err
    assert out.splitlines() == [f"wrote {tmp_path / 'data' / name}" for name in
                                ("train.hdf5", "train.txt", "test.hdf5", "test.txt")]
    assert (tmp_path / "data" / "train.txt").read_text() == "train.hdf5\n"
    assert (tmp_path / "data" / "test.txt").read_text() == "test.hdf5\n"
    raw = load_mnist_raw()
    for split, n in (("train", 60000), ("test", 10000)):
        with h5py.File(tmp_path / "data" / f"{split}.hdf5") as f:
            data, label = f["data"], f["label"]
            assert data.shape == (n, 1, 28, 28) and data.dtype == np.float32
            assert label.shape == (n, 1) and label.dtype == np.float32
            assert data.chunks is None and data.compression is None
            head = data[:100]
            np.testing.assert_array_equal(
                head[:, 0], raw[f"{split}_data"][:100].astype(np.float32) / 256)
            assert head.min() >= 0.0 and head.max() == 255 / 256
            np.testing.assert_array_equal(label[:, 0], raw[f"{split}_label"])
            assert set(np.unique(label[:, 0])) == set(range(10))
    with h5py.File(tmp_path / "data" / "test.hdf5") as f:
        assert f["label"][0, 0] == 7.0
    _time_shuffled_reads(tmp_path / "data" / "train.hdf5")


def _time_shuffled_reads(path):
    """100 batches of 64 shuffled rows from the 60000x1x28x28 train file."""
    rng = np.random.default_rng(0)
    with DatasetReader(path, ["data", "label"], where="t") as reader:
        batches = [rng.permutation(60000)[:64] for _ in range(100)]
        start = time.perf_counter()
        for idx in batches:
            rows = reader.read_rows(idx)
        elapsed = time.perf_counter() - start
    assert rows["data"].shape == (64, 1, 28, 28)
    assert elapsed < 0.5, f"100 shuffled batches took {elapsed:.3f} s"


def test_cli_reports_an_unusable_directory_in_one_line(tmp_path, run_mnist_hdf5):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, out, err = run_mnist_hdf5(["mnist-hdf5", str(blocker)])
    assert code == 1 and out == ""
    assert err.startswith("mxlite mnist-hdf5: error:") and err.count("\n") == 1
    assert str(blocker) in err


def test_sigkill_mid_write_leaves_the_old_file_and_a_removable_temporary(tmp_path):
    path = tmp_path / "snap.h5"
    write_tree(path, {"w": np.zeros(4)})
    script = (f"import numpy as np\nfrom mxlite.datasets.hdf5 import write_tree\n"
              f"while True:\n    write_tree({str(path)!r}, {{'w': np.ones(2**25)}})\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen([sys.executable, "-c", script], env=env)
    try:
        deadline = time.monotonic() + 60
        while not any(p.name.endswith(".tmp") for p in tmp_path.iterdir()):
            assert child.poll() is None and time.monotonic() < deadline
            time.sleep(0.001)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    w = read_tree(path, where="t")["w"]  # the old file or a complete new one
    assert w.shape in ((4,), (2**25,)) and len(set(w.tolist()[:4])) == 1
    removed = remove_stale_temporaries(path)
    assert len(removed) == 1 and os.listdir(tmp_path) == ["snap.h5"]
