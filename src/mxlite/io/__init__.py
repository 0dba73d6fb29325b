"""``mx.io``: data iterators (MXNet's DataIter API).

In-memory iterators (:class:`NDArrayIter`, :class:`MNISTIter`) keep their data
on the device and gather batches there; their ``device_epoch()`` gives a whole
epoch to a compiled training loop.
"""

from __future__ import annotations

from .data_iter import DataBatch, DataDesc, DataIter, DeviceEpoch, ResizeIter
from .mnist_iter import MNISTIter
from .ndarray_iter import NDArrayIter
from .prefetch import PrefetchingIter

__all__ = [
    "DataBatch",
    "DataDesc",
    "DataIter",
    "DeviceEpoch",
    "MNISTIter",
    "NDArrayIter",
    "PrefetchingIter",
    "ResizeIter",
]
