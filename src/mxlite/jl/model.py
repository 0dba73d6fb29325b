"""MXNet.jl's FeedForward model: ``mx.FeedForward``, ``mx.fit``, ``mx.predict``.

Used as ``import mxlite.jl as mx``. A thin dialect over
:class:`mxlite.module.Module`: the same compiled training step, with MXNet.jl
v0.1's log lines (logger ``mxlite.jl.model``)::

    Start training on [CPU0]
    Initializing parameters...
    Start training...
    == Epoch 001 ==========
    ## Training summary
              accuracy = 0.7599
                  time = 1.5975 seconds
    ## Validation summary
              accuracy = 0.9536

Differences from MXNet.jl, on purpose: validation runs in inference mode
(MXNet.jl ran it with ``is_train=true``, so Dropout was active) and may use
any batch size; padded rows are never counted in metrics; ``predict`` returns
one row per example (MXNet.jl: one column); v0.2's ``Finish training on``
line is not logged (v0.1, the tutorial's version, had none).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import checkpoint
from .. import metric as metric_mod
from ..base import ParamError
from ..context import Context, cpu
from ..initializer import Uniform
from ..module import Module
from ..module.base_module import as_list

__all__ = [
    "FeedForward",
    "every_n_batch",
    "every_n_epoch",
    "fit",
    "predict",
    "speedometer",
]

logger = logging.getLogger(__name__)


class _JuliaCallback:
    """A callback in MXNet.jl's style: called every ``n`` epochs or batches."""

    def __init__(self, kind: str, fn: Callable, n: int, call_on_0: bool) -> None:
        if not isinstance(n, int) or n < 1:
            raise ParamError(f"every_n_{kind}: n must be an int >= 1; got {n!r}.")
        self.kind, self.fn, self.n, self.call_on_0 = kind, fn, n, call_on_0
        self.frequent = n if kind == "batch" else None

    def __call__(self, count: int, *args: Any) -> None:
        if (count == 0 and self.call_on_0) or (count > 0 and count % self.n == 0):
            self.fn(*args)


def every_n_epoch(fn: Callable, n: int, call_on_0: bool = False) -> _JuliaCallback:
    """Call ``fn(model, epoch, metric)`` every ``n`` epochs (epochs count from 1).

    ``metric`` is the epoch's training ``[(name, value)]``, as MXNet.jl's
    ``get(eval_metric)``. With ``call_on_0`` it is also called before the first
    epoch, with epoch 0 and an empty metric list.
    """
    return _JuliaCallback("epoch", fn, n, call_on_0)


def every_n_batch(fn: Callable, n: int, call_on_0: bool = False) -> _JuliaCallback:
    """Call ``fn(batch_count, metric)`` every ``n`` batches of each epoch.

    Batches count from 1 in each epoch; with ``call_on_0`` ``fn`` is also called
    with 0 at the start of every epoch (MXNet.jl's "iteration 0").
    """
    return _JuliaCallback("batch", fn, n, call_on_0)


def speedometer(frequency: int = 50) -> _JuliaCallback:
    """Log ``Speed: 1234.56 samples/sec`` every ``frequency`` batches.

    As MXNet.jl's: called at batch 0 of each epoch to start the clock.
    """
    state = {"tic": time.time()}

    def log(count: int, batch_size: int) -> None:
        now = time.time()
        if count > 0:
            logger.info("Speed: %6.2f samples/sec",
                        frequency * batch_size / max(now - state["tic"], 1e-12))
        state["tic"] = now

    callback = every_n_batch(log, frequency, call_on_0=True)
    callback.wants_batch_size = True
    return callback


def _ctx_names(contexts: Sequence[Context]) -> str:
    """MXNet.jl (Julia 0.4) printed a context vector as ``[CPU0]``, ``[GPU0,GPU1]``."""
    names = (f"{c.device_type.upper()}{c.device_id}" for c in contexts)
    return "[" + ",".join(names) + "]"


class _Verbosity:
    """MXNet.jl's ``verbosity`` levels: log a line only at or under the level."""

    def __init__(self, level: int) -> None:
        self.level = level

    def __call__(self, needed: int, msg: str, *args: Any) -> None:
        if self.level >= needed:
            logger.info(msg, *args)


class FeedForward:
    """A feed-forward network trained with ``fit`` and run with ``predict``.

    Example:
        >>> import mxlite.jl as mx
        >>> net = mx.chain(mx.Variable('data'),
        ...                mx.FullyConnected(name='fc', num_hidden=10),
        ...                mx.SoftmaxOutput(name='softmax'))
        >>> model = mx.FeedForward(net, context=mx.cpu())
        >>> model.arg_params is None
        True
    """

    def __init__(self, arch: Any, context: Context | Sequence[Context] | None = None,
                 **kwargs: Any) -> None:
        self.arch = arch
        self.ctx = as_list(context) or [cpu()]
        self.arg_params: dict | None = None
        self.aux_params: dict | None = None
        self._module: Module | None = None
        if kwargs:
            raise ParamError(f"FeedForward: unknown arguments {sorted(kwargs)}; give "
                             "training options to fit().")

    @property
    def symbol(self) -> Any:
        return self.arch

    def _module_for(self, data: Any) -> Module:
        if not hasattr(data, "provide_data"):
            raise ParamError(f"FeedForward: data must be a data provider (an mx.io "
                             f"iterator such as NDArrayIter); got "
                             f"{type(data).__name__}.")
        data_names = [d.name for d in data.provide_data]
        # A provider without labels (prediction) still leaves the symbol's label
        # inputs out of the parameters: they are the arguments named *label.
        label_names = [d.name for d in data.provide_label or []] or [
            n for n in self.arch.list_arguments()
            if n not in data_names and (n == "label" or n.endswith("_label"))]
        module = self._module
        if (module is None or module.data_names != data_names
                or (data.provide_label and module.label_names != label_names)):
            module = self._module = Module(self.arch, data_names=data_names,
                                           label_names=label_names, context=self.ctx)
        return module

    def fit(self, optimizer: Any, train_data: Any, *, n_epoch: int = 10,
            eval_data: Any = None, initializer: Any = Uniform(0.01),
            eval_metric: Any = None, kvstore: Any = "local", force_init: bool = False,
            callbacks: Sequence[Any] = (), verbosity: int = 3) -> FeedForward:
        """Train for ``n_epoch`` epochs (1-based in the logs, as MXNet.jl).

        Parameters already set (from an earlier ``fit`` or a checkpoint) are
        kept unless ``force_init``; missing ones are drawn from ``initializer``.
        The optimizer's gradients are divided by the batch size
        (``rescale_grad = 1/batch_size``, MXNet.jl's ``normalized_gradient``).
        Epoch callbacks (``every_n_epoch``) are called before the first epoch
        with epoch 0 and then after each epoch, as ``fn(model, epoch, metric)``
        where ``metric`` is the epoch's training ``[(name, value)]`` (empty at
        0). ``verbosity``: 0 silent, 1 start message, 2 one line per epoch,
        3 (default) training and validation summaries too.
        """
        if not isinstance(n_epoch, int) or isinstance(n_epoch, bool) or n_epoch < 0:
            raise ParamError(f"FeedForward.fit: n_epoch must be an int >= 0; got "
                             f"{n_epoch!r}.")
        say = _Verbosity(verbosity)
        say(1, "Start training on %s", _ctx_names(self.ctx))
        metric = metric_mod.create(eval_metric or "acc")
        val_metric = metric_mod.create(eval_metric or "acc")
        module = self._module_for(train_data)
        module.bind(train_data.provide_data, train_data.provide_label,
                    for_training=True, force_rebind=True)
        say(2, "Initializing parameters...")
        keep = not force_init
        module.init_params(initializer, self.arg_params if keep else None,
                           self.aux_params if keep else None, allow_missing=True,
                           force_init=True)
        if not isinstance(optimizer, str):
            optimizer.rescale_grad = 1.0 / train_data.batch_size
        module.init_optimizer(kvstore=kvstore, optimizer=optimizer, force_init=True)
        self._sync_params()
        epoch_cbs = [c for c in callbacks if getattr(c, "kind", "") == "epoch"]
        batch_cbs = [c for c in callbacks if getattr(c, "kind", "epoch") != "epoch"]
        for cb in epoch_cbs:
            cb(0, self, 0, [])
        say(2, "Start training...")
        for epoch in range(1, n_epoch + 1):
            trained = self._epoch(epoch, train_data, eval_data, metric=metric,
                                  val_metric=val_metric, batch_cbs=batch_cbs, say=say)
            for cb in epoch_cbs:
                cb(epoch, self, epoch, trained)
        return self

    def _epoch(self, epoch: int, train_data: Any, eval_data: Any, *, metric: Any,
               val_metric: Any, batch_cbs: list, say: _Verbosity) -> list:
        tic = time.time()
        metric.reset()
        # MXNet.jl's `for batch in eachbatch(data)` starts every epoch from the
        # first batch, whatever read the provider before (predict, a loop).
        train_data.reset()
        for cb in batch_cbs:  # MXNet.jl calls batch callbacks at batch 0 too
            if isinstance(cb, _JuliaCallback):
                self._call_batch_cb(cb, 0, metric, train_data)
        self._module.train_epoch(epoch, train_data, metric,
                                 self._batch_hooks(batch_cbs, train_data))
        trained = metric.get_name_value()
        toc = time.time()
        say(2, "== Epoch %03d ==========", epoch)
        say(3, "## Training summary")
        for name, value in trained:
            say(3, "%18s = %.4f", name, value)
        say(3, "%18s = %.4f seconds", "time", toc - tic)
        self._sync_params()
        if eval_data is not None:
            scores = self._module.score(eval_data, val_metric, epoch=epoch)
            say(3, "## Validation summary")
            for name, value in scores:
                say(3, "%18s = %.4f", name, value)
        return trained

    @staticmethod
    def _call_batch_cb(cb: _JuliaCallback, count: int, metric: Any, data: Any) -> None:
        if getattr(cb, "wants_batch_size", False):
            cb(count, count, data.batch_size)
        else:
            cb(count, count, metric)

    @classmethod
    def _batch_hooks(cls, batch_cbs: list, data: Any) -> list:
        hooks = []
        for cb in batch_cbs:
            if not isinstance(cb, _JuliaCallback):
                hooks.append(cb)
                continue

            def hook(param: Any, cb: _JuliaCallback = cb) -> None:
                cls._call_batch_cb(cb, param.nbatch + 1, param.eval_metric, data)

            hook.frequent, hook.sync_offset = cb.n, cb.n - 1
            hooks.append(hook)
        return hooks

    def _sync_params(self) -> None:
        self.arg_params, self.aux_params = self._module.get_params()

    def predict(self, data: Any, overwrite: bool = True, callback: Any = None,
                verbosity: int = 1) -> np.ndarray:
        """Class probabilities, one row per example (padding stripped)."""
        if self.arg_params is None:
            raise ParamError("FeedForward.predict: the model has no parameters; call "
                             "fit() or load a checkpoint first.")
        module = self._module_for(data)
        if not module.binded or module.data_shapes != [
                (d.name, tuple(d.shape)) for d in data.provide_data]:
            module.bind(data.provide_data, data.provide_label or None,
                        for_training=False, force_rebind=True)
        module.set_params(self.arg_params, self.aux_params)
        out = module.predict(data)
        return out.asnumpy() if callback is None else callback(out.asnumpy())

    @classmethod
    def load(cls, prefix: str, epoch: int, context: Any = None) -> FeedForward:
        """A model from ``prefix-symbol.json`` and ``prefix-%04d.params``."""
        symbol, arg_params, aux_params = checkpoint.load_checkpoint(prefix, epoch)
        model = cls(symbol, context=context)
        model.arg_params, model.aux_params = arg_params, aux_params
        return model

    def save(self, prefix: str, epoch: int) -> None:
        """Write a checkpoint readable by MXNet and MXNet.jl."""
        checkpoint.save_checkpoint(prefix, epoch, self.arch, self.arg_params or {},
                                   self.aux_params or {})


def fit(model: FeedForward, optimizer: Any, data: Any, **kwargs: Any) -> FeedForward:
    """``mx.fit(model, optimizer, data; kwargs...)`` as in MXNet.jl."""
    return model.fit(optimizer, data, **kwargs)


def predict(model: FeedForward, data: Any, **kwargs: Any) -> np.ndarray:
    """``mx.predict(model, data)`` as in MXNet.jl (rows are examples here)."""
    return model.predict(data, **kwargs)
