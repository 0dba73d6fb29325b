"""mxlite: MXNet's API (and MXNet.jl's, Chainer's, Mocha's) on one JAX/XLA core.

``import mxlite as mx`` gives MXNet 1.x Python's API: ``mx.nd``, ``mx.sym``,
``mx.mod``, ``mx.io``, ``mx.optimizer``, ``mx.init``, ``mx.metric``,
``mx.callback``, ``mx.lr_scheduler``, ``mx.model`` (``FeedForward``,
checkpoints), ``mx.autograd``, ``mx.cpu()``/``mx.gpu()``, ``mx.random``,
``mx.name``, ``mx.profiler`` and ``mx.test_utils``. MXNet.jl's API
(``mx.FeedForward(arch, context=...)``, ``mx.fit``, ``mx.chain``, ``mx.<Op>``)
is its own dialect: ``import mxlite.jl as mx``. This module only re-exports.

Each name is imported on first use (PEP 562), so ``import mxlite`` does not
import JAX and the ``mxlite`` command answers ``--help`` at once. JAX's
configuration (x64 on, the compilation cache) is set by ``mxlite._platform``,
which every mxlite module that uses JAX imports first. MXNet modules mxlite
does not have yet (``mx.gluon``, ``import mxlite.kvstore``...) raise an error
saying so (:mod:`mxlite._coverage`).
"""

# No `from __future__ import annotations` and private import names: dir(mx)
# lists this module's globals, which should be mxlite's names only.
import importlib as _importlib

from . import _coverage

__version__ = "0.1.0"

# name -> (module, attribute of it or None for the module itself)
_LAZY: dict[str, tuple[str, str | None]] = {
    **{name: (f".{name}", None) for name in (
        "autograd", "base", "callback", "checkpoint", "context", "executor",
        "initializer", "io", "lr_scheduler", "metric", "model", "module",
        "ndarray", "optimizer", "profiler", "random", "symbol")},
    "init": (".initializer", None),
    "mod": (".module", None),
    "nd": (".ndarray", None),
    "sym": (".symbol", None),
    "test_utils": (".testing", None),
    "name": (".symbol.naming", None),
    "MXNetError": (".base", "MXNetError"),
    **{name: (".context", name) for name in (
        "Context", "cpu", "gpu", "num_gpus", "current_context")},
}

# Symbol.bind, simple_bind and eval come from the executor layer (above the
# symbol layer), so reaching the symbols through mx also loads the executor.
_COMPANIONS: dict[str, tuple[str, ...]] = {".symbol": (".executor",)}

__all__ = ["autograd", "base", "callback", "checkpoint", "context", "executor",
           "initializer", "init", "io", "lr_scheduler", "metric", "model", "module",
           "mod", "ndarray", "nd", "optimizer", "profiler", "random", "symbol", "sym",
           "test_utils", "name", "MXNetError", "Context", "cpu", "gpu", "num_gpus",
           "current_context"]

_coverage.install_finder()


def __getattr__(name: str) -> object:
    """Import ``mx.<name>`` on first use and keep it as a module attribute."""
    if name in _LAZY:
        module_name, attribute = _LAZY[name]
        value = _importlib.import_module(module_name, __name__)
        for companion in _COMPANIONS.get(module_name, ()):
            _importlib.import_module(companion, __name__)
        if attribute is not None:
            value = getattr(value, attribute)
        globals()[name] = value
        return value
    if name in _coverage.PLANNED:
        raise AttributeError(_coverage.planned_message(name))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
