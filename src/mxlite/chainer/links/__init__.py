"""``chainer.links`` (``import mxlite.chainer.links as L``)."""

from __future__ import annotations

from .classifier import Classifier
from .linear import Linear

__all__ = ["Classifier", "Linear"]
