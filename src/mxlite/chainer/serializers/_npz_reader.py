""".npz archives read without ever unpickling, with errors that name the file.

Chainer's ``load_npz`` let NumPy unpickle object arrays: any ``.npz`` could
run code. Here every member's header is read first: a 0-d object array (Chainer's
``numpy.asarray(None)`` for an uninitialized parameter) reads as ``None``
without touching its pickled body; any other object array, a header that
promises more bytes than the member holds, or a damaged archive raises
:class:`~mxlite.base.FormatError`.
"""

from __future__ import annotations

import contextlib
import math
import os
import struct
import zipfile
import zlib
from collections.abc import Mapping
from typing import Any, BinaryIO

import numpy as np

from ..._fileio import HEAD_BYTES, describe_file_start
from ...base import FormatError, MXNetError

__all__ = ["NONE_KEYS", "NpzReader"]

NONE_KEYS = "_mxlite_none_keys"
"""The member listing the keys whose value was None when saved (not pickled)."""

_READ_ERRORS = (
    ValueError,
    OSError,
    EOFError,
    zipfile.BadZipFile,
    zlib.error,
    NotImplementedError,
    struct.error,
    RuntimeError,  # zipfile: "File ... is encrypted, password required"
)


def describe(file: Any) -> str:
    """A file's name for messages: the path, or the file object's ``name``."""
    if isinstance(file, (str, os.PathLike)):
        return os.fspath(file)
    name = getattr(file, "name", None)
    return name if isinstance(name, str) else f"<{type(file).__name__}>"


class NpzReader:
    """A read-only view of an ``.npz`` archive (or a dict of arrays).

    Args:
        source: a path, a binary file object, an open ``numpy`` ``NpzFile``
            (not closed by :meth:`close`), or a mapping of keys to arrays.
        name: the name errors use; by default the path or the file's name.

    Raises:
        FormatError: the archive is truncated, corrupt or not an ``.npz``.
    """

    def __init__(self, source: Any, name: str | None = None) -> None:
        self.name = name or describe(source)
        # NpzFile is itself a Mapping, but one whose [] may refuse or unpickle.
        npzfile = isinstance(source, np.lib.npyio.NpzFile)
        self._dict = isinstance(source, Mapping) and not npzfile
        self._owned = not (npzfile or self._dict)
        self._npz, self._file = _open(source, self.name) if self._owned else (source, None)
        if self._dict:
            self._members = {key: key for key in self._npz}
        else:
            self._members = _member_names(self._npz.zip)
        self.none_keys: set[str] = set()
        try:
            self.none_keys = self._read_none_keys()
        except BaseException:
            self.close()
            raise

    def keys(self) -> list[str]:
        """Every key the file holds, None-valued ones included, sorted."""
        stored = set(self._members) - {NONE_KEYS}
        return sorted(stored | self.none_keys)

    def __contains__(self, key: str) -> bool:
        return key != NONE_KEYS and (key in self._members or key in self.none_keys)

    def get(self, key: str) -> np.ndarray | None:
        """The array stored under ``key``, or None for a value saved as None."""
        if key in self.none_keys and key not in self._members:
            return None
        if self._dict:
            return _from_mapping(self._npz[key])
        return self._read_member(key)

    def close(self) -> None:
        """Close the archive if this reader opened it."""
        if self._owned:
            self._npz.close()
        if self._file is not None:
            self._file.close()

    def __enter__(self) -> NpzReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read_none_keys(self) -> set[str]:
        if NONE_KEYS not in self._members:
            return set()
        listed = self.get(NONE_KEYS)
        if listed is None or listed.ndim != 1 or listed.dtype.kind != "U":
            raise FormatError(
                f"load_npz: {self.name!r} has a malformed {NONE_KEYS!r} member; "
                "expected a 1-D array of key names. The file is corrupt."
            )
        return set(listed.tolist())

    def _read_member(self, key: str) -> np.ndarray | None:
        archive: zipfile.ZipFile = self._npz.zip
        member = self._members[key]
        try:
            info = archive.getinfo(member)
            with archive.open(info) as f:
                header = _peek_header(f)
            if header is not None and _is_none(header, key, info, self.name):
                return None
            with archive.open(info) as f:
                return np.lib.format.read_array(f, allow_pickle=False)
        except MXNetError:
            raise
        except _READ_ERRORS as err:
            raise FormatError(
                f"load_npz: {self.name!r} cannot be read at key {key!r}; got "
                f"{type(err).__name__}: {str(err).rstrip('.')}. The file is truncated "
                "or corrupt."
            ) from err


def _open(source: str | os.PathLike | BinaryIO, name: str) -> tuple[Any, BinaryIO | None]:
    """(the NpzFile, the file opened here or None): given a path, np.load
    would leak its file when the zip is corrupt, so the path is opened here."""
    if not isinstance(source, (str, os.PathLike)):
        return _load(source, name), None
    with contextlib.ExitStack() as on_error:
        f = on_error.enter_context(open(source, "rb"))
        npz = _load(f, name)
        on_error.pop_all()  # success: the reader closes f
        return npz, f


def _load(f: BinaryIO, name: str) -> Any:
    head = _first_bytes(f)
    if head is not None and not head.startswith((b"PK", np.lib.format.MAGIC_PREFIX)):
        hint = describe_file_start(head)
        raise FormatError(
            f"load_npz: {name!r} is not an .npz archive (a zip file, starting "
            f"with b'PK'); got a file starting with {head[:8]!r}"
            f"{f'; {hint}' if hint else ''}. Pass a file written by save_npz or "
            "numpy.savez."
        )
    try:
        npz = np.load(f, allow_pickle=False)
    except _READ_ERRORS as err:
        raise FormatError(
            f"load_npz: {name!r} is not a readable .npz archive; got "
            f"{type(err).__name__}: {str(err).rstrip('.')}. The file is truncated, "
            "corrupt, or not written by save_npz/numpy.savez."
        ) from err
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise FormatError(
            f"load_npz: {name!r} holds a single .npy array, not an .npz "
            f"archive of named arrays; got shape {np.shape(npz)}. Save with "
            "save_npz."
        )
    return npz


def _first_bytes(f: BinaryIO) -> bytes | None:
    """The first bytes, read without moving the file; None if unknowable."""
    try:
        position = f.tell()
        head = f.read(HEAD_BYTES)
        f.seek(position)
    except (AttributeError, OSError, ValueError):
        return None
    return head if isinstance(head, bytes) else None


def _member_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """Key -> zip member name; ``numpy.savez`` appends ``.npy`` to each key."""
    return {(n[:-4] if n.endswith(".npy") else n): n for n in archive.namelist()}


def _peek_header(f: BinaryIO) -> tuple[tuple[int, ...], np.dtype] | None:
    """(shape, dtype) of a ``.npy`` stream; None for versions only numpy reads."""
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(f)
    elif version == (2, 0):
        shape, _, dtype = np.lib.format.read_array_header_2_0(f)
    else:
        return None
    return shape, dtype


def _is_none(header: tuple, key: str, info: zipfile.ZipInfo, name: str) -> bool:
    """True for a 0-d object array (a saved None); raise for other unsafe headers."""
    shape, dtype = header
    if dtype.hasobject:
        if shape == ():
            return True
        raise FormatError(
            f"load_npz: {name!r} holds a pickled object array at key {key!r}; got "
            f"shape {shape}. mxlite never unpickles; only numeric, bool and "
            "string arrays load."
        )
    needed = math.prod(shape) * dtype.itemsize
    if needed > info.file_size:
        raise FormatError(
            f"load_npz: {name!r} key {key!r} declares a {dtype} array of shape "
            f"{shape} ({needed} bytes) but the member holds {info.file_size} "
            "bytes. The file is truncated or corrupt."
        )
    return False


def _from_mapping(value: Any) -> np.ndarray | None:
    if value is None:
        return None
    array = np.asarray(value)
    if array.dtype.hasobject and array.shape == ():
        return None if array[()] is None else array
    return array
