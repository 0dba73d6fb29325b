"""``chainer.dataset``: the dataset and iterator protocols and batch conversion."""

from __future__ import annotations

from . import convert
from .convert import concat_examples, set_device_sender, to_device
from .dataset_mixin import DatasetMixin
from .iterator import Iterator

__all__ = [
    "DatasetMixin",
    "Iterator",
    "concat_examples",
    "convert",
    "set_device_sender",
    "to_device",
]
