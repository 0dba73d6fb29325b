"""``mx.nd.maximum`` / ``mx.nd.minimum``: one function for arrays and scalars.

MXNet 1.x defined these in Python (``_ufunc_helper``): two NDArrays go to the
``broadcast_*`` operator, an NDArray and a number to the ``_*_scalar`` one,
two numbers to Python's ``max`` / ``min``.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

from ..base import DTypeError
from ..ops import get_op
from ._invoke import invoke
from .ndarray import NDArray

__all__ = ["maximum", "minimum"]


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def _run(op_name: str, *inputs: NDArray, **params: Any) -> NDArray:
    opdef = get_op(op_name)
    return invoke(opdef, opdef.parse(params), list(inputs))[0]


def _commutative(name: str, python_fn: Callable) -> Callable:
    def function(lhs: NDArray | float, rhs: NDArray | float) -> NDArray | float:
        if _is_number(lhs) and _is_number(rhs):
            return python_fn(lhs, rhs)
        if _is_number(lhs):
            lhs, rhs = rhs, lhs
        if not isinstance(lhs, NDArray):
            raise DTypeError(
                f"mx.nd.{name}: expected NDArrays or numbers; got {type(lhs).__name__}."
            )
        if _is_number(rhs):
            return _run(f"_{name}_scalar", lhs, scalar=float(rhs))
        if not isinstance(rhs, NDArray):
            raise DTypeError(
                f"mx.nd.{name}: expected NDArrays or numbers; got {type(rhs).__name__}."
            )
        return _run(f"broadcast_{name}", lhs, rhs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (
        f"Elementwise {name} of two arrays (broadcasting) or an array and a number.\n\n"
        f"Example:\n    >>> import mxlite as mx\n"
        f"    >>> mx.nd.{name}(mx.nd.array([1, 3]), 2).asnumpy().tolist()\n"
        f"    {[2.0, 3.0] if name == 'maximum' else [1.0, 2.0]}\n"
    )
    return function


maximum = _commutative("maximum", max)
minimum = _commutative("minimum", min)
