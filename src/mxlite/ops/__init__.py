"""The operator registry and every operator in it (importing fills it)."""

from __future__ import annotations

import importlib
import pkgutil

from .. import _platform  # noqa: F401  (JAX config: x64 before any lowering)
from .registry import OpDef, all_names, get_op, has_op, list_ops, register_op

__all__ = ["OpDef", "get_op", "has_op", "list_ops", "register_op", "all_names"]


def _load_all() -> None:
    for group in ("nn", "loss", "tensor", "random"):
        package = importlib.import_module(f"{__name__}.{group}")
        for info in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{info.name}")


_load_all()
