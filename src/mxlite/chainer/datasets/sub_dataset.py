"""``chainer.datasets.SubDataset`` and the ``split_dataset`` helpers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ...base import ParamError
from ...random import numpy_rng
from ..dataset.dataset_mixin import DatasetMixin

__all__ = ["SubDataset", "split_dataset", "split_dataset_random"]


class SubDataset(DatasetMixin):
    """The examples ``start``..``finish - 1`` of a dataset, optionally reordered.

    Args:
        dataset: the base dataset.
        start: the first index (in ``order`` if given).
        finish: one past the last index.
        order: a permutation of the base dataset's indices, or None.
    """

    def __init__(
        self, dataset: Any, start: int, finish: int, order: Sequence[int] | None = None
    ) -> None:
        if start < 0 or finish > len(dataset) or start > finish:
            raise ParamError(
                f"SubDataset: subset overruns the base dataset; got start={start}, "
                f"finish={finish} for a dataset of {len(dataset)}. Need "
                "0 <= start <= finish <= len(dataset)."
            )
        if order is not None and len(order) != len(dataset):
            raise ParamError(
                "SubDataset: order must have the same length as the base dataset; "
                f"got len(order)={len(order)} while len(dataset)={len(dataset)}."
            )
        self._dataset = dataset
        self._start = start
        self._finish = finish
        self._size = finish - start
        self._order = order

    def __len__(self) -> int:
        return self._size

    def get_example(self, i: int) -> Any:
        """The ``i``-th example of the subset (negative ``i`` counts from the end)."""
        if not -self._size <= i < self._size:
            raise IndexError(
                f"SubDataset: index out of range; got {i} for a subset of {self._size}."
            )
        index = self._start + i if i >= 0 else self._finish + i
        if self._order is not None:
            index = self._order[index]
        return self._dataset[index]


def split_dataset(
    dataset: Any, split_at: int, order: Sequence[int] | None = None
) -> tuple[SubDataset, SubDataset]:
    """Split a dataset in two at ``split_at``: ``[0, split_at)`` and the rest.

    Args:
        dataset: the dataset to split.
        split_at: the size of the first part, 0 <= split_at <= len(dataset).
        order: a permutation of the indices to split, or None for their order.
    """
    if isinstance(split_at, bool) or not isinstance(split_at, (int, np.integer)):
        raise ParamError(
            f"split_dataset: split_at must be an int; got {type(split_at).__name__} "
            f"{split_at!r}."
        )
    if not 0 <= split_at <= len(dataset):
        raise ParamError(
            f"split_dataset: split_at must be in [0, {len(dataset)}] (the dataset "
            f"size); got {split_at}."
        )
    n_examples = len(dataset)
    return (
        SubDataset(dataset, 0, split_at, order),
        SubDataset(dataset, split_at, n_examples, order),
    )


def split_dataset_random(
    dataset: Any, first_size: int, seed: int | None = None
) -> tuple[SubDataset, SubDataset]:
    """Split a dataset in two at random: ``first_size`` examples and the rest.

    With a ``seed`` the permutation is ``numpy.random.RandomState(seed)``'s,
    as in Chainer, so the same seed gives the same split as Chainer. Without
    one it comes from mxlite's seeded stream (``mx.random.seed``), not from
    fresh OS entropy as in Chainer, so a seeded program is reproducible.

    Example:
        >>> a, b = split_dataset_random(list(range(10)), 7, seed=0)
        >>> len(a), len(b), sorted(a[:] + b[:]) == list(range(10))
        (7, 3, True)
    """
    if seed is None:
        order = numpy_rng().permutation(len(dataset))
    else:
        order = np.random.RandomState(seed).permutation(len(dataset))
    return split_dataset(dataset, first_size, order)
