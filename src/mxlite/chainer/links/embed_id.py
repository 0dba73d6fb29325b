"""``L.EmbedID``: a learned (in_size, out_size) table looked up by integer IDs."""

from __future__ import annotations

from typing import Any

from .. import initializers
from ..functions.connection import embed_id
from ..link import Link
from ..variable import Parameter, Variable

__all__ = ["EmbedID"]


class EmbedID(Link):
    """Word embeddings: ``y[..., :] = W[x[...], :]`` (``F.embed_id``).

    Args:
        in_size: the number of IDs (rows of W).
        out_size: the vector size (columns of W).
        initialW: W's initializer (default ``Normal(1.0)``, as Chainer).
        ignore_label: an ID that maps to a zero vector.
    """

    ignore_label: int | None = None

    def __init__(self, in_size: int, out_size: int, initialW: Any = None,
                 ignore_label: int | None = None) -> None:
        super().__init__()
        self.ignore_label = ignore_label
        with self.init_scope():
            if initialW is None:
                initialW = initializers.Normal(1.0)
            self.W = Parameter(initializers._get_initializer(initialW),
                               (in_size, out_size))

    def forward(self, x: Any) -> Variable:
        return embed_id(x, self.W, ignore_label=self.ignore_label)
