"""Build ``mx.sym.<Op>`` functions from the operator registry.

Inputs are Symbols given by position (MXNet's argument order) or by name;
``name=`` names the node and ``attr=`` adds node attributes; everything else is
an operator parameter. An operator called without its data input returns a
partial symbol (its input a free variable ``<name>_data``, as in MXNet), which
composition fills in (MXNet.jl's chaining in ``mxlite.jl``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..ndarray._frontend import split_inputs
from ..ops import get_op
from .symbol import Symbol, create

__all__ = ["make_function"]


def _is_symbol(value: Any) -> bool:
    return isinstance(value, Symbol)


def make_function(called: str) -> Callable:
    """The ``mx.sym`` function for operator name or alias ``called``."""
    opdef = get_op(called)

    def function(*args: Any, name: str | None = None, attr: dict | None = None,
                 **kwargs: Any) -> Symbol:
        pos, named, params = split_inputs(opdef, args, kwargs, _is_symbol)
        return create(called, pos, params, named=named, name=name, attr=attr)

    function.__name__ = called
    function.__qualname__ = called
    function.__doc__ = opdef.docstring()
    return function
