"""Chainer 7's define-by-run API on mxlite's core: ``import mxlite.chainer as chainer``.

A Chainer script changes only its imports. Networks are plain Python
(``Chain``/``Link``) calling ``F.*`` functions, which reach the same registry
operators as ``mx.nd``/``mx.sym``; ``optimizer.update(model, x, t)`` traces the
loss function once per structure and replays it as one compiled step
(``mxlite.training.traced``), falling back to the eager tape where tracing is
impossible.
"""

from __future__ import annotations

from . import (
                            backend,
                            configuration,
                            cuda,
                            dataset,
                            datasets,
                            functions,
                            initializers,
                            iterators,
                            links,
                            optimizer_hooks,
                            optimizers,
                            reporter,
                            serializer,
                            serializers,
                            training,
)
from .backend import get_device
from .configuration import (
                            config,
                            force_backprop_mode,
                            global_config,
                            no_backprop_mode,
                            using_config,
)
from .link import Chain, ChainList, Link, Sequential
from .optimizer import GradientMethod, Optimizer, UpdateRule
from .reporter import (
                            DictSummary,
                            Reporter,
                            Summary,
                            get_current_reporter,
                            report,
                            report_scope,
)
from .variable import Parameter, Variable, as_array, as_variable

backends = backend
dataset.set_device_sender(backend.send_to)

__all__ = [
    "Chain", "ChainList", "DictSummary", "GradientMethod", "Link", "Optimizer",
    "Parameter", "Reporter", "Sequential", "Summary", "UpdateRule", "Variable",
    "as_array", "as_variable", "backend", "backends", "config", "configuration", "cuda",
    "dataset", "datasets", "iterators", "serializer", "serializers", "training",
    "force_backprop_mode", "functions", "get_current_reporter", "get_device",
    "global_config", "initializers", "links", "no_backprop_mode", "optimizer_hooks",
    "optimizers", "report", "report_scope", "reporter", "using_config",
]
