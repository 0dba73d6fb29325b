"""``mx.nd.random``: samplers drawing keys from ``mx.random.seed``'s stream."""

from __future__ import annotations

from typing import Any

from ..context import Context
from ..ops import get_op
from ._invoke import invoke
from .ndarray import NDArray, as_context

__all__ = ["uniform", "normal"]


def _sample(op_name: str, shape: Any, dtype: Any, ctx: Context | None, out: Any,
            **params: Any) -> NDArray:
    opdef = get_op(op_name)
    shape = (shape,) if isinstance(shape, int) else tuple(shape or (1,))
    p = opdef.parse({"shape": shape, "dtype": dtype or "float32", **params})
    result = invoke(opdef, p, [], ctx=as_context(ctx), array_cls=NDArray)[0]
    if out is not None:
        out._data = result._data
        return out
    return result


def uniform(low: float = 0.0, high: float = 1.0, shape: Any = (1,), dtype: Any = None,
            ctx: Context | None = None, out: NDArray | None = None) -> NDArray:
    """Samples from U(low, high)."""
    return _sample("_random_uniform", shape, dtype, ctx, out, low=low, high=high)


def normal(loc: float = 0.0, scale: float = 1.0, shape: Any = (1,), dtype: Any = None,
           ctx: Context | None = None, out: NDArray | None = None) -> NDArray:
    """Samples from N(loc, scale^2)."""
    return _sample("_random_normal", shape, dtype, ctx, out, loc=loc, scale=scale)
