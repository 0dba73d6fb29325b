"""``ExponentialShift`` and ``LinearShift``: change an optimizer hyper-parameter.

Each sets ``optimizer.<attr>`` (e.g. ``lr``) when triggered; the compiled
step reads hyper-parameters at every call, so no retrace happens.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ....base import ParamError
from .. import extension

__all__ = ["ExponentialShift", "LinearShift"]


class _Shift(extension.Extension):
    _attr: str
    _optimizer: Any
    _t: int = 0
    _last_value: Any = None

    def _get_optimizer(self, trainer: Any) -> Any:
        return self._optimizer or trainer.updater.get_optimizer("main")

    def _update_value(self, optimizer: Any, value: float) -> None:
        setattr(optimizer, self._attr, value)
        self._last_value = value

    def serialize(self, serializer: Any) -> None:
        self._t = serializer("_t", self._t)
        last = serializer("_last_value", self._last_value)
        self._last_value = last.item() if isinstance(last, np.ndarray) else last


class ExponentialShift(_Shift):
    """Multiply ``optimizer.<attr>`` by ``rate`` at each call, stopping at ``target``.

    Args:
        attr: the hyper-parameter (``'lr'``).
        rate: the factor, >= 0.
        init: the first value; the optimizer's current one by default.
        target: a bound the value does not pass.
        optimizer: the optimizer; the updater's ``'main'`` one by default.
    """

    def __init__(self, attr: str, rate: float, init: float | None = None,
                 target: float | None = None, optimizer: Any = None) -> None:
        if rate < 0:
            raise ParamError(f"ExponentialShift: rate must be >= 0; got {rate}.")
        self._attr, self._rate, self._init = attr, rate, init
        self._target, self._optimizer = target, optimizer

    def initialize(self, trainer: Any) -> None:
        optimizer = self._get_optimizer(trainer)
        if self._init is None:
            self._init = getattr(optimizer, self._attr)
        value = self._init if self._last_value is None else self._last_value
        self._update_value(optimizer, value)

    def __call__(self, trainer: Any) -> None:
        self._t += 1
        value = self._init * (self._rate ** self._t)
        if self._target is not None:
            ratio = value / self._target
            if (self._rate > 1 and ratio > 1) or (self._rate <= 1 and ratio < 1):
                value = self._target
        self._update_value(self._get_optimizer(trainer), value)


class LinearShift(_Shift):
    """Move ``optimizer.<attr>`` linearly from ``value_range[0]`` to
    ``value_range[1]`` between calls ``time_range[0]`` and ``time_range[1]``."""

    def __init__(self, attr: str, value_range: tuple, time_range: tuple,
                 optimizer: Any = None) -> None:
        self._attr, self._value_range = attr, value_range
        self._time_range, self._optimizer = time_range, optimizer

    def initialize(self, trainer: Any) -> None:
        value = self._next() if self._last_value is None else self._last_value
        self._update_value(self._get_optimizer(trainer), value)

    def __call__(self, trainer: Any) -> None:
        self._t += 1
        self._update_value(self._get_optimizer(trainer), self._next())

    def _next(self) -> float:
        (t1, t2), (v1, v2) = self._time_range, self._value_range
        if self._t <= t1:
            return v1
        if self._t >= t2:
            return v2
        return v1 + (self._t - t1) / (t2 - t1) * (v2 - v1)
