"""mxlite: MXNet's API (and MXNet.jl's, Chainer's, Mocha's) on one JAX/XLA core.

``import mxlite as mx`` gives MXNet 1.x Python's API: ``mx.nd``, ``mx.sym``,
``mx.mod``, ``mx.io``, ``mx.optimizer``, ``mx.init``, ``mx.metric``,
``mx.callback``, ``mx.lr_scheduler``, ``mx.model`` (``FeedForward``,
checkpoints), ``mx.autograd``, ``mx.cpu()``/``mx.gpu()``, ``mx.random``,
``mx.name`` and ``mx.test_utils``. MXNet.jl's API (``mx.FeedForward(arch,
context=...)``, ``mx.fit``, ``mx.chain``, ``mx.<Op>``) is its own dialect:
``import mxlite.jl as mx``. This module only re-exports.
"""

from __future__ import annotations

from . import (
               autograd,
               base,
               callback,
               checkpoint,
               context,
               executor,
               initializer,
               io,
               lr_scheduler,
               metric,
               model,
               module,
               ndarray,
               optimizer,
               random,
               symbol,
)
from . import initializer as init
from . import testing as test_utils
from .base import MXNetError
from .context import Context, cpu, current_context, gpu, num_gpus
from .symbol import naming as name

nd = ndarray
sym = symbol
mod = module

__version__ = "0.1.0"

__all__ = ["autograd", "base", "callback", "checkpoint", "context", "executor",
           "initializer", "init", "io", "lr_scheduler", "metric", "model", "module",
           "mod", "ndarray", "nd", "optimizer", "random", "symbol", "sym",
           "test_utils", "name", "MXNetError", "Context", "cpu", "gpu", "num_gpus",
           "current_context"]
