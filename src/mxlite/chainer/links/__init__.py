"""``chainer.links`` (``import mxlite.chainer.links as L``)."""

from __future__ import annotations

from .batch_normalization import BatchNormalization
from .classifier import Classifier
from .convolution_2d import Convolution2D
from .embed_id import EmbedID
from .linear import Linear

__all__ = ["BatchNormalization", "Classifier", "Convolution2D", "EmbedID", "Linear"]
