"""Read IDX files (the MNIST file format), plain or gzip-compressed.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of
dimensions), one big-endian uint32 per dimension, then the items in C order, each
big-endian. Every field is checked before it is trusted: a truncated, corrupted,
wrong-type or oversized file raises :class:`~mxlite.base.FormatError` naming the
file and what is wrong. Nothing is allocated from the declared dimensions; the
payload is read in chunks, at most one byte past its declared length (the
declared size is the decompression limit), and a gzip file whose trailer
(ISIZE) records less than the header declares is refused before any payload is
decompressed: a small ``.gz`` cannot make the reader hold what it does not
contain.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from typing import BinaryIO

import numpy as np

from .._fileio import HEAD_BYTES, describe_file_start
from ..base import DataNotFoundError, FormatError, ParamError

__all__ = ["DEFAULT_MAX_BYTES", "IDX_TYPES", "read_idx"]

IDX_TYPES: dict[int, tuple[str, np.dtype]] = {
    0x08: ("ubyte", np.dtype(">u1")),
    0x09: ("byte", np.dtype(">i1")),
    0x0B: ("int16", np.dtype(">i2")),
    0x0C: ("int32", np.dtype(">i4")),
    0x0D: ("float32", np.dtype(">f4")),
    0x0E: ("float64", np.dtype(">f8")),
}
"""IDX type code -> (name, big-endian NumPy dtype)."""

IDX_TYPES_NAME = {dtype: name for name, dtype in IDX_TYPES.values()}

DEFAULT_MAX_BYTES = 4 << 30
"""Largest payload :func:`read_idx` accepts unless told otherwise (4 GiB)."""

_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 22
_ALLOWED = ", ".join(f"0x{code:02X} ({name})" for code, (name, _) in IDX_TYPES.items())


def read_idx(path: str | os.PathLike, max_bytes: int = DEFAULT_MAX_BYTES) -> np.ndarray:
    """Read an IDX file into a NumPy array of its declared shape and type.

    The file may be plain or gzip-compressed (recognised by its content, not its
    name). Multi-byte items are converted to the machine's byte order.

    Args:
        path: the file.
        max_bytes: the largest payload (after decompression) to accept; a header
            declaring more is refused before anything is read.

    Returns:
        An array of the declared shape; ubyte files give ``uint8``, byte
        ``int8``, and so on.

    Raises:
        FormatError: the file is not a well-formed IDX file (the message names
            the file and the problem).
        DataNotFoundError: there is no such file (a ``FileNotFoundError``).
        OSError: the file cannot be opened.

    Example:
        >>> import gzip, tempfile, os
        >>> raw = bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 7, 8, 9])
        >>> fname = os.path.join(tempfile.mkdtemp(), "tiny-idx1-ubyte.gz")
        >>> with gzip.open(fname, "wb") as f:
        ...     _ = f.write(raw)
        >>> read_idx(fname)
        array([7, 8, 9], dtype=uint8)
    """
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
        raise ParamError(f"read_idx: max_bytes must be an int >= 0; got {max_bytes!r}.")
    where = f"read_idx({os.fspath(path)!r})"
    if not os.path.isfile(path):
        raise DataNotFoundError(f"{where}: no such file.")
    with open(path, "rb") as raw:
        compressed = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        if not compressed:
            return _read_stream(raw, where, max_bytes, os.fstat(raw.fileno()).st_size)
        isize = _gzip_isize(raw)
        try:
            with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                return _read_stream(stream, where, max_bytes, None, gzip_size=isize)
        except (OSError, EOFError, zlib.error) as err:
            raise FormatError(
                f"{where}: the gzip stream is corrupt or truncated "
                f"({err}). Re-download or re-create the file."
            ) from err


def _gzip_isize(raw: BinaryIO) -> int | None:
    """The uncompressed size mod 2**32 a gzip trailer records (None if cut)."""
    raw.seek(0, os.SEEK_END)
    if raw.tell() < 18:  # 10-byte header + 8-byte trailer at the least
        raw.seek(0)
        return None
    raw.seek(-4, os.SEEK_END)
    isize = int.from_bytes(raw.read(4), "little")
    raw.seek(0)
    return isize


def _check_isize(isize: int, header: int, expected: int, item_shape: tuple) -> None:
    """Refuse, unread, a gzip whose trailer records less than the header declares.

    ISIZE is the size mod 2**32, so only headers under 4 GiB are compared.
    """
    total = header + expected
    if total < (1 << 32) and isize < total:
        item, shape, where = item_shape
        _check_length(max(isize - header, 0), expected, shape, item,
                      f"{where} (by its gzip trailer)")


def _check_extent(shape: tuple, item: np.dtype, max_bytes: int, where: str) -> None:
    """Refuse an empty shape whose other dimensions NumPy cannot index."""
    # NOTE: NumPy will not even reshape to (0, 2**31, 2**31, ...) when the
    # non-zero dimensions multiply past its index range ("array is too big").
    extent = math.prod(max(d, 1) for d in shape) * item.itemsize
    if 0 in shape and extent > max_bytes:
        raise FormatError(
            f"{where}: the header declares shape {shape} of {IDX_TYPES_NAME[item]}: "
            f"empty, but its other dimensions span {extent} bytes, more than "
            f"max_bytes={max_bytes}. The header is corrupt."
        )


def _read_stream(
    stream: BinaryIO, where: str, max_bytes: int, size: int | None, *,
    gzip_size: int | None = None,
) -> np.ndarray:
    """Parse header and payload from an open byte stream.

    ``size`` is a plain file's length; ``gzip_size`` a gzip trailer's ISIZE.
    Either way the payload is read only up to one byte past what the header
    declares, so the declared size is the decompression limit.
    """
    item, shape = _read_header(stream, where)
    expected = math.prod(shape) * item.itemsize
    _check_extent(shape, item, max_bytes, where)
    if gzip_size is not None:
        _check_isize(gzip_size, 4 + 4 * len(shape), expected, (item, shape, where))
    if expected > max_bytes:
        raise FormatError(
            f"{where}: the header declares shape {shape} of {IDX_TYPES_NAME[item]}, "
            f"{expected} bytes; more than max_bytes={max_bytes}. The header is "
            "corrupt, or pass a larger max_bytes= for a file this big."
        )
    if size is not None:
        _check_length(size - 4 - 4 * len(shape), expected, shape, item, where)
    payload = _read_at_most(stream, expected + 1)
    _check_length(len(payload), expected, shape, item, where)
    array = np.frombuffer(payload, dtype=item).reshape(shape)
    return array.astype(item.newbyteorder("="), copy=item.itemsize > 1)


def _read_header(stream: BinaryIO, where: str) -> tuple[np.dtype, tuple[int, ...]]:
    magic = stream.read(4)
    if len(magic) < 4:
        raise FormatError(
            f"{where}: the file is truncated inside the 4-byte magic "
            f"number; got {len(magic)} bytes. It is not an IDX file"
            f"{_looks_like(magic, stream)}."
        )
    if magic[0] != 0 or magic[1] != 0:
        raise FormatError(
            f"{where}: bad magic number; got 0x{magic.hex().upper()}. An IDX file "
            "starts with two zero bytes, a type code and the number of dimensions"
            f"{_looks_like(magic, stream)}."
        )
    if magic[2] not in IDX_TYPES:
        raise FormatError(
            f"{where}: unknown IDX type code; got 0x{magic[2]:02X}. "
            f"Allowed: {_ALLOWED}."
        )
    ndim = magic[3]
    if ndim == 0:
        raise FormatError(
            f"{where}: the magic number declares 0 dimensions; got "
            f"0x{magic.hex().upper()}. An IDX array has at least one."
        )
    dims = stream.read(4 * ndim)
    if len(dims) < 4 * ndim:
        raise FormatError(
            f"{where}: the file is truncated inside the dimensions; the "
            f"magic number declares {ndim} dimensions ({4 * ndim} bytes) "
            f"but only {len(dims)} bytes follow."
        )
    shape = tuple(int(d) for d in np.frombuffer(dims, dtype=">u4"))
    return IDX_TYPES[magic[2]][1], shape


def _looks_like(magic: bytes, stream: BinaryIO) -> str:
    """``"; it looks like <kind>"`` from the file's first bytes, or ``""``."""
    hint = describe_file_start(magic + stream.read(HEAD_BYTES - len(magic)))
    return f"; {hint}" if hint else ""


def _read_at_most(stream: BinaryIO, limit: int) -> bytearray:
    """Read up to ``limit`` bytes in chunks (memory grows with real data only)."""
    buf = bytearray()
    while len(buf) < limit:
        chunk = stream.read(min(_CHUNK, limit - len(buf)))
        if not chunk:
            break
        buf += chunk
    return buf


def _check_length(
    actual: int, expected: int, shape: tuple[int, ...], item: np.dtype, where: str
) -> None:
    what = f"shape {shape} of {IDX_TYPES_NAME[item]} needs {expected} bytes of data"
    if actual < expected:
        raise FormatError(
            f"{where}: the file is truncated: {what}; got {actual}. "
            "Re-download or re-create the file."
        )
    if actual > expected:
        raise FormatError(
            f"{where}: the file is too long: {what}; got more than "
            f"{expected}. The header or the file is corrupt."
        )
