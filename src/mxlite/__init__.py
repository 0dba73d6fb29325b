"""mxlite: MXNet's API (and MXNet.jl's, Chainer's, Mocha's) on one JAX/XLA core.

``import mxlite as mx`` gives the MXNet facade: ``mx.nd``, ``mx.sym``,
``mx.autograd``, ``mx.cpu()``/``mx.gpu()``, ``mx.random`` and, as in MXNet.jl,
every operator as ``mx.<Op>`` (``mx.FullyConnected``, ``mx.Variable``,
``mx.chain``). This module only re-exports.
"""

from __future__ import annotations

from . import autograd, base, context, executor, ndarray, random, symbol
from . import testing as test_utils
from .base import MXNetError
from .context import Context, cpu, current_context, gpu, num_gpus
from .symbol import Group, Variable, chain, var
from .symbol import naming as name

nd = ndarray
sym = symbol

__version__ = "0.1.0"

__all__ = ["autograd", "base", "context", "executor", "ndarray", "nd", "random",
           "symbol", "sym", "test_utils", "name", "MXNetError", "Context", "cpu",
           "gpu", "num_gpus", "current_context", "Variable", "var", "Group", "chain"]


def _export_ops() -> None:
    """MXNet.jl's spelling: every public operator as ``mx.<Op>``."""
    for op_name in symbol.__all__:
        if op_name not in globals():
            globals()[op_name] = getattr(symbol, op_name)
            __all__.append(op_name)


_export_ops()
