"""MXNet.jl's FeedForward model, in Python: ``mx.FeedForward``, ``mx.fit``, ``mx.predict``.

A thin dialect over :class:`mxlite.module.Module`: the same compiled training
step, with MXNet.jl v0.1's log lines::

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
any batch size; padded rows are never counted in metrics.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import checkpoint, metric as metric_mod
from .base import ParamError
from .context import Context, cpu
from .initializer import Uniform
from .module import Module
from .module.base_module import as_list

__all__ = ["FeedForward", "fit", "predict", "save_checkpoint", "load_checkpoint",
           "every_n_epoch", "every_n_batch", "speedometer"]

logger = logging.getLogger("mxlite.model")

save_checkpoint = checkpoint.save_checkpoint
load_checkpoint = checkpoint.load_checkpoint


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
    """Call ``fn(model, epoch, metric)`` every ``n`` epochs."""
    return _JuliaCallback("epoch", fn, n, call_on_0)


def every_n_batch(fn: Callable, n: int, call_on_0: bool = False) -> _JuliaCallback:
    """Call ``fn(batch_count, metric)`` every ``n`` batches."""
    return _JuliaCallback("batch", fn, n, call_on_0)


def speedometer(frequency: int = 50) -> _JuliaCallback:
    """Log ``Speed: 1234.56 samples/sec`` every ``frequency`` batches."""
    state = {"tic": time.time(), "samples": 0}

    def log(batch_size: int) -> None:
        now = time.time()
        logger.info("Speed: %6.2f samples/sec", frequency * batch_size / (now - state["tic"]))
        state["tic"] = now

    callback = every_n_batch(log, frequency)
    callback.wants_batch_size = True
    return callback


def _ctx_name(ctx: Context) -> str:
    return f"{ctx.device_type.upper()}{ctx.device_id}"


class FeedForward:
    """A feed-forward network trained with ``fit`` and run with ``predict``.

    Example:
        >>> import mxlite as mx
        >>> net = mx.chain(mx.Variable('data'), mx.FullyConnected(name='fc', num_hidden=10),
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
        data_names = [d.name for d in data.provide_data]
        label_names = [d.name for d in data.provide_label]
        if self._module is None or self._module.data_names != data_names:
            self._module = Module(self.arch, data_names=data_names,
                                  label_names=label_names, context=self.ctx)
        return self._module

    def fit(self, optimizer: Any, train_data: Any, n_epoch: int = 10,
            eval_data: Any = None, initializer: Any = Uniform(0.01),
            eval_metric: Any = None, kvstore: Any = "local", force_init: bool = False,
            callbacks: Sequence[Any] = (), verbosity: int = 3) -> "FeedForward":
        """Train for ``n_epoch`` epochs (1-based in the logs, as MXNet.jl)."""
        names = ", ".join(_ctx_name(c) for c in self.ctx)
        logger.info("Start training on [%s]", names)
        module = self._module_for(train_data)
        module.bind(train_data.provide_data, train_data.provide_label, for_training=True,
                    force_rebind=True)
        logger.info("Initializing parameters...")
        module.init_params(initializer, self.arg_params, self.aux_params,
                           allow_missing=True, force_init=True)
        optimizer.rescale_grad = 1.0 / train_data.batch_size
        module.init_optimizer(kvstore=kvstore, optimizer=optimizer, force_init=True)
        logger.info("Start training...")
        self._eval_metric = lambda: metric_mod.create(eval_metric or "acc")
        metric = self._eval_metric()
        epoch_cbs = [c for c in callbacks if getattr(c, "kind", "") == "epoch"]
        batch_cbs = [c for c in callbacks if getattr(c, "kind", "epoch") != "epoch"]
        self._sync_params()
        for cb in epoch_cbs:
            cb(0, self, 0, metric)
        for epoch in range(1, n_epoch + 1):
            self._epoch(epoch, train_data, eval_data, metric, batch_cbs)
            for cb in epoch_cbs:
                cb(epoch, self, epoch, metric)
        logger.info("Finish training on [%s]", names)
        return self

    def _epoch(self, epoch: int, train_data: Any, eval_data: Any, metric: Any,
               batch_cbs: list) -> None:
        logger.info("== Epoch %03d ==========", epoch)
        tic = time.time()
        metric.reset()
        self._module.train_epoch(epoch, train_data, metric, self._batch_hooks(batch_cbs,
                                                                                train_data))
        logger.info("## Training summary")
        for name, value in metric.get_name_value():
            logger.info("%18s = %.4f", name, value)
        logger.info("%18s = %.4f seconds", "time", time.time() - tic)
        self._sync_params()
        if eval_data is not None:
            logger.info("## Validation summary")
            for name, value in self._module.score(eval_data, self._eval_metric(), epoch=epoch):
                logger.info("%18s = %.4f", name, value)
        train_data.reset()

    @staticmethod
    def _batch_hooks(batch_cbs: list, data: Any) -> list:
        hooks = []
        for cb in batch_cbs:
            if not isinstance(cb, _JuliaCallback):
                hooks.append(cb)
                continue

            def hook(param: Any, cb: _JuliaCallback = cb) -> None:
                count = param.nbatch + 1
                if getattr(cb, "wants_batch_size", False):
                    cb(count, data.batch_size)
                else:
                    cb(count, count, param.eval_metric)

            hook.frequent, hook.sync_offset = cb.n, cb.n - 1
            hooks.append(hook)
        return hooks

    def _sync_params(self) -> None:
        self.arg_params, self.aux_params = self._module.get_params()

    def predict(self, data: Any, overwrite: bool = True, callback: Any = None,
                verbosity: int = 1) -> np.ndarray:
        """Class probabilities, one row per example (padding stripped)."""
        if self.arg_params is None:
            raise ParamError("FeedForward.predict: the model has no parameters; call fit() "
                             "or load a checkpoint first.")
        module = self._module_for(data)
        if not module.binded or module.data_shapes != [
                (d.name, tuple(d.shape)) for d in data.provide_data]:
            module.bind(data.provide_data, data.provide_label or None, for_training=False,
                        force_rebind=True)
        module.set_params(self.arg_params, self.aux_params)
        out = module.predict(data)
        return out.asnumpy() if callback is None else callback(out.asnumpy())

    @classmethod
    def load(cls, prefix: str, epoch: int, context: Any = None) -> "FeedForward":
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
