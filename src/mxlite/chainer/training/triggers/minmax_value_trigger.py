"""``MaxValueTrigger``/``MinValueTrigger``: fire when a reported value improves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ....base import MissingKeyError
from ...reporter import DictSummary
from .. import trigger as trigger_module

__all__ = ["BestValueTrigger", "MaxValueTrigger", "MinValueTrigger"]


class BestValueTrigger:
    """Fire when the mean of ``key`` over the interval beats the best so far.

    Args:
        key: the observation key (``'validation/main/accuracy'``).
        compare: ``compare(best, new)`` is True when ``new`` is better.
        trigger: when to check (an interval, ``(1, 'epoch')`` by default).
    """

    def __init__(self, key: str, compare: Callable[[float, float], bool],
                 trigger: Any = (1, "epoch")) -> None:
        self._key = key
        self._best_value: float | None = None
        self._interval_trigger = trigger_module.get_trigger(trigger)
        self._summary = DictSummary()
        self._compare = compare

    def __call__(self, trainer: Any) -> bool:
        observation = trainer.observation
        if self._key in observation:
            self._summary.add({self._key: observation[self._key]})
        if not self._interval_trigger(trainer):
            return False
        stats = self._summary.compute_mean()
        if self._key not in stats:
            raise MissingKeyError(
                f"{type(self).__name__}: key {self._key!r} was not found in the "
                f"observation; got keys {sorted(stats)}.")
        value = float(stats[self._key])
        self._summary = DictSummary()
        if self._best_value is None or self._compare(self._best_value, value):
            self._best_value = value
            return True
        return False

    def serialize(self, serializer: Any) -> None:
        self._interval_trigger.serialize(serializer["interval_trigger"])
        self._summary.serialize(serializer["summary"])
        best = serializer("best_value", self._best_value)
        self._best_value = None if best is None else float(best)


class MaxValueTrigger(BestValueTrigger):
    """Fire when ``key``'s mean reaches a new maximum."""

    def __init__(self, key: str, trigger: Any = (1, "epoch")) -> None:
        super().__init__(key, lambda best, new: new > best, trigger)


class MinValueTrigger(BestValueTrigger):
    """Fire when ``key``'s mean reaches a new minimum."""

    def __init__(self, key: str, trigger: Any = (1, "epoch")) -> None:
        super().__init__(key, lambda best, new: new < best, trigger)
