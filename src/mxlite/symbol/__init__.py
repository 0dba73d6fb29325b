"""``mx.sym``: the symbolic API, generated from the operator registry."""

from __future__ import annotations

import types

from ..ops import all_names
from ._frontend import make_function
from .naming import NameManager, Prefix
from .symbol import Group, Symbol, Variable, chain, load, load_json, var

__all__ = [
    "Group",
    "NameManager",
    "Prefix",
    "Symbol",
    "Variable",
    "_internal",
    "chain",
    "load",
    "load_json",
    "op",
    "var",
]

op = types.ModuleType(f"{__name__}.op", "Every registry operator as a function.")
_internal = types.ModuleType(f"{__name__}._internal", "Operators with a leading _.")


def _generate() -> None:
    """Create one function per operator name and alias (MXNet's mx.sym.<Op>)."""
    for called in sorted(all_names()):
        function = make_function(called)
        setattr(op, called, function)
        setattr(_internal, called, function)
        if not called.startswith("_") and called not in globals():
            globals()[called] = function
            __all__.append(called)


_generate()
