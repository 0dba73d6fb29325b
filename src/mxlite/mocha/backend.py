"""Mocha's backends: where a net's arrays live, and the parameter registry.

``CPUBackend()`` and ``GPUBackend()`` pick a JAX device through
:mod:`mxlite.context`. As in Mocha, a backend holds the **parameter
registry**: nets built on the same backend share a layer's parameters by
the layer's ``param_key`` (or its name), which is how the LeNet tutorial's
train and test nets share LeNet's weights. Unlike Mocha, registering a key again with
the same shapes shares the existing arrays (Mocha destroyed them), and with
other shapes is an error naming the layer and both shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..base import ContextError, ShapeError
from ..context import Context, cpu, gpu, num_gpus
from ..ndarray import NDArray

__all__ = ["Backend", "CPUBackend", "GPUBackend", "ParamBlob", "init", "shutdown"]


@dataclass
class ParamBlob:
    """One learned array of a layer (Mocha's ``Parameter``): its data, role
    (``"filter"``, ``"weight"`` or ``"bias"``), lr multiplier and regularizer."""

    name: str
    role: str
    data: NDArray
    lr_mult: float
    regularizer: Any
    gradient: NDArray | None = None


@dataclass
class Backend:
    """A device and its parameter registry (``key -> [ParamBlob, ...]``)."""

    context: Context
    params: dict[str, list[ParamBlob]] = field(default_factory=dict)
    initialized: bool = False

    def lookup(self, key: str, shapes: list[tuple], layer: str) -> list[ParamBlob] | None:
        """The registered blobs of ``key`` when their shapes match, else None
        (nothing registered); other shapes raise :class:`ShapeError`."""
        found = self.params.get(key)
        if found is None:
            return None
        have = [b.data.shape for b in found]
        if have != [tuple(s) for s in shapes]:
            raise ShapeError(f"layer {layer!r}: parameters {key!r} are registered on this "
                             f"backend with shapes {have}, but this net needs {shapes}; "
                             "give the layer another name or param_key.")
        return found

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.context})"


def CPUBackend() -> Backend:
    """Mocha's ``CPUBackend()``: arrays on JAX's CPU device."""
    return Backend(cpu())


def GPUBackend(device: int = 0) -> Backend:
    """Mocha's ``GPUBackend()``: arrays on GPU ``device``; an error without one."""
    if num_gpus() <= device:
        raise ContextError(f"GPUBackend: JAX finds {num_gpus()} GPU(s), so GPU {device} "
                           "does not exist; use CPUBackend().")
    return Backend(gpu(device))


def init(backend: Backend) -> Backend:
    """Mocha's ``init(backend)``: mark it ready (JAX needs no set-up)."""
    backend.initialized = True
    return backend


def shutdown(backend: Backend) -> None:
    """Mocha's ``shutdown(backend)``: forget every registered parameter."""
    backend.params.clear()
    backend.initialized = False
