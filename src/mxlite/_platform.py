"""The one place that reads JAX's platform, sets JAX's config and maps devices.

Every other module asks this one which devices exist and which lowering
variant (``"cpu"``, ``"gpu"``) an operator should use on a given device.
"""

from __future__ import annotations

import jax

from .base import ContextError

__all__ = ["devices", "device_for", "platform_of", "num_devices"]

# MXNet has float64 and int64 arrays; JAX only keeps them with x64 on. mxlite
# always names its dtypes explicitly, so this changes no default of ours.
jax.config.update("jax_enable_x64", True)

_JAX_PLATFORM = {"cpu": "cpu", "gpu": "gpu"}


def devices(device_type: str) -> list[jax.Device]:
    """Return JAX's devices for ``'cpu'`` or ``'gpu'`` (empty when none)."""
    try:
        return list(jax.devices(_JAX_PLATFORM[device_type]))
    except RuntimeError:
        return []


def num_devices(device_type: str) -> int:
    """Count the devices of one type."""
    return len(devices(device_type))


def device_for(device_type: str, device_id: int) -> jax.Device:
    """Map an MXNet context onto a JAX device, failing clearly if absent.

    ``cpu(i)`` for any ``i`` maps onto the host: JAX exposes one CPU device by
    default, and MXNet's ``cpu(1)`` named the same host memory too.
    """
    found = devices(device_type)
    if device_type == "cpu":
        return found[device_id % len(found)]
    if not found:
        raise ContextError(
            f"{device_type}({device_id}) was requested but JAX found no "
            f"{device_type.upper()} (devices: {jax.devices()}). Use mx.cpu(), or "
            "install a CUDA build of jaxlib."
        )
    if device_id >= len(found):
        raise ContextError(
            f"{device_type}({device_id}) was requested but only {len(found)} "
            f"{device_type.upper()} device(s) exist; ids are 0..{len(found) - 1}."
        )
    return found[device_id]


def platform_of(device: jax.Device) -> str:
    """Name the lowering variant for a device: ``'cpu'`` or ``'gpu'``."""
    return "cpu" if device.platform == "cpu" else "gpu"


def default_platform() -> str:
    """The lowering variant of JAX's default device."""
    return platform_of(jax.devices()[0])
