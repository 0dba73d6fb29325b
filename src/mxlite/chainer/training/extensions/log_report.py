"""``LogReport``: average the observations per interval and write ``out/log``."""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable
from typing import Any

from ...._fileio import atomic_write_bytes
from ...reporter import DictSummary
from ...serializer import Serializer
from .. import extension
from ..trigger import get_trigger

__all__ = ["LogReport"]


class LogReport(extension.Extension):
    """Accumulate every iteration's observation; at each ``trigger`` append the
    means (plus ``epoch``, ``iteration``, ``elapsed_time``) to :attr:`log` and
    write the whole list as JSON to ``out/<filename>`` (atomically).

    Args:
        keys: the observation keys to keep; None keeps all.
        trigger: when to emit an entry (``(1, 'epoch')``).
        postprocess: ``postprocess(entry)`` may edit each entry before it is kept.
        filename: the log file's name (a format string over the entry); None
            writes no file. ``log_name=`` is accepted as Chainer's old alias.
    """

    def __init__(self, keys: Any = None, trigger: Any = (1, "epoch"),
                 postprocess: Callable | None = None, filename: str | None = None,
                 *, log_name: str = "log") -> None:
        self._keys = keys
        self._trigger = get_trigger(trigger)
        self._postprocess = postprocess
        self._log_name = log_name if filename is None else filename
        self._log: list[dict] = []
        self._summary = DictSummary()

    def __call__(self, trainer: Any) -> None:
        observation = trainer.observation
        if self._keys is None:
            self._summary.add(observation)
        else:
            self._summary.add({k: observation[k] for k in self._keys if k in observation})
        if self._trigger(trainer):
            self._emit(trainer)

    def _emit(self, trainer: Any) -> None:
        entry = {name: float(value) for name, value in
                 self._summary.compute_mean().items()}
        updater = trainer.updater
        entry["epoch"] = updater.epoch
        entry["iteration"] = updater.iteration
        entry["elapsed_time"] = trainer.elapsed_time
        if self._postprocess is not None:
            self._postprocess(entry)
        self._log.append(entry)
        if self._log_name is not None:
            path = os.path.join(trainer.out, self._log_name.format(**entry))
            atomic_write_bytes(path, json.dumps(self._log, indent=4).encode())
        self._summary = DictSummary()

    @property
    def log(self) -> list[dict]:
        """The entries so far (one dict per interval)."""
        return self._log

    def serialize(self, serializer: Any) -> None:
        if hasattr(self._trigger, "serialize"):
            self._trigger.serialize(serializer["_trigger"])
        try:
            self._summary.serialize(serializer["_summary"])
        except KeyError:
            warnings.warn("The statistics are not saved.", stacklevel=2)
        if isinstance(serializer, Serializer):
            serializer("_log", json.dumps(self._log))
        else:
            self._log = json.loads(str(serializer("_log", "")))
