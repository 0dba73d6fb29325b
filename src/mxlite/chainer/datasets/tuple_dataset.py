"""``chainer.datasets.TupleDataset``: zip equal-length datasets into examples."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...base import ParamError

__all__ = ["TupleDataset"]


class TupleDataset:
    """A dataset whose ``i``-th example is the tuple of each dataset's ``i``-th item.

    Indexing is delegated to every underlying dataset, as in Chainer:

    - an int gives one example, a tuple ``(x_i, t_i)``;
    - an ndarray or list of indices gives a tuple of batches
      ``(x[idx], t[idx])`` when the datasets are NumPy arrays;
    - a slice gives a *list* of example tuples.

    Args:
        datasets: the datasets (arrays, lists, other datasets), all the same
            length.

    Example:
        >>> import numpy as np
        >>> ds = TupleDataset(np.arange(6).reshape(3, 2), np.array([7, 8, 9]))
        >>> ds[1]
        (array([2, 3]), np.int64(8))
        >>> ds[np.array([0, 2])][1]
        array([7, 9])
        >>> len(ds[0:2])
        2
    """

    def __init__(self, *datasets: Sequence[Any]) -> None:
        if not datasets:
            raise ParamError(
                "TupleDataset: no datasets are given; got TupleDataset(). "
                "Pass one or more equal-length datasets, e.g. TupleDataset(x, t)."
            )
        lengths = [len(dataset) for dataset in datasets]
        for i, length in enumerate(lengths):
            if length != lengths[0]:
                raise ParamError(
                    f"TupleDataset: dataset {i} has a wrong length; got {length}, "
                    f"but dataset 0 has {lengths[0]}. All datasets must have "
                    "the same length."
                )
        self._datasets = datasets
        self._length = lengths[0]

    def __getitem__(self, index: Any) -> Any:
        batches = [dataset[index] for dataset in self._datasets]
        if isinstance(index, slice):
            return [tuple(batch[i] for batch in batches) for i in range(len(batches[0]))]
        return tuple(batches)

    def __len__(self) -> int:
        return self._length
