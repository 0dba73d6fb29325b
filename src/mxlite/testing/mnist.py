"""MXNet's MNIST helpers of ``mx.test_utils``, on the copy bundled with mxlite.

MXNet downloaded the files into the working directory; mxlite reads its bundled
copy (checked against SHA-256 sums), or the directory given by ``path=`` or the
environment variable ``MXLITE_DATA``. Nothing is downloaded.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import pathlib
import shutil
from typing import BinaryIO

import numpy as np

from .._fileio import atomic_writer
from ..datasets import bundled_dir, load_mnist, mnist_files, verify_checksums
from ..datasets.mnist import MNIST_FILES
from ..io import MNISTIter

__all__ = ["get_mnist", "get_mnist_iterator", "get_mnist_ubyte"]

_BLOCK = 1 << 20


def get_mnist(path: str | os.PathLike | None = None) -> dict[str, np.ndarray]:
    """MNIST as a dict of NumPy arrays, as MXNet's ``get_mnist()``.

    Args:
        path: a directory with the four IDX files (plain or ``.gz``); default
            ``$MXLITE_DATA`` if set, else the bundled copy.

    Returns:
        ``train_data`` (60000, 1, 28, 28) float32 in [0, 1] (pixel / 255),
        ``train_label`` (60000,) int8, ``test_data`` (10000, 1, 28, 28),
        ``test_label`` (10000,).

    Example:
        >>> import mxlite as mx
        >>> mnist = mx.test_utils.get_mnist()
        >>> mnist["train_data"].shape, mnist["train_label"].dtype
        ((60000, 1, 28, 28), dtype('int8'))
    """
    return load_mnist(path)


def get_mnist_iterator(
    batch_size: int, input_shape: tuple, num_parts: int = 1, part_index: int = 0
) -> tuple[MNISTIter, MNISTIter]:
    """``(train_iter, val_iter)`` of :class:`~mxlite.io.MNISTIter`, as MXNet's.

    Both use MXNet's MNISTIter semantics (pixels / 256, shuffled once with
    seed 0, last incomplete batch dropped). As in MXNet the validation
    iterator does not pass ``shuffle``, so it gets MNISTIter's default (True).

    Args:
        batch_size: examples per batch.
        input_shape: the shape of one example; a 3-tuple (1, 28, 28) gives
            images, anything else flat rows of 784.
        num_parts: split each set into this many parts...
        part_index: ...and read this one.
    """
    flat = len(input_shape) != 3
    files = mnist_files()
    common = {
        "input_shape": input_shape,
        "batch_size": batch_size,
        "flat": flat,
        "num_parts": num_parts,
        "part_index": part_index,
    }
    train = MNISTIter(
        image=files["train_data"], label=files["train_label"], shuffle=True, **common
    )
    val = MNISTIter(image=files["test_data"], label=files["test_label"], **common)
    return train, val


def get_mnist_ubyte(data_dir: str | os.PathLike = "data") -> dict[str, pathlib.Path]:
    """Write the four uncompressed MNIST IDX files into ``data/``, as MXNet's.

    MXNet downloaded ``mnist.zip`` and unpacked it into ``data/`` of the
    working directory, so that ``mx.io.MNISTIter(image='data/train-images-
    idx3-ubyte', label='data/train-labels-idx1-ubyte')`` found the files.
    mxlite writes them from its bundled copy (or ``$MXLITE_DATA``); nothing is
    downloaded. Each file is written atomically, and one already there with
    the same content is left alone (MXNet skipped the download when all four
    names existed, whatever they held).

    Args:
        data_dir: the directory to write into (MXNet: always ``data``).

    Returns:
        MXNet's keys (``train_data``...) mapped to the four files.

    Example:
        >>> import tempfile
        >>> tmp = tempfile.mkdtemp()
        >>> files = get_mnist_ubyte(os.path.join(tmp, "data"))
        >>> sorted(path.name for path in files.values())
        ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte', \
'train-images-idx3-ubyte', 'train-labels-idx1-ubyte']
        >>> MNISTIter(image=files["test_data"], label=files["test_label"],
        ...           batch_size=100, silent=True).provide_data[0].shape
        (100, 1, 28, 28)
        >>> shutil.rmtree(tmp)
    """
    directory = pathlib.Path(data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    sources = mnist_files()
    if sources["train_data"].parent == bundled_dir():
        verify_checksums(bundled_dir())
    written = {}
    for key, name in MNIST_FILES.items():
        target = directory / name
        if not _same_content(sources[key], target):
            with _open_source(sources[key]) as src, atomic_writer(target) as dst:
                shutil.copyfileobj(src, dst, _BLOCK)
        written[key] = target
    return written


def _open_source(path: pathlib.Path) -> BinaryIO:
    """An IDX file, gunzipped on the fly when its name ends in ``.gz``."""
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def _same_content(source: pathlib.Path, target: pathlib.Path) -> bool:
    """Whether ``target`` already holds ``source``'s bytes (uncompressed).

    The sizes are compared first (a gzip file records its uncompressed size
    in its last four bytes), so a truncated file costs no checksum.
    """
    if not target.is_file():
        return False
    if target.resolve() == source.resolve():
        return True
    if target.stat().st_size != _uncompressed_size(source):
        return False
    with _open_source(source) as src, open(target, "rb") as dst:
        return _sha256(src) == _sha256(dst)


def _uncompressed_size(path: pathlib.Path) -> int:
    if path.suffix != ".gz":
        return path.stat().st_size
    with open(path, "rb") as f:
        f.seek(-4, os.SEEK_END)
        return int.from_bytes(f.read(4), "little")  # ISIZE: the size mod 2**32


def _sha256(f: BinaryIO) -> str:
    digest = hashlib.sha256()
    for block in iter(lambda: f.read(_BLOCK), b""):
        digest.update(block)
    return digest.hexdigest()
