"""``IntervalTrigger``: fire every ``period`` epochs or iterations."""

from __future__ import annotations

import warnings
from typing import Any

from ....base import ParamError

__all__ = ["IntervalTrigger", "check_unit", "positions", "remember", "serialize_previous"]


def check_unit(unit: str, where: str) -> None:
    if unit not in ("epoch", "iteration"):
        raise ParamError(f"{where}: unit must be 'epoch' or 'iteration'; got {unit!r}.")


class IntervalTrigger:
    """Fire when ``epoch_detail // period`` (or ``iteration // period``) changes.

    Args:
        period: the interval length (may be fractional for epochs).
        unit: ``'epoch'`` or ``'iteration'``.

    Example:
        >>> IntervalTrigger(2, 'epoch').get_training_length()
        (2, 'epoch')
    """

    def __init__(self, period: float, unit: str) -> None:
        check_unit(unit, "IntervalTrigger")
        self.period, self.unit = period, unit
        self._previous_iteration = 0
        self._previous_epoch_detail = 0.0
        self.count = 0

    def __call__(self, trainer: Any) -> bool:
        updater = trainer.updater
        now, previous = positions(self, updater)
        if self.unit == "epoch":
            self.count = now // self.period
        fire = previous // self.period != now // self.period
        remember(self, updater)
        return fire

    def serialize(self, serializer: Any) -> None:
        self._previous_iteration, self._previous_epoch_detail = serialize_previous(
            serializer, self._previous_iteration, self._previous_epoch_detail)

    def get_training_length(self) -> tuple[float, str]:
        return self.period, self.unit

    def __str__(self) -> str:
        return f"{type(self).__name__}({self.period}, {self.unit!r})"


def positions(trigger: Any, updater: Any) -> tuple[float, float]:
    """``(now, previous)`` in the trigger's unit; a previous of -1 (restored
    from a snapshot without it) is taken from the updater."""
    if trigger.unit == "epoch":
        now, previous = updater.epoch_detail, trigger._previous_epoch_detail
        if previous < 0:
            previous = updater.previous_epoch_detail
    else:
        now, previous = updater.iteration, trigger._previous_iteration
        if previous < 0:
            previous = now - 1
    return now, previous


def remember(trigger: Any, updater: Any) -> None:
    """Keep the updater's position for the next call."""
    trigger._previous_iteration = updater.iteration
    if hasattr(updater, "epoch_detail"):
        trigger._previous_epoch_detail = updater.epoch_detail


def serialize_previous(serializer: Any, iteration: int, detail: float) -> tuple:
    """Save or load a trigger's previous iteration and epoch detail (Chainer's
    keys); a snapshot without them gives -1, "guess from the updater"."""
    try:
        iteration = serializer("previous_iteration", iteration)
    except KeyError:
        warnings.warn("The previous value of iteration is not saved. The trigger "
                      "guesses it from the current iteration.", stacklevel=3)
        iteration = -1
    try:
        detail = serializer("previous_epoch_detail", detail)
    except KeyError:
        warnings.warn("The previous value of epoch_detail is not saved. The trigger "
                      "uses the updater's previous_epoch_detail.", stacklevel=3)
        detail = -1.0
    return iteration, detail
