"""Training callbacks (``mx.callback``), with MXNet 1.9.1's exact log lines.

Batch callbacks receive a :data:`BatchEndParam`; epoch callbacks receive
``(epoch, symbol, arg_params, aux_params)``. A batch callback that reads the
metric only every ``n`` batches declares ``frequent = n``: the trainer then
runs the batches in between as one compiled call and syncs the device only
where a callback will look (Speedometer reads the metric every ``frequent``
batches, never in between).

The lines are MXNet's, logged at INFO by the ``mxlite.callback`` logger (MXNet
used the root logger): ``logging.basicConfig(level=logging.INFO)`` shows them
as before, and ``logging.getLogger("mxlite").setLevel(...)`` quiets them.
"""

from __future__ import annotations

import logging
import math
import time
from collections import namedtuple
from collections.abc import Callable
from typing import Any

from .checkpoint import check_folder, save_checkpoint

_log = logging.getLogger(__name__)

__all__ = [
    "BatchEndParam",
    "LogValidationMetricsCallback",
    "ProgressBar",
    "Speedometer",
    "do_checkpoint",
    "log_train_metric",
    "module_checkpoint",
]

BatchEndParam = namedtuple(
    "BatchEndParams", ["epoch", "nbatch", "eval_metric", "locals"]
)
BatchEndParam.__doc__ = """What a batch callback receives: the epoch, the batch
number within it (from 0), the training metric (or None) and, in MXNet, the
caller's locals (mxlite passes None)."""


def module_checkpoint(
    mod: Any, prefix: str, period: int = 1, save_optimizer_states: bool = False
) -> Callable:
    """An epoch callback calling ``mod.save_checkpoint`` every ``period`` epochs.

    Args:
        mod: the Module to save.
        prefix: file prefix (``prefix-symbol.json``, ``prefix-0001.params``).
        period: epochs between checkpoints (at least 1).
        save_optimizer_states: also write ``prefix-0001.states`` (and what
            ``fit(..., resume_from=prefix)`` needs to continue exactly).

    Raises:
        ParamError: the prefix's folder cannot be created or written (it is
            created here, before any training).
    """
    period = int(max(1, period))
    check_folder(prefix, create=True)

    def _callback(
        iter_no: int, sym: Any = None, arg: Any = None, aux: Any = None
    ) -> None:
        if (iter_no + 1) % period == 0:
            mod.save_checkpoint(prefix, iter_no + 1, save_optimizer_states)

    return _callback


def do_checkpoint(prefix: str, period: int = 1) -> Callable:
    """An epoch callback saving ``prefix-symbol.json`` and ``prefix-%04d.params``.

    The file after the first epoch (epoch 0) is ``prefix-0001.params``, as in
    MXNet: the saved number is ``epoch + 1``.

    Args:
        prefix: file prefix; its folder is created here, before any training.
        period: epochs between checkpoints (at least 1).

    Raises:
        ParamError: the prefix's folder cannot be created or written.

    Example:
        >>> import mxlite as mx
        >>> cb = mx.callback.do_checkpoint("mymodel", period=2)
        >>> callable(cb)
        True
    """
    period = int(max(1, period))
    check_folder(prefix, create=True)

    def _callback(iter_no: int, sym: Any, arg: dict, aux: dict) -> None:
        if (iter_no + 1) % period == 0:
            save_checkpoint(prefix, iter_no + 1, sym, arg, aux)

    return _callback


def log_train_metric(period: int, auto_reset: bool = False) -> Callable:
    """A batch callback logging ``Iter[%d] Batch[%d] Train-%s=%f`` every ``period``.

    Args:
        period: batches between log lines.
        auto_reset: call ``eval_metric.reset_local()`` after each line.
    """

    def _callback(param: BatchEndParam) -> None:
        if param.nbatch % period == 0 and param.eval_metric is not None:
            name_value = param.eval_metric.get_name_value()
            for name, value in name_value:
                msg, epoch, nbatch = (
                    "Iter[%d] Batch[%d] Train-%s=%f",
                    param.epoch,
                    param.nbatch,
                )
                _log.info(msg, epoch, nbatch, name, value)
            if auto_reset:
                param.eval_metric.reset_local()

    _callback.frequent = period  # type: ignore[attr-defined]
    return _callback


class Speedometer:
    """Log the training speed and metric every ``frequent`` batches.

    The first call of an epoch starts the clock; then, at every batch number
    divisible by ``frequent``, it logs (with the metric, ``auto_reset=True``)::

        Epoch[0] Batch [100-200]\tSpeed: 41234.56 samples/sec\taccuracy=0.912300

    and calls ``eval_metric.reset_local()``; with ``auto_reset=False`` the range
    is ``[0-200]`` and the metric is left alone; without a metric the line is
    ``Iter[0] Batch [200]\tSpeed: ... samples/sec``. The clock restarts when
    the batch number goes down (a new epoch).

    Args:
        batch_size: samples per batch.
        frequent: batches between lines; the metric is read only then.
        auto_reset: reset the local metric after each line.
    """

    def __init__(
        self, batch_size: int, frequent: int = 50, auto_reset: bool = True
    ) -> None:
        self.batch_size = batch_size
        self.frequent = frequent
        self.init = False
        self.tic = 0.0
        self.last_count = 0
        self.auto_reset = auto_reset

    def __call__(self, param: BatchEndParam) -> None:
        count = param.nbatch
        if self.last_count > count:
            self.init = False
        self.last_count = count
        if not self.init:
            self.init = True
            self.tic = time.time()
            return
        if count % self.frequent != 0:
            return
        try:
            speed = self.frequent * self.batch_size / (time.time() - self.tic)
        except ZeroDivisionError:
            speed = float("inf")
        self._log(param, count, speed)
        self.tic = time.time()

    def _log(self, param: BatchEndParam, count: int, speed: float) -> None:
        if param.eval_metric is None:
            msg = "Iter[%d] Batch [%d]\tSpeed: %.2f samples/sec"
            _log.info(msg, param.epoch, count, speed)
            return
        name_value = param.eval_metric.get_name_value()
        values = sum(name_value, ())
        metrics = "\t%s=%f" * len(name_value)
        if self.auto_reset:
            param.eval_metric.reset_local()
            msg = "Epoch[%d] Batch [%d-%d]\tSpeed: %.2f samples/sec" + metrics
            args = (param.epoch, count - self.frequent, count, speed, *values)
        else:
            msg = "Epoch[%d] Batch [0-%d]\tSpeed: %.2f samples/sec" + metrics
            args = (param.epoch, count, speed, *values)
        _log.info(msg, *args)


class ProgressBar:
    """Log a progress bar of the batches done in the epoch, MXNet's way::

        [====================--------------------] 50%

    (each line ends with ``\\r``; under Python 3 MXNet 1.9.1 printed the
    percentage as an integer, rounded up; the bar above has ``length=40``).

    Args:
        total: batches per epoch.
        length: characters in the bar.
    """

    def __init__(self, total: int, length: int = 80) -> None:
        self.bar_len = length
        self.total = total
        # NOTE: reads no metric; syncing about once per percent keeps the bar live
        # without forcing the trainer to stop after every batch.
        self.frequent = max(1, total // 100)

    def __call__(self, param: BatchEndParam) -> None:
        count = param.nbatch
        filled_len = round(self.bar_len * count / float(self.total))
        percents = math.ceil(100.0 * count / float(self.total))
        prog_bar = "=" * filled_len + "-" * (self.bar_len - filled_len)
        _log.info("[%s] %s%s\r", prog_bar, percents, "%")


class LogValidationMetricsCallback:
    """An eval-end callback logging ``Epoch[%d] Validation-%s=%f`` per metric."""

    def __call__(self, param: BatchEndParam) -> None:
        if not param.eval_metric:
            return
        for name, value in param.eval_metric.get_name_value():
            msg = "Epoch[%d] Validation-%s=%f"
            _log.info(msg, param.epoch, name, value)
