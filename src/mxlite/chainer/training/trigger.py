"""``chainer.training.get_trigger``: a trigger from a tuple, a callable or None."""

from __future__ import annotations

from typing import Any

from .triggers.interval_trigger import IntervalTrigger

__all__ = ["IntervalTrigger", "get_trigger"]


def _never_fire_trigger(trainer: Any) -> bool:
    return False


def get_trigger(trigger: Any) -> Any:
    """A callable trigger as is, None as "never", ``(n, unit)`` as :class:`IntervalTrigger`.

    Example:
        >>> get_trigger((1, 'epoch')).unit
        'epoch'
    """
    if callable(trigger):
        return trigger
    if trigger is None:
        return _never_fire_trigger
    return IntervalTrigger(*trigger)
