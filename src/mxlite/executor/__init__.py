"""Executors: symbols bound to arrays and compiled with XLA."""

from __future__ import annotations

from . import cache
from .bind import bind, simple_bind
from .executor import Executor

__all__ = ["Executor", "bind", "simple_bind", "cache"]
