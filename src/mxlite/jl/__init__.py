"""``import mxlite.jl as mx``: MXNet.jl's API (its MNIST tutorial's).

``mx.Variable``, every registry operator as ``mx.<Op>`` (``mx.FullyConnected``,
``mx.SoftmaxOutput``...), ``mx.chain`` and ``>>``, ``mx.FeedForward``,
``mx.fit``, ``mx.predict``, ``mx.SGD``/``mx.ADAM`` with MXNet.jl's keywords,
``mx.cpu``/``mx.gpu``, the callbacks ``mx.every_n_epoch``,
``mx.every_n_batch`` and ``mx.speedometer``, checkpoints and
``mx.get_mnist_providers``. A dialect only translates names, defaults and log
lines onto mxlite's one core; this module only re-exports.

Example:
    >>> import mxlite.jl as mx
    >>> mlp = mx.chain(mx.Variable('data'),
    ...                mx.FullyConnected(name='fc1', num_hidden=128),
    ...                mx.Activation(name='relu1', act_type='relu'),
    ...                mx.FullyConnected(name='fc2', num_hidden=10),
    ...                mx.SoftmaxOutput(name='softmax'))
    >>> model = mx.FeedForward(mlp, context=mx.cpu())
    >>> optimizer = mx.SGD(lr=0.1, momentum=0.9, weight_decay=0.00001)
"""

from __future__ import annotations

from ..checkpoint import load_checkpoint, save_checkpoint
from ..context import Context, cpu, gpu
from ..optimizer.julia import JuliaADAM as ADAM
from ..optimizer.julia import JuliaSGD as SGD
from .mnist import get_mnist_providers
from .model import FeedForward, every_n_batch, every_n_epoch, fit, predict, speedometer
from .symbol import SymbolicNode, Variable, chain, operators

__all__ = [
    "ADAM",
    "Context",
    "FeedForward",
    "SGD",
    "SymbolicNode",
    "Variable",
    "chain",
    "cpu",
    "every_n_batch",
    "every_n_epoch",
    "fit",
    "get_mnist_providers",
    "gpu",
    "load_checkpoint",
    "predict",
    "save_checkpoint",
    "speedometer",
]


def _export_ops() -> None:
    """MXNet.jl's spelling: every public registry operator as ``mx.<Op>``."""
    for op_name, function in operators().items():
        if op_name not in globals():
            globals()[op_name] = function
            __all__.append(op_name)


_export_ops()
