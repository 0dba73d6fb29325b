"""MXNet modules that mxlite plans but does not have yet, and how they say so.

``import mxlite.gluon``, ``from mxlite import gluon`` and ``mx.gluon`` raise
an error that names the module, says it is planned and points to
``docs/api-coverage.md``, instead of Python's bare "No module named".

Example:
    >>> import mxlite
    >>> try:
    ...     import mxlite.gluon
    ... except ImportError as err:
    ...     print(err)
    mxlite.gluon (MXNet's Gluon API) is planned but not in mxlite yet; see \
docs/api-coverage.md for what is supported
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType

__all__ = ["PLANNED", "PlannedFinder", "install_finder", "planned_message"]

PLANNED: dict[str, str] = {
    "gluon": "MXNet's Gluon API",
    "np": "MXNet's NumPy-compatible arrays",
    "npx": "MXNet's NumPy-compatible arrays",
    "kv": "key-value stores for multi-device training",
    "kvstore": "key-value stores for multi-device training",
    "image": "image loading and augmenters, ImageIter",
    "recordio": "RecordIO files",
    "contrib": "contrib operators and tools: tensorboard, onnx, amp",
    "onnx": "ONNX export",
    "viz": "plot_network, print_summary",
    "operator": "Python CustomOp",
    "rnn": "recurrent cells",
}
"""Top-level MXNet module name -> what it is; docs/api-coverage.md lists them."""

_PACKAGE = __name__.rpartition(".")[0]


def planned_message(name: str) -> str:
    """The one sentence every way of reaching a planned module ends in."""
    return (f"{_PACKAGE}.{name} ({PLANNED[name]}) is planned but not in mxlite yet; "
            "see docs/api-coverage.md for what is supported")


class PlannedFinder(importlib.abc.MetaPathFinder):
    """Answers only for ``mxlite.<name>`` with ``name`` in :data:`PLANNED`.

    It sits at the end of ``sys.meta_path``, so it is asked only after the
    normal finders found no such module: a real ``mxlite/<name>.py`` added
    later is imported as usual.
    """

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        """Raise the planned-module error for a planned name; else None."""
        package, _, name = fullname.rpartition(".")
        if package != _PACKAGE or name not in PLANNED:
            return None
        # NOTE: no name= on the error. `from mxlite import gluon` swallows a
        # ModuleNotFoundError whose .name is 'mxlite.gluon' and raises Python's
        # bare "cannot import name" instead.
        raise ModuleNotFoundError(planned_message(name))


def install_finder() -> None:
    """Append one :class:`PlannedFinder` to ``sys.meta_path`` (idempotent)."""
    if not any(isinstance(f, PlannedFinder) for f in sys.meta_path):
        sys.meta_path.append(PlannedFinder())
