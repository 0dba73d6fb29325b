"""``chainer.datasets``: in-memory datasets, splits and MNIST."""

from __future__ import annotations

from .mnist import get_mnist
from .sub_dataset import SubDataset, split_dataset, split_dataset_random
from .tuple_dataset import TupleDataset

__all__ = ["TupleDataset", "SubDataset", "split_dataset", "split_dataset_random", "get_mnist"]
