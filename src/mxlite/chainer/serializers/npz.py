"""Chainer's NPZ serializers: ``save_npz``/``load_npz`` and the classes under them.

Keys are slash-joined paths without a leading slash (``predictor/l1/W``),
exactly as Chainer writes them, so files move both ways between Chainer and
mxlite. Where mxlite differs from Chainer 7.8.1, and why:

- ``NpzDeserializer(key, value)`` returns the loaded value and the caller
  assigns it (``self.W = serializer('W', self.W)``): mxlite arrays are
  immutable, so an in-place copy cannot work. A writable NumPy array is still
  also filled in place, as Chainer did.
- A None value is not written (Chainer pickled ``numpy.asarray(None)``);
  its key goes in a list of None keys stored as a string array, so a strict
  load still finds it and returns None. Chainer ignores that extra member.
- Files are read with ``allow_pickle=False`` (:mod:`._npz_reader`) and
  written atomically when ``file`` is a path.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO

import numpy as np

from ..._fileio import atomic_writer
from ...base import DTypeError, MissingKeyError, ParamError, ShapeError, did_you_mean
from ..serializer import Deserializer, Serializer
from ._npz_reader import NONE_KEYS, NpzReader

__all__ = ["DictionarySerializer", "NpzDeserializer", "save_npz", "load_npz"]

IgnoreNames = str | Callable[[str], bool] | Iterable[str | Callable[[str], bool]] | None


class DictionarySerializer(Serializer):
    """Serialize an object hierarchy into a flat dict of NumPy arrays.

    Args:
        target: the dict to fill; a new one if None.
        path: the path prefix of this serializer (``'predictor/'``).
        none_keys: the set collecting keys saved with value None (shared
            with children; :func:`save_npz` records it in the file).

    Example:
        >>> s = DictionarySerializer()
        >>> _ = s["l1"]("W", np.zeros((2, 3), np.float32))
        >>> sorted(s.target)
        ['l1/W']
    """

    def __init__(
        self,
        target: dict[str, np.ndarray] | None = None,
        path: str = "",
        none_keys: set[str] | None = None,
    ) -> None:
        self.target = {} if target is None else target
        self.path = path
        self.none_keys = set() if none_keys is None else none_keys

    def __getitem__(self, key: str) -> DictionarySerializer:
        return DictionarySerializer(
            self.target, self.path + key.strip("/") + "/", self.none_keys
        )

    def __call__(self, key: str, value: Any) -> Any:
        full = self.path + key.lstrip("/")
        if value is None:
            self.none_keys.add(full)
            self.target.pop(full, None)
            return None
        array = np.asarray(value)
        if array.dtype.hasobject:
            raise DTypeError(
                f"DictionarySerializer: the value of {full!r} is a "
                f"{type(value).__name__}, which becomes an object array; got "
                f"{value!r:.80}. Only arrays, numbers, bools and strings can be "
                "saved without pickling."
            )
        self.target[full] = array
        self.none_keys.discard(full)
        return value


def save_npz(
    file: str | os.PathLike | BinaryIO, obj: Any, compression: bool = True
) -> None:
    """Save ``obj`` (anything with ``serialize(serializer)``) to an NPZ file.

    Args:
        file: a path, written atomically (temporary file + ``os.replace``, so
            a failure leaves any old file untouched), or a binary file object,
            written directly.
        obj: the object; it calls the serializer for each of its values.
        compression: deflate the members (``numpy.savez_compressed``).

    Nothing is pickled: a None value is left out of the file and its key is
    listed in the ``_mxlite_none_keys`` member (see the module docstring).
    """
    serializer = DictionarySerializer()
    serializer.save(obj)
    arrays = dict(serializer.target)
    if serializer.none_keys:
        arrays[NONE_KEYS] = np.array(sorted(serializer.none_keys), dtype=str)
    if isinstance(file, (str, os.PathLike)):
        with atomic_writer(file) as f:
            _write_npz(f, arrays, compression)
    else:
        _write_npz(file, arrays, compression)


def _write_npz(f: BinaryIO, arrays: dict[str, np.ndarray], compression: bool) -> None:
    """The layout of ``numpy.savez``, without its keyword clashes or pickling."""
    method = zipfile.ZIP_DEFLATED if compression else zipfile.ZIP_STORED
    with zipfile.ZipFile(f, mode="w", compression=method, allowZip64=True) as archive:
        for key, array in arrays.items():
            with archive.open(key + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


class NpzDeserializer(Deserializer):
    """Load an object hierarchy from an NPZ archive.

    Args:
        npz: an :class:`NpzReader`, an open ``numpy.load`` result, or a dict
            of arrays (as :class:`DictionarySerializer` fills).
        path: the path prefix to start from (``'updater/model:main/'``).
        strict: raise :class:`~mxlite.base.MissingKeyError` (a ``KeyError``)
            for a key the file lacks; if False, keep the caller's value.
        ignore_names: a key, a predicate on keys, or a list of them; matching
            keys keep the caller's value.

    ``deserializer(key, value)`` returns what the caller should assign:

    - the file held None (or Chainer's pickled None): ``None``;
    - ``value`` is None: the stored NumPy array;
    - ``value`` is an array (NumPy, JAX, NDArray): a NumPy array of
      ``value``'s dtype, after checking the shapes are equal and the dtype
      casts under NumPy's ``same_kind`` rule (Chainer's ``numpy.copyto``); a
      writable NumPy ``value`` is also filled in place and returned;
    - ``value`` is a Python bool/int/float: the same Python type (e.g. an
      optimizer's ``t``).
    """

    def __init__(
        self,
        npz: Any,
        path: str = "",
        strict: bool = True,
        ignore_names: IgnoreNames = None,
    ) -> None:
        self.npz = npz if isinstance(npz, NpzReader) else NpzReader(npz)
        self.path = path
        self.strict = strict
        self.ignore_names = _ignore_list(ignore_names)

    def __getitem__(self, key: str) -> NpzDeserializer:
        return NpzDeserializer(
            self.npz, self.path + key.strip("/") + "/", self.strict, self.ignore_names
        )

    def __call__(self, key: str, value: Any) -> Any:
        full = self.path + key.lstrip("/")
        if full not in self.npz:
            if self.strict and not self._ignored(full):
                raise self._missing(full)
            return value
        if self._ignored(full):
            return value
        stored = self.npz.get(full)
        if stored is None:
            return None
        return _restore(stored, value, f"load_npz: {self.npz.name!r} key {full!r}")

    def _ignored(self, key: str) -> bool:
        return any(n == key if isinstance(n, str) else n(key) for n in self.ignore_names)

    def _missing(self, key: str) -> MissingKeyError:
        keys = self.npz.keys()
        same_but_case = [k for k in keys if k.casefold() == key.casefold()]
        hint = f" Did you mean {same_but_case[0]!r}?" if same_but_case else ""
        hint = hint or did_you_mean(key, keys)
        if not hint:
            shown = ", ".join(repr(k) for k in keys[:6]) + (", ..." if len(keys) > 6 else "")
            hint = f" It holds {len(keys)} keys: {shown}."
        return MissingKeyError(
            f"load_npz: {self.npz.name!r} has no key {key!r}.{hint} Load with "
            "strict=False to keep values the file lacks, or pass path= if the "
            "object was saved inside a larger one (path='updater/model:main/')."
        )


def load_npz(
    file: str | os.PathLike | BinaryIO,
    obj: Any,
    path: str = "",
    strict: bool = True,
    ignore_names: IgnoreNames = None,
) -> None:
    """Load ``obj`` (anything with ``serialize(serializer)``) from an NPZ file.

    Args:
        file: a path or a binary file object.
        obj: the object to fill; it assigns what the deserializer returns.
        path: the path prefix of ``obj`` inside the file.
        strict: raise for a key the file lacks (see :class:`NpzDeserializer`).
        ignore_names: keys (or predicates on keys) not to load.

    Raises:
        FormatError: the file is truncated, corrupt, not an NPZ archive, or
            holds pickled objects (never unpickled).
        MissingKeyError: ``strict`` and the file lacks a key ``obj`` asks for.
        ShapeError, DTypeError: a stored array does not fit ``obj``'s value.
    """
    with NpzReader(file) as reader:
        NpzDeserializer(reader, path, strict, ignore_names).load(obj)


def _ignore_list(ignore_names: IgnoreNames) -> tuple:
    if ignore_names is None:
        return ()
    names = (ignore_names,) if isinstance(ignore_names, str) or callable(
        ignore_names
    ) else tuple(ignore_names)
    for name in names:
        if not (isinstance(name, str) or callable(name)):
            raise ParamError(
                f"NpzDeserializer: ignore_names must hold key strings or "
                f"callables; got {name!r}. Pass e.g. ['l1/W', lambda k: ...]."
            )
    return names


def _restore(stored: np.ndarray, value: Any, where: str) -> Any:
    """What ``NpzDeserializer.__call__`` returns for a stored array."""
    if value is None:
        return stored
    if isinstance(value, (bool, int, float, complex)):
        return _to_python(stored, type(value), where)
    if isinstance(value, np.generic) or (
        hasattr(value, "shape") and hasattr(value, "dtype")
    ):
        return _to_array(stored, value, where)
    try:  # Chainer's fallback for any other type, e.g. a str
        return type(value)(stored)
    except (TypeError, ValueError) as err:
        raise DTypeError(
            f"{where}: cannot convert the stored {stored.dtype} array to the "
            f"target's {type(value).__name__}; got {err}."
        ) from err


def _to_python(stored: np.ndarray, kind: type, where: str) -> Any:
    if stored.shape != ():
        raise ShapeError(
            f"{where} has shape {stored.shape} in the file; the target is a "
            f"Python {kind.__name__}, which needs shape (). The file was saved "
            "from a different object."
        )
    # Chainer's rule: any integer fits a Python int; otherwise the cast must be safe.
    integer_to_int = stored.dtype.kind in "iu" and kind is int
    numeric = stored.dtype.kind in "biufc"
    if numeric and not integer_to_int and not np.can_cast(stored.dtype, kind):
        raise DTypeError(
            f"{where} holds {stored.dtype}, which does not convert safely to "
            f"the target's Python {kind.__name__}."
        )
    return kind(stored[()])


def _to_array(stored: np.ndarray, value: Any, where: str) -> Any:
    shape, dtype = tuple(np.shape(value)), np.dtype(value.dtype)
    # NOTE: .npy has no name for extension dtypes (bfloat16): saved as raw
    # bytes (|V2), they are read back as the target's dtype of that size.
    raw = stored.dtype.kind == "V" and not stored.dtype.fields
    if raw and stored.dtype.itemsize == dtype.itemsize:
        stored = stored.view(dtype)
    if stored.shape != shape:
        raise ShapeError(
            f"{where} has shape {stored.shape} in the file; the target has shape "
            f"{shape}. The file was saved from a differently sized model."
        )
    if not np.can_cast(stored.dtype, dtype, casting="same_kind"):
        raise DTypeError(
            f"{where} holds {stored.dtype}; the target is {dtype}, and "
            f"{stored.dtype} does not cast to it (NumPy's same_kind rule)."
        )
    if isinstance(value, np.generic):
        return stored.astype(dtype)[()]
    if isinstance(value, np.ndarray) and value.flags.writeable:
        np.copyto(value, stored, casting="same_kind")
        return value
    return stored.astype(dtype, copy=False)
