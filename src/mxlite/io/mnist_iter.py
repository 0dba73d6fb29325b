"""MNISTIter: MXNet's MNIST iterator, over the MNIST copy bundled with mxlite.

MXNet 1.9.1's C++ iterator (``src/io/iter_mnist.cc``) is reproduced:

- pixels are scaled by **1/256** (not 1/255 as ``get_mnist`` does);
- the examples are shuffled **once**, at construction, with ``seed`` (every
  epoch then has the same order);
- the last incomplete batch is dropped;
- ``flat=True`` gives data of shape (batch, 784), else (batch, 1, 28, 28);
  labels are float32 of shape (batch,);
- ``num_parts``/``part_index`` read the contiguous part
  ``[int(N / num_parts * part_index), int(N / num_parts * (part_index + 1)))``,
  which is then shuffled;
- ``input_shape`` (which ``get_mnist_iterator`` passes) and the prefetcher's
  ``prefetch_buffer`` and ``ctx`` are accepted and have no effect; ``dtype``
  may only be ``None`` or float32.

Differences: any other keyword raises :class:`~mxlite.base.ParamError`. MXNet
accepted unknown keywords silently (``InitAllowUnknown``), so a misspelt
``batchsize=50`` trained with the default 128. And the shuffle uses NumPy's
generator seeded with ``seed``, not C++'s ``std::mt19937``, so the order
differs from MXNet's (it is as fixed).

It is built on :class:`~mxlite.io.NDArrayIter`: the data sits on the device and
:meth:`~mxlite.io.NDArrayIter.device_epoch` works.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np

from ..base import DataNotFoundError, ParamError
from ..datasets import mnist_files, read_pair
from ..datasets.mnist import ENV_VAR
from .ndarray_iter import NDArrayIter

_log = logging.getLogger(__name__)

__all__ = ["MNISTIter"]


class MNISTIter(NDArrayIter):
    """Batches of MNIST (MXNet's ``mx.io.MNISTIter``).

    Args:
        image: an IDX image file (plain or gzip); default the training images
            of ``$MXLITE_DATA`` if set, else of the bundled copy.
        label: the matching IDX label file; default likewise.
        batch_size: examples per batch.
        shuffle: shuffle once, at construction.
        flat: give each image as a row of 784 values.
        seed: the seed of the shuffle.
        silent: do not log the summary line.
        num_parts: split the data into this many contiguous parts...
        part_index: ...and read this one.
        data_name: the name of the data (``provide_data``).
        label_name: the name of the label.
        **kwargs: ``input_shape``, ``prefetch_buffer``, ``ctx`` (no effect)
            and ``dtype`` (``None`` or float32); others raise.

    Raises:
        DataNotFoundError: ``image`` or ``label`` names no file (also a
            ``FileNotFoundError``).
        ParamError: an argument is out of range or unknown.

    Example:
        >>> it = MNISTIter(batch_size=100, flat=True, num_parts=60, silent=True)
        >>> it.provide_data, it.provide_label
        ([DataDesc[data,(100, 784),<class 'numpy.float32'>,NCHW]], \
[DataDesc[softmax_label,(100,),<class 'numpy.float32'>,NCHW]])
    """

    def __init__(  # MXNet's iterators take keyword arguments only
        self,
        *,
        image: str | os.PathLike | None = None,
        label: str | os.PathLike | None = None,
        batch_size: int = 128,
        shuffle: bool = True,
        flat: bool = False,
        seed: int = 0,
        silent: bool = False,
        num_parts: int = 1,
        part_index: int = 0,
        data_name: str = "data",
        label_name: str = "softmax_label",
        **kwargs: Any,
    ) -> None:
        _check_args(batch_size, seed, num_parts, part_index, kwargs)
        _check_files(image=image, label=label)
        if image is None or label is None:
            files = mnist_files()
            image = files["train_data"] if image is None else image
            label = files["train_label"] if label is None else label
        images, labels = read_pair(image, label)
        rows = _part(len(images), num_parts, part_index)
        if len(rows) == 0:
            raise ParamError(
                f"MNISTIter: part {part_index} of {num_parts} of "
                f"{len(images)} images is empty; got num_parts={num_parts}."
                " Use fewer parts."
            )
        if shuffle:
            rows = rows[np.random.default_rng(seed).permutation(len(rows))]
        data = images[rows].astype(np.float32)
        data *= np.float32(1.0 / 256.0)  # MXNet's MNISTIter: 1/256, unlike get_mnist
        data = data.reshape(len(rows), -1) if flat else data[:, None]
        super().__init__(
            data,
            labels[rows].astype(np.float32),
            batch_size,
            shuffle=False,
            last_batch_handle="discard",
            data_name=data_name,
            label_name=label_name,
        )
        self._source_rows = rows
        if not silent:
            _log.info(
                "MNISTIter: load %d images, shuffle=%d, shape=%s",
                len(rows),
                int(bool(shuffle)),
                self.provide_data[0].shape,
            )

    def getindex(self) -> np.ndarray | None:
        """The rows of the current batch in the IDX files."""
        index = super().getindex()
        return None if index is None else self._source_rows[index]


def _part(count: int, num_parts: int, part_index: int) -> np.ndarray:
    """MXNet's GetPart: a contiguous slice computed in double precision."""
    start = int(count / num_parts * part_index)
    end = int(count / num_parts * (part_index + 1))
    return np.arange(start, end)


def _check_args(batch_size: Any, seed: Any, num_parts: Any, part_index: Any,
                kwargs: dict[str, Any]) -> None:
    _check_int("batch_size", batch_size, 1)
    _check_int("seed", seed, 0)
    _check_int("num_parts", num_parts, 1)
    _check_int("part_index", part_index, 0)
    if part_index >= num_parts:
        raise ParamError(
            f"MNISTIter: part_index must be < num_parts={num_parts}; got {part_index}."
        )
    _check_unused(kwargs)


def _check_files(**paths: str | os.PathLike | None) -> None:
    """DataNotFoundError naming the argument whose file is not there."""
    for arg, path in paths.items():
        if path is None or os.path.isfile(path):
            continue
        what = "is a directory" if os.path.isdir(path) else "no such file"
        raise DataNotFoundError(
            f"MNISTIter: {arg}={os.fspath(path)!r}: {what}; expected an IDX file "
            "(plain or .gz). MNISTIter() without image= and label= reads the "
            f"MNIST copy bundled with mxlite (or the directory in ${ENV_VAR}); "
            "mx.test_utils.get_mnist_ubyte() writes that copy into data/ as the "
            "files MXNet's tutorial names."
        )


_NO_EFFECT = ("input_shape", "prefetch_buffer", "ctx")


def _check_unused(kwargs: dict[str, Any]) -> None:
    """Accept the MXNet keywords that change nothing here; refuse the rest."""
    unknown = sorted(set(kwargs) - {*_NO_EFFECT, "dtype"})
    if unknown:
        raise ParamError(
            f"MNISTIter: unknown argument(s) {', '.join(unknown)}; expected the "
            "parameters of MNISTIter or one of dtype, " + ", ".join(_NO_EFFECT) + "."
        )
    dtype = kwargs.get("dtype")
    if dtype is not None and not _is_float32(dtype):
        raise ParamError(f"MNISTIter: dtype must be None or float32; got {dtype!r}.")


def _is_float32(dtype: Any) -> bool:
    try:
        return np.dtype(dtype) == np.float32
    except TypeError:
        return False


def _check_int(name: str, value: Any, lower: int) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or value < lower
    ):
        raise ParamError(f"MNISTIter: {name} must be an int >= {lower}; got {value!r}.")
