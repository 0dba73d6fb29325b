"""``mxlite info``: versions, the bundled data and the devices JAX can see."""

from __future__ import annotations

import argparse
import os
import platform
from importlib import metadata

import jax

from .. import __version__, _platform
from ..datasets import bundled_dir

__all__ = ["run"]


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def run(args: argparse.Namespace) -> int:
    """Print versions, data location and devices; return 0."""
    print(f"mxlite     {__version__} ({os.path.dirname(os.path.dirname(__file__))})")
    print(f"python     {platform.python_version()} ({platform.machine()})")
    for package in ("jax", "jaxlib", "optax", "numpy", "matplotlib"):
        print(f"{package:10s} {_version(package)}")
    data = os.environ.get("MXLITE_DATA")
    print(f"mnist      {data} (MXLITE_DATA)" if data else f"mnist      {bundled_dir()}")
    print(f"backend    {jax.default_backend()}")
    for device in jax.devices():
        print(f"device     {device.platform}:{device.id} {device.device_kind}")
    print(f"gpus       {len(_platform.devices('gpu'))}")
    return 0
