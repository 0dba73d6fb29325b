"""Filling NDArrays in place: where the MXNet API meets the pure rules."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .. import random as _random
from ..base import DTypeError, ShapeError
from ..ndarray import NDArray
from .rules import Rule


def check_array(where: str, arr: Any) -> NDArray:
    """Return ``arr`` if it is an NDArray; DTypeError naming ``where`` otherwise."""
    if not isinstance(arr, NDArray):
        raise DTypeError(f"{where}: arr must be an NDArray; got {type(arr).__name__}.")
    return arr


def assign(arr: NDArray, value: Any) -> None:
    """Write ``value`` (broadcast) into ``arr`` in place, keeping dtype and device."""
    data = jnp.broadcast_to(jnp.asarray(value).astype(arr._data.dtype), arr.shape)
    arr._data = jax.device_put(data, arr.context.jax_device)


def fill(arr: NDArray, rule: Rule, *, random: bool, where: str, name: str) -> None:
    """Fill ``arr`` in place with ``rule(key, arr.shape, dtype)``.

    A random rule gets one key from ``mx.random.next_key()`` (one draw per
    array, so ``mx.random.seed`` fixes every value) and samples in the
    array's dtype, or float32 for a non-floating array, before the cast
    back. A deterministic rule consumes no key and gets the array's dtype.
    The rule runs on the array's device.

    Raises:
        ShapeError: the rule cannot fill this shape; the message names the
            parameter and its shape before the rule's own.
    """
    key = _random.next_key() if random else None
    dtype = arr._data.dtype
    if random and not jnp.issubdtype(dtype, jnp.floating):
        dtype = jnp.float32
    try:
        with jax.default_device(arr.context.jax_device):
            value = rule(key, arr.shape, dtype)
    except ShapeError as err:
        raise ShapeError(f"{where}: {str(name)!r} has shape {arr.shape}; "
                         f"{err}") from err
    assign(arr, value)
