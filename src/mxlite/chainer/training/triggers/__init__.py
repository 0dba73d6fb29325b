"""``chainer.training.triggers``: when extensions run and training stops."""

from __future__ import annotations

from .interval_trigger import IntervalTrigger
from .manual_schedule_trigger import ManualScheduleTrigger
from .minmax_value_trigger import BestValueTrigger, MaxValueTrigger, MinValueTrigger

__all__ = ["BestValueTrigger", "IntervalTrigger", "ManualScheduleTrigger",
           "MaxValueTrigger", "MinValueTrigger"]
