"""MXNet 1.x Python's ``mx.model``: checkpoints and ``BatchEndParam``."""

from __future__ import annotations

from .callback import BatchEndParam
from .checkpoint import load_checkpoint, save_checkpoint

__all__ = ["BatchEndParam", "load_checkpoint", "save_checkpoint"]
