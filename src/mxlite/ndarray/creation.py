"""Creating, saving and synchronising NDArrays."""

from __future__ import annotations

import os
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..base import DTypeError, ParamError
from ..context import Context
from ..ops import get_op
from ._invoke import invoke
from .ndarray import NDArray, as_context, to_jax
from .serialization import load_arrays, save_arrays

__all__ = ["array", "zeros", "ones", "full", "empty", "arange", "concat", "stack",
           "waitall", "save", "load"]

_DEFAULT_DTYPE = "float32"


def _shape(shape: Any) -> tuple[int, ...]:
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if any(not isinstance(d, (int, np.integer)) or d < 0 for d in shape):
        raise ParamError(f"shape must be a tuple of ints >= 0; got {shape!r}.")
    return tuple(int(d) for d in shape)


def array(source_array: Any, ctx: Context | None = None, dtype: Any = None) -> NDArray:
    """Make an NDArray from an array-like; NumPy data becomes float32 by default.

    MXNet converted NumPy input to float32 unless told otherwise; so does this.
    """
    ctx = as_context(ctx)
    if isinstance(source_array, NDArray):
        dtype = source_array.dtype if dtype is None else dtype
        return NDArray(to_jax(source_array._data.astype(dtype), ctx), ctx)
    dtype = _DEFAULT_DTYPE if dtype is None else dtype
    try:
        data = np.asarray(source_array, dtype=dtype)
    except (TypeError, ValueError) as err:
        raise DTypeError(f"mx.nd.array: cannot convert {type(source_array).__name__} "
                         f"to {np.dtype(dtype).name}: {err}") from None
    return NDArray(to_jax(data, ctx), ctx)


def full(shape: Any, val: float, ctx: Context | None = None,
         dtype: Any = _DEFAULT_DTYPE) -> NDArray:
    """An array of ``shape`` filled with ``val``."""
    ctx = as_context(ctx)
    with jax.default_device(ctx.jax_device):
        return NDArray(jnp.full(_shape(shape), val, dtype=np.dtype(dtype)), ctx)


def zeros(shape: Any, ctx: Context | None = None, dtype: Any = _DEFAULT_DTYPE,
          **kwargs: Any) -> NDArray:
    """An array of zeros."""
    return full(shape, 0, ctx, dtype)


def ones(shape: Any, ctx: Context | None = None, dtype: Any = _DEFAULT_DTYPE,
         **kwargs: Any) -> NDArray:
    """An array of ones."""
    return full(shape, 1, ctx, dtype)


def empty(shape: Any, ctx: Context | None = None, dtype: Any = _DEFAULT_DTYPE) -> NDArray:
    """An array to be overwritten (zeros: XLA has no uninitialised memory)."""
    return full(shape, 0, ctx, dtype)


def arange(start: float, stop: float | None = None, step: float = 1.0, repeat: int = 1,
           ctx: Context | None = None, dtype: Any = _DEFAULT_DTYPE) -> NDArray:
    """Evenly spaced values in [start, stop), each repeated ``repeat`` times."""
    values = np.arange(start, stop, step, dtype=np.dtype(dtype))
    if repeat > 1:
        values = np.repeat(values, repeat)
    return array(values, ctx, dtype)


def concat(*data: NDArray, dim: int = 1, **kwargs: Any) -> NDArray:
    """Join arrays along ``dim`` (MXNet's ``Concat``)."""
    opdef = get_op("Concat")
    return invoke(opdef, opdef.parse({"num_args": len(data), "dim": dim, **kwargs}),
                  list(data))[0]


def stack(*data: NDArray, axis: int = 0, **kwargs: Any) -> NDArray:
    """Stack arrays along a new axis."""
    opdef = get_op("stack")
    return invoke(opdef, opdef.parse({"num_args": len(data), "axis": axis, **kwargs}),
                  list(data))[0]


def waitall() -> None:
    """Block until every pending computation has finished."""
    for live in jax.live_arrays():
        live.block_until_ready()


def save(fname: str | os.PathLike, data: NDArray | list | dict) -> None:
    """Save NDArrays in MXNet's binary format (atomically)."""
    if isinstance(data, NDArray):
        data = [data]
    if isinstance(data, dict):
        bad = [k for k, v in data.items() if not isinstance(v, NDArray)]
        payload: Any = {k: v.asnumpy() for k, v in data.items()}
    else:
        bad = [i for i, v in enumerate(data) if not isinstance(v, NDArray)]
        payload = [v.asnumpy() for v in data]
    if bad:
        raise DTypeError(f"mx.nd.save({str(fname)!r}): entry {bad[0]!r} is not an NDArray.")
    save_arrays(fname, payload)


def load(fname: str | os.PathLike, ctx: Context | None = None) -> list | dict:
    """Load a file written by ``mx.nd.save`` (mxlite's or MXNet's)."""
    loaded = load_arrays(fname)
    if isinstance(loaded, dict):
        return {k: array(v, ctx, v.dtype) for k, v in loaded.items()}
    return [array(v, ctx, v.dtype) for v in loaded]
