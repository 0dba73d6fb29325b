"""MNIST, shipped with mxlite as the four standard IDX files.

The bundled copy lives in ``mxlite/datasets/data/mnist/`` with its
``SHA256SUMS``; each file's checksum is verified the first time the process
reads it. A user directory (``path=`` or the environment variable
``MXLITE_DATA``) may hold the files plain or gzipped
(``train-images-idx3-ubyte`` or ``train-images-idx3-ubyte.gz``); it is checked
structurally (IDX header, length, image/label counts, label range), not by
checksum. Decoded files are cached in the process, read-only.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import threading

import numpy as np

from ..base import DataNotFoundError, FormatError
from .idx import read_idx

__all__ = [
    "ENV_VAR",
    "MNIST_FILES",
    "DataNotFoundError",
    "bundled_dir",
    "load_mnist",
    "load_mnist_raw",
    "mnist_files",
    "read_images",
    "read_labels",
    "read_pair",
    "verify_checksums",
]

ENV_VAR = "MXLITE_DATA"

MNIST_FILES = {
    "train_data": "train-images-idx3-ubyte",
    "train_label": "train-labels-idx1-ubyte",
    "test_data": "t10k-images-idx3-ubyte",
    "test_label": "t10k-labels-idx1-ubyte",
}
"""MXNet's dict keys -> the IDX file's base name (without ``.gz``)."""

BUNDLED_DIR = pathlib.Path(__file__).resolve().parent / "data" / "mnist"

_lock = threading.Lock()
_verified: set[pathlib.Path] = set()
_cache: dict[tuple, np.ndarray] = {}


def bundled_dir() -> pathlib.Path:
    """The directory of the MNIST copy that ships with mxlite."""
    return BUNDLED_DIR


def mnist_files(path: str | os.PathLike | None = None) -> dict[str, pathlib.Path]:
    """Find the four MNIST files: in ``path``, else ``$MXLITE_DATA``, else bundled.

    Returns:
        MXNet's keys (``train_data``...) mapped to existing files.

    Raises:
        DataNotFoundError: the directory or one of the files is missing.
    """
    source = "path="
    if path is None:
        path, source = os.environ.get(ENV_VAR) or None, f"${ENV_VAR}"
    if path is None:
        return {key: BUNDLED_DIR / f"{name}.gz" for key, name in MNIST_FILES.items()}
    directory = pathlib.Path(path).expanduser()
    if not directory.is_dir():
        raise DataNotFoundError(
            f"load_mnist: the data directory given by {source} does "
            f"not exist; got {os.fspath(path)!r}. Point it at a "
            "directory holding the four MNIST IDX files."
        )
    return {key: _find(directory, name) for key, name in MNIST_FILES.items()}


def _find(directory: pathlib.Path, name: str) -> pathlib.Path:
    for candidate in (directory / name, directory / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise DataNotFoundError(
        f"load_mnist: {name!r} (or {name}.gz) is missing; got a "
        f"directory without it: {os.fspath(directory)!r}. Put the "
        "four MNIST IDX files there, plain or gzipped."
    )


def verify_checksums(directory: str | os.PathLike) -> None:
    """Check every file listed in ``directory/SHA256SUMS`` (once per process).

    Raises:
        FormatError: a listed file's SHA-256 differs, or SHA256SUMS is malformed.
    """
    directory = pathlib.Path(directory).resolve()
    with _lock:
        if directory in _verified:
            return
        for name, expected in _read_sums(directory / "SHA256SUMS").items():
            got = _sha256(_listed_file(directory, name))
            if got != expected:
                raise FormatError(
                    f"load_mnist: checksum mismatch for {os.fspath(directory / name)!r}:"
                    f" SHA-256 expected {expected}; got {got}. The bundled data is "
                    "corrupt; reinstall mxlite."
                )
        _verified.add(directory)


def _read_sums(sums_file: pathlib.Path) -> dict[str, str]:
    sums = {}
    for number, line in enumerate(sums_file.read_text("ascii").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2 or len(parts[0]) != 64:
            raise FormatError(
                f"load_mnist: {os.fspath(sums_file)!r} line {number} is "
                f"not '<sha256>  <file>'; got {line!r}."
            )
        sums[parts[1].lstrip("*")] = parts[0].lower()
    return sums


def _listed_file(directory: pathlib.Path, name: str) -> pathlib.Path:
    """``directory/name`` if ``name`` is a plain file name of a regular file.

    SHA256SUMS is data, not a list of paths to follow: ``../x``, absolute
    paths and devices (``/dev/zero`` never ends) are refused unread.
    """
    sums = os.fspath(directory / "SHA256SUMS")
    if name in ("", ".", "..") or pathlib.PurePath(name).name != name or "\\" in name:
        raise FormatError(
            f"verify_checksums: {sums!r} lists {name!r}; expected a plain file "
            "name in the same directory (no '/', '..' or absolute path)."
        )
    path = directory / name
    if path.is_symlink() or not path.is_file():
        raise FormatError(
            f"verify_checksums: {sums!r} lists {name!r}, which is not a regular "
            f"file in {os.fspath(directory)!r} (missing, a link or a device)."
        )
    return path


def _sha256(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_cached(path: pathlib.Path) -> np.ndarray:
    """``read_idx(path)``, cached per process; bundled files are checksummed first."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise DataNotFoundError(f"load_mnist: no such file {os.fspath(path)!r}.")
    path = path.resolve()
    if path.parent == BUNDLED_DIR.resolve():
        verify_checksums(path.parent)
    stat = path.stat()
    key = (path, stat.st_size, stat.st_mtime_ns)
    with _lock:
        cached = _cache.get(key)
    if cached is None:
        cached = read_idx(path)
        cached.setflags(write=False)
        with _lock:
            _cache[key] = cached
    return cached


def read_images(path: str | os.PathLike) -> np.ndarray:
    """Read an MNIST image file: ubyte IDX of shape (N, rows, cols), read-only."""
    images = _read_cached(pathlib.Path(path))
    if images.dtype != np.uint8 or images.ndim != 3:
        raise FormatError(
            f"load_mnist: {os.fspath(path)!r} is not an MNIST image file; "
            f"got {images.dtype} with shape {images.shape}. Expected "
            "ubyte (type 0x08) images of shape (N, rows, cols)."
        )
    return images


def read_labels(path: str | os.PathLike, num_classes: int = 10) -> np.ndarray:
    """Read an MNIST label file: ubyte IDX of shape (N,), values < ``num_classes``."""
    labels = _read_cached(pathlib.Path(path))
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise FormatError(
            f"load_mnist: {os.fspath(path)!r} is not an MNIST label file; "
            f"got {labels.dtype} with shape {labels.shape}. Expected "
            "ubyte (type 0x08) labels of shape (N,)."
        )
    if labels.size and int(labels.max()) >= num_classes:
        raise FormatError(
            f"load_mnist: {os.fspath(path)!r} holds a label out of range; "
            f"got {int(labels.max())}. Labels are 0..{num_classes - 1}."
        )
    return labels


def read_pair(
    image_path: str | os.PathLike, label_path: str | os.PathLike
) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels that belong together (same count), read-only."""
    images, labels = read_images(image_path), read_labels(label_path)
    if len(images) != len(labels):
        raise FormatError(
            f"load_mnist: {os.fspath(image_path)!r} holds {len(images)} "
            f"images but {os.fspath(label_path)!r} holds a different "
            f"number of labels; got {len(labels)}. Use matching files."
        )
    return images, labels


def load_mnist_raw(path: str | os.PathLike | None = None) -> dict[str, np.ndarray]:
    """The four arrays as stored: uint8 images (N, 28, 28), uint8 labels (N,).

    The arrays are shared with the in-process cache and read-only.
    """
    files = mnist_files(path)
    out = {}
    for split in ("train", "test"):
        images, labels = read_pair(files[f"{split}_data"], files[f"{split}_label"])
        out[f"{split}_data"], out[f"{split}_label"] = images, labels
    return out


def load_mnist(path: str | os.PathLike | None = None) -> dict[str, np.ndarray]:
    """MNIST as MXNet's ``mx.test_utils.get_mnist()`` returned it.

    Args:
        path: a directory with the four IDX files (plain or ``.gz``); default
            ``$MXLITE_DATA`` if set, else the copy bundled with mxlite.

    Returns:
        ``train_data`` (60000, 1, 28, 28) and ``test_data`` (10000, 1, 28, 28),
        float32 in [0, 1] (pixel / 255, as MXNet); ``train_label`` (60000,) and
        ``test_label`` (10000,), int8 (as MXNet). Fresh, writable arrays.

    Raises:
        FormatError: a file is corrupt (or a bundled file fails its checksum).
        DataNotFoundError: the directory or a file is missing.

    Example:
        >>> mnist = load_mnist()
        >>> mnist["train_data"].shape, mnist["test_label"][:5]
        ((60000, 1, 28, 28), array([7, 2, 1, 0, 4], dtype=int8))
    """
    raw = load_mnist_raw(path)
    out = {}
    for split in ("train", "test"):
        images = raw[f"{split}_data"]
        data = images.reshape(len(images), 1, *images.shape[1:]).astype(np.float32)
        data /= np.float32(255)  # in place: same bits as MXNet's x / 255, no 2nd buffer
        out[f"{split}_data"] = data
        out[f"{split}_label"] = raw[f"{split}_label"].astype(np.int8)
    return out
