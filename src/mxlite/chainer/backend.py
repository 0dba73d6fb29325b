"""``chainer.backend``: array modules and devices (NumPy on the CPU, JAX on a GPU).

``get_array_module(x)`` is ``numpy`` for CPU data and ``cuda.cupy`` (a
:class:`~mxlite.ndarray.array_module.DeviceArrayModule`) for GPU data. A
device is named as in Chainer 7: ``-1``/``'@numpy'``/``'cpu'`` for the CPU,
``0``/``'@cupy:0'``/``'gpu:0'`` for a GPU.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..base import ContextError
from ..context import Context, current_context, num_gpus
from ..ndarray.array_module import DeviceArrayModule
from ..ndarray.ndarray import to_jax

__all__ = ["Device", "send_to", "get_array_module", "get_device", "get_device_from_array",
           "array_module_for", "gpu_context", "context_of_device", "device_of_context",
           "CpuDevice", "GpuDevice"]

_CUPY: dict[int, DeviceArrayModule] = {}


class Device:
    """A device as Chainer names it; ``use()`` makes it the current one."""

    def __init__(self, context: Context) -> None:
        self.context = context

    @property
    def xp(self) -> Any:
        return array_module_for(self.context)

    @property
    def id(self) -> int:
        return self.context.device_id if self.context.device_type == "gpu" else -1

    def use(self) -> Device:
        Context._local.value = self.context
        return self

    def send(self, array: Any) -> Any:
        return to_jax(array, self.context)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Device) and other.context == self.context

    def __hash__(self) -> int:
        return hash(self.context)

    def __enter__(self) -> Device:
        self._old = getattr(Context._local, "value", None)
        self.use()
        return self

    def __exit__(self, *exc: Any) -> None:
        Context._local.value = self._old

    def __repr__(self) -> str:
        if self.context.device_type == "gpu":
            return f"<GpuDevice (cupy):{self.context.device_id}>"
        return "<CpuDevice (numpy)>"


CpuDevice = GpuDevice = Device


def gpu_context(device: Any = None) -> Context:
    """The GPU context of ``device`` (an id, a Device, or None: the current GPU)."""
    if device is None:
        ctx = current_context()
        device = ctx.device_id if ctx.device_type == "gpu" else 0
    if isinstance(device, Device):
        return device.context
    ctx = Context("gpu", int(device))
    _check_gpu(ctx)
    return ctx


def _check_gpu(ctx: Context) -> None:
    count = num_gpus()
    if ctx.device_id >= count:
        raise ContextError(
            f"chainer.cuda: GPU {ctx.device_id} was asked for but this machine has "
            f"{count} GPU{'s' if count != 1 else ''} visible to JAX; use device -1 "
            "(the CPU), e.g. --gpu -1.")


def context_of_device(device: Any) -> Context:
    """A Context from a Chainer device spec."""
    if isinstance(device, Device):
        return device.context
    if isinstance(device, Context):
        return device
    if device is None or device is np:
        return Context("cpu", 0)
    if isinstance(device, (int, np.integer)):
        return Context("cpu", 0) if device < 0 else gpu_context(int(device))
    if isinstance(device, str):
        spec = device.lstrip("@")
        if spec in ("numpy", "cpu", "native", "native:0"):
            return Context("cpu", 0)
        for prefix in ("cupy:", "gpu:", "cuda:"):
            if spec.startswith(prefix) and spec[len(prefix):].isdigit():
                return gpu_context(int(spec[len(prefix):]))
    raise ContextError(f"chainer.get_device: cannot read device {device!r}; expected -1, "
                       "'@numpy', a GPU id such as 0, or '@cupy:0'.")


def send_to(device: Any, array: Any) -> Any:
    """``array`` placed on Chainer device ``device`` (the converters' sender)."""
    return to_jax(array, context_of_device(device))


def get_device(device_spec: Any) -> Device:
    """``chainer.get_device('@cupy:0')``, ``get_device(-1)``, ..."""
    return Device(context_of_device(device_spec))


def device_of_context(ctx: Context) -> Device:
    return Device(ctx)


def array_module_for(ctx: Context) -> Any:
    """``numpy`` for the CPU, the GPU's DeviceArrayModule otherwise."""
    if ctx.device_type != "gpu":
        return np
    module = _CUPY.get(ctx.device_id)
    if module is None:
        module = _CUPY[ctx.device_id] = DeviceArrayModule(ctx)
    return module


def get_array_module(*args: Any) -> Any:
    """The array module of the first Variable or array on a GPU, else ``numpy``."""
    for arg in args:
        data = getattr(arg, "_data", arg)
        devices = getattr(data, "devices", None)
        if callable(devices):
            try:
                dev = next(iter(devices()))
            except Exception:  # noqa: BLE001  a tracer has no devices: stay on NumPy
                continue
            if dev.platform != "cpu":
                return array_module_for(Context("gpu", dev.id))
    return np


def get_device_from_array(*arrays: Any) -> Device:
    xp = get_array_module(*arrays)
    return Device(xp.context) if xp is not np else Device(Context("cpu", 0))
