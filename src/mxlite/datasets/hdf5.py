"""HDF5 files: read defensively, written atomically (h5py).

Mocha.jl kept its data, snapshots and statistics in HDF5. mxlite reads such
files as untrusted input: before any array is read, every dataset on the way
is checked to be a plain, in-file dataset of an expected type whose declared
size stays under a limit. Links that leave the file (soft, external), virtual
and external-storage datasets and object, reference, compound and
variable-length dtypes are refused with one :class:`HDF5FormatError` naming the
file and the dataset. Writes build the whole file in memory and hand it to
:func:`mxlite._fileio.atomic_write_bytes`, so a crash leaves the old file or
the new one, never a torn one.

Arrays are (N, ...) with samples along the first axis (Mocha's Julia arrays had
them last; the bytes on disk are the same).
"""

from __future__ import annotations

import contextlib
import io
import math
import numbers
import os
import pathlib
from collections.abc import Iterator, Mapping, Sequence

import h5py
import numpy as np

from .._fileio import HEAD_BYTES, atomic_write_bytes, describe_file_start
from ..base import FormatError, MissingKeyError, MXNetError, ParamError
from .mnist import DataNotFoundError, load_mnist_raw

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DATA_BYTES",
    "DatasetReader",
    "HDF5FormatError",
    "checked_dataset",
    "convert_mnist",
    "open_checked",
    "read_attrs",
    "read_tree",
    "write_tree",
]

DEFAULT_MAX_BYTES = 1 << 30
"""What :func:`read_tree` reads at most, all datasets together (1 GiB)."""

DEFAULT_MAX_DATA_BYTES = 1 << 38
"""The largest declared dataset a :class:`DatasetReader` accepts (256 GiB);
it reads rows on demand, so this guards against absurd shapes, not memory."""

_MAX_ROW_BYTES = 1 << 28  # one sample of a data file (256 MiB)
_MAX_DEPTH = 32  # group nesting read_tree follows (a hard-link cycle ends here)
_MAX_OBJECTS = 100_000  # groups and datasets read_tree visits
_NUMERIC = "fiu"  # float, signed and unsigned int


class HDF5FormatError(FormatError):
    """An HDF5 file is not one, is truncated, or holds what mxlite refuses to read."""


def _describe(path: str | os.PathLike, name: str | None = None) -> str:
    where = repr(os.fspath(path))
    return where if name is None else f"{where}, dataset {name!r}"


def _error(where: str, path, name: str | None, what: str) -> HDF5FormatError:
    return HDF5FormatError(f"{where}: {_describe(path, name)}: {what}")


# ---------------------------------------------------------------- writing


def write_tree(
    path: str | os.PathLike,
    tree: Mapping[str, object],
    *,
    attrs: Mapping[str, object] | None = None,
) -> None:
    """Write a nested dict as the groups and datasets of an HDF5 file, atomically.

    Dicts become groups, NumPy arrays contiguous uncompressed datasets (so they
    can be memory-mapped), numbers and strings scalar datasets. ``attrs`` go
    on the root group. The file is built in memory and renamed into place.

    Raises:
        ParamError: a key is not a plain name or a value has no HDF5 form.

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.h5"
        >>> write_tree(p, {"a": {"w": np.arange(3.0)}, "n": 5, "s": "hi"})
        >>> read_tree(p, where="example")
        {'a': {'w': array([0., 1., 2.])}, 'n': 5, 's': 'hi'}
    """
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        _write_group(f, tree, os.fspath(path))
        for key, value in (attrs or {}).items():
            f.attrs[_key(key, path)] = _scalar_or_array(value, key, path)
    with buffer.getbuffer() as view:
        atomic_write_bytes(path, view)


def _key(key: object, path) -> str:
    if not isinstance(key, str) or not key or "/" in key or key in (".", ".."):
        raise ParamError(
            f"write_tree({os.fspath(path)!r}): keys must be non-empty strings "
            f"without '/'; got {key!r}."
        )
    return key


def _write_group(group: h5py.Group, tree: Mapping[str, object], path) -> None:
    for key, value in tree.items():
        name = _key(key, path)
        if isinstance(value, Mapping):
            _write_group(group.create_group(name), value, path)
        else:
            group.create_dataset(name, data=_scalar_or_array(value, name, path))


def _scalar_or_array(value: object, name: str, path) -> object:
    if isinstance(value, str):
        return np.array(value, dtype=h5py.string_dtype())
    if isinstance(value, (numbers.Number, np.generic)) and not isinstance(value, complex):
        value = np.asarray(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "U":
            return value.astype(h5py.string_dtype())
        if value.dtype.kind in _NUMERIC + "b":
            return value
    raise ParamError(
        f"write_tree({os.fspath(path)!r}): {name!r} must be a dict, a NumPy "
        f"array of numbers or strings, a number or a string; got "
        f"{type(value).__name__}{getattr(value, 'dtype', '')}."
    )


# ---------------------------------------------------------------- checked access


@contextlib.contextmanager
def open_checked(path: str | os.PathLike, *, where: str) -> Iterator[h5py.File]:
    """Open an HDF5 file read-only; a missing or non-HDF5 file is one clear error.

    Use :func:`checked_dataset` on the yielded file to reach its datasets.

    Raises:
        DataNotFoundError: there is no such file.
        HDF5FormatError: the file is not HDF5, or is truncated.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise DataNotFoundError(
            f"{where}: {path!r} does not exist or is not a file. Give the "
            "path of an HDF5 file."
        )
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise _error(where, path, None, f"not a readable HDF5 file (truncated or "
                     f"another format{_looks_like(path)}); h5py said: {e}") from e
    with f:
        try:
            yield f
        except MXNetError:
            raise
        except (RuntimeError, KeyError, OSError) as e:
            # NOTE: h5py reports damaged metadata met after opening (B-trees,
            # heaps, object headers) as RuntimeError or KeyError, not OSError.
            raise _error(where, path, None, "is corrupt (damaged HDF5 metadata); "
                         f"h5py said: {e}") from e


def _looks_like(path: str) -> str:
    """``"; it looks like <kind>"`` from the file's first bytes, or ``""``."""
    try:
        with open(path, "rb") as f:
            hint = describe_file_start(f.read(HEAD_BYTES))
    except OSError:
        return ""
    return f"; {hint}" if hint else ""


def checked_dataset(
    file: h5py.File,
    name: str,
    *,
    where: str,
    kinds: str = _NUMERIC,
    ndim: int | Sequence[int] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> h5py.Dataset:
    """The dataset ``name`` of an open file, checked before anything is read.

    Args:
        file: a file from :func:`open_checked`.
        name: the dataset's path in the file (``"a/b"``); every link on the way
            must be a hard link.
        kinds: NumPy dtype kinds allowed (``"fiu"``: numbers; add ``"S"`` for
            strings, which allows fixed- and variable-length strings only).
        ndim: the number of dimensions allowed (an int or several), or None.
        max_bytes: the most the declared shape may hold.

    Raises:
        MissingKeyError: there is no such dataset.
        HDF5FormatError: anything else is wrong; the message names file and dataset.
    """
    obj = _resolve(file, name, where)
    if not isinstance(obj, h5py.Dataset):
        raise _error(where, file.filename, name, "is a group, not a dataset.")
    if obj.shape is None:
        raise _error(where, file.filename, name, "has an empty (null) dataspace.")
    _check_storage(obj, name, where)
    _check_dtype(obj, name, where, kinds)
    if ndim is not None and obj.ndim not in np.atleast_1d(ndim).tolist():
        raise _error(where, file.filename, name, f"has {obj.ndim} dimensions, shape "
                     f"{obj.shape}; expected {ndim}.")
    nbytes = math.prod(obj.shape) * obj.dtype.itemsize
    if nbytes > max_bytes:
        raise _error(where, file.filename, name, f"declares shape {obj.shape} of "
                     f"{obj.dtype}, {nbytes} bytes; the limit is {max_bytes}.")
    return obj


def _resolve(file: h5py.File, name: str, where: str) -> h5py.HLObject:
    """Follow ``name`` one hard link at a time (soft and external links refused)."""
    obj, walked = file, ""
    for part in (p for p in name.split("/") if p):
        walked = f"{walked}/{part}" if walked else part
        link = obj.get(part, getlink=True) if isinstance(obj, h5py.Group) else None
        if link is None:
            raise MissingKeyError(
                f"{where}: {_describe(file.filename, name)}: no such dataset "
                f"({walked!r} is missing)."
            )
        if not isinstance(link, h5py.HardLink):
            raise _error(where, file.filename, name, f"{walked!r} is a "
                         f"{type(link).__name__}; only objects stored in the file "
                         "itself are read.")
        obj = obj[part]
    return obj


def _check_storage(ds: h5py.Dataset, name: str, where: str) -> None:
    if ds.is_virtual:
        raise _error(where, ds.file.filename, name, "is a virtual dataset (its data "
                     "lives in other files); only in-file data is read.")
    if ds.external:
        raise _error(where, ds.file.filename, name, "has external storage (its data "
                     "lives in other files); only in-file data is read.")


def _check_dtype(ds: h5py.Dataset, name: str, where: str, kinds: str) -> None:
    try:
        dtype = ds.dtype
    except (TypeError, ValueError) as e:  # an HDF5 type NumPy has no form for
        raise _error(where, ds.file.filename, name, f"has an unsupported type: {e}") from e
    if "S" in kinds and h5py.check_string_dtype(dtype) is not None:
        return
    # Variable-length data and references are kind 'O', compound and opaque 'V'.
    if dtype.fields is None and dtype.kind in kinds.replace("S", ""):
        return
    got = "compound" if dtype.fields else (
        "a reference" if h5py.check_ref_dtype(dtype) else (
            "variable-length" if h5py.check_vlen_dtype(dtype) else str(dtype)))
    allowed = " or ".join({"f": "float", "i": "int", "u": "unsigned int",
                           "b": "bool", "S": "string"}[k] for k in kinds)
    raise _error(where, ds.file.filename, name, f"has dtype {got}; expected {allowed}.")


# ---------------------------------------------------------------- small files


def read_tree(
    path: str | os.PathLike, *, where: str, max_bytes: int = DEFAULT_MAX_BYTES
) -> dict:
    """Read a whole (small) HDF5 file into a nested dict, refusing hostile input.

    Groups become dicts; datasets become NumPy arrays, or Python numbers and
    strings when scalar. Numeric and string datasets only, at most
    ``max_bytes`` declared bytes in all, checked before any read.

    Args:
        path: the file.
        where: who is reading, for messages (``"load_statistics"``).
        max_bytes: the limit on all datasets together.

    Raises:
        DataNotFoundError: there is no such file.
        HDF5FormatError: the file is not HDF5, truncated, or holds something
            refused (see the module's doc); the message names file and dataset.
    """
    with open_checked(path, where=where) as f:
        budget = [max_bytes, _MAX_OBJECTS, max_bytes]  # bytes left, objects left, limit
        return _read_group(f, "", where, budget)


def _read_group(file: h5py.File, prefix: str, where: str, budget: list) -> dict:
    if prefix.count("/") >= _MAX_DEPTH:
        raise _error(where, file.filename, prefix, f"nests groups deeper than "
                     f"{_MAX_DEPTH}; refused.")
    out = {}
    for key in _resolve(file, prefix, where):
        if not isinstance(key, str):
            raise _error(where, file.filename, prefix or "/", f"holds a member "
                         f"whose name is not UTF-8: {key[:40]!r}.")
        name = f"{prefix}/{key}" if prefix else key
        try:
            is_group = isinstance(_resolve(file, name, where), h5py.Group)
        except MissingKeyError as e:  # listed by its group, yet not there
            raise _error(where, file.filename, name, "is listed by its group but "
                         "cannot be opened; the file is corrupt.") from e
        budget[1] -= 1
        if budget[1] < 0:
            raise _error(where, file.filename, name, f"the file holds more than "
                         f"{_MAX_OBJECTS} objects; refused.")
        if is_group:
            out[key] = _read_group(file, name, where, budget)
            continue
        ds = checked_dataset(file, name, where=where, kinds=_NUMERIC + "bS",
                             max_bytes=budget[2])
        budget[0] -= math.prod(ds.shape) * ds.dtype.itemsize
        if budget[0] < 0:
            raise _error(where, file.filename, name, f"declares shape {ds.shape}; with "
                         f"the datasets read before it the file exceeds the limit of "
                         f"{budget[2]} bytes.")
        out[key] = _read_dataset(ds, name, where)
    return out


def _read_dataset(ds: h5py.Dataset, name: str, where: str) -> object:
    try:
        if h5py.check_string_dtype(ds.dtype) is not None or ds.dtype.kind == "S":
            value = ds.asstr()[()]
        else:
            value = ds[()]
    except (OSError, ValueError, TypeError, UnicodeDecodeError) as e:
        raise _error(where, ds.file.filename, name, f"cannot be read (corrupt or "
                     f"using an unavailable filter); h5py said: {e}") from e
    if isinstance(value, np.ndarray) and value.ndim:
        return value
    return value.item() if isinstance(value, (np.ndarray, np.generic)) else value


def read_attrs(
    path: str | os.PathLike, *, where: str, max_bytes: int = 1 << 20
) -> dict:
    """The root group's attributes of an HDF5 file (numbers and strings only).

    Raises:
        DataNotFoundError, HDF5FormatError: as :func:`read_tree`.
    """
    out = {}
    with open_checked(path, where=where) as f:
        for key in f.attrs:
            aid = h5py.h5a.open(f.id, key.encode())
            dtype, shape = aid.dtype, aid.shape or ()
            is_str = h5py.check_string_dtype(dtype) is not None
            if not is_str and (dtype.fields or dtype.kind not in _NUMERIC + "S"):
                raise _error(where, path, f"attribute {key}", f"has dtype {dtype}; "
                             "expected numbers or strings.")
            if math.prod(shape) * dtype.itemsize > max_bytes:
                raise _error(where, path, f"attribute {key}", f"declares shape "
                             f"{shape}; the limit is {max_bytes} bytes.")
            value = f.attrs[key]
            out[key] = value.item() if isinstance(value, np.generic) else value
    return out


# ---------------------------------------------------------------- data files


class DatasetReader:
    """Rows of a few same-length numeric datasets of one HDF5 file, on demand.

    Checked at open: every name exists and is a plain in-file numeric dataset
    with at least one dimension, all share their first dimension (the sample
    count), and no declared size is absurd. Contiguous uncompressed datasets
    are memory-mapped, as Mocha did, so shuffled rows cost a NumPy gather;
    chunked or compressed ones are read a chunk at a time.

    Args:
        path: the HDF5 file.
        names: the datasets (Mocha's tops), e.g. ``("data", "label")``.
        where: who is reading, for messages (``"HDF5DataLayer('train-data')"``).
        max_bytes: the largest declared dataset accepted.

    Raises:
        DataNotFoundError: the file does not exist.
        MissingKeyError: a dataset does not exist.
        HDF5FormatError: anything else; the message names file and dataset.

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "d.h5"
        >>> write_tree(p, {"data": np.arange(6.0).reshape(3, 2), "label": np.arange(3)})
        >>> with DatasetReader(p, ["data", "label"], where="example") as r:
        ...     r.n_samples, r.read_rows([2, 0])["data"]
        (3, array([[4., 5.],
               [0., 1.]]))
    """

    def __init__(
        self,
        path: str | os.PathLike,
        names: Sequence[str],
        *,
        where: str,
        max_bytes: int = DEFAULT_MAX_DATA_BYTES,
    ) -> None:
        self.path, self.names, self.where = os.fspath(path), tuple(names), where
        if not self.names:
            raise ParamError(f"{where}: no dataset names (tops) given for {self.path!r}.")
        self._stack = contextlib.ExitStack()
        try:
            file = self._stack.enter_context(open_checked(path, where=where))
            self._datasets = {n: self._checked(file, n, max_bytes) for n in self.names}
            self.n_samples = self._common_length()
            self._maps = {n: self._memmap(ds) for n, ds in self._datasets.items()}
        except BaseException:
            self._stack.close()
            raise
        self._blocks: dict[str, tuple[int, np.ndarray]] = {}

    @property
    def sample_shapes(self) -> dict[str, tuple[int, ...]]:
        """Each dataset's shape without the sample axis."""
        return {n: tuple(ds.shape[1:]) for n, ds in self._datasets.items()}

    @property
    def dtypes(self) -> dict[str, np.dtype]:
        """Each dataset's dtype, as stored."""
        return {n: ds.dtype for n, ds in self._datasets.items()}

    def read_rows(self, indices: Sequence[int] | np.ndarray) -> dict[str, np.ndarray]:
        """The rows ``indices`` (any order, repeats allowed) of every dataset.

        Raises:
            ParamError: an index is not an int in ``[0, n_samples)``.
        """
        idx = np.asarray(indices)
        if idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
            raise ParamError(f"{self.where}: row indices must be a 1-D int array; got "
                             f"{idx.dtype} with shape {idx.shape}.")
        idx = idx.astype(np.intp, copy=False)
        if idx.size and (idx.min() < 0 or idx.max() >= self.n_samples):
            raise ParamError(f"{self.where}: row indices range over [{idx.min()}, "
                             f"{idx.max()}] but {self.path!r} holds {self.n_samples} "
                             "samples.")
        return {n: self._rows(n, idx) for n in self.names}

    def close(self) -> None:
        """Release the memory maps and the file."""
        self._maps, self._blocks = {}, {}
        self._stack.close()

    def __enter__(self) -> DatasetReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _checked(self, file: h5py.File, name: str, max_bytes: int) -> h5py.Dataset:
        ds = checked_dataset(file, name, where=self.where, max_bytes=max_bytes)
        row_bytes = math.prod(ds.shape[1:]) * ds.dtype.itemsize
        chunk_bytes = math.prod(ds.chunks or ()) * ds.dtype.itemsize
        if ds.ndim < 1 or row_bytes > _MAX_ROW_BYTES or chunk_bytes > 4 * _MAX_ROW_BYTES:
            raise _error(self.where, self.path, name, f"has shape {ds.shape} (chunks "
                         f"{ds.chunks}); expected (N, ...) with samples of at most "
                         f"{_MAX_ROW_BYTES} bytes and chunks of at most "
                         f"{4 * _MAX_ROW_BYTES}.")
        return ds

    def _common_length(self) -> int:
        lengths = {n: ds.shape[0] for n, ds in self._datasets.items()}
        if len(set(lengths.values())) > 1:
            raise _error(self.where, self.path, ", ".join(lengths), f"the datasets "
                         f"hold different sample counts (first dimension); got "
                         f"{lengths}. Every top needs one row per sample.")
        return next(iter(lengths.values()))

    def _memmap(self, ds: h5py.Dataset) -> np.ndarray | None:
        """A read-only map of a contiguous, allocated, unfiltered dataset, else None."""
        offset = ds.id.get_offset() if ds.chunks is None else None
        nbytes = math.prod(ds.shape) * ds.dtype.itemsize
        if offset is None or nbytes == 0:
            return None
        # NOTE: H5Dget_offset counts from the start of the file, userblock included.
        if offset + nbytes > os.path.getsize(self.path):
            raise _error(self.where, self.path, ds.name.lstrip("/"), f"its "
                         f"{nbytes} bytes at offset {offset} run past the end of the "
                         "file; the file is truncated.")
        return np.memmap(self.path, dtype=ds.dtype, mode="r", offset=offset,
                         shape=ds.shape)

    def _rows(self, name: str, idx: np.ndarray) -> np.ndarray:
        mapped = self._maps[name]
        if mapped is not None:
            return np.asarray(mapped[idx])
        ds = self._datasets[name]
        unique, inverse = np.unique(idx, return_inverse=True)
        out = np.empty((unique.size, *ds.shape[1:]), ds.dtype)
        per_block = ds.chunks[0] if ds.chunks else max(1, (1 << 20) // max(
            1, math.prod(ds.shape[1:]) * ds.dtype.itemsize))
        blocks = unique // per_block
        starts = np.flatnonzero(np.r_[True, blocks[1:] != blocks[:-1]]) if unique.size \
            else np.zeros(0, np.intp)
        for start, stop in zip(starts, np.r_[starts[1:], unique.size]):
            lo = int(blocks[start]) * per_block
            out[start:stop] = self._block(name, lo, per_block)[unique[start:stop] - lo]
        return out[inverse]

    def _block(self, name: str, lo: int, per_block: int) -> np.ndarray:
        """Rows ``lo .. lo + per_block`` (one chunk), the last one kept for reuse."""
        cached = self._blocks.get(name)
        if cached is not None and cached[0] == lo:
            return cached[1]
        ds = self._datasets[name]
        try:
            block = ds[lo:min(lo + per_block, ds.shape[0])]
        except (OSError, ValueError, TypeError) as e:
            raise _error(self.where, self.path, name, f"cannot be read (corrupt or "
                         f"using an unavailable filter); h5py said: {e}") from e
        self._blocks[name] = (lo, block)
        return block


def convert_mnist(
    directory: str | os.PathLike, *, mnist_path: str | os.PathLike | None = None
) -> dict[str, pathlib.Path]:
    """Write MNIST as Mocha's tutorial reads it: HDF5 files and source lists.

    Writes ``train.hdf5`` and ``test.hdf5`` into ``directory`` (created if
    missing), each with ``data`` (N, 1, 28, 28) float32 = pixel / 256, in
    [0, 1) as Mocha's converter scaled it, and ``label`` (N, 1) float32 holding
    the 0-based class; both contiguous and uncompressed, so a reader can
    memory-map them. ``train.txt`` and ``test.txt`` each name their file
    relative to the list's folder. Every file is written atomically.

    Mocha's converter shuffled the samples inside each file; this keeps MNIST's
    order (the first test image is a 7, as in every other dialect), since
    ``HDF5DataLayer(shuffle=true)`` shuffles anyway and a fixed order makes
    runs comparable across dialects.

    Args:
        directory: where to write.
        mnist_path: the MNIST IDX files (default: as :func:`load_mnist`).

    Returns:
        ``train``, ``test`` (the HDF5 files) and ``train_list``, ``test_list``.
    """
    out = pathlib.Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    raw = load_mnist_raw(mnist_path)
    paths = {}
    for split in ("train", "test"):
        images, labels = raw[f"{split}_data"], raw[f"{split}_label"]
        data = images.reshape(len(images), 1, *images.shape[1:]).astype(np.float32)
        data *= np.float32(1 / 256)  # a power of two: exact, same bits as / 256
        label = labels.astype(np.float32).reshape(-1, 1)
        paths[split] = out / f"{split}.hdf5"
        write_tree(paths[split], {"data": data, "label": label})
        paths[f"{split}_list"] = out / f"{split}.txt"
        atomic_write_bytes(paths[f"{split}_list"], f"{split}.hdf5\n".encode())
    return paths
