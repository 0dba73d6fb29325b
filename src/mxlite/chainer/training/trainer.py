"""``chainer.training.Trainer``: the loop that drives an updater and extensions.

Each iteration opens a fresh ``observation`` dict as the reporter's scope,
calls ``updater.update()`` (one compiled step: the model's ``chainer.report``
values land in the observation as device arrays), then every extension
whose trigger fires, in descending priority (ties in registration order, as
Chainer 7.8.1's stable sort gives). Nothing is read to the host unless an
extension asks (LogReport when it writes a line).
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from typing import Any

from ...base import MXNetError, ParamError
from ..reporter import Reporter
from ..serializer import Serializer
from . import extension as extension_module
from .trigger import get_trigger

__all__ = ["Trainer"]


class _ExtensionEntry:
    def __init__(self, extension: Any, priority: int, trigger: Any,
                 call_before_training: bool) -> None:
        self.extension, self.priority, self.trigger = extension, priority, trigger
        self.call_before_training = call_before_training


class Trainer:
    """Run ``updater`` until ``stop_trigger`` fires, calling extensions.

    Args:
        updater: e.g. a :class:`~.updaters.StandardUpdater`.
        stop_trigger: when to stop: ``(20, 'epoch')``, a trigger, or None (never).
        out: the output directory (created by :meth:`run`).
        extensions: extensions to :meth:`extend` with their defaults.

    The reporter observes each optimizer's target as ``'main'`` and its links
    as ``'main/<path>'``, so ``chainer.report({'loss': l}, self)`` inside
    the model gives ``main/loss``.
    """

    def __init__(self, updater: Any, stop_trigger: Any = None, out: str = "result",
                 extensions: list | None = None) -> None:
        self.updater = updater
        self.stop_trigger = get_trigger(stop_trigger)
        self.observation: dict = {}
        self.out = out
        reporter = Reporter()
        for name, optimizer in updater.get_all_optimizers().items():
            reporter.add_observer(name, optimizer.target)
            reporter.add_observers(name, optimizer.target.namedlinks(skipself=True))
        self.reporter = reporter
        self._done = False
        self._extensions: dict[str, _ExtensionEntry] = {}
        self._start_at: float | None = None
        self._snapshot_elapsed_time = 0.0
        self._final_elapsed_time: float | None = None
        updater.connect_trainer(self)
        for ext in extensions or ():
            self.extend(ext)

    @property
    def is_before_training(self) -> bool:
        return self.updater.iteration == 0

    @property
    def elapsed_time(self) -> float:
        """Seconds of training so far, including those before a resume."""
        if self._done:
            return self._final_elapsed_time
        if self._start_at is None:
            raise MXNetError("Trainer.elapsed_time: training has not been started yet; "
                             "call run() first.")
        return time.perf_counter() - self._start_at + self._snapshot_elapsed_time

    def extend(self, extension: Any, name: str | None = None, trigger: Any = None,
               priority: int | None = None, *, call_before_training: bool = False) -> None:
        """Register ``extension`` (its ``default_name``, ``trigger`` and
        ``priority`` unless given); a repeated name gets ``_1``, ``_2``..."""
        name = name or getattr(extension, "name", None) or getattr(
            extension, "default_name", None) or getattr(extension, "__name__", None)
        if name is None:
            raise ParamError("Trainer.extend: the extension has no name; pass name=.")
        if name == "training":
            raise ParamError("Trainer.extend: the name 'training' is reserved; got "
                             "name='training'. Pick another name.")
        if trigger is None:
            trigger = getattr(extension, "trigger", (1, "iteration"))
        if priority is None:
            priority = getattr(extension, "priority", extension_module.PRIORITY_READER)
        modified, ordinal = name, 0
        while modified in self._extensions:
            ordinal += 1
            modified = f"{name}_{ordinal}"
        extension.name = modified
        self._extensions[modified] = _ExtensionEntry(
            extension, priority, get_trigger(trigger), call_before_training)

    def get_extension(self, name: str) -> Any:
        if name not in self._extensions:
            raise ParamError(f"Trainer.get_extension: extension {name!r} not found; "
                             f"got {sorted(self._extensions)}.")
        return self._extensions[name].extension

    def _ordered(self) -> list[tuple[str, _ExtensionEntry]]:
        names = sorted(self._extensions, key=lambda n: self._extensions[n].priority,
                       reverse=True)
        return [(name, self._extensions[name]) for name in names]

    def run(self, show_loop_exception_msg: bool = True) -> None:
        """Train until the stop trigger fires (once per Trainer)."""
        if self._done:
            raise MXNetError("Trainer.run: cannot run the training loop twice; "
                             "make a new Trainer (or load a snapshot into one).")
        os.makedirs(self.out, exist_ok=True)
        extensions = self._ordered()
        self._start_at = time.perf_counter()
        for _, entry in extensions:
            initializer = getattr(entry.extension, "initialize", None)
            if initializer and not getattr(entry.trigger, "finished", False):
                initializer(self)
        if self.is_before_training:
            self._before_training(extensions)
        try:
            self._loop(extensions)
        except Exception as err:
            self._on_error(extensions, err, show_loop_exception_msg)
            raise
        finally:
            for _, entry in extensions:
                finalize = getattr(entry.extension, "finalize", None)
                if finalize:
                    finalize()
            self.updater.finalize()
        self._final_elapsed_time = self.elapsed_time
        self._done = True

    def _before_training(self, extensions: list) -> None:
        self.observation = {}
        with self.reporter.scope(self.observation):
            for _, entry in extensions:
                if entry.call_before_training:
                    entry.extension(self)

    def _loop(self, extensions: list) -> None:
        update, reporter, stop_trigger = self.updater.update, self.reporter, \
            self.stop_trigger
        while not stop_trigger(self):
            self.observation = {}
            with reporter.scope(self.observation):
                update()
                checked = False
                for _, entry in extensions:
                    if entry.trigger(self):
                        if not checked:  # before a snapshot or report reads values
                            self._check_finite()
                            checked = True
                        entry.extension(self)
        self._check_finite()

    def _check_finite(self) -> None:
        """NonFiniteError if an update went NaN/Inf (mxlite's guard)."""
        for optimizer in self.updater.get_all_optimizers().values():
            check = getattr(optimizer, "check_finite", None)
            if check is not None:
                check()

    def _on_error(self, extensions: list, err: Exception, show: bool) -> None:
        tb = sys.exc_info()[2]
        if show:
            sys.stderr.write(f"Exception in main training loop: {err}\n"
                             "Traceback (most recent call last):\n")
            traceback.print_tb(tb)
            sys.stderr.write("Will finalize trainer extensions and updater before "
                             "reraising the exception.\n")
        for _, entry in extensions:
            handler = getattr(entry.extension, "on_error", None)
            if handler:
                try:
                    handler(self, err, tb)
                except Exception as inner:  # noqa: BLE001  (Chainer prints and goes on)
                    sys.stderr.write(f"Exception in error handler: {inner}\n")

    def serialize(self, serializer: Any) -> None:
        """Save or load the updater, the stop trigger, every extension and its
        trigger, and the elapsed time (Chainer's snapshot layout)."""
        self.updater.serialize(serializer["updater"])
        if hasattr(self.stop_trigger, "serialize"):
            self.stop_trigger.serialize(serializer["stop_trigger"])
        s, t = serializer["extensions"], serializer["extension_triggers"]
        for name, entry in self._extensions.items():
            if hasattr(entry.extension, "serialize"):
                entry.extension.serialize(s[name])
            if hasattr(entry.trigger, "serialize"):
                entry.trigger.serialize(t[name])
        if isinstance(serializer, Serializer):
            serializer("_snapshot_elapsed_time", self.elapsed_time)
        else:
            self._snapshot_elapsed_time = float(serializer("_snapshot_elapsed_time", 0.0))
