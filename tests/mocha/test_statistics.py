"""mxlite.mocha.statistics: the statistics file, the low-pass filter, the learning curve."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from mxlite.base import MissingKeyError, ParamError
from mxlite.datasets.hdf5 import HDF5FormatError
from mxlite.mocha.statistics import (
    load_statistics,
    low_pass,
    plot_learning_curve,
    save_statistics,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _obj_val(n=40):
    rng = np.random.default_rng(0)
    return {100 * i: float(2.0 / (i + 1) + 0.1 * rng.random()) for i in range(n)}


def test_statistics_round_trip_and_layout(tmp_path):
    path = tmp_path / "statistics.jld"
    stats = {"obj_val": _obj_val(), "test-accuracy-accuracy": {1000: 0.9605, 0: 0.1}}
    save_statistics(path, stats)
    back = load_statistics(path)
    assert back == stats
    assert list(back["test-accuracy-accuracy"]) == [0, 1000]  # ascending
    assert back["obj_val"][1700] == stats["obj_val"][1700]
    with h5py.File(path) as f:
        table = f["statistics/test-accuracy-accuracy"]
        assert table.dtype == np.float64 and table.shape == (2, 2)
        np.testing.assert_array_equal(table[()], [[0, 0.1], [1000, 0.9605]])


def test_save_statistics_refuses_bad_rows(tmp_path):
    with pytest.raises(ParamError, match="int iterations >= 0"):
        save_statistics(tmp_path / "s.h5", {"obj_val": {1.5: 0.1}})
    with pytest.raises(ParamError, match="int iterations >= 0"):
        save_statistics(tmp_path / "s.h5", {"obj_val": {1: "x"}})


@pytest.mark.parametrize("table, match", [
    (np.zeros((3, 3)), r"expected \(K, 2\)"),
    (np.array([[1.5, 0.1]]), "whole numbers"),
    (np.array([[-1.0, 0.1]]), "whole numbers"),
    (np.array([[1.0, 0.1], [1.0, 0.2]]), "appears twice"),
])
def test_load_statistics_refuses_hostile_tables(tmp_path, table, match):
    path = tmp_path / "bad.h5"
    with h5py.File(path, "w") as f:
        f["statistics/obj_val"] = table
    with pytest.raises(HDF5FormatError, match=match) as err:
        load_statistics(path)
    assert repr(str(path)) in str(err.value)
    assert "'statistics/obj_val'" in str(err.value)


def test_load_statistics_refuses_other_files(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f["params"] = np.zeros(3)
    with pytest.raises(HDF5FormatError, match="one group 'statistics'"):
        load_statistics(path)
    with h5py.File(path, "w") as f:
        f.create_dataset("statistics/obj_val", shape=(10**9, 2), dtype="f8",
                         chunks=(1, 2))
    with pytest.raises(HDF5FormatError, match="declares shape") as err:
        load_statistics(path)
    assert "'statistics/obj_val'" in str(err.value)


def test_low_pass_matches_the_seeds_loop():
    x = np.random.default_rng(1).standard_normal(23)
    for window in (0, 1, 4, 6, 30):
        want = [x[max(0, i - window):i + 1].mean() for i in range(len(x))]
        np.testing.assert_allclose(low_pass(x, window), want, rtol=1e-12)
    assert low_pass([], 3).shape == (0,)
    assert low_pass(np.array([1, 2], np.int32), 1).dtype == np.float64
    for bad in (-1, 1.5, True):
        with pytest.raises(ParamError, match="window must be an int >= 0"):
            low_pass(x, bad)


def test_plot_learning_curve_writes_a_png(tmp_path):
    path = tmp_path / "statistics.jld"
    save_statistics(path, {"obj_val": _obj_val(), "empty": {}})
    out = plot_learning_curve(path, tmp_path / "curve.png")
    assert out == tmp_path / "curve.png"
    data = out.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 1000
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (640, 480)
    assert plot_learning_curve(path, tmp_path / "w3.png", 3).read_bytes()[:8] == PNG_MAGIC
    with pytest.raises(ParamError, match=r"'empty'.*is empty"):
        plot_learning_curve(path, tmp_path / "e.png", key="empty")
    with pytest.raises(MissingKeyError, match="no statistic 'obj-val'"):
        plot_learning_curve(path, tmp_path / "m.png", key="obj-val")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curve.png", "statistics.jld",
                                                          "w3.png"]
