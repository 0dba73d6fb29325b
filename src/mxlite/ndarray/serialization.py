"""MXNet 1.x NDArray-list files (``mx.nd.save`` / ``.params``) in pure numpy.

Layout (little-endian; docs/semantics.md, "Checkpoint files and the
``.params`` format")::

    uint64 0x112, uint64 0, uint64 count, count x record,
    uint64 n_names (0 or count), n_names x (uint64 len, utf-8 bytes)

Records are written as V2 (magic 0xF993FAC9, dense, cpu(0)), byte-identical to
MXNet 1.9.1. V1, V2, V3 and pre-V1 legacy records are read.

The reader treats every file as hostile: it never unpickles, and every count,
ndim, dimension and length is checked against the bytes that remain before
anything is allocated. Any problem raises :class:`~mxlite.base.FormatError`
naming the file, the byte offset, what was found and what was expected.
"""

from __future__ import annotations

import os
import struct
import sys
from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from mxlite._fileio import HEAD_BYTES, atomic_writer, describe_file_start
from mxlite.base import DTypeError, FormatError, ShapeError

__all__ = ["dumps_arrays", "load_arrays", "loads_arrays", "save_arrays"]

ArrayData = dict[str, np.ndarray] | list[np.ndarray]

_LIST_MAGIC = 0x112
_V1_MAGIC = 0xF993FAC8
_V2_MAGIC = 0xF993FAC9
_V3_MAGIC = 0xF993FACA
_MAX_NDIM = 32
_INT64_MAX = 2**63 - 1
_MIN_RECORD_BYTES = 4  # a legacy "none" record is a lone uint32
# dev_type cpu, dev_id 0: what MXNet writes after as_in_context(cpu()).
_CPU_CONTEXT = (1, 0)

_U32 = struct.Struct("<I")
_I32 = struct.Struct("<i")
_U64 = struct.Struct("<Q")
_RECORD_HEAD = struct.Struct("<Iii")  # magic, stype, ndim
_RECORD_TAIL = struct.Struct("<iii")  # dev_type, dev_id, type_flag
_FILE_HEAD = struct.Struct("<QQQ")  # list magic, reserved, count

# mshadow type flags. MXNet 1.9.1 itself refuses to load flags 8-11
# ("Unknown type enum 8"); MXNet 2 reads them.
# fmt: off
_FLAG_NAMES = (
    "float32", "float64", "float16", "uint8", "int32", "int8", "int64", "bool",
    "int16", "uint16", "uint32", "uint64", "bfloat16",
)
# fmt: on
_NAME_TO_FLAG = {name: flag for flag, name in enumerate(_FLAG_NAMES)}
_STYPE_NAMES = {1: "row_sparse", 2: "csr"}


def _flag_dtype(flag: int) -> np.dtype | None:
    """Native numpy dtype for an mshadow type flag, or None if unsupported."""
    if not 0 <= flag < len(_FLAG_NAMES):
        return None
    if _FLAG_NAMES[flag] != "bfloat16":
        return np.dtype(_FLAG_NAMES[flag])
    try:
        import ml_dtypes  # noqa: PLC0415  (optional: only bfloat16 arrays need it)
    except ImportError:
        return None
    return np.dtype(ml_dtypes.bfloat16)


# ----------------------------------------------------------------------------
# Writing


def _record_chunks(label: str, value: np.ndarray) -> Iterator[bytes | memoryview]:
    """Yield the bytes of one V2 dense record: header, then the raw data."""
    arr = np.asarray(value)
    flag = _NAME_TO_FLAG.get(arr.dtype.name) if arr.dtype.fields is None else None
    if flag is None:
        raise DTypeError(
            f"cannot save {label}: dtype {arr.dtype} has no MXNet type flag; "
            f"supported: {', '.join(_FLAG_NAMES)}"
        )
    if arr.ndim == 0:
        raise ShapeError(
            f"cannot save {label}: MXNet 1.x NDArray files have no 0-d arrays "
            "(a record with ndim 0 means 'none' and MXNet misreads the data after it); "
            "reshape it to (1,)"
        )
    if arr.ndim > _MAX_NDIM:
        raise ShapeError(f"cannot save {label}: ndim {arr.ndim} exceeds {_MAX_NDIM}")
    arr = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("="))
    if sys.byteorder == "big":
        arr = arr.byteswap()
    yield (
        _RECORD_HEAD.pack(_V2_MAGIC, 0, arr.ndim)
        + struct.pack(f"<{arr.ndim}q", *arr.shape)
        + _RECORD_TAIL.pack(*_CPU_CONTEXT, flag)
    )
    yield memoryview(arr.reshape(-1).view(np.uint8))


def _iter_chunks(data: ArrayData) -> Iterator[bytes | memoryview]:
    """Yield the whole file as byte chunks, so saving never joins big buffers."""
    if isinstance(data, np.ndarray):
        data = [data]
    if isinstance(data, Mapping):
        names = list(data.keys())
        bad = [k for k in names if not isinstance(k, str)]
        if bad:
            raise TypeError(
                f"array names must be str, got {type(bad[0]).__name__} {bad[0]!r}"
            )
        values = list(data.values())
        labels = [f"array {k!r}" for k in names]
    elif isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        names, values = [], list(data)
        labels = [f"array at index {i}" for i in range(len(values))]
    else:
        raise TypeError(
            "save expects a dict of str -> array or a list of arrays, "
            f"got {type(data).__name__}"
        )
    yield _U64.pack(_LIST_MAGIC) + _U64.pack(0) + _U64.pack(len(values))
    for label, value in zip(labels, values):
        yield from _record_chunks(label, value)
    yield _U64.pack(len(names))
    for name in names:
        encoded = name.encode("utf-8")
        yield _U64.pack(len(encoded)) + encoded


def dumps_arrays(data: ArrayData) -> bytes:
    """Serialize arrays to the bytes ``mx.nd.save`` would write.

    Args:
        data: a dict of str -> array (names are stored) or a list of arrays.
            Values go through ``np.asarray``; 0-d arrays raise ShapeError and
            dtypes without an MXNet type flag raise DTypeError.

    Returns:
        The file content, byte-identical to MXNet 1.9.1 for the same arrays.
    """
    return b"".join(_iter_chunks(data))


def save_arrays(fname: str | os.PathLike, data: ArrayData) -> None:
    """Write arrays to an MXNet NDArray-list file, atomically.

    The file appears under ``fname`` only once complete; on error the previous
    file, if any, is left as it was. See :func:`dumps_arrays` for ``data``.
    """
    # Build every chunk first (views, not copies) so a bad array fails before
    # any file is created.
    chunks = list(_iter_chunks(data))
    with atomic_writer(fname) as f:
        for chunk in chunks:
            f.write(chunk)


# ----------------------------------------------------------------------------
# Reading


class _Reader:
    """Bounds-checked cursor over a byte buffer that builds precise errors."""

    def __init__(self, buf: bytes | bytearray | memoryview, source: str | None) -> None:
        self.buf = memoryview(buf).cast("B")
        self.pos = 0
        self.source = source

    def remaining(self) -> int:
        return len(self.buf) - self.pos

    def error(self, problem: str, detail: str, at: int | None = None) -> FormatError:
        prefix = f"{self.source}: " if self.source else ""
        where = self.pos if at is None else at
        return FormatError(f"{prefix}{problem} at byte {where}: {detail}")

    def take(self, nbytes: int, what: str, context: str) -> memoryview:
        if nbytes > self.remaining():
            raise self.error(
                f"truncated {context}",
                f"needs {nbytes} bytes of {what}, {self.remaining()} remain",
            )
        view = self.buf[self.pos : self.pos + nbytes]
        self.pos += nbytes
        return view

    def unpack(self, fmt: struct.Struct, what: str, context: str) -> tuple:
        return fmt.unpack(self.take(fmt.size, what, context))


def _read_shape(r: _Reader, magic: int, context: str) -> tuple[int, ...] | None:
    """Read a record's shape after its magic; None means a 'none' array."""
    start = r.pos
    legacy = magic not in (_V1_MAGIC, _V2_MAGIC, _V3_MAGIC)
    if legacy:
        ndim, dim_code = magic, "I"  # pre-V1 records start with a uint32 ndim
        if ndim > _MAX_NDIM:
            raise r.error(
                f"bad {context}",
                f"found {magic:#010x}, expected a record magic "
                f"(0xf993fac8-0xf993faca) or a legacy ndim of at most {_MAX_NDIM}",
                at=start - 4,
            )
    else:
        (ndim,) = r.unpack(_I32, "int32 ndim", context)
        if magic == _V3_MAGIC and ndim == -1:
            return None  # numpy-semantics "unknown shape"
        if not 0 <= ndim <= _MAX_NDIM:
            raise r.error(
                f"bad {context}", f"found ndim {ndim}, expected 0-{_MAX_NDIM}", at=start
            )
        dim_code = "q"
    raw = r.take(ndim * struct.calcsize(dim_code), f"{ndim} dims", context)
    shape = struct.unpack(f"<{ndim}{dim_code}", raw)
    if any(d < 0 for d in shape):
        raise r.error(
            f"bad {context}", f"negative dimension in shape {shape}", at=start
        )
    if ndim == 0 and magic != _V3_MAGIC:
        return None  # before numpy semantics, ndim 0 meant "none"
    return shape


def _check_dense(r: _Reader, context: str, start: int) -> None:
    """Read a V2/V3 storage type; only dense (0) is supported."""
    (stype,) = r.unpack(_I32, "int32 storage type", context)
    if stype in _STYPE_NAMES:
        raise r.error(
            f"unsupported {context}",
            f"sparse storage ({_STYPE_NAMES[stype]}) is not supported; "
            "save it dense with .tostype('default')",
            at=start,
        )
    if stype != 0:
        raise r.error(
            f"bad {context}",
            f"unknown storage type {stype}, expected 0 (dense)",
            at=r.pos - 4,
        )


def _checked_size(r: _Reader, shape: tuple[int, ...], dtype: np.dtype,
                  where: tuple[str, int]) -> int:
    """The element count of ``shape``, refused if NumPy could not hold it."""
    # NOTE: NumPy refuses a shape whose non-zero dimensions overflow
    # (``(0, 2**62, 2**62)`` is "array is too big" though it holds nothing),
    # so the bound is on their product, not on the element count.
    size, extent = 1, dtype.itemsize
    for d in shape:
        size *= d
        extent *= max(d, 1)
    if extent > _INT64_MAX:
        raise r.error(f"bad {where[0]}",
                      f"shape {shape} of {dtype.name} spans more bytes than int64 holds",
                      at=where[1])
    return size


def _read_record(r: _Reader, index: int) -> np.ndarray:
    """Read one NDArray record (any version) and return an owned array."""
    context = f"NDArray record {index}"
    start = r.pos
    (magic,) = r.unpack(_U32, "uint32 magic", context)
    if magic in (_V2_MAGIC, _V3_MAGIC):
        _check_dense(r, context, start)
    shape_at = r.pos
    shape = _read_shape(r, magic, context)
    if shape is None:
        raise r.error(
            f"unsupported {context}",
            "it is a 'none' (unallocated) NDArray, which "
            "MXNet 1.9.1's mx.nd.load cannot load either",
            at=start,
        )
    _dev_type, _dev_id, flag = r.unpack(_RECORD_TAIL, "context and type flag", context)
    dtype = _flag_dtype(flag)
    if dtype is None:
        hint = " (bfloat16 needs the ml_dtypes package)" if flag == 12 else ""
        raise r.error(
            f"bad {context}",
            f"unknown type flag {flag}, expected 0-{len(_FLAG_NAMES) - 1}{hint}",
            at=r.pos - 4,
        )
    size = _checked_size(r, shape, dtype, (context, shape_at))
    raw = r.take(size * dtype.itemsize, f"{dtype.name} data", context)
    if dtype.kind == "b":  # bytes other than 0/1 would make odd numpy bools
        return np.frombuffer(raw, dtype=np.uint8).reshape(shape) != 0
    arr = np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    return arr.byteswap() if sys.byteorder == "big" else arr


def _read_names(r: _Reader, count: int) -> list[str]:
    """Read the trailing name list; it must be empty or one name per array."""
    start = r.pos
    (n_names,) = r.unpack(_U64, "uint64 name count", "name list")
    if n_names not in (0, count):
        raise r.error(
            "bad name list",
            f"found {n_names} names for {count} arrays, expected 0 or {count}",
            at=start,
        )
    names: list[str] = []
    seen: set[str] = set()
    for i in range(n_names):
        (length,) = r.unpack(_U64, "uint64 name length", f"name {i}")
        at = r.pos
        raw = r.take(length, "utf-8 text", f"name {i}")
        try:
            name = str(raw, "utf-8")
        except UnicodeDecodeError as err:
            raise r.error(
                f"bad name {i}", f"invalid utf-8 ({err.reason})", at=at
            ) from None
        if name in seen:
            raise r.error(f"bad name {i}", f"duplicate array name {name!r}", at=at)
        seen.add(name)
        names.append(name)
    return names


def _not_ndarray_file(r: _Reader) -> FormatError:
    """The error for a file without the list magic, saying what it is instead."""
    head = bytes(r.buf[:HEAD_BYTES])
    found = (f"found header magic {_U64.unpack(head[:8])[0]:#x}, expected 0x112"
             if len(head) >= 8 else
             f"found {len(head)} bytes, expected an 8-byte header magic 0x112")
    hint = describe_file_start(head)
    return r.error("not an MXNet NDArray file", found + (f"; {hint}" if hint else ""),
                   at=0)


def _parse(buf: bytes | bytearray | memoryview, source: str | None) -> ArrayData:
    r = _Reader(buf, source)
    # A file cut inside the magic (or empty) is a truncated one, said below.
    if not _U64.pack(_LIST_MAGIC).startswith(bytes(r.buf[:8])):
        raise _not_ndarray_file(r)
    _magic, _reserved, count = r.unpack(_FILE_HEAD, "file header", "file header")
    if count * _MIN_RECORD_BYTES + _U64.size > r.remaining():
        raise r.error(
            "bad file header",
            f"claims {count} arrays but only {r.remaining()} bytes remain",
            at=16,
        )
    arrays = [_read_record(r, i) for i in range(count)]
    names = _read_names(r, count)
    if r.remaining():
        raise r.error(
            "trailing garbage",
            f"{r.remaining()} bytes after the name list, expected none",
        )
    return dict(zip(names, arrays)) if names else arrays


def loads_arrays(buf: bytes | bytearray | memoryview) -> ArrayData:
    """Parse the bytes of an MXNet NDArray-list file.

    Reads V1, V2, V3 and pre-V1 legacy dense records. V3 (numpy semantics)
    records may hold 0-d arrays. A 'none' record (ndim 0 before V3) raises
    FormatError: MXNet 1.9.1 can neither save nor ``mx.nd.load`` one. Unlike
    MXNet, trailing bytes and duplicate names are errors, not ignored.

    Returns:
        A dict name -> array when the file stores names, else a list (so an
        empty dict reads back as ``[]``, as in MXNet). Arrays are
        native-endian, writable and own their memory.

    Raises:
        FormatError: the bytes are not a well-formed NDArray file.
    """
    return _parse(buf, None)


def load_arrays(fname: str | os.PathLike) -> ArrayData:
    """Read an MXNet NDArray-list file (``mx.nd.load``); see :func:`loads_arrays`.

    Raises:
        FileNotFoundError: ``fname`` does not exist.
        FormatError: the file is malformed; the message names ``fname``.
    """
    with open(fname, "rb") as f:
        buf = f.read()
    return _parse(buf, os.fspath(fname))
