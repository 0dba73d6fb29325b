"""``L.Linear``: W (out, in) from LeCunNormal, b zeros; the input size may wait
for the first call (``Linear(None, n)`` or ``Linear(n)``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...base import ShapeError
from .. import initializers
from ..functions.connection import linear
from ..link import Link
from ..variable import Parameter, Variable

__all__ = ["Linear"]


class Linear(Link):
    """A fully-connected layer, ``y = x W^T + b``.

    Args:
        in_size: input features per example, or None to take them from the
            first input. With ``out_size`` None, the single argument is the
            output size (``Linear(10)`` is ``Linear(None, 10)``).
        out_size: output features.
        nobias: no bias.
        initialW, initial_bias: initializers (default LeCunNormal and 0).
    """

    def __init__(self, in_size: int | None, out_size: int | None = None,
                 nobias: bool = False, initialW: Any = None, initial_bias: Any = None
                 ) -> None:
        super().__init__()
        if out_size is None:
            in_size, out_size = None, in_size
        self.in_size, self.out_size = in_size, out_size
        with self.init_scope():
            self.W = Parameter(initializers._get_initializer(initialW))
            if in_size is not None:
                self.W.initialize((out_size, in_size))
            if nobias:
                self.b = None
            else:
                bias = 0 if initial_bias is None else initial_bias
                self.b = Parameter(initializers._get_initializer(bias), out_size)

    def forward(self, x: Any, n_batch_axes: int = 1) -> Variable:
        shape = tuple(getattr(x, "shape", np.shape(x)))
        features = int(np.prod(shape[n_batch_axes:], dtype=np.int64))
        if self.W.array is None:
            self.W.initialize((self.out_size, features))
        elif self.W.shape[1] != features:
            raise ShapeError(
                f"Linear{_where(self)}: input of shape {shape} has {features} features "
                f"per example, but W was initialized as {self.W.shape} for "
                f"{self.W.shape[1]}.")
        return linear(x, self.W, self.b, n_batch_axes=n_batch_axes)


def _where(link: Link) -> str:
    return f" {link.name!r}" if link.name else ""
