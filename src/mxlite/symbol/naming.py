"""Automatic names: ``fullyconnected0``, and ``fc1_weight`` for missing inputs."""

from __future__ import annotations

import threading
from typing import Self

__all__ = ["NameManager", "Prefix", "current"]

_local = threading.local()


class _NameManagerMeta(type):
    @property
    def current(cls) -> NameManager:
        """The innermost active name manager (MXNet's ``NameManager.current``)."""
        return current()


class NameManager(metaclass=_NameManagerMeta):
    """Give unnamed operators ``<hint><counter>`` names, as MXNet did.

    Example:
        >>> with NameManager():
        ...     NameManager.current.get(None, "fullyconnected")
        'fullyconnected0'
    """

    def __init__(self) -> None:
        self._counter: dict[str, int] = {}
        self._old: list = []

    def get(self, name: str | None, hint: str) -> str:
        """Return ``name`` if given, else a fresh name built from ``hint``."""
        if name:
            return name
        count = self._counter.get(hint, 0)
        self._counter[hint] = count + 1
        return f"{hint}{count}"

    def __enter__(self) -> Self:
        self._old.append(current())
        _local.manager = self
        return self

    def __exit__(self, *exc) -> None:
        _local.manager = self._old.pop()

    @classmethod
    def _current(cls) -> NameManager:
        return current()


class Prefix(NameManager):
    """Prepend a prefix to every name made in its scope."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self._prefix = prefix

    def get(self, name: str | None, hint: str) -> str:
        return self._prefix + super().get(name, hint)


def current() -> NameManager:
    """The innermost active name manager (a process-wide default otherwise)."""
    manager = getattr(_local, "manager", None)
    if manager is None:
        manager = _local.manager = NameManager()
    return manager
