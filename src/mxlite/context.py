"""Device contexts, MXNet style: ``mx.cpu()``, ``mx.gpu(1)``, ``with ctx:``."""

from __future__ import annotations

import threading

import jax

from . import _platform
from .base import ContextError

__all__ = ["Context", "cpu", "gpu", "num_gpus", "current_context"]

_DEVTYPE2ID = {"cpu": 1, "gpu": 2, "cpu_pinned": 3, "cpu_shared": 5}
_DEVID2TYPE = {v: k for k, v in _DEVTYPE2ID.items()}


class Context:
    """A device on which arrays live and operators run.

    Creating a context never fails; using one whose device is missing raises
    :class:`~mxlite.base.ContextError` (never a silent fallback to the CPU).

    Example:
        >>> import mxlite as mx
        >>> mx.cpu(0)
        cpu(0)
    """

    _local = threading.local()
    devtype2str = _DEVID2TYPE
    devstr2type = _DEVTYPE2ID

    def __init__(self, device_type: str | Context, device_id: int = 0) -> None:
        if isinstance(device_type, Context):
            device_type, device_id = device_type.device_type, device_type.device_id
        if device_type not in _DEVTYPE2ID:
            raise ContextError(
                f"Context: unknown device_type {device_type!r}; expected one of "
                f"{sorted(_DEVTYPE2ID)}."
            )
        if not isinstance(device_id, int) or device_id < 0:
            raise ContextError(
                f"Context: device_id must be an int >= 0; got {device_id!r}."
            )
        self.device_type = device_type
        self.device_id = device_id
        self._old = []

    @property
    def device_typeid(self) -> int:
        """MXNet's numeric device type (1 cpu, 2 gpu)."""
        return _DEVTYPE2ID[self.device_type]

    @property
    def jax_device(self) -> jax.Device:
        """The JAX device behind this context (raises if it does not exist)."""
        kind = "gpu" if self.device_type == "gpu" else "cpu"
        return _platform.device_for(kind, self.device_id)

    @property
    def platform(self) -> str:
        """The lowering variant, ``'cpu'`` or ``'gpu'``."""
        return "gpu" if self.device_type == "gpu" else "cpu"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Context)
            and self.device_type == other.device_type
            and self.device_id == other.device_id
        )

    def __hash__(self) -> int:
        return hash((self.device_type, self.device_id))

    def __repr__(self) -> str:
        return f"{self.device_type}({self.device_id})"

    __str__ = __repr__

    def __enter__(self) -> Context:
        self._old.append(current_context())
        Context._local.value = self
        return self

    def __exit__(self, *exc) -> None:
        Context._local.value = self._old.pop()

    def empty_cache(self) -> None:
        """Accepted for MXNet compatibility; XLA owns its memory pools."""


def cpu(device_id: int = 0) -> Context:
    """Return a CPU context."""
    return Context("cpu", device_id)


def gpu(device_id: int = 0) -> Context:
    """Return a GPU context (checked when first used)."""
    return Context("gpu", device_id)


def num_gpus() -> int:
    """Count the GPUs JAX can see."""
    return _platform.num_devices("gpu")


def current_context() -> Context:
    """The context set by the innermost ``with ctx:``, else ``cpu(0)``."""
    return getattr(Context._local, "value", None) or Context("cpu", 0)
