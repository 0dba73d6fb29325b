"""``chainer.training.Extension``: what a Trainer calls after each update."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["PRIORITY_EDITOR", "PRIORITY_READER", "PRIORITY_WRITER", "Extension",
           "make_extension"]

PRIORITY_WRITER = 300
PRIORITY_EDITOR = 200
PRIORITY_READER = 100


class Extension:
    """Base of trainer extensions: ``__call__(trainer)`` plus optional hooks.

    Class attributes ``trigger``, ``priority`` and ``default_name`` are the
    defaults ``Trainer.extend`` uses.
    """

    trigger: Any = (1, "iteration")
    priority: int = PRIORITY_READER
    name: str | None = None

    @property
    def default_name(self) -> str:
        return type(self).__name__

    def __call__(self, trainer: Any) -> None:
        raise NotImplementedError("Extension implementation must override __call__.")

    def finalize(self) -> None:
        """Called once when the training loop ends."""

    def initialize(self, trainer: Any) -> None:
        """Called once before the training loop starts (also on resume)."""

    def on_error(self, trainer: Any, exc: BaseException, tb: Any) -> None:
        """Called when the training loop raises."""

    def serialize(self, serializer: Any) -> None:
        """Save or load the extension's state (nothing by default)."""


def make_extension(trigger: Any = None, default_name: str | None = None,
                   priority: int | None = None, finalizer: Callable | None = None,
                   initializer: Callable | None = None,
                   on_error: Callable | None = None) -> Callable:
    """Decorate a function ``f(trainer)`` with an extension's attributes.

    Example:
        >>> @make_extension(trigger=(1, 'epoch'))
        ... def hello(trainer): pass
        >>> hello.default_name, hello.trigger
        ('hello', (1, 'epoch'))
    """
    trigger = Extension.trigger if trigger is None else trigger
    priority = Extension.priority if priority is None else priority

    def decorator(ext: Callable) -> Callable:
        ext.trigger = trigger
        ext.default_name = default_name or ext.__name__
        ext.priority = priority
        ext.finalize = finalizer
        ext.on_error = on_error
        ext.initialize = initializer
        return ext

    return decorator
