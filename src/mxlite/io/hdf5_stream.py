"""The batch stream behind Mocha's ``HDF5DataLayer``: HDF5 files named by a list.

Mocha.jl's data layer (``src/layers/hdf5-data.jl``) reads the HDF5 files named
in a text file, one dataset per top, and hands out batches that **run across
file and epoch boundaries**: no padding, no dropped tail. With ``shuffle`` the
file order is a fresh random permutation at every epoch and each file's samples
a fresh permutation whenever the file is entered. The epoch counter goes up when
the last sample of the last file has been used.

:class:`HDF5Stream` does the same over :class:`mxlite.datasets.hdf5.DatasetReader`
(memory-mapped rows, never whole files), with its own seeded generator so a run
can be resumed exactly: :meth:`HDF5Stream.state` and :meth:`HDF5Stream.restore`.
Samples are along the first axis, (N, C, H, W) (Mocha's Julia arrays had them
last).
"""

from __future__ import annotations

import math
import numbers
import os
import pathlib
from collections.abc import Mapping, Sequence

import numpy as np

from ..base import FormatError, ParamError
from ..datasets.hdf5 import DatasetReader, HDF5FormatError
from ..datasets.mnist import DataNotFoundError

__all__ = ["HDF5Stream", "read_source_list", "rng_from_file", "rng_to_file",
           "state_int", "state_permutation"]

_STATE_KEYS = ("epoch", "order", "slot", "pos", "perm", "rng", "n_rows", "shuffle")


def read_source_list(source: str | os.PathLike, *, where: str) -> list[pathlib.Path]:
    """The HDF5 paths a Mocha source list names, one per line, blank lines skipped.

    Relative paths are taken relative to the list's own folder.

    Raises:
        DataNotFoundError: the list does not exist.
        FormatError: it is not text or names no file.
    """
    path = pathlib.Path(source)
    if not path.is_file():
        raise DataNotFoundError(f"{where}: the source list {os.fspath(path)!r} does "
                                "not exist. Give a text file naming one HDF5 file "
                                "per line (mxlite mnist-hdf5 DIR writes one).")
    try:
        lines = path.read_text("utf-8").splitlines()
    except (UnicodeDecodeError, OSError) as e:
        raise FormatError(f"{where}: the source list {os.fspath(path)!r} is not a "
                          f"readable text file: {e}") from e
    files = [path.parent / line.strip() for line in lines if line.strip()]
    if not files:
        raise FormatError(f"{where}: the source list {os.fspath(path)!r} names no "
                          "file; got only blank lines. Write one HDF5 path per line.")
    return files


class HDF5Stream:
    """Batches of ``tops`` from the HDF5 files a source list names, Mocha's way.

    Args:
        source: a text file naming HDF5 files, one per line, relative to its
            folder (absolute paths allowed); blank lines are skipped.
        batch_size: rows per batch, > 0.
        tops: the dataset read for each output, e.g. ``("data", "label")``.
        shuffle: permute the file order each epoch and each file's samples
            whenever it is entered.
        seed: the seed of the stream's own ``numpy.random.Generator(PCG64)``.
        where: who reads, for messages (``"HDF5DataLayer('train-data')"``).

    Raises:
        ParamError: a bad ``batch_size`` or ``tops``.
        DataNotFoundError: the list or a file it names does not exist.
        MissingKeyError: a file lacks a top's dataset.
        FormatError: a file is not usable (its message names file and dataset).

    Example:
        >>> import tempfile, pathlib
        >>> from mxlite.datasets.hdf5 import write_tree
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> write_tree(d / "a.h5", {"data": np.arange(5.0)[:, None], "label": np.arange(5)})
        >>> _ = (d / "list.txt").write_text("a.h5\\n")
        >>> s = HDF5Stream(d / "list.txt", 2, ("data", "label"))
        >>> [s.take(1)["label"].tolist() for _ in range(3)], s.epoch
        ([[0, 1], [2, 3], [4, 0]], 1)
    """

    def __init__(
        self,
        source: str | os.PathLike,
        batch_size: int,
        tops: Sequence[str] = ("data", "label"),
        *,
        shuffle: bool = False,
        seed: int = 0,
        where: str = "HDF5DataLayer",
    ) -> None:
        self.where = where
        self.batch_size = _positive_int(batch_size, "batch_size", where)
        self.tops = _tops(tops, where)
        self.shuffle = bool(shuffle)
        self.files = read_source_list(source, where=where)
        self._readers: list[DatasetReader] = []
        try:
            for path in self.files:
                listed = f"{where} (listed in {os.fspath(source)!r})"
                self._readers.append(DatasetReader(path, self.tops, where=listed))
            self.sample_shapes, self.dtypes = self._common_layout()
        except BaseException:
            self.close()
            raise
        self._rows = np.array([r.n_samples for r in self._readers], np.int64)
        self.n_samples = int(self._rows.sum())
        self._rng = np.random.Generator(np.random.PCG64(seed))
        self.epoch, self._slot, self._pos = 0, 0, 0
        self._order = self._draw_order()
        self._perm = self._draw_perm()
        self._peeked: tuple | None = None

    # ------------------------------------------------------------ reading

    def take(self, n_batches: int = 1) -> dict[str, np.ndarray]:
        """The next ``n_batches * batch_size`` rows of every top, advancing.

        Arrays keep the files' dtype (the caller casts). A batch may span files
        and epochs, as in Mocha.
        """
        n_batches = _positive_int(n_batches, "n_batches", self.where)
        peeked, self._peeked = self._peeked, None
        if peeked is not None and peeked[0] == n_batches:
            self._set_cursor(peeked[2])
            return peeked[1]
        return self._advance(n_batches * self.batch_size)

    def peek(self, n_batches: int = 1) -> dict[str, np.ndarray]:
        """What :meth:`take` would return now, without advancing (RNG included).

        The arrays are read-only; the next ``take(n_batches)`` returns them
        (writable) without reading again.
        """
        n_batches = _positive_int(n_batches, "n_batches", self.where)
        before = self._cursor()
        try:
            out = self._advance(n_batches * self.batch_size)
            self._peeked = (n_batches, out, self._cursor())
        finally:
            self._set_cursor(before)
        views = {top: a.view() for top, a in out.items()}
        for view in views.values():
            view.flags.writeable = False
        return views

    def batches_until_epoch_end(self) -> int:
        """How many ``take(1)`` calls until :attr:`epoch` goes up (that one included)."""
        left = int(self._rows[self._order[self._slot:]].sum()) - self._pos
        return math.ceil(left / self.batch_size)

    def close(self) -> None:
        """Close every file."""
        for reader in self._readers:
            reader.close()

    def __enter__(self) -> HDF5Stream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ resuming

    def state(self) -> dict:
        """The position in the stream, RNG included, as JSON-able values and arrays.

        ``restore(state())`` on a stream over the same files continues with
        exactly the batches this one would have given. The generator's 128-bit
        words are hex strings so the state fits an HDF5 or JSON file.
        """
        cursor = self._cursor()
        rng = cursor["rng"]
        return {
            "epoch": cursor["epoch"], "order": cursor["order"].copy(),
            "slot": cursor["slot"], "pos": cursor["pos"],
            "perm": np.zeros(0, np.int64) if cursor["perm"] is None
            else cursor["perm"].copy(),
            "rng": rng_to_file(rng),
            "n_rows": self._rows.copy(), "shuffle": self.shuffle,
        }

    def restore(self, state: Mapping) -> None:
        """Continue from a :meth:`state`; everything is checked before use.

        Raises:
            FormatError: the state is malformed, or was saved over other files or
                with another ``shuffle``.
        """
        self._set_cursor(_checked_cursor(state, self._rows, self.shuffle, self.where))
        self._peeked = None

    # ------------------------------------------------------------ internals

    def _common_layout(self) -> tuple[dict, dict]:
        first = self._readers[0]
        shapes, dtypes = first.sample_shapes, dict(first.dtypes)
        for reader in self._readers:
            if reader.n_samples == 0:
                raise HDF5FormatError(f"{reader.where}: {reader.path!r} holds no "
                                      f"samples (datasets {list(self.tops)}).")
            for top in self.tops:
                if reader.sample_shapes[top] != shapes[top]:
                    raise HDF5FormatError(
                        f"{reader.where}: {reader.path!r}, dataset {top!r}: samples "
                        f"have shape {reader.sample_shapes[top]} but in "
                        f"{first.path!r} they have {shapes[top]}. Every listed file "
                        "needs the same sample shape.")
                dtypes[top] = np.result_type(dtypes[top], reader.dtypes[top])
        return shapes, dtypes

    def _draw_order(self) -> np.ndarray:
        n = len(self._readers)
        return self._rng.permutation(n) if self.shuffle else np.arange(n)

    def _draw_perm(self) -> np.ndarray | None:
        rows = int(self._rows[self._order[self._slot]])
        return self._rng.permutation(rows) if self.shuffle else None

    def _next_file(self) -> None:
        """The current file is used up: enter the next one (or the next epoch)."""
        self._slot, self._pos = self._slot + 1, 0
        if self._slot == len(self._readers):
            self.epoch, self._slot = self.epoch + 1, 0
            self._order = self._draw_order()
        self._perm = self._draw_perm()

    def _advance(self, total: int) -> dict[str, np.ndarray]:
        out = {t: np.empty((total, *self.sample_shapes[t]), self.dtypes[t])
               for t in self.tops}
        done = 0
        while done < total:
            file = int(self._order[self._slot])
            count = min(total - done, int(self._rows[file]) - self._pos)
            stop = self._pos + count
            idx = np.arange(self._pos, stop) if self._perm is None \
                else self._perm[self._pos:stop]
            for top, rows in self._readers[file].read_rows(idx).items():
                out[top][done:done + count] = rows
            done, self._pos = done + count, stop
            if self._pos == self._rows[file]:
                self._next_file()
        return out

    def _cursor(self) -> dict:
        return {"epoch": self.epoch, "order": self._order, "slot": self._slot,
                "pos": self._pos, "perm": self._perm, "rng": self._rng.bit_generator.state}

    def _set_cursor(self, cursor: Mapping) -> None:
        self.epoch, self._order = cursor["epoch"], cursor["order"]
        self._slot, self._pos, self._perm = cursor["slot"], cursor["pos"], cursor["perm"]
        self._rng.bit_generator.state = cursor["rng"]


def _positive_int(value: object, name: str, where: str) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value <= 0:
        raise ParamError(f"{where}: {name} must be an int > 0; got {value!r}.")
    return int(value)


def _tops(tops: Sequence[str], where: str) -> tuple[str, ...]:
    ok = not isinstance(tops, str) and all(isinstance(t, str) and t for t in tops)
    if not ok or not tops or len(set(tops)) != len(tops):
        raise ParamError(f"{where}: tops must be distinct dataset names, e.g. "
                         f"['data', 'label']; got {tops!r}.")
    return tuple(tops)


# ---------------------------------------------------------------- state checks


def _bad_state(where: str, key: str, what: str, got: object) -> FormatError:
    return FormatError(f"{where}: stream state[{key!r}] {what}; got {got!r:.200}. "
                       "Restore a state saved by the same stream over the same files.")


def state_int(state: Mapping, key: str, hi: int, where: str) -> int:
    """``state[key]``, an int in ``[0, hi)`` (FormatError otherwise)."""
    value = state[key]
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) \
            or not 0 <= value < hi:
        raise _bad_state(where, key, f"must be an int in [0, {hi})", value)
    return int(value)


def state_permutation(state: Mapping, key: str, n: int, where: str) -> np.ndarray:
    """``state[key]`` as an int64 array that is a permutation of ``range(n)``."""
    value = np.asarray(state[key])
    ok = value.shape == (n,) and (n == 0 or value.dtype.kind in "iu")
    if ok and n:
        ok = bool(np.array_equal(np.sort(value), np.arange(n)))
    if not ok:
        raise _bad_state(where, key, f"must be a permutation of range({n})", value)
    return value.astype(np.int64)


def rng_to_file(state: Mapping) -> dict:
    """A PCG64 ``bit_generator.state`` with its 128-bit words as hex strings
    (HDF5 and JSON hold no such ints); :func:`rng_from_file` reads it back."""
    return {"state": hex(state["state"]["state"]), "inc": hex(state["state"]["inc"]),
            "has_uint32": int(state["has_uint32"]), "uinteger": int(state["uinteger"])}


def rng_from_file(value: object, where: str) -> dict:
    """The generator state :func:`rng_to_file` wrote, checked (FormatError)."""
    try:
        words = {k: int(value[k], 16) for k in ("state", "inc")}
        has, extra = value["has_uint32"], value["uinteger"]
    except (TypeError, KeyError, ValueError) as e:
        raise _bad_state(where, "rng", "must hold hex 'state' and 'inc' words and "
                         "'has_uint32', 'uinteger'", value) from e
    ok = all(0 <= w < 1 << 128 for w in words.values()) and has in (0, 1) and \
        isinstance(extra, numbers.Integral) and 0 <= extra < 1 << 32
    if not ok:
        raise _bad_state(where, "rng", "holds out-of-range words", value)
    return {"bit_generator": "PCG64", "state": words, "has_uint32": int(has),
            "uinteger": int(extra)}


def _checked_cursor(state: Mapping, rows: np.ndarray, shuffle: bool, where: str) -> dict:
    """A cursor from a :meth:`HDF5Stream.state`, every field checked against the files."""
    if not isinstance(state, Mapping):
        raise _bad_state(where, "", "must be a dict from HDF5Stream.state()", state)
    for key in _STATE_KEYS:
        if key not in state:
            raise _bad_state(where, key, "is missing", sorted(state))
    if not np.array_equal(np.asarray(state["n_rows"]), rows):
        raise _bad_state(where, "n_rows", f"says the files hold {rows.tolist()} "
                         "samples", state["n_rows"])
    if not isinstance(state["shuffle"], (bool, np.bool_)) or state["shuffle"] != shuffle:
        raise _bad_state(where, "shuffle", f"must be {shuffle}", state["shuffle"])
    order = state_permutation(state, "order", len(rows), where)
    if not shuffle and not np.array_equal(order, np.arange(len(rows))):
        raise _bad_state(where, "order", "must be the list order without shuffle", order)
    slot = state_int(state, "slot", len(rows), where)
    current = int(rows[order[slot]])
    perm = state_permutation(state, "perm", current if shuffle else 0, where)
    return {"epoch": state_int(state, "epoch", 1 << 62, where), "order": order,
            "slot": slot, "pos": state_int(state, "pos", current, where),
            "perm": perm if shuffle else None, "rng": rng_from_file(state["rng"], where)}
