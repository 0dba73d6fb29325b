"""The default context and random arrays of ``mx.test_utils``, as MXNet 1.9.1."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import random
from ..base import ParamError
from ..context import Context, current_context
from ..ndarray import NDArray, array

__all__ = ["default_context", "default_dtype", "rand_ndarray", "set_default_context"]


def default_context() -> Context:
    """The context tests run on: the current one (``cpu(0)`` unless set)."""
    return current_context()


def set_default_context(ctx: Context) -> None:
    """Make ``ctx`` the current context of this thread (MXNet's test helper).

    Unlike ``with ctx:``, it stays until changed again.

    Example:
        >>> import mxlite as mx
        >>> set_default_context(mx.cpu(0)); default_context()
        cpu(0)
    """
    if not isinstance(ctx, Context):
        raise ParamError(
            f"set_default_context: ctx must be a Context such as mx.cpu(); "
            f"got {type(ctx).__name__}."
        )
    Context._local.value = ctx  # what `with ctx:` sets; MXNet set its default the same way


def default_dtype() -> type:
    """The dtype of the test arrays: float32."""
    return np.float32


def rand_ndarray(
    shape: tuple,
    stype: str = "default",
    density: float | None = None,
    dtype: Any = None,
    **kwargs: Any,
) -> NDArray:
    """An NDArray of standard-normal values (drawn in float32, then cast to ``dtype``).

    The values come from ``mx.random``'s stream, so ``mx.random.seed`` fixes
    them (MXNet drew from NumPy's global generator). Only dense arrays exist
    in mxlite: ``stype`` other than ``'default'`` raises, and ``density`` and
    MXNet's sparse-only keywords are not accepted.

    Example:
        >>> rand_ndarray((2, 3)).shape
        (2, 3)
    """
    ctx = kwargs.pop("ctx", None)
    if stype != "default" or density is not None or kwargs:
        extra = ", ".join(sorted(kwargs)) or f"stype={stype!r}, density={density!r}"
        raise ParamError(
            f"rand_ndarray: sparse arrays are not supported (docs/api-coverage.md); "
            f"got {extra}. Use stype='default'."
        )
    values = random.numpy_rng().standard_normal(shape).astype(np.float32)
    return array(values, ctx=ctx or default_context(), dtype=dtype)
