"""``ManualScheduleTrigger``: fire at listed epochs or iterations."""

from __future__ import annotations

from typing import Any

from .interval_trigger import check_unit, positions, remember, serialize_previous

__all__ = ["ManualScheduleTrigger"]


class ManualScheduleTrigger:
    """Fire when the training passes one of ``points``.

    Args:
        points: an int/float or a list of them.
        unit: ``'epoch'`` or ``'iteration'``.

    ``finished`` becomes True once the last point has fired.
    """

    def __init__(self, points: Any, unit: str) -> None:
        check_unit(unit, "ManualScheduleTrigger")
        self.points = points if isinstance(points, list) else [points]
        self.unit = unit
        self.finished = False
        self._previous_iteration = 0
        self._previous_epoch_detail = 0.0

    def __call__(self, trainer: Any) -> bool:
        updater = trainer.updater
        now, previous = positions(self, updater)
        fire = any(previous < p <= now for p in self.points)
        if fire and now >= max(self.points):
            self.finished = True
        remember(self, updater)
        return fire

    def serialize(self, serializer: Any) -> None:
        self._previous_iteration, self._previous_epoch_detail = serialize_previous(
            serializer, self._previous_iteration, self._previous_epoch_detail)
        try:
            self.finished = serializer("finished", self.finished)
        except KeyError:
            self.finished = False
