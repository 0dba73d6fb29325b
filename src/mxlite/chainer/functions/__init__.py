"""``chainer.functions`` (``import mxlite.chainer.functions as F``).

Every function reaches the registry operators that ``mx.nd``/``mx.sym`` use
(through :mod:`mxlite.chainer._ops`); losses and metrics are compositions of
them, never new kernels.
"""

from __future__ import annotations

from .activation import (
                    elu,
                    leaky_relu,
                    log_softmax,
                    relu,
                    sigmoid,
                    softmax,
                    softplus,
                    tanh,
)
from .array import (
                    broadcast_to,
                    cast,
                    concat,
                    expand_dims,
                    flatten,
                    get_item,
                    reshape,
                    split_axis,
                    squeeze,
                    stack,
                    swapaxes,
                    transpose,
                    where,
)
from .connection import convolution_2d, embed_id, linear
from .evaluation import accuracy
from .loss import (
                    mean_absolute_error,
                    mean_squared_error,
                    sigmoid_cross_entropy,
                    softmax_cross_entropy,
)
from .math import (
                    absolute,
                    argmax,
                    argmin,
                    average,
                    clip,
                    exp,
                    install_variable_arithmetics,
                    log,
                    matmul,
                    max,
                    mean,
                    min,
                    sqrt,
                    square,
                    sum,
)
from .noise import dropout
from .normalization import batch_normalization, fixed_batch_normalization
from .pooling import average_pooling_2d, max_pooling_2d

install_variable_arithmetics()

__all__ = [
    "absolute", "accuracy", "argmax", "argmin", "average", "average_pooling_2d",
    "batch_normalization", "broadcast_to", "cast", "clip", "concat", "convolution_2d",
    "dropout", "elu", "embed_id", "exp", "expand_dims", "fixed_batch_normalization",
    "flatten", "get_item", "leaky_relu", "linear", "log", "log_softmax", "matmul",
    "max", "max_pooling_2d", "mean", "mean_absolute_error", "mean_squared_error", "min",
    "relu", "reshape", "sigmoid", "sigmoid_cross_entropy", "softmax",
    "softmax_cross_entropy", "softplus", "split_axis", "sqrt", "square", "squeeze",
    "stack", "sum", "swapaxes", "tanh", "transpose", "where",
]
