"""BaseModule: MXNet's module lifecycle and its high-level fit/score/predict.

Subclasses provide bind, init_params, init_optimizer, forward, backward,
update, update_metric, get_outputs, get_params and the fast epoch runner
``train_epoch``. ``fit`` logs MXNet's lines through ``logging``:
``Epoch[0] Train-accuracy=0.912300``, ``Epoch[0] Time cost=1.234`` and
``Epoch[0] Validation-accuracy=0.950000``. The logged time cost is also kept
as ``last_epoch_time_cost`` for callers that record it (``mxlite train``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import jax.numpy as jnp

from .. import metric as metric_mod
from ..base import ParamError
from ..callback import BatchEndParam
from ..initializer import Uniform
from ..ndarray import NDArray
from . import resume

__all__ = ["BaseModule", "as_list"]


def as_list(value: Any) -> list:
    """``None`` -> [], a single item -> [item], a list stays."""
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _call_all(callbacks: Any, *args: Any) -> None:
    for callback in as_list(callbacks):
        callback(*args)


class BaseModule:
    """The shared lifecycle: bind, init_params, init_optimizer, then train."""

    def __init__(self, logger: Any = logging) -> None:
        self.logger = logger
        self.binded = False
        self.for_training = False
        self.inputs_need_grad = False
        self.params_initialized = False
        self.optimizer_initialized = False
        self._symbol = None
        # Seconds of the last epoch of fit, as logged in "Epoch[N] Time cost":
        # the training pass with its compilation, without validation.
        self.last_epoch_time_cost: float | None = None
        self._fit_data: Any = None  # the iterator fit trains on (last call)

    @property
    def symbol(self):
        """The symbol this module trains."""
        return self._symbol

    # -- high level ---------------------------------------------------------
    def forward_backward(self, data_batch: Any) -> None:
        """Forward in training mode, then backward."""
        self.forward(data_batch, is_train=True)
        self.backward()

    def score(self, eval_data: Any, eval_metric: Any, num_batch: int | None = None,
              batch_end_callback: Any = None, score_end_callback: Any = None,
              reset: bool = True, epoch: int = 0, sparse_row_id_fn: Any = None) -> list:
        """Evaluate ``eval_metric`` over ``eval_data``; return ``[(name, value)]``.

        Padded rows of the last batch are not counted (MXNet counted them).
        """
        self._require(binded=True, params=True, what="score")
        if reset:
            eval_data.reset()
        eval_metric = metric_mod.create(eval_metric)
        eval_metric.reset()
        nbatch = 0
        for nbatch, batch in enumerate(eval_data):
            if num_batch is not None and nbatch == num_batch:
                break
            if not batch.label and getattr(self, "label_names", None):
                raise ParamError(f"Module.score: eval_data gives batches without labels "
                                 f"but the module has labels {self.label_names}; score "
                                 "needs labelled data (use predict for unlabelled data).")
            self.forward(batch, is_train=False)
            self.update_metric(eval_metric, batch.label)
            _call_all(batch_end_callback, BatchEndParam(epoch, nbatch, eval_metric, locals()))
        _call_all(score_end_callback, BatchEndParam(epoch, nbatch, eval_metric, locals()))
        return eval_metric.get_name_value()

    def iter_predict(self, eval_data: Any, num_batch: int | None = None,
                     reset: bool = True, sparse_row_id_fn: Any = None) -> Iterator:
        """Yield ``(outputs, nbatch, batch)`` with padding stripped."""
        self._require(binded=True, params=True, what="iter_predict")
        if reset:
            eval_data.reset()
        for nbatch, batch in enumerate(eval_data):
            if num_batch is not None and nbatch == num_batch:
                break
            self.forward(batch, is_train=False)
            pad = batch.pad or 0
            outputs = [NDArray(o._data[:o.shape[0] - pad], o.context)
                       for o in self.get_outputs()]
            yield outputs, nbatch, batch

    def predict(self, eval_data: Any, num_batch: int | None = None,
                merge_batches: bool = True, reset: bool = True,
                always_output_list: bool = False, sparse_row_id_fn: Any = None):
        """Run inference; one row per example (padding removed).

        An NDArray or NumPy array is predicted as one batch.
        """
        if not hasattr(eval_data, "reset"):
            return self._predict_array(eval_data, always_output_list)
        batches = [outs for outs, _, _ in self.iter_predict(eval_data, num_batch, reset)]
        if not merge_batches:
            return batches
        if not batches:
            return []
        merged = [NDArray(jnp.concatenate([b[i]._data for b in batches], axis=0),
                          batches[0][i].context) for i in range(len(batches[0]))]
        if len(merged) == 1 and not always_output_list:
            return merged[0]
        return merged

    def fit(self, train_data: Any, eval_data: Any = None, eval_metric: Any = "acc",
            epoch_end_callback: Any = None, batch_end_callback: Any = None,
            kvstore: Any = "local", optimizer: Any = "sgd",
            optimizer_params: Any = (("learning_rate", 0.01),),
            eval_end_callback: Any = None, eval_batch_end_callback: Any = None,
            initializer: Any = Uniform(0.01), arg_params: Any = None,
            aux_params: Any = None, allow_missing: bool = False,
            force_rebind: bool = False, force_init: bool = False, begin_epoch: int = 0,
            num_epoch: int | None = None, validation_metric: Any = None,
            monitor: Any = None, sparse_row_id_fn: Any = None,
            resume_from: str | None = None, nan_check: bool = True) -> None:
        """Train for ``num_epoch`` epochs, as ``Module.fit`` in MXNet 1.x.

        ``resume_from=prefix`` (mxlite) continues after the newest complete
        checkpoint of ``prefix`` (see :mod:`mxlite.module.resume`), in place of
        ``begin_epoch``/``arg_params``; with none yet, training starts afresh.
        ``nan_check`` (mxlite): stop with NonFiniteError at the first step whose
        outputs or gradients hold NaN/Inf, before that epoch's end callbacks
        (so no checkpoint of non-finite weights is written).
        """
        if num_epoch is None:
            raise ParamError("Module.fit: num_epoch must be given (the number of the "
                             "last epoch + 1); got None.")
        # Metric names are checked before any work is done.
        train_metric = metric_mod.create(eval_metric)
        validation_metric = metric_mod.create(validation_metric or eval_metric)
        point = resume.find(resume_from, self.logger) if resume_from else None
        if point is not None:
            arg_params, aux_params = point.arg_params, point.aux_params
            force_init, begin_epoch = True, point.epoch
        self.bind(data_shapes=train_data.provide_data,
                  label_shapes=train_data.provide_label, for_training=True,
                  force_rebind=force_rebind)
        if monitor is not None:
            self.install_monitor(monitor)
        self.init_params(initializer=initializer, arg_params=arg_params,
                         aux_params=aux_params, allow_missing=allow_missing,
                         force_init=force_init)
        self.init_optimizer(kvstore=kvstore, optimizer=optimizer,
                            optimizer_params=optimizer_params)
        if point is not None:
            resume.restore(self, point, train_data)
        self._fit_data = train_data  # its position goes into checkpoints
        self._nan_check = bool(nan_check)
        for epoch in range(begin_epoch, num_epoch):
            self._fit_epoch(epoch, train_data, train_metric, batch_end_callback)
            arg_now, aux_now = self.get_params()
            _call_all(epoch_end_callback, epoch, self.symbol, arg_now, aux_now)
            if eval_data is not None:
                res = self.score(eval_data, validation_metric,
                                 score_end_callback=eval_end_callback,
                                 batch_end_callback=eval_batch_end_callback, epoch=epoch)
                for name, value in res:
                    self.logger.info("Epoch[%d] Validation-%s=%f", epoch, name, value)
            train_data.reset()

    def _fit_epoch(self, epoch: int, train_data: Any, train_metric: Any,
                   batch_end_callback: Any) -> None:
        tic = time.time()
        train_metric.reset()
        self.train_epoch(epoch, train_data, train_metric, as_list(batch_end_callback))
        for name, value in train_metric.get_global_name_value():
            self.logger.info("Epoch[%d] Train-%s=%f", epoch, name, value)
        self.last_epoch_time_cost = time.time() - tic
        self.logger.info("Epoch[%d] Time cost=%.3f", epoch, self.last_epoch_time_cost)

    def _require(self, binded: bool = False, params: bool = False,
                 optimizer: bool = False, what: str = "") -> None:
        if binded and not self.binded:
            raise ParamError(f"Module.{what}: call bind() first.")
        if params and not self.params_initialized:
            raise ParamError(f"Module.{what}: call init_params() first.")
        if optimizer and not self.optimizer_initialized:
            raise ParamError(f"Module.{what}: call init_optimizer() first.")

    def install_monitor(self, mon: Any) -> None:
        """Monitors are not supported by the compiled step."""
        raise ParamError("Module.install_monitor: monitors are not supported in mxlite; "
                         "read values with get_outputs() or autograd instead.")
