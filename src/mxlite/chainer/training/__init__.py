"""``chainer.training``: the Trainer, updaters, triggers and extensions.

``Trainer(updater, (20, 'epoch'), out='result')`` runs the updater until
the stop trigger fires; each ``StandardUpdater.update()`` is one compiled
step (``optimizer.update``), and extensions (``extensions.Evaluator``,
``LogReport``, ``PrintReport``, ``snapshot``...) run when their triggers
fire. ``serializers.load_npz(snapshot, trainer)`` resumes a run.
"""

from __future__ import annotations

from . import extension, extensions, trigger, triggers, updaters
from .extension import (
                        PRIORITY_EDITOR,
                        PRIORITY_READER,
                        PRIORITY_WRITER,
                        Extension,
                        make_extension,
)
from .trainer import Trainer
from .trigger import IntervalTrigger, get_trigger
from .updaters import StandardUpdater, Updater

__all__ = ["PRIORITY_EDITOR", "PRIORITY_READER", "PRIORITY_WRITER", "Extension",
           "IntervalTrigger", "StandardUpdater", "Trainer", "Updater", "extension",
           "extensions", "get_trigger", "make_extension", "trigger", "triggers",
           "updaters"]
