"""``observe_value`` and ``observe_lr``: put a value into the observation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import extension

__all__ = ["observe_lr", "observe_value"]


def observe_value(observation_key: str, target_func: Callable[[Any], Any]) -> Callable:
    """An extension writing ``target_func(trainer)`` as ``observation_key``
    (once per epoch by default, as a writer: before LogReport reads)."""

    @extension.make_extension(trigger=(1, "epoch"), priority=extension.PRIORITY_WRITER)
    def _observe_value(trainer: Any) -> None:
        trainer.observation[observation_key] = target_func(trainer)

    return _observe_value


def observe_lr(optimizer_name: str = "main", observation_key: str = "lr") -> Callable:
    """Observe the learning rate (``optimizer.lr``) of optimizer ``optimizer_name``."""
    return observe_value(
        observation_key, lambda trainer: trainer.updater.get_optimizer(optimizer_name).lr)
