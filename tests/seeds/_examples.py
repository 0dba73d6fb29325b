"""Load the scripts of ``examples/`` as modules, and keep their logging local."""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import pathlib
from collections.abc import Iterator
from types import ModuleType

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def load_example(name: str) -> ModuleType:
    """``examples/<name>.py`` as a module (its ``main`` is not run)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def root_logging_restored() -> Iterator[None]:
    """The examples set the root logger's level as the tutorials did; undo it."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        yield
    finally:
        root.setLevel(level)
        root.handlers[:] = handlers
