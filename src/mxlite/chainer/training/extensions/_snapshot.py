"""``snapshot`` and ``snapshot_object``: save the trainer (or any object) as NPZ.

``snapshot()`` writes ``out/snapshot_iter_<N>`` with
:func:`mxlite.chainer.serializers.save_npz` (atomically: a temporary file
renamed over the final name), in Chainer's key layout
(``updater/model:main/predictor/l1/W``, ``updater/optimizer:main/t``,
``updater/iterator:main/epoch``, ``extensions/LogReport/_log``...), so
``serializers.load_npz(path, trainer)`` resumes the training.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ...serializers import save_npz
from .. import extension

__all__ = ["snapshot", "snapshot_object"]


class _Snapshot(extension.Extension):
    """Save ``target`` (the trainer by default) each time it is triggered."""

    trigger = 1, "epoch"
    priority = -100

    def __init__(self, target: Any = None, condition: Callable | None = None,
                 savefun: Callable = save_npz,
                 filename: Any = "snapshot_iter_{.updater.iteration}",
                 snapshot_on_error: bool = False) -> None:
        self._target = target
        self.filename = filename
        self.condition = condition or (lambda: True)
        self._savefun = savefun
        self._snapshot_on_error = snapshot_on_error

    def on_error(self, trainer: Any, exc: BaseException, tb: Any) -> None:
        if self._snapshot_on_error:
            self._make_snapshot(trainer)

    def __call__(self, trainer: Any) -> None:
        if self.condition():
            self._make_snapshot(trainer)

    def _make_snapshot(self, trainer: Any) -> None:
        target = trainer if self._target is None else self._target
        name = self.filename(trainer) if callable(self.filename) \
            else self.filename.format(trainer)
        os.makedirs(trainer.out, exist_ok=True)
        self._savefun(os.path.join(trainer.out, name), target)


def snapshot(savefun: Callable | None = None,
             filename: Any = "snapshot_iter_{.updater.iteration}", *,
             target: Any = None, condition: Callable | None = None,
             snapshot_on_error: bool = False) -> _Snapshot:
    """An extension saving the trainer's whole state (once per epoch by default).

    Args:
        savefun: ``savefun(path, obj)``; ``save_npz`` by default.
        filename: a format string over the trainer, or ``f(trainer) -> name``.
        target: the object to save instead of the trainer.
        condition: ``condition() -> bool``; nothing is saved when False.
        snapshot_on_error: also save when the training loop raises.
    """
    return _Snapshot(target, condition, savefun or save_npz, filename,
                     snapshot_on_error)


def snapshot_object(target: Any, filename: Any, savefun: Callable | None = None, *,
                    condition: Callable | None = None,
                    snapshot_on_error: bool = False) -> _Snapshot:
    """An extension saving ``target`` (e.g. the model) under ``filename``
    (a format string over the trainer: ``'model_epoch_{.updater.epoch}'``)."""
    return _Snapshot(target, condition, savefun or save_npz, filename,
                     snapshot_on_error)
