"""NDArray indexing as a static plan plus dynamic operands.

Integer indices and unit-step slices become the start offsets of one
``lax.dynamic_slice``, passed to the compiled function as arguments. So
``for row in x`` and ``x[i:i + batch]`` reuse one compiled function instead of
compiling one per index value. Steps other than 1, ``None`` and ``...`` stay in
the static plan; index arrays are operands.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ..base import MXNetError, ShapeError

__all__ = ["NDArrayIndexError", "gather", "plan_index", "scatter"]


class NDArrayIndexError(MXNetError, IndexError):
    """An index is out of bounds or of a kind NDArray does not support."""


def _int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(
        value, (bool, np.bool_)
    )


def _index_array(part: Any, key: Any) -> Any:
    arr = part if isinstance(part, jax.Array) else np.asarray(part)
    if arr.dtype == np.bool_:
        raise NDArrayIndexError(
            f"NDArray index {key!r}: boolean masks are not supported (MXNet 1.x "
            "NDArray has none); index with integer positions instead."
        )
    if not (
        jnp.issubdtype(arr.dtype, jnp.integer)
        or jnp.issubdtype(arr.dtype, jnp.floating)
    ):
        raise NDArrayIndexError(
            f"NDArray index {key!r}: index arrays must hold integers."
        )
    return arr


def _slice_part(part: slice, dim: int, key: Any, slot: int) -> tuple[tuple, list]:
    fields = (part.start, part.stop, part.step)
    if any(f is not None and not _int(f) for f in fields):
        raise NDArrayIndexError(
            f"NDArray index {key!r}: slice bounds must be ints or None."
        )
    start, stop, step = (None if f is None else int(f) for f in fields)
    if step == 0:
        raise NDArrayIndexError(f"NDArray index {key!r}: slice step cannot be zero.")
    if step not in (None, 1):
        return ("slice", start, stop, step), []
    first, last, _ = slice(start, stop).indices(dim)
    return ("range", slot, max(0, last - first)), [np.int32(first)]


def _expand(key: Any, ndim: int) -> tuple:
    parts = key if isinstance(key, tuple) else (key,)
    if sum(p is Ellipsis for p in parts) > 1:
        raise NDArrayIndexError(f"NDArray index {key!r}: only one ... is allowed.")
    used = sum(p is not None and p is not Ellipsis for p in parts)
    if used > ndim:
        raise NDArrayIndexError(
            f"NDArray index {key!r}: too many indices for an array of {ndim} "
            f"dimension(s) ({used} given)."
        )
    out = []
    for part in parts:
        out.extend([slice(None)] * (ndim - used) if part is Ellipsis else [part])
    return tuple(out)


def plan_index(key: Any, shape: tuple) -> tuple[tuple, list]:
    """Split ``key`` into a hashable plan and its dynamic operands.

    NDArrays in ``key`` must already be unwrapped to jax arrays.
    """
    plan, dyn, axis = [], [], 0
    for part in _expand(key, len(shape)):
        if part is None:
            plan.append(("new",))
            continue
        dim = shape[axis]
        if _int(part):
            if not -dim <= part < dim:
                raise NDArrayIndexError(
                    f"index {int(part)} is out of bounds for axis {axis} "
                    f"with size {dim}"
                )
            plan.append(("int", len(dyn)))
            dyn.append(np.int32(int(part) % dim))
        elif isinstance(part, slice):
            entry, operands = _slice_part(part, dim, key, len(dyn))
            plan.append(entry)
            dyn.extend(operands)
        elif isinstance(part, (list, np.ndarray, jax.Array)):
            plan.append(("array", len(dyn)))
            dyn.append(_index_array(part, key))
        else:
            raise NDArrayIndexError(
                f"NDArray index {key!r}: unsupported index {part!r} of type "
                f"{type(part).__name__}; use ints, slices, lists or integer arrays."
            )
        axis += 1
    return tuple(plan), dyn


def _window(plan: tuple, x: jax.Array, dyn: tuple) -> tuple[list, list]:
    """Start offsets and sizes of the dynamic_slice that every plan reads."""
    starts, sizes, axis = [], [], 0
    for part in plan:
        kind = part[0]
        if kind == "new":
            continue
        if kind == "int":
            starts.append(dyn[part[1]])
            sizes.append(1)
        elif kind == "range":
            starts.append(dyn[part[1]])
            sizes.append(part[2])
        else:
            starts.append(np.int32(0))
            sizes.append(x.shape[axis])
        axis += 1
    starts += [np.int32(0)] * (x.ndim - axis)
    sizes += list(x.shape[axis:])
    return starts, sizes


def _local(plan: tuple, dyn: tuple) -> tuple:
    """The index applied inside the window (ints become 0, ranges become :)."""
    out = []
    for part in plan:
        kind = part[0]
        if kind == "new":
            out.append(None)
        elif kind == "int":
            out.append(0)
        elif kind == "slice":
            out.append(slice(*part[1:]))
        elif kind == "array":
            idx = dyn[part[1]]
            out.append(
                idx if jnp.issubdtype(idx.dtype, jnp.integer) else idx.astype(jnp.int32)
            )
        else:
            out.append(slice(None))
    return tuple(out)


def gather(plan: tuple, x: jax.Array, *dyn: Any) -> jax.Array:
    """``x[key]``; a 0-d result becomes shape (1,), as in MXNet 1.x."""
    out = gather_exact(plan, x, *dyn)
    return out.reshape(1) if out.ndim == 0 else out


def gather_exact(plan: tuple, x: jax.Array, *dyn: Any) -> jax.Array:
    """``x[key]`` with NumPy's result shape (0-d stays 0-d)."""
    starts, sizes = _window(plan, x, dyn)
    return lax.dynamic_slice(x, starts, sizes)[_local(plan, dyn)]


def _fit(value: jax.Array, target: tuple) -> jax.Array:
    extra = value.ndim - len(target)
    if extra > 0 and all(d == 1 for d in value.shape[:extra]):
        value = value.reshape(value.shape[extra:])
    try:
        return jnp.broadcast_to(value, target)
    except ValueError:
        raise ShapeError(
            f"cannot assign a value of shape {tuple(value.shape)} to a selection of "
            f"shape {tuple(target)}; the value must broadcast to the selection"
        ) from None


def scatter(plan: tuple, x: jax.Array, value: Any, *dyn: Any) -> jax.Array:
    """``x`` with ``x[key] = value`` applied (value cast to x's dtype)."""
    starts, sizes = _window(plan, x, dyn)
    window = lax.dynamic_slice(x, starts, sizes)
    local = _local(plan, dyn)
    value = _fit(jnp.asarray(value).astype(x.dtype), window[local].shape)
    return lax.dynamic_update_slice(x, window.at[local].set(value), starts)
