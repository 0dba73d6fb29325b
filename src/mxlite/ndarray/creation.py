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
from ..ops.params import DTYPE_NAMES
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


def _dtype(dtype: Any, where: str) -> np.dtype:
    """``dtype`` as a NumPy dtype (None means float32, MXNet's default)."""
    try:
        found = np.dtype(_DEFAULT_DTYPE if dtype is None else dtype)
    except TypeError:
        raise DTypeError(f"{where}: dtype {dtype!r} is not a data type; use e.g. "
                         "'float32', 'float64', 'int32' or np.float32.") from None
    if found.name not in DTYPE_NAMES:
        raise DTypeError(f"{where}: dtype {dtype!r} ({found.name}) is not supported; "
                         f"MXNet's types are {', '.join(DTYPE_NAMES)}.")
    return found


def array(source_array: Any, ctx: Context | None = None, dtype: Any = None) -> NDArray:
    """Make an NDArray from an array-like; NumPy data becomes float32 by default.

    MXNet converted NumPy input to float32 unless told otherwise; so does this.
    An NDArray source keeps its dtype.

    Example:
        >>> import mxlite as mx
        >>> mx.nd.array([[1, 2]])
        <BLANKLINE>
        [[1. 2.]]
        <NDArray 1x2 @cpu(0)>
    """
    ctx = as_context(ctx)
    if isinstance(source_array, NDArray):
        dtype = source_array.dtype if dtype is None else dtype
        data = source_array._data.astype(_dtype(dtype, "mx.nd.array"))
        return NDArray(to_jax(data, ctx), ctx)
    dtype = _dtype(dtype, "mx.nd.array")
    try:
        # A private copy: on the CPU device_put may alias it (see to_jax).
        data = np.array(source_array, dtype=dtype)
    except (TypeError, ValueError) as err:
        raise DTypeError(f"mx.nd.array: cannot convert {type(source_array).__name__} "
                         f"to {dtype.name}: {err}") from None
    return NDArray(jax.device_put(data, ctx.jax_device), ctx)


def full(shape: Any, val: float, ctx: Context | None = None,
         dtype: Any = _DEFAULT_DTYPE, out: NDArray | None = None) -> NDArray:
    """An array of ``shape`` filled with ``val`` (written into ``out`` if given)."""
    ctx = as_context(ctx)
    dtype = _dtype(dtype, "mx.nd.full")
    with jax.default_device(ctx.jax_device):
        result = NDArray(jnp.full(_shape(shape), val, dtype=dtype), ctx)
    if out is None:
        return result
    out[:] = result
    return out


def zeros(shape: Any, ctx: Context | None = None, dtype: Any = _DEFAULT_DTYPE,
          **kwargs: Any) -> NDArray:
    """An array of zeros."""
    return full(shape, 0, ctx, _dtype(dtype, "mx.nd.zeros"))


def ones(shape: Any, ctx: Context | None = None, dtype: Any = _DEFAULT_DTYPE,
         **kwargs: Any) -> NDArray:
    """An array of ones."""
    return full(shape, 1, ctx, _dtype(dtype, "mx.nd.ones"))


def empty(shape: Any, ctx: Context | None = None, dtype: Any = None) -> NDArray:
    """An array to be overwritten (zeros: XLA has no uninitialised memory)."""
    return full(shape, 0, ctx, _dtype(dtype, "mx.nd.empty"))


def arange(start: float, stop: float | None = None, step: float = 1.0, repeat: int = 1,
           infer_range: bool = False, ctx: Context | None = None,
           dtype: Any = _DEFAULT_DTYPE) -> NDArray:
    """Evenly spaced values in [start, stop), each repeated ``repeat`` times."""
    if step == 0:
        raise ParamError("mx.nd.arange: step must not be 0.")
    if stop is None:
        start, stop = 0, start
    dtype = _dtype(dtype, "mx.nd.arange")
    # NOTE: MXNet sizes the range in double, ceil((stop - start) / step), but casts
    # start and step to dtype before computing start + i * step in dtype; an int32
    # arange(2, 6, 1.5) is therefore [2, 3, 4], as NumPy's.
    count = max(0, int(np.ceil((stop - start) / step)))
    first, delta = np.asarray(start).astype(dtype), np.asarray(step).astype(dtype)
    values = first + np.arange(count).astype(dtype) * delta
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
    if not isinstance(data, (dict, list, tuple)):
        raise DTypeError(f"mx.nd.save({str(fname)!r}): data must be an NDArray, a list "
                         f"of NDArrays or a dict of str to NDArray; got "
                         f"{type(data).__name__}.")
    entries = data.items() if isinstance(data, dict) else enumerate(data)
    bad = [k for k, v in entries if not isinstance(v, NDArray)]
    if bad:
        raise DTypeError(
            f"mx.nd.save({str(fname)!r}): entry {bad[0]!r} is not an NDArray."
        )
    if isinstance(data, dict):
        payload: Any = {k: v.asnumpy() for k, v in data.items()}
    else:
        payload = [v.asnumpy() for v in data]
    save_arrays(fname, payload)


def load(fname: str | os.PathLike, ctx: Context | None = None) -> list | dict:
    """Load a file written by ``mx.nd.save`` (mxlite's or MXNet's)."""
    loaded = load_arrays(fname)
    if isinstance(loaded, dict):
        return {k: array(v, ctx, v.dtype) for k, v in loaded.items()}
    return [array(v, ctx, v.dtype) for v in loaded]
