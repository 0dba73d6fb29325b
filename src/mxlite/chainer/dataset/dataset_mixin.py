"""``chainer.dataset.DatasetMixin``: indexing built on one ``get_example(i)``."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["DatasetMixin"]


class DatasetMixin:
    """Give a dataset slice and list indexing from ``__len__`` and ``get_example``.

    An int index returns one example; a slice, a list or an ndarray of
    indices returns a list of examples (Chainer's behaviour, not a batch).

    Example:
        >>> class Squares(DatasetMixin):
        ...     def __len__(self): return 5
        ...     def get_example(self, i): return i * i
        >>> Squares()[1:4], Squares()[[0, 4]]
        ([1, 4, 9], [0, 16])
    """

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self.get_example(i) for i in range(*index.indices(len(self)))]
        if isinstance(index, (list, np.ndarray)):
            return [self.get_example(i) for i in index]
        return self.get_example(index)

    def __len__(self) -> int:
        raise NotImplementedError

    def get_example(self, i: int) -> Any:
        """Return the ``i``-th example (subclasses implement it)."""
        raise NotImplementedError
