"""``chainer.dataset.Iterator``: the protocol every dataset iterator follows."""

from __future__ import annotations

from typing import Any

__all__ = ["Iterator"]


class Iterator:
    """Base of dataset iterators: ``next(it)`` gives a list of examples.

    Subclasses define ``__next__``, ``epoch_detail`` and
    ``previous_epoch_detail``; ``serialize`` saves their position, and
    ``finalize`` (also called on leaving a ``with`` block) frees resources.
    """

    def __iter__(self) -> Iterator:
        return self

    def __next__(self) -> list:
        raise NotImplementedError

    def next(self) -> list:
        """Python 2 spelling of ``__next__``, kept by Chainer."""
        return self.__next__()

    @property
    def epoch_detail(self) -> float:
        """The epoch as a float: completed epochs plus the fraction of this one."""
        raise NotImplementedError

    @property
    def previous_epoch_detail(self) -> float | None:
        """``epoch_detail`` before the last ``next``; None before the first."""
        raise NotImplementedError

    def finalize(self) -> None:
        """Release resources (threads, files); nothing to do here."""

    def __enter__(self) -> Iterator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.finalize()

    def serialize(self, serializer: Any) -> None:
        """Save or load the iterator's position; nothing to do here."""
