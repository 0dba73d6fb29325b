"""Mocha's statistics file and the LeNet tutorial's learning curve.

Mocha's coffee lounge saved ``Dict{String, Dict{Int, Float}}`` (statistic name
to {iteration => value}) under the key ``"statistics"`` of a JLD file, and the
tutorial plots ``stats["statistics"]["obj_val"]`` with a low-pass filter. Here
the file is plain HDF5: a group ``statistics`` with one (K, 2) float64 dataset
per name, rows ``[iteration, value]`` sorted by iteration, written atomically.
``load_statistics(p)["obj_val"][1700]`` reads what Mocha's
``load(p)["statistics"]["obj_val"][1700]`` read.
"""

from __future__ import annotations

import io
import numbers
import os
import pathlib
from collections.abc import Mapping, Sequence

import numpy as np

from .._fileio import atomic_write_bytes
from ..base import MissingKeyError, ParamError
from ..datasets.hdf5 import HDF5FormatError, read_tree, write_tree

__all__ = ["load_statistics", "low_pass", "plot_learning_curve", "save_statistics"]

_MAX_BYTES = 1 << 28  # a statistics file holds a few rows per statistic


def save_statistics(
    path: str | os.PathLike, stats: Mapping[str, Mapping[int, float]]
) -> None:
    """Write ``{name: {iteration: value}}`` as Mocha's statistics file, atomically.

    Raises:
        ParamError: a name is not a plain string, an iteration not an int >= 0,
            or a value not a real number.

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "statistics.h5"
        >>> save_statistics(p, {"obj_val": {200: 0.25, 100: 0.5}})
        >>> load_statistics(p)
        {'obj_val': {100: 0.5, 200: 0.25}}
    """
    tables = {}
    for name, series in stats.items():
        rows = []
        for iteration, value in series.items():
            if not isinstance(iteration, numbers.Integral) or iteration < 0 or \
                    not isinstance(value, numbers.Real):
                raise ParamError(f"save_statistics({os.fspath(path)!r}): statistic "
                                 f"{name!r} needs int iterations >= 0 and real "
                                 f"values; got {iteration!r} => {value!r}.")
            rows.append((int(iteration), float(value)))
        tables[name] = np.array(sorted(rows), np.float64).reshape(-1, 2)
    write_tree(path, {"statistics": tables})


def load_statistics(path: str | os.PathLike) -> dict[str, dict[int, float]]:
    """Read a statistics file: ``{name: {iteration: value}}``, iterations ascending.

    Raises:
        DataNotFoundError: there is no such file.
        HDF5FormatError: it is not a statistics file, or a dataset is not (K, 2)
            float rows with whole, distinct iterations >= 0 (names file and dataset).
    """
    where = "load_statistics"
    tree = read_tree(path, where=where, max_bytes=_MAX_BYTES)
    tables = tree.get("statistics")
    if set(tree) != {"statistics"} or not isinstance(tables, dict):
        raise HDF5FormatError(f"{where}: {os.fspath(path)!r}: expected one group "
                              f"'statistics'; got {sorted(tree)}.")
    return {name: _series(table, os.fspath(path), name) for name, table in tables.items()}


def _series(table: object, path: str, name: str) -> dict[int, float]:
    def fail(what: str) -> HDF5FormatError:
        return HDF5FormatError(f"load_statistics: {path!r}, dataset "
                               f"'statistics/{name}': {what}")

    if not isinstance(table, np.ndarray) or table.ndim != 2 or table.shape[1] != 2 \
            or table.dtype.kind not in "fiu":
        got = f"{table.dtype} {table.shape}" if isinstance(table, np.ndarray) else table
        raise fail(f"expected (K, 2) rows [iteration, value]; got {got!r}.")
    iterations = table[:, 0]
    whole = np.isfinite(iterations) & (iterations == np.floor(iterations))
    if not whole.all() or (iterations < 0).any() or (iterations >= 2**53).any():
        raise fail(f"iterations must be whole numbers >= 0; got {iterations[~whole][:3]}"
                   f" among {iterations[:3]}...")
    if len(np.unique(iterations)) != len(iterations):
        raise fail("an iteration appears twice.")
    order = np.argsort(iterations, kind="stable")
    return {int(i): float(v) for i, v in table[order]}


def low_pass(values: Sequence[float] | np.ndarray, window: int) -> np.ndarray:
    """The tutorial's smoothing: element i is the mean of ``values[max(0, i - window):i + 1]``.

    Args:
        values: a 1-D series.
        window: how many earlier elements join each mean, an int >= 0
            (0 returns the series itself).

    Example:
        >>> low_pass([1.0, 3.0, 5.0, 7.0], 1)
        array([1., 2., 4., 6.])
    """
    if not isinstance(window, numbers.Integral) or isinstance(window, bool) or window < 0:
        raise ParamError(f"low_pass: window must be an int >= 0; got {window!r}.")
    x = np.asarray(values, np.float64)
    if x.ndim != 1:
        raise ParamError(f"low_pass: values must be 1-D; got shape {x.shape}.")
    sums = np.concatenate([[0.0], np.cumsum(x)])
    hi = np.arange(1, len(x) + 1)
    lo = np.maximum(0, hi - 1 - int(window))
    return (sums[hi] - sums[lo]) / (hi - lo)


def plot_learning_curve(
    stats_path: str | os.PathLike,
    out_png: str | os.PathLike,
    window: int | None = None,
    *,
    key: str = "obj_val",
) -> pathlib.Path:
    """Plot the tutorial's learning curve (raw and low-pass objective) into a PNG.

    Args:
        stats_path: a statistics file (:func:`save_statistics`).
        out_png: the PNG to write (atomically).
        window: the low-pass window; default a quarter of the series, rounded
            (Julia's ``round``, ties to even, as Python's).
        key: the statistic to plot.

    Returns:
        ``out_png`` as a Path.

    Raises:
        MissingKeyError: the file has no statistic ``key``.
        ParamError: the series is empty or ``window`` is bad.
    """
    series = load_statistics(stats_path)
    if key not in series:
        raise MissingKeyError(f"plot_learning_curve: {os.fspath(stats_path)!r} has no "
                              f"statistic {key!r}; it has {sorted(series)}.")
    if not series[key]:
        raise ParamError(f"plot_learning_curve: statistic {key!r} in "
                         f"{os.fspath(stats_path)!r} is empty; nothing to plot yet.")
    x = np.fromiter(series[key].keys(), np.int64)
    y = np.fromiter(series[key].values(), np.float64)
    smooth = low_pass(y, round(len(y) / 4) if window is None else window)
    atomic_write_bytes(out_png, _render(x, y, smooth))
    return pathlib.Path(out_png)


def _render(x: np.ndarray, y: np.ndarray, smooth: np.ndarray) -> bytes:
    # NOTE: matplotlib is slow to import and only plotting needs it; Figure +
    # FigureCanvasAgg leave pyplot's global backend alone.
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    fig = Figure(figsize=(6.4, 4.8), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot(x, y, linewidth=1, label="Raw")
    ax.plot(x, smooth, linewidth=2, label="Low Pass")
    ax.set_xlabel("Iteration")
    ax.set_ylabel("Objective Value")
    ax.set_title("MNIST Learning Curve")
    ax.legend()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
