"""``mx.sym``: the symbolic API, generated from the operator registry."""

from __future__ import annotations

from ..ops.registry import generate_namespace
from ._frontend import make_function
from .naming import NameManager, Prefix
from .symbol import Group, Symbol, Variable, load, load_json, var

__all__ = [
    "Group",
    "NameManager",
    "Prefix",
    "Symbol",
    "Variable",
    "_internal",
    "load",
    "load_json",
    "op",
    "var",
]

op, _internal = generate_namespace(__name__, globals(), __all__, make_function)
