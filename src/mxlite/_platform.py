"""The one place that reads JAX's platform, sets JAX's config and maps devices.

Every other module asks this one which devices exist and which lowering
variant (``"cpu"``, ``"gpu"``) an operator should use on a given device.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import jax

from .base import ContextError

__all__ = ["devices", "device_for", "platform_of", "num_devices", "compilation_cache"]

# MXNet has float64 and int64 arrays; JAX only keeps them with x64 on. mxlite
# always names its dtypes explicitly, so this changes no default of ours.
jax.config.update("jax_enable_x64", True)

_OFF = {"0", "off", "false", "no", "none"}


def _cache_dir() -> Path | None:
    """Where compiled programs persist: ``$MXLITE_COMPILATION_CACHE`` (a folder,
    or ``off``), else ``$XDG_CACHE_HOME/mxlite/xla`` (``~/.cache/mxlite/xla``)."""
    setting = os.environ.get("MXLITE_COMPILATION_CACHE", "").strip()
    if setting.lower() in _OFF:
        return None
    if setting:
        return Path(setting).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mxlite" / "xla"


def _private(path: Path) -> str | None:
    """Why ``path`` must not hold the cache, or None if it is ours alone.

    JAX runs what it loads from this folder: anyone who can write there can run
    code in this process, so it must belong to this user with mode 0700.
    """
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = path.stat()
    except OSError as err:
        return f"cannot create it ({err.strerror})"
    if info.st_uid != os.getuid():
        return f"it belongs to uid {info.st_uid}, not to this user ({os.getuid()})"
    if info.st_mode & 0o077:
        return f"its mode is {info.st_mode & 0o777:o}; group and others must have no access"
    return None


def compilation_cache() -> Path | None:
    """Turn on JAX's persistent compilation cache in a private per-user folder.

    A second run of the same model then loads its compiled training step from
    disk instead of compiling it again (for LeNet on CPU: seconds). Returns
    the folder, or None when it is off (``MXLITE_COMPILATION_CACHE=off``),
    already set by the user through JAX, or unsafe (logged, never used).
    """
    if jax.config.jax_compilation_cache_dir:
        return Path(jax.config.jax_compilation_cache_dir)
    path = _cache_dir()
    if path is None:
        return None
    problem = _private(path)
    if problem:
        logging.getLogger(__name__).warning(
            "mxlite: not using %s as the compilation cache: %s. Set "
            "MXLITE_COMPILATION_CACHE to a private folder or to 'off'.", path, problem)
        return None
    jax.config.update("jax_compilation_cache_dir", str(path))
    # JAX's default (1 s) would skip the MLP's sub-second training step.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    return path


compilation_cache()

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
