"""Argument checks shared by the initialization rules, and their one random draw.

Every message names the rule (``rules.<name>``) and the offending value.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..base import DTypeError, ParamError, ShapeError


def _number(rule: str, name: str, value: Any, *, low: float | None = 0.0) -> None:
    """Raise ParamError unless ``value`` is a finite real number (>= ``low``)."""
    ok = (isinstance(value, (int, float, np.integer, np.floating))
          and not isinstance(value, bool) and math.isfinite(value))
    if not ok or (low is not None and value < low):
        need = "a finite number" + ("" if low is None else f" >= {low:g}")
        raise ParamError(f"rules.{rule}: {name} must be {need}; got {value!r}.")


def _choice(rule: str, name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ParamError(f"rules.{rule}: {name} must be one of {list(allowed)}; "
                         f"got {value!r}.")


def _shape(rule: str, shape: Any, *, min_ndim: int = 0) -> tuple[int, ...]:
    """The shape as a tuple of ints >= 0; ShapeError otherwise."""
    try:
        out = tuple(int(d) for d in shape)
        valid = all(d >= 0 for d in out) and all(int(d) == d for d in shape)
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise ShapeError(f"rules.{rule}: shape must be a tuple of ints >= 0; "
                         f"got {shape!r}.")
    if len(out) < min_ndim:
        what = " (a weight, not a vector)" if min_ndim >= 2 else ""
        raise ShapeError(f"rules.{rule}: shape must have at least {min_ndim} "
                         f"dimensions{what}; got {out}.")
    return out


def _float_dtype(rule: str, dtype: Any) -> Any:
    try:
        dtype = jnp.dtype(dtype)
    except TypeError:
        raise DTypeError(f"rules.{rule}: dtype must be a NumPy/JAX dtype; "
                         f"got {dtype!r}.") from None
    if not jnp.issubdtype(dtype, jnp.floating):
        raise DTypeError(f"rules.{rule}: a random draw needs a floating dtype; "
                         f"got {dtype.name}.")
    return dtype


def _key(rule: str, key: Any) -> Any:
    if key is None:
        raise ParamError(f"rules.{rule}: a random rule needs a PRNG key; got None. "
                         "Pass jax.random.key(n) or mx.random.next_key().")
    return key


def _draw(rule: str, kind: str, scale: float, call: tuple) -> jax.Array:
    """U(-scale, scale) or N(0, scale^2) for ``call = (key, shape, dtype)``.

    ``key`` may also be a ``numpy.random.Generator``: the draw is then made
    on the host with NumPy (a NumPy array, nothing to compile; what
    ``initializer.fill`` uses for a parameter created while a step traces).
    """
    key, shape, dtype = _key(rule, call[0]), _shape(rule, call[1]), call[2]
    dtype = _float_dtype(rule, dtype)
    if isinstance(key, np.random.Generator):
        if kind == "uniform":
            return key.uniform(-scale, scale, shape).astype(dtype)
        return (key.standard_normal(shape) * scale).astype(dtype)
    if kind == "uniform":
        return jax.random.uniform(key, shape, dtype, -scale, scale)
    # NOTE: (N(0, 1) * scale).astype, not normal(...) * scale alone: a NumPy
    # scalar scale would promote float16/32 draws to float64.
    return (jax.random.normal(key, shape, dtype) * scale).astype(dtype)


def _broadcasts_to(src: tuple[int, ...], dst: tuple[int, ...]) -> bool:
    try:
        return np.broadcast_shapes(src, dst) == dst
    except ValueError:
        return False

