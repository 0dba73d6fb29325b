"""``mx.nd``: the imperative NDArray API, generated from the operator registry."""

from __future__ import annotations

from ..ops.registry import generate_namespace
from . import random
from ._frontend import make_function
from ._ufunc import maximum, minimum
from .creation import (
    arange,
    array,
    concat,
    empty,
    full,
    load,
    ones,
    save,
    stack,
    waitall,
    zeros,
)
from .ndarray import NDArray, NDArrayIndexError

__all__ = ["NDArray", "NDArrayIndexError", "array", "zeros", "ones", "full", "empty",
           "arange", "concat", "stack", "maximum", "minimum", "waitall", "save", "load",
           "random", "op", "_internal"]

op, _internal = generate_namespace(
    __name__, globals(), __all__, lambda called: make_function(called, NDArray)
)
