"""``chainer.cuda`` (``chainer.backends.cuda``): the GPU, through JAX.

``cuda.get_device(0).use()`` selects GPU 0 (a clear error when JAX sees no
GPU), ``cuda.cupy`` is an array module placing arrays on it, ``to_cpu`` /
``to_gpu`` move arrays. ``available`` says whether JAX sees a GPU.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..context import Context, num_gpus
from ..ndarray.ndarray import to_jax
from .backend import (
    Device,
    array_module_for,
    get_array_module,
    get_device_from_array,
    gpu_context,
)

__all__ = ["cudnn_enabled", "get_array_module", "get_device",
           "get_device_from_id", "to_cpu", "to_gpu", "DummyDevice"]

cudnn_enabled = False
DummyDevice = Device(Context("cpu", 0))


def __getattr__(name: str) -> Any:
    if name == "available":
        return num_gpus() > 0
    if name == "cupy":
        return array_module_for(Context("gpu", 0))
    raise AttributeError(f"module 'chainer.cuda' has no attribute {name!r}")


def get_device(device: Any = None) -> Device:
    """The GPU ``device`` (deprecated in Chainer since v3, still used by tutorials)."""
    if isinstance(device, Device):
        return device
    if device is None:
        return DummyDevice
    if hasattr(device, "_data"):
        return get_device_from_array(device)
    if isinstance(device, (int, np.integer)) and device < 0:
        return DummyDevice
    return Device(gpu_context(int(device)))


get_device_from_id = get_device


def to_cpu(array: Any, stream: Any = None) -> Any:
    """A NumPy copy of ``array`` (a Variable's array, a JAX array or NumPy)."""
    if array is None:
        return None
    return np.asarray(getattr(array, "_data", array))


def to_gpu(array: Any, device: Any = None, stream: Any = None) -> Any:
    """``array`` placed on GPU ``device`` (default: the current one)."""
    return to_jax(getattr(array, "_data", array), gpu_context(device))
