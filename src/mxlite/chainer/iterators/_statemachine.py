"""The position arithmetic of ``SerialIterator``, as a pure step function."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ...base import ParamError

__all__ = ["IteratorState", "iterator_statemachine"]


class IteratorState(NamedTuple):
    """Where an iterator stands: position in the epoch, epoch, order."""

    current_position: int
    epoch: int
    is_new_epoch: bool
    order: np.ndarray | None


def iterator_statemachine(
    state: IteratorState,
    batch_size: int,
    repeat: bool,
    order_sampler: Any,
    dataset_len: int,
) -> tuple[IteratorState, np.ndarray | None]:
    """Advance by one batch: (new state, indices), indices None once exhausted.

    Chainer's rule: a batch that reaches the end of an epoch is completed
    from the next epoch's (newly sampled) order when ``repeat``; without
    ``repeat`` the last batch is short and the next call gives None.
    """
    i, epoch, _, order = state
    if not repeat and epoch > 0:
        return state, None
    n = dataset_len if order is None else len(order)
    if repeat and n == 0:
        raise ParamError(
            "SerialIterator: the epoch size must be positive for an iterator that "
            "repeats; got an empty dataset. Pass a non-empty dataset or repeat=False."
        )
    parts = []
    i_end = i + batch_size
    is_new_epoch = False
    while i_end >= n:
        parts.append(np.arange(i, n, dtype=np.intp) if order is None else order[i:n])
        if order is not None:
            order = _next_order(order_sampler, order, i)
        epoch += 1
        is_new_epoch = True
        i = 0
        if not repeat:
            i_end = 0
            break
        i_end -= n
    parts.append(np.arange(i, i_end, dtype=np.intp) if order is None else order[i:i_end])
    return IteratorState(i_end, epoch, is_new_epoch, order), np.concatenate(parts)


def _next_order(order_sampler: Any, order: np.ndarray, position: int) -> np.ndarray:
    new_order = order_sampler(order, position)
    if len(new_order) != len(order):
        raise ParamError(
            f"SerialIterator: the order sampler changed the order's size; got "
            f"{len(new_order)}, expected {len(order)}. An order sampler must "
            "return a permutation of the same length."
        )
    return new_order
