"""CSVIter: MXNet's CSV iterator (``src/io/iter_csv.cc`` and its BatchLoader).

MXNet 1.9.1's behaviour is reproduced:

- each row of ``data_csv`` is one example, reshaped to ``data_shape``; each
  row of ``label_csv`` one label of ``label_shape``; without ``label_csv``
  every label is 0;
- a label of one value comes as shape ``(batch,)``, not ``(batch, 1)``;
- ``round_batch=True`` (the default) fills the last batch of an epoch with
  rows from the start of the file, ``pad`` says how many, and the next epoch
  goes on after them (so its first batch is not the file's first rows; an
  epoch whose start is the end of the file is empty). ``round_batch=False``
  starts every epoch at the first row; the padding rows of its last batch
  are those the batch before it had in the same places (MXNet reused its
  batch buffer);
- ``DataBatch.index`` holds the row numbers; ``dtype`` is float32, int32
  or int64, for data and labels alike;
- a directory as ``data_csv`` or ``label_csv`` reads every file in it, in
  name order;
- ``prefetch_buffer`` and ``ctx`` are accepted and change nothing.

Differences: every value is checked. A row with the wrong number of values,
a value that is not a number (with an integer ``dtype``: not an integer of
that type), an empty file, and data and label files of different lengths
are each a :class:`~mxlite.base.FormatError` naming the file and line (MXNet
named neither, skipped a word such as ``x``, read ``1_0`` as 1 and ignored
extra label rows). Unknown keywords raise (MXNet ignored them). When the file
has fewer rows than ``batch_size`` and ``round_batch=False``, the padding rows
repeat the file from its start (MXNet's were zeros). A ``label_shape`` of
``(1, k)`` keeps its shape (MXNet flattened it to ``(batch,)``, losing
values). ``reset()`` starts the epoch after the one last planned; MXNet, too,
expects it after a complete pass.

It is built on :class:`~mxlite.io.NDArrayIter`: the rows are read once, sit
on the device, and :meth:`~mxlite.io.NDArrayIter.device_epoch` works.
"""

from __future__ import annotations

import math
import os
import pathlib
import warnings
from typing import Any

import numpy as np

from ..base import FormatError, ParamError, did_you_mean
from ..datasets import DataNotFoundError
from ..ndarray import array
from .ndarray_iter import NDArrayIter, _Plan

__all__ = ["CSVIter"]

_DTYPES = ("float32", "int32", "int64")
_NO_EFFECT = ("prefetch_buffer", "ctx")


class CSVIter(NDArrayIter):
    """Batches of rows of CSV files (MXNet's ``mx.io.CSVIter``).

    Args:
        data_csv: a CSV file, or a directory of them, one example a row.
        data_shape: the shape of one example; a row holds its product of values.
        batch_size: examples per batch.
        label_csv: the labels, one a row; None (or MXNet's ``'NULL'``) gives
            labels of 0.
        label_shape: the shape of one label.
        round_batch: fill the last batch from the start of the file and go on
            from there in the next epoch (see the module docstring).
        dtype: ``'float32'``, ``'int32'`` or ``'int64'``.
        data_name: the name in ``provide_data``.
        label_name: the name in ``provide_label``.
        **kwargs: ``prefetch_buffer`` and ``ctx`` (no effect); others raise.

    Raises:
        FormatError: a malformed or empty file (the message names the line).
        DataNotFoundError: a file that does not exist.
        ParamError: a bad argument.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "data.csv"
        >>> _ = path.write_text("1,2,3\\n2,3,4\\n3,4,5\\n4,5,6\\n")
        >>> it = CSVIter(data_csv=str(path), data_shape=(3,), batch_size=3)
        >>> [(b.data[0].asnumpy()[:, 0].tolist(), b.pad) for b in it]
        [([1.0, 2.0, 3.0], 0), ([4.0, 1.0, 2.0], 2)]
        >>> it.reset(); [b.index.tolist() for b in it]  # goes on after the padding
        [[2, 3, 0]]
    """

    def __init__(  # MXNet's iterators take keyword arguments only
        self,
        *,
        data_csv: str | os.PathLike,
        data_shape: Any,
        batch_size: int,
        label_csv: str | os.PathLike | None = None,
        label_shape: Any = (1,),
        round_batch: bool = True,
        dtype: str = "float32",
        data_name: str = "data",
        label_name: str = "softmax_label",
        **kwargs: Any,
    ) -> None:
        _check_unused(kwargs)
        dtype = _check_dtype(dtype)
        data_shape = _check_shape("data_shape", data_shape)
        label_shape = _check_shape("label_shape", label_shape)
        _check_batch_size(batch_size)
        data = read_csv(data_csv, data_shape, dtype, "data_shape")
        if label_csv is None or label_csv == "NULL":
            label = np.zeros((len(data), *label_shape), dtype)
        else:
            label = read_csv(label_csv, label_shape, dtype, "label_shape")
            _check_lengths(data_csv, len(data), label_csv, len(label))
        if label_shape[0] == 1 and math.prod(label_shape) == 1:
            label = label.reshape(len(label))  # MXNet's C API made such labels 1-D
        self.round_batch = bool(round_batch)
        self._source = os.fspath(data_csv)
        self._start = 0
        super().__init__(
            array(data, dtype=dtype),
            array(label, dtype=dtype),
            batch_size,
            shuffle=False,
            last_batch_handle="pad",
            data_name=data_name,
            label_name=label_name,
        )

    def _epoch_plan(self, order: np.ndarray, carry: np.ndarray) -> _Plan:
        """The next epoch's batches, by MXNet's BatchLoader (``order`` is 0..N-1)."""
        count, size = self.num_data, self.batch_size
        if not self.round_batch:
            return _plan_without_rounding(count, size)
        rows = np.arange(self._start, count)
        short = -len(rows) % size
        if short > count:
            raise ParamError(
                f"CSVIter: batch_size={size} needs {short} rows from the start "
                f"of {self._source!r} to fill the last batch, but it has "
                f"{count}. Use a smaller batch_size or round_batch=False."
            )
        self._start = short
        rows = np.concatenate([rows, np.arange(short)])
        pad = np.zeros(len(rows) // size, np.int64)
        pad[-1:] = short
        return _Plan(rows.reshape(-1, size).astype(np.int32), pad, np.empty(0, np.int64))


def _plan_without_rounding(count: int, size: int) -> _Plan:
    """Every epoch from row 0; the last batch keeps the rows of the one before."""
    batches = -(-count // size)
    rows = np.arange(batches * size)
    if count >= size:
        stale = rows[count:] - size  # the previous batch's rows in those places
        rows[count:] = stale
    else:
        rows %= count
    pad = np.zeros(batches, np.int64)
    pad[-1] = batches * size - count
    return _Plan(rows.reshape(batches, size).astype(np.int32), pad, np.empty(0, np.int64))


def read_csv(
    path: str | os.PathLike, shape: tuple[int, ...], dtype: np.dtype, what: str
) -> np.ndarray:
    """The rows of a CSV file (or of every file of a directory) as ``(N, *shape)``.

    Raises:
        FormatError: a row of another length, a value that is not of
            ``dtype``, or no rows at all; the message names file and line.
        DataNotFoundError: ``path`` does not exist.
    """
    files = _files(pathlib.Path(path))
    width = math.prod(shape)
    parts = [_read_file(f, width, dtype, f"{what}={shape}") for f in files]
    rows = np.concatenate(parts) if parts else np.empty((0, width), dtype)
    if len(rows) == 0:
        raise FormatError(
            f"CSVIter: {os.fspath(path)!r} holds no rows; expected lines of "
            f"{width} comma-separated values ({what}={shape})."
        )
    return rows.reshape(len(rows), *shape)


def _files(path: pathlib.Path) -> list[pathlib.Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    if not path.is_file():
        raise DataNotFoundError(
            f"CSVIter: {os.fspath(path)!r} does not exist; expected a CSV file "
            "or a directory of them."
        )
    return [path]


def _read_file(path: pathlib.Path, width: int, dtype: np.dtype, expected: str) -> np.ndarray:
    """One file through NumPy's fast reader; on trouble, find the bad line."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "input contained no data"
            rows = np.loadtxt(
                path, delimiter=",", dtype=dtype, ndmin=2, comments=None, encoding="utf-8"
            )
    except ValueError as err:
        raise _bad_line(path, width, dtype, expected) or FormatError(
            f"CSVIter: cannot read {os.fspath(path)!r}: {err}"
        ) from None
    if rows.size == 0:
        return np.empty((0, width), dtype)
    if rows.shape[1] != width:
        raise _bad_line(path, width, dtype, expected)
    return rows


def _bad_line(
    path: pathlib.Path, width: int, dtype: np.dtype, expected: str
) -> FormatError | None:
    """The error for the first line that is not ``width`` values of ``dtype``."""
    with open(path, encoding="utf-8", errors="replace", newline="") as lines:
        for number, line in enumerate(lines, 1):
            text = line.rstrip("\r\n")
            if not text:
                continue  # an empty line is skipped, as NumPy's reader does
            values = text.split(",")
            where = f"CSVIter: {os.fspath(path)!r} line {number}"
            if len(values) != width:
                plural = "" if len(values) == 1 else "s"
                return FormatError(
                    f"{where} has {len(values)} value{plural}; expected {width} "
                    f"({expected})."
                )
            for column, value in enumerate(values, 1):
                if not _parses(value, dtype):
                    kind = "a number" if dtype.kind == "f" else f"an {dtype.name}"
                    return FormatError(
                        f"{where}, column {column}: {value.strip()!r} is not {kind}; "
                        f"expected {width} comma-separated values of {dtype.name} "
                        f"({expected})."
                    )
    return None


def _parses(text: str, dtype: np.dtype) -> bool:
    if "_" in text:  # Python reads 1_000; NumPy's reader does not
        return False
    try:
        value = float(text) if dtype.kind == "f" else int(text)
    except ValueError:
        return False
    if dtype.kind == "f":
        return True
    info = np.iinfo(dtype)
    return info.min <= value <= info.max


def _check_lengths(data_csv: Any, rows: int, label_csv: Any, labels: int) -> None:
    if rows != labels:
        raise FormatError(
            f"CSVIter: label_csv {os.fspath(label_csv)!r} has {labels} rows but "
            f"data_csv {os.fspath(data_csv)!r} has {rows}; expected one label "
            "row per data row."
        )


def _check_shape(name: str, shape: Any) -> tuple[int, ...]:
    dims = (shape,) if isinstance(shape, (int, np.integer)) else shape
    if (
        not isinstance(dims, (tuple, list))
        or not dims
        or any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1
               for d in dims)
    ):
        raise ParamError(
            f"CSVIter: {name} must be a tuple of ints >= 1; got {shape!r}."
        )
    return tuple(int(d) for d in dims)


def _check_batch_size(batch_size: Any) -> None:
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, (int, np.integer))
        or batch_size < 1
    ):
        raise ParamError(f"CSVIter: batch_size must be an int >= 1; got {batch_size!r}.")


def _check_dtype(dtype: Any) -> np.dtype:
    try:
        name = None if dtype is None else np.dtype(dtype).name
    except TypeError:
        name = None
    if name not in _DTYPES:
        raise ParamError(
            f"CSVIter: dtype must be one of {', '.join(map(repr, _DTYPES))}; "
            f"got {dtype!r}.{did_you_mean(str(dtype), _DTYPES)}"
        )
    return np.dtype(name)


def _check_unused(kwargs: dict[str, Any]) -> None:
    """Accept the MXNet keywords that change nothing here; refuse the rest."""
    unknown = sorted(set(kwargs) - set(_NO_EFFECT))
    if unknown:
        known = ("data_csv", "data_shape", "batch_size", "label_csv", "label_shape",
                 "round_batch", "dtype", "data_name", "label_name", *_NO_EFFECT)
        raise ParamError(
            f"CSVIter: unknown argument(s) {', '.join(unknown)}; expected "
            f"{', '.join(known)}.{did_you_mean(unknown[0], known)}"
        )
