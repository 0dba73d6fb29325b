"""``mxlite mnist-hdf5 DIR``: MNIST as the HDF5 files Mocha's tutorial reads.

Mocha's ``get-mnist.sh`` downloaded MNIST and ran ``convert.jl``; this writes
the same layout from the copy bundled with mxlite (or ``--data-dir``):
``DIR/train.hdf5``, ``DIR/test.hdf5`` and the source lists ``DIR/train.txt``,
``DIR/test.txt`` for ``HDF5DataLayer(source=...)``.
"""

from __future__ import annotations

import argparse

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``mnist-hdf5`` sub-command."""
    p = sub.add_parser("mnist-hdf5", help="write MNIST as Mocha's HDF5 files",
                       description="Write DIR/train.hdf5 and DIR/test.hdf5 (datasets "
                       "'data' (N, 1, 28, 28) float32 = pixel / 256 and 'label' (N, 1) "
                       "float32, 0-based) and the source lists DIR/train.txt and "
                       "DIR/test.txt, as Mocha.jl's MNIST example reads them.")
    p.add_argument("dir", help="output directory (created if missing)")
    p.add_argument("--data-dir", default=None,
                   help="directory of the MNIST IDX files (default: $MXLITE_DATA, "
                   "else the copy bundled with mxlite)")


def run(args: argparse.Namespace) -> int:
    """Convert, print each file written; return 0."""
    # h5py (and NumPy) are slow to import; `mxlite --help` builds this
    # command's parser without them.
    from ..datasets.hdf5 import convert_mnist  # noqa: PLC0415

    paths = convert_mnist(args.dir, mnist_path=args.data_dir)
    for key in ("train", "train_list", "test", "test_list"):
        print(f"wrote {paths[key]}")
    return 0
