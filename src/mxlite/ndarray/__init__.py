"""``mx.nd``: the imperative NDArray API, generated from the operator registry."""

from __future__ import annotations

import types

from ..ops import all_names
from . import random
from ._frontend import make_function
from ._ufunc import maximum, minimum
from .creation import (arange, array, concat, empty, full, load, ones, save, stack,
                       waitall, zeros)
from .ndarray import NDArray, NDArrayIndexError

__all__ = ["NDArray", "NDArrayIndexError", "array", "zeros", "ones", "full", "empty",
           "arange", "concat", "stack", "maximum", "minimum", "waitall", "save", "load",
           "random", "op", "_internal"]

op = types.ModuleType(f"{__name__}.op", "Every registry operator as a function.")
_internal = types.ModuleType(f"{__name__}._internal", "Operators with a leading _.")


def _generate() -> None:
    """Create one function per operator name and alias (MXNet's mx.nd.<Op>)."""
    for called in sorted(all_names()):
        function = make_function(called, NDArray)
        setattr(op, called, function)
        setattr(_internal, called, function)
        if not called.startswith("_") and called not in globals():
            globals()[called] = function
            __all__.append(called)


_generate()
