"""Chainer's serializer protocol (``chainer.serializer``).

An object saves and loads itself through one method, ``serialize(serializer)``,
that calls ``serializer(key, value)`` for each of its values and
``serializer[name]`` for each child. The same method serves both directions:
a saving serializer records ``value`` and returns it; a loading one returns
the value read from the file.

mxlite arrays are immutable, so unlike Chainer (which copied into the given
array in place) the caller must assign what ``__call__`` returns::

    def serialize(self, serializer):
        self.W = serializer("W", self.W)
        self.child.serialize(serializer["child"])
"""

from __future__ import annotations

from typing import Any

__all__ = ["AbstractSerializer", "Serializer", "Deserializer"]


class AbstractSerializer:
    """The two operations every serializer and deserializer offers."""

    def __getitem__(self, key: str) -> AbstractSerializer:
        """Return the serializer of the child ``key`` (its path gains ``key/``)."""
        raise NotImplementedError

    def __call__(self, key: str, value: Any) -> Any:
        """Save or load ``value`` under ``key``; return what the caller should keep."""
        raise NotImplementedError


class Serializer(AbstractSerializer):
    """Base of the saving serializers."""

    def save(self, obj: Any) -> None:
        """Save ``obj`` by letting it call this serializer (``obj.serialize(self)``)."""
        obj.serialize(self)


class Deserializer(AbstractSerializer):
    """Base of the loading deserializers."""

    def load(self, obj: Any) -> None:
        """Load ``obj`` by letting it call this deserializer (``obj.serialize(self)``)."""
        obj.serialize(self)
