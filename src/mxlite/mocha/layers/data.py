"""Mocha's data layers: ``HDF5DataLayer`` (files named by a source list) and
``MemoryDataLayer`` (arrays in memory).

Both serve batches that run across file and epoch boundaries, with no
padding and no dropping (Mocha's rule), and count epochs. Samples are
along the FIRST axis (mxlite's (N, C, H, W)); Mocha's Julia arrays had them
last. A layer object is a description: each net opens its own stream.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from ...base import FormatError, ParamError, ShapeError
from ...io.hdf5_stream import (
    HDF5Stream,
    rng_from_file,
    rng_to_file,
    state_int,
    state_permutation,
)
from .. import _seed
from .base import Layer, blob_names

__all__ = ["HDF5DataLayer", "MemoryDataLayer"]


def _batch_size(where: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ParamError(f"{where}: batch_size must be an integer >= 1; got {value!r}.")
    return value


class _DataLayer(Layer):
    is_data = True

    def stream_seed(self) -> int:
        """The shuffling seed: ``srand``'s seed mixed with the layer's name."""
        return (_seed.current() * 1_000_003 + zlib.crc32(self.name.encode())) % 2**63


class HDF5DataLayer(_DataLayer):
    """Batches from the HDF5 files listed in ``source`` (one path a line,
    relative to the list's folder); one dataset per top. Read in chunks,
    never whole files."""

    kind = "HDF5DataLayer"

    def __init__(self, *, name: str = "hdf5-data", source: str, batch_size: int,
                 tops: Any = ("data", "label"), shuffle: bool = False,
                 transformers: Any = ()) -> None:
        super().__init__(name=name)
        if not isinstance(source, str) or not source:
            raise ParamError(f"{self.where}: source must name a list file; got {source!r}.")
        self.source = source
        self.batch_size = _batch_size(self.where, batch_size)
        self.tops = blob_names(self.where, "tops", tops)
        self.shuffle = bool(shuffle)
        if list(transformers):
            raise ParamError(f"{self.where}: data transformers are not supported; "
                             "scale or centre the data when writing the file.")

    def open(self) -> HDF5Stream:
        """A new stream over the files (checked now, read lazily)."""
        return HDF5Stream(self.source, self.batch_size, self.tops, shuffle=self.shuffle,
                          seed=self.stream_seed(), where=self.where)


class MemoryDataLayer(_DataLayer):
    """Batches from ``data``, one array per top, samples along the first axis.

    ``get_layer(net, name).data[0]`` is the array itself: writing into it
    changes what the next ``forward`` reads (the tutorial's prediction flow).
    """

    kind = "MemoryDataLayer"

    def __init__(self, *, name: str = "memory-data", tops: Any = ("data", "label"),
                 batch_size: int, data: Any, shuffle: bool = False) -> None:
        super().__init__(name=name)
        self.tops = blob_names(self.where, "tops", tops)
        self.batch_size = _batch_size(self.where, batch_size)
        arrays = list(data) if isinstance(data, (list, tuple)) else None
        if arrays is None or len(arrays) != len(self.tops):
            raise ParamError(f"{self.where}: data must be a list of {len(self.tops)} "
                             f"array(s), one per top {list(self.tops)}; got {data!r:.80}.")
        self.data = [np.asarray(a) for a in arrays]
        counts = {len(a) if a.ndim else 0 for a in self.data}
        if len(counts) != 1 or 0 in counts:
            raise ShapeError(f"{self.where}: every data array needs the same number of "
                             f"samples (first axis) >= 1; got shapes "
                             f"{[a.shape for a in self.data]}.")
        for top, a in zip(self.tops, self.data):
            if a.dtype.kind not in "fiu":
                raise ParamError(f"{self.where}: data for {top!r} must be numeric; got "
                                 f"dtype {a.dtype}.")
        self.shuffle = bool(shuffle)

    def open(self) -> MemoryStream:
        return MemoryStream(self)


class MemoryStream:
    """The stream of a :class:`MemoryDataLayer`: the same interface as
    :class:`~mxlite.io.hdf5_stream.HDF5Stream`, reading the layer's arrays
    at each ``take`` (so a write into them is seen)."""

    def __init__(self, layer: MemoryDataLayer) -> None:
        self.layer = layer
        self.batch_size = layer.batch_size
        self.n_samples = len(layer.data[0])
        self.sample_shapes = {t: a.shape[1:] for t, a in zip(layer.tops, layer.data)}
        self.dtypes = {t: a.dtype for t, a in zip(layer.tops, layer.data)}
        self.epoch, self.position = 0, 0
        self._rng = np.random.default_rng(layer.stream_seed())
        self._order = self._new_order()

    def _new_order(self) -> np.ndarray:
        n = self.n_samples
        return self._rng.permutation(n) if self.layer.shuffle else np.arange(n)

    def _rows(self, count: int) -> np.ndarray:
        out = []
        while count:
            part = self._order[self.position:self.position + count]
            out.append(part)
            count -= len(part)
            self.position += len(part)
            if self.position == self.n_samples:
                self.epoch, self.position = self.epoch + 1, 0
                self._order = self._new_order()
        return np.concatenate(out)

    def take(self, n_batches: int) -> dict[str, np.ndarray]:
        rows = self._rows(n_batches * self.batch_size)
        return {t: a[rows] for t, a in zip(self.layer.tops, self.layer.data)}

    def peek(self, n_batches: int = 1) -> dict[str, np.ndarray]:
        saved = self.state()
        try:
            return self.take(n_batches)
        finally:
            self.restore(saved)

    def batches_until_epoch_end(self) -> int:
        left = self.n_samples - self.position
        return -(-left // self.batch_size)

    def state(self) -> dict:
        """The position and shuffle state, as values an HDF5 file holds."""
        return {"epoch": self.epoch, "position": self.position,
                "order": self._order.copy(), "rng": rng_to_file(self._rng.bit_generator.state)}

    def restore(self, state: dict) -> None:
        """Continue from :meth:`state` (checked: FormatError on a bad one)."""
        where = self.layer.where
        try:
            epoch = state_int(state, "epoch", 2**62, where)
            position = state_int(state, "position", self.n_samples, where)
            order = state_permutation(state, "order", self.n_samples, where)
            rng = rng_from_file(state["rng"], where)
        except (KeyError, TypeError) as err:
            raise FormatError(f"{where}: the saved data position is incomplete ({err}).") \
                from err
        self.epoch, self.position, self._order = epoch, position, order
        self._rng.bit_generator.state = rng
