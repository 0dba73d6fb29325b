"""``chainer.serializers``: save and load Links, Optimizers and iterators as NPZ.

HDF5 (``save_hdf5``/``load_hdf5``) is not provided: h5py is not an mxlite
dependency.
"""

from __future__ import annotations

from ._npz_reader import NpzReader
from .npz import DictionarySerializer, NpzDeserializer, load_npz, save_npz

__all__ = ["DictionarySerializer", "NpzDeserializer", "NpzReader", "save_npz", "load_npz"]
