"""A NumPy-like array module whose arrays live on one device.

The Chainer dialect's ``cuda.cupy`` is one of these: ``xp.asarray(x)``
places ``x`` on the GPU, and every other name is ``jax.numpy``'s, so code
written as ``xp = np if gpu < 0 else cuda.cupy`` runs unchanged.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..context import Context

__all__ = ["DeviceArrayModule"]

_CREATORS = ("asarray", "array", "zeros", "ones", "empty", "full", "arange",
             "zeros_like", "ones_like", "empty_like", "full_like", "eye", "identity")


class DeviceArrayModule:
    """``jax.numpy`` with array creation placed on ``context``'s device."""

    def __init__(self, context: Context, name: str = "cupy") -> None:
        self.context = context
        self.__name__ = name
        self.ndarray = jax.Array

    def __getattr__(self, name: str) -> Any:
        target = getattr(jnp, name)
        if name not in _CREATORS:
            return target

        def placed(*args: Any, **kwargs: Any) -> jax.Array:
            if name in ("asarray", "array") and args and isinstance(args[0], np.ndarray):
                return jax.device_put(args[0] if name == "asarray" else np.array(args[0]),
                                      self.context.jax_device)
            return jax.device_put(target(*args, **kwargs), self.context.jax_device)

        placed.__name__ = name
        return placed

    def __repr__(self) -> str:
        return f"<array module {self.__name__} on {self.context}>"
