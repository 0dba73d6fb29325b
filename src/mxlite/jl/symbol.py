"""MXNet.jl's symbols: ``mx.Variable``, operators as ``mx.<Op>``, ``mx.chain``, ``>>``.

MXNet.jl wrote a network as a chain of partial operators::

    mlp = @mx.chain mx.Variable(:data) =>
                    mx.FullyConnected(name=:fc1, num_hidden=128) =>
                    mx.SoftmaxOutput(name=:softmax)

In Python that is ``mx.chain(a, b, c)`` or ``a >> b >> c``. The operators are
the registry's, as ``mx.sym`` builds them; this module only wraps their
results in :class:`SymbolicNode` (MXNet.jl's name for a symbol), a
:class:`~mxlite.symbol.Symbol` that also knows ``>>``. The MXNet Python
``Symbol`` itself has no ``>>``, as in MXNet.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .. import symbol as sym
from ..base import GraphError
from ..symbol import Symbol

__all__ = ["SymbolicNode", "Variable", "chain", "operators"]


class SymbolicNode(Symbol):
    """A :class:`~mxlite.symbol.Symbol` with MXNet.jl's chaining: ``a >> b``.

    ``a >> b`` feeds ``a`` into the first free argument of the partial
    operator ``b`` (``b(a)``); it works when either side came from
    ``mxlite.jl``, so a chain started with ``mx.Variable`` stays chainable.

    Example:
        >>> import mxlite.jl as mx
        >>> net = mx.Variable('data') >> mx.FullyConnected(name='fc1', num_hidden=8)
        >>> net.list_arguments()
        ['data', 'fc1_weight', 'fc1_bias']
    """

    __slots__ = ()

    @classmethod
    def of(cls, symbol: Symbol) -> SymbolicNode:
        """The same graph outputs as ``symbol``, as a SymbolicNode (no copy)."""
        if isinstance(symbol, cls):
            return symbol
        # NOTE: shares the heads (graph entries), as Symbol's own methods do.
        return cls(symbol._heads)

    def __rshift__(self, other: Any) -> SymbolicNode:
        if not isinstance(other, Symbol):
            return NotImplemented
        return SymbolicNode.of(other(self))

    def __rrshift__(self, other: Any) -> SymbolicNode:
        if not isinstance(other, Symbol):
            return NotImplemented
        return SymbolicNode.of(self(other))


def Variable(name: str, **kwargs: Any) -> SymbolicNode:
    """A placeholder: MXNet.jl's ``mx.Variable(:data)`` (keywords as mx.sym.Variable).

    Example:
        >>> import mxlite.jl as mx
        >>> mx.Variable('data').list_arguments()
        ['data']
    """
    return SymbolicNode.of(sym.Variable(name, **kwargs))


def chain(first: Symbol, *stages: Symbol) -> SymbolicNode:
    """Feed each symbol into the next one's first argument (MXNet.jl's ``@mx.chain``).

    ``chain(data, fc, act)`` equals ``act(fc(data))``, which equals the nested
    form ``Activation(FullyConnected(data, ...), ...)`` with the same names.

    Raises:
        GraphError: a stage is not a Symbol.

    Example:
        >>> import mxlite.jl as mx
        >>> net = mx.chain(mx.Variable('data'),
        ...                mx.FullyConnected(name='fc1', num_hidden=8),
        ...                mx.Activation(name='relu1', act_type='relu'))
        >>> net.list_arguments()
        ['data', 'fc1_weight', 'fc1_bias']
    """
    result = first
    for i, stage in enumerate((first, *stages)):
        if not isinstance(stage, Symbol):
            raise GraphError(
                f"chain: every stage must be a Symbol; got "
                f"{type(stage).__name__} {stage!r} as stage {i}."
            )
        if i:
            result = stage(result)
    return SymbolicNode.of(result)


def _operator(function: Callable[..., Symbol]) -> Callable[..., SymbolicNode]:
    @functools.wraps(function)
    def operator(*args: Any, **kwargs: Any) -> SymbolicNode:
        return SymbolicNode.of(function(*args, **kwargs))

    return operator


def operators() -> dict[str, Callable[..., SymbolicNode]]:
    """Every public registry operator, as ``mx.sym`` builds it, giving SymbolicNodes."""
    return {
        name: _operator(getattr(sym, name))
        for name in dir(sym.op)
        if not name.startswith("_") and callable(getattr(sym, name, None))
    }
