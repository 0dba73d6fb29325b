"""``mx.io``: data iterators (MXNet's DataIter API).

In-memory iterators (:class:`NDArrayIter`, :class:`MNISTIter`,
:class:`CSVIter`) keep their data on the device and gather batches there;
their ``device_epoch()`` gives a whole epoch to a compiled training loop.
"""

from __future__ import annotations

from .csv_iter import CSVIter
from .data_iter import DataBatch, DataDesc, DataIter, DeviceEpoch, ResizeIter
from .mnist_iter import MNISTIter
from .ndarray_iter import NDArrayIter
from .prefetch import PrefetchingIter

__all__ = [
    "CSVIter",
    "DataBatch",
    "DataDesc",
    "DataIter",
    "DeviceEpoch",
    "MNISTIter",
    "NDArrayIter",
    "PrefetchingIter",
    "ResizeIter",
]
