"""mxlite: MXNet's API (and MXNet.jl's, Chainer's, Mocha's) on one JAX/XLA core.

``import mxlite as mx`` gives the MXNet facade: ``mx.nd``, ``mx.sym``,
``mx.mod``, ``mx.io``, ``mx.optimizer``, ``mx.init``, ``mx.metric``,
``mx.callback``, ``mx.lr_scheduler``, ``mx.model``, ``mx.autograd``,
``mx.cpu()``/``mx.gpu()``, ``mx.random``, ``mx.test_utils`` and, as in
MXNet.jl, ``mx.FeedForward``, ``mx.fit``, ``mx.predict``, ``mx.SGD``,
``mx.ADAM``, ``mx.chain`` and every operator as ``mx.<Op>``. This module only
re-exports.
"""

from __future__ import annotations

from . import (autograd, base, callback, checkpoint, context, executor, initializer, io,
               lr_scheduler, metric, model, module, ndarray, optimizer, random, symbol)
from . import initializer as init
from . import testing as test_utils
from .base import MXNetError
from .context import Context, cpu, current_context, gpu, num_gpus
from .model import (FeedForward, every_n_batch, every_n_epoch, fit, load_checkpoint,
                    predict, save_checkpoint, speedometer)
from .optimizer import JuliaADAM as ADAM
from .optimizer import JuliaSGD as SGD
from .symbol import Group, Variable, chain, var
from .symbol import naming as name

nd = ndarray
sym = symbol
mod = module

__version__ = "0.1.0"

__all__ = ["autograd", "base", "callback", "checkpoint", "context", "executor",
           "initializer", "init", "io", "lr_scheduler", "metric", "model", "module", "mod",
           "ndarray", "nd", "optimizer", "random", "symbol", "sym", "test_utils", "name",
           "MXNetError", "Context", "cpu", "gpu", "num_gpus", "current_context",
           "FeedForward", "fit", "predict", "SGD", "ADAM", "every_n_epoch",
           "every_n_batch", "speedometer", "save_checkpoint", "load_checkpoint", "Variable", "var", "Group",
           "chain"]


def _export_ops() -> None:
    """MXNet.jl's spelling: every public operator as ``mx.<Op>``."""
    for op_name in symbol.__all__:
        if op_name not in globals():
            globals()[op_name] = getattr(symbol, op_name)
            __all__.append(op_name)


_export_ops()
