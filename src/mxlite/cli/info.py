"""``mxlite info``: versions and the devices JAX can see."""

from __future__ import annotations

import argparse
import platform
from importlib import metadata

import jax

__all__ = ["run"]


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def run(args: argparse.Namespace) -> int:
    """Print versions and devices; return 0."""
    print(f"mxlite   {_version('mxlite')}")
    print(f"python   {platform.python_version()} ({platform.machine()})")
    for package in ("jax", "jaxlib", "optax", "numpy"):
        print(f"{package:8s} {_version(package)}")
    print(f"backend  {jax.default_backend()}")
    for device in jax.devices():
        print(f"device   {device.platform}:{device.id} {device.device_kind}")
    gpus = [d for d in jax.devices() if d.platform == "gpu"]
    print(f"gpus     {len(gpus)}")
    return 0
