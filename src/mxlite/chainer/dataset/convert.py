"""``chainer.dataset.convert``: turn a list of examples into batched arrays.

Batches are built on the host as NumPy arrays (Chainer on CPU). Sending them
to an accelerator is delegated to one hook, :func:`set_device_sender`, which
the core's device code installs; until then only host devices are accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ...base import ContextError, ParamError

__all__ = ["concat_examples", "to_device", "set_device_sender"]

DeviceSender = Callable[[Any, np.ndarray], Any]

_sender: DeviceSender | None = None
_HOST_DEVICES = ("@numpy", "cpu", "native")


def set_device_sender(sender: DeviceSender | None) -> DeviceSender | None:
    """Install the function that sends a host array to a non-host device.

    Args:
        sender: ``sender(device, array) -> array on device``, called by
            :func:`to_device` for every device that is not the host; None
            removes it.

    Returns:
        The sender installed before, so a caller can restore it.
    """
    global _sender
    previous, _sender = _sender, sender
    return previous


def _is_host(device: Any) -> bool:
    if isinstance(device, (int, np.integer)) and not isinstance(device, bool):
        return device < 0
    return isinstance(device, str) and device in _HOST_DEVICES


def to_device(device: Any, x: Any) -> Any:
    """Send ``x`` to ``device`` (Chainer's ``chainer.dataset.to_device``).

    Args:
        device: None (leave ``x`` as it is), a negative int or ``'@numpy'``
            (NumPy on the host), or anything the installed device sender
            accepts (e.g. ``0``, ``'@cupy:0'``).
        x: an array, or None (returned as is).

    Raises:
        ContextError: ``device`` is not the host and no sender is installed.
    """
    if device is None or x is None:
        return x
    if _is_host(device):
        return np.asarray(x)
    if _sender is None:
        raise ContextError(
            f"to_device: no device sender is installed; got device={device!r}. "
            "Use device=None or -1 for NumPy arrays on the host."
        )
    return _sender(device, np.asarray(x))


def concat_examples(batch: Sequence[Any], device: Any = None, padding: Any = None) -> Any:
    """Stack a list of examples into batched arrays, one per example field.

    Args:
        batch: examples that are all arrays, all tuples of arrays (gives a
            tuple of batches), or all dicts of arrays (gives a dict).
        device: where to send the batches (:func:`to_device`); None or a
            negative int keeps NumPy arrays.
        padding: if not None, examples of different shapes are padded with
            this value to the largest shape; a tuple or dict gives one value
            per field.

    Example:
        >>> x, t = concat_examples([(np.zeros(3), 1), (np.ones(3), 2)])
        >>> x.shape, t.tolist()
        ((2, 3), [1, 2])
    """
    if len(batch) == 0:
        raise ParamError("concat_examples: batch is empty; got []. Pass at least one example.")
    first = batch[0]
    if isinstance(first, tuple):
        if not isinstance(padding, tuple):
            padding = [padding] * len(first)
        return tuple(
            to_device(device, _concat_arrays([ex[i] for ex in batch], padding[i]))
            for i in range(len(first))
        )
    if isinstance(first, dict):
        if not isinstance(padding, dict):
            padding = dict.fromkeys(first, padding)
        return {
            key: to_device(device, _concat_arrays([ex[key] for ex in batch], padding[key]))
            for key in first
        }
    return to_device(device, _concat_arrays(batch, padding))


def _concat_arrays(arrays: Sequence[Any], padding: Any) -> np.ndarray:
    if not hasattr(arrays[0], "shape"):
        arrays = np.asarray(arrays)  # ints, floats, lists: as Chainer does
    arrays = [np.asarray(a) for a in arrays]
    if padding is not None:
        return _concat_with_padding(arrays, padding)
    try:
        return np.stack(arrays)
    except ValueError as err:
        shapes = sorted({a.shape for a in arrays})
        raise ParamError(
            f"concat_examples: the examples have different shapes; got {shapes}. "
            "Pass padding= to pad them to the largest shape."
        ) from err


def _concat_with_padding(arrays: list[np.ndarray], padding: Any) -> np.ndarray:
    shape = np.max([a.shape for a in arrays], axis=0)
    result = np.full((len(arrays), *shape), padding, dtype=arrays[0].dtype)
    for i, array in enumerate(arrays):
        result[(i, *(slice(n) for n in array.shape))] = array
    return result
