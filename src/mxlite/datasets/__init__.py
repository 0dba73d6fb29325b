"""Dataset readers: files to NumPy arrays, no iteration policy (that is ``mx.io``).

A leaf of the layering: it imports NumPy, the standard library and
``mxlite.base`` only.
"""

from __future__ import annotations

from .idx import IDX_TYPES, read_idx
from .mnist import (
    DataNotFoundError,
    bundled_dir,
    load_mnist,
    load_mnist_raw,
    mnist_files,
    read_images,
    read_labels,
    read_pair,
    verify_checksums,
)

__all__ = [
    "IDX_TYPES",
    "DataNotFoundError",
    "bundled_dir",
    "load_mnist",
    "load_mnist_raw",
    "mnist_files",
    "read_idx",
    "read_images",
    "read_labels",
    "read_pair",
    "verify_checksums",
]
