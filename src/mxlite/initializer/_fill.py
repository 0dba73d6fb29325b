"""A parameter's first value, drawn from the host stream, concrete anywhere."""

from __future__ import annotations

from typing import Any

import jax

from .. import random
from .rules import Rule

__all__ = ["fill"]


def fill(rule: Rule, shape: tuple[int, ...], dtype: Any = "float32",
         device: Any = None) -> jax.Array:
    """A new array from ``rule(key, shape, dtype)`` with the host stream's next key.

    Works inside a traced step too (``jax.ensure_compile_time_eval``): a lazy
    parameter (Chainer's ``Linear(None, n)``) is created, once, as a real
    array while the step that first uses it is being traced.
    """
    shape = tuple(int(d) for d in shape)
    with jax.ensure_compile_time_eval():
        key = random.host_key()
        try:  # one compiled draw (op by op, every primitive would compile alone)
            out = jax.jit(rule, static_argnums=(1, 2))(key, shape, dtype)
        except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
            out = rule(key, shape, dtype)  # a rule that computes on the host
        return out if device is None else jax.device_put(out, device)
