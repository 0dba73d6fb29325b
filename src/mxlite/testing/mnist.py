"""MXNet's MNIST helpers of ``mx.test_utils``, on the copy bundled with mxlite.

MXNet downloaded the files into the working directory; mxlite reads its bundled
copy (checked against SHA-256 sums), or the directory given by ``path=`` or the
environment variable ``MXLITE_DATA``. Nothing is downloaded.
"""

from __future__ import annotations

import os

import numpy as np

from ..datasets import load_mnist, mnist_files
from ..io import MNISTIter

__all__ = ["get_mnist", "get_mnist_iterator"]


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
