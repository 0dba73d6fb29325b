"""``chainer.datasets.get_mnist`` on mxlite's bundled MNIST (no download).

The files come from :mod:`mxlite.datasets.mnist` (the copy shipped with
mxlite, or ``$MXLITE_DATA``); this module only shapes and scales them the way
Chainer 7.8.1 does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...base import ParamError
from ...datasets.mnist import load_mnist_raw
from .tuple_dataset import TupleDataset

__all__ = ["get_mnist"]


def get_mnist(
    withlabel: bool = True,
    ndim: int = 1,
    scale: float = 1.0,
    dtype: Any = None,
    label_dtype: Any = np.int32,
    rgb_format: bool = False,
) -> tuple[Any, Any]:
    """Return MNIST's (train, test): 60000 and 10000 examples.

    Args:
        withlabel: return ``TupleDataset(images, labels)``; if False, the image
            arrays alone.
        ndim: image shape: 1 -> (784,), 2 -> (28, 28), 3 -> (1, 28, 28).
        scale: pixels lie in [0, scale] (pixel / 255 * scale).
        dtype: a floating image dtype; None means float32 (Chainer's default
            ``chainer.config.dtype``).
        label_dtype: the labels' dtype.
        rgb_format: with ``ndim=3``, repeat the channel: (3, 28, 28).

    Example:
        >>> train, test = get_mnist()
        >>> len(train), train[0][0].shape, train[0][0].dtype, test[0][1]
        (60000, (784,), dtype('float32'), np.int32(7))
    """
    image_dtype, label_dtype = _check_args(ndim, scale, dtype, label_dtype)
    raw = load_mnist_raw()
    options = {"withlabel": withlabel, "ndim": ndim, "scale": scale,
               "image_dtype": image_dtype, "label_dtype": label_dtype,
               "rgb_format": rgb_format}  # fmt: skip
    return tuple(
        _preprocess(raw[f"{split}_data"], raw[f"{split}_label"], **options)
        for split in ("train", "test")
    )


def _check_args(ndim: Any, scale: Any, dtype: Any, label_dtype: Any) -> tuple:
    if isinstance(ndim, bool) or ndim not in (1, 2, 3):
        raise ParamError(f"get_mnist: ndim must be 1, 2 or 3; got {ndim!r}.")
    if isinstance(scale, bool) or not isinstance(scale, (int, float, np.number)):
        raise ParamError(f"get_mnist: scale must be a real number; got {scale!r}.")
    image_dtype = _dtype("dtype", np.float32 if dtype is None else dtype, "f")
    return image_dtype, _dtype("label_dtype", label_dtype, "biuf")


def _dtype(name: str, value: Any, kinds: str) -> np.dtype:
    try:
        dtype = np.dtype(value)
    except TypeError as err:
        raise ParamError(f"get_mnist: {name} is not a NumPy dtype; got {value!r}.") from err
    if dtype.kind not in kinds:
        allowed = "a floating dtype (float16/32/64)" if kinds == "f" else "a numeric dtype"
        raise ParamError(f"get_mnist: {name} must be {allowed}; got {dtype}.")
    return dtype


def _preprocess(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    withlabel: bool,
    ndim: int,
    scale: float,
    image_dtype: np.dtype,
    label_dtype: np.dtype,
    rgb_format: bool,
) -> Any:
    shape = {1: (-1, 784), 2: (-1, 28, 28), 3: (-1, 1, 28, 28)}[ndim]
    images = images.reshape(shape)
    if ndim == 3 and rgb_format:
        images = np.broadcast_to(images, (len(images), 3, *images.shape[2:]))
    images = images.astype(image_dtype)
    images *= scale / 255.0  # Chainer's expression, so the same bits
    if withlabel:
        return TupleDataset(images, labels.astype(label_dtype))
    return images
