"""``chainer.initializers`` on mxlite's shared initializer rules.

Each class wraps a pure rule of ``mxlite.initializer.rules`` with Chainer's
fan convention (``fan_in = shape[1] * prod(shape[2:])``) and draws from
mxlite's one random stream (``mx.random.seed``). Chainer's initializers
filled an array in place (``init(array)``); these also ``generate(shape)``
a new one, which is what Links use.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..base import ParamError
from ..initializer import fill, rules

__all__ = ["Initializer", "Constant", "Zero", "One", "NaN", "Normal", "Uniform",
           "LeCunNormal", "LeCunUniform", "GlorotNormal", "GlorotUniform", "HeNormal",
           "HeUniform", "Orthogonal", "generate_array"]


class Initializer:
    """An initial-value rule with a dtype (float32 unless given)."""

    def __init__(self, dtype: Any = None) -> None:
        self.dtype = np.dtype(dtype) if dtype is not None else None

    def rule(self) -> rules.Rule:
        raise NotImplementedError

    def generate(self, shape: tuple[int, ...], context: Any = None) -> Any:
        """A new array of ``shape`` (on ``context``'s device)."""
        device = None if context is None else context.jax_device
        return fill(self.rule(), shape, self.dtype or np.float32, device)

    def __call__(self, array: Any) -> Any:
        """Chainer's ``init(array)``: the new values for ``array``'s shape (JAX
        arrays cannot be filled in place; assign the result)."""
        return self.generate(tuple(array.shape))


class Constant(Initializer):
    def __init__(self, fill_value: Any, dtype: Any = None) -> None:
        super().__init__(dtype)
        self.fill_value = fill_value

    def rule(self) -> rules.Rule:
        value = self.fill_value
        if hasattr(value, "shape") and np.ndim(value) > 0:
            return rules.constant(np.asarray(value))
        return rules.constant(float(value))


class Zero(Constant):
    def __init__(self, dtype: Any = None) -> None:
        super().__init__(0.0, dtype)


class One(Constant):
    def __init__(self, dtype: Any = None) -> None:
        super().__init__(1.0, dtype)


class NaN(Constant):
    def __init__(self, dtype: Any = None) -> None:
        super().__init__(float("nan"), dtype)


class Normal(Initializer):
    def __init__(self, scale: float = 0.05, dtype: Any = None) -> None:
        super().__init__(dtype)
        self.scale = scale

    def rule(self) -> rules.Rule:
        return rules.normal(self.scale)


class Uniform(Initializer):
    def __init__(self, scale: float = 0.05, dtype: Any = None) -> None:
        super().__init__(dtype)
        self.scale = scale

    def rule(self) -> rules.Rule:
        return rules.uniform(self.scale)


class _Scaled(Initializer):
    _make: Any = None

    def __init__(self, scale: float = 1.0, dtype: Any = None) -> None:
        super().__init__(dtype)
        self.scale = scale

    def rule(self) -> rules.Rule:
        return type(self)._make(self.scale, fan="chainer")


class LeCunNormal(_Scaled):
    _make = staticmethod(rules.lecun_normal)


class LeCunUniform(_Scaled):
    _make = staticmethod(rules.lecun_uniform)


class GlorotNormal(_Scaled):
    _make = staticmethod(rules.glorot_normal)


class GlorotUniform(_Scaled):
    _make = staticmethod(rules.glorot_uniform)


class HeNormal(Initializer):
    def __init__(self, scale: float = 1.0, dtype: Any = None,
                 fan_option: str = "fan_in") -> None:
        super().__init__(dtype)
        self.scale, self.fan_option = scale, fan_option

    def rule(self) -> rules.Rule:
        return rules.he_normal(self.scale, self.fan_option, fan="chainer")


class HeUniform(HeNormal):
    def rule(self) -> rules.Rule:
        return rules.lecun_uniform(self.scale * np.sqrt(2.0), fan="chainer")


class Orthogonal(Initializer):
    def __init__(self, scale: float = 1.1, dtype: Any = None) -> None:
        super().__init__(dtype)
        self.scale = scale

    def rule(self) -> rules.Rule:
        return rules.orthogonal(self.scale, "normal")


def _get_initializer(initializer: Any, *, nan_if_none: bool = False) -> Initializer:
    """Chainer's ``initializers._get_initializer``: None -> LeCunNormal (or NaN
    for a bare Parameter), a number -> Constant, an array -> Constant(array)."""
    if initializer is None:
        return NaN() if nan_if_none else LeCunNormal()
    if isinstance(initializer, Initializer):
        return initializer
    if np.isscalar(initializer):
        return Constant(initializer)
    if hasattr(initializer, "shape"):
        return Constant(initializer)
    if callable(initializer):
        raise ParamError(f"chainer initializer: {initializer!r} is a callable; pass an "
                         "mxlite.chainer.initializers object, an array or a number.")
    raise ParamError(f"chainer initializer: cannot use {initializer!r}; pass an "
                     "initializer, an array or a number.")


def generate_array(initializer: Initializer, shape: tuple[int, ...], xp: Any = None,
                   dtype: Any = None, device: Any = None) -> Any:
    """A new array of ``shape`` from ``initializer`` (Chainer's helper)."""
    if dtype is not None and initializer.dtype is None:
        initializer.dtype = np.dtype(dtype)
    return initializer.generate(tuple(shape))
