"""A parameter's first value, drawn from the host stream, concrete anywhere."""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from .. import random
from .rules import Rule

__all__ = ["fill"]


def fill(rule: Rule, shape: tuple[int, ...], dtype: Any = "float32",
         device: Any = None) -> jax.Array:
    """A new array from ``rule(key, shape, dtype)``, drawn from the host stream.

    The draw is made on the host with NumPy (the rules accept a
    ``numpy.random.Generator`` as key), so creating a parameter compiles
    nothing: a lazy parameter (Chainer's ``Linear(None, n)``), created once
    while the step that first uses it is being traced, costs microseconds
    instead of a compilation per shape. A rule that needs a JAX key gets one.
    It works inside a trace too (``jax.ensure_compile_time_eval``).
    """
    shape = tuple(int(d) for d in shape)
    with jax.ensure_compile_time_eval():
        try:
            out = np.asarray(rule(random.numpy_rng(), shape, dtype))
        except TypeError:  # the rule draws with jax.random itself
            out = rule(random.host_key(), shape, dtype)
        return jax.device_put(out, device)
