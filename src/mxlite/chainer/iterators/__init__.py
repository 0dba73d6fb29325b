"""``chainer.iterators``: dataset iterators and their order samplers."""

from __future__ import annotations

from .order_samplers import OrderSampler, ShuffleOrderSampler
from .serial_iterator import SerialIterator

__all__ = ["SerialIterator", "OrderSampler", "ShuffleOrderSampler"]
