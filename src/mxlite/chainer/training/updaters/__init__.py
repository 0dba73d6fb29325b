"""``chainer.training.updaters``."""

from __future__ import annotations

from .standard_updater import StandardUpdater, Updater

__all__ = ["StandardUpdater", "Updater"]
