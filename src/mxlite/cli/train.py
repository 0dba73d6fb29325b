"""``mxlite train``: the seed tutorial's training run, with its outputs written.

Trains the chosen network on the bundled MNIST with MXNet's log lines (and a
progress bar on a terminal), evaluates on the test set, and writes into
``--out``: the checkpoint (``<model>-symbol.json``, ``<model>-NNNN.params``),
``metrics.json`` and ``learning_curve.png``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
import time
from typing import Any

from tqdm.contrib.logging import logging_redirect_tqdm

from .. import callback, context, io, metric, module, optimizer, random
from .._fileio import atomic_write_bytes
from ..datasets import load_mnist
from .errors import UsageError
from .models import MODELS
from .plot import plot_learning_curve
from .progress import ProgressCallback

__all__ = ["run"]

# Speedometer(batch_size, 100) as in the tutorial; the bar syncs every
# 20 batches, a divisor of 100, so the compiled chunks keep few lengths.
_SPEEDOMETER_FREQUENT = 100
_BAR_FREQUENT = 20


def device_context(name: str, command: str) -> context.Context:
    """``cpu`` or ``gpu`` as a Context; UsageError if JAX sees no GPU."""
    if name == "gpu" and context.num_gpus() == 0:
        raise UsageError("--ctx gpu: JAX found no GPU on this machine; use --ctx cpu "
                         "(or install a CUDA build of jaxlib)", prog=command)
    return context.gpu() if name == "gpu" else context.cpu()


def _optimizer_params(args: argparse.Namespace) -> dict:
    params: dict[str, Any] = {"learning_rate": args.lr}
    try:
        optimizer.create(args.optimizer, **params)
    except ValueError as err:  # ParamError: unknown name (with the list), bad value
        raise UsageError(f"--optimizer {args.optimizer}: {err}") from None
    if args.momentum:
        params["momentum"] = args.momentum
        try:
            optimizer.create(args.optimizer, **params)
        except (TypeError, ValueError):
            raise UsageError(f"--momentum: optimizer {args.optimizer!r} takes no "
                             f"momentum; got {args.momentum}") from None
    return params


def _check_paths(args: argparse.Namespace) -> None:
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise UsageError(f"--out {args.out}: exists and is not a directory")
    if args.data_dir is not None and not os.path.isdir(args.data_dir):
        raise UsageError(f"--data-dir {args.data_dir}: no such directory")


class _History:
    """Collects per-epoch train and validation metrics for metrics.json."""

    def __init__(self, train_metric: Any) -> None:
        self.train_metric = train_metric
        self.epochs: list[dict] = []
        self._tic = time.time()

    def epoch_end(self, epoch: int, *_: Any) -> None:
        row = {"epoch": epoch, "seconds": round(time.time() - self._tic, 3)}
        row.update({f"train_{k}": v for k, v in self.train_metric.get_global_name_value()})
        self.epochs.append(row)

    def validation_end(self, param: Any) -> None:
        self.epochs[-1].update({f"val_{k}": v for k, v in param.eval_metric.get_name_value()})
        self._tic = time.time()


def _batch_callbacks(args: argparse.Namespace, n_train: int) -> list:
    callbacks: list = [callback.Speedometer(args.batch_size, _SPEEDOMETER_FREQUENT)]
    if not args.no_progress and sys.stderr.isatty():
        callbacks.append(ProgressCallback(math.ceil(n_train / args.batch_size),
                                          frequent=_BAR_FREQUENT))
    return callbacks


def run(args: argparse.Namespace) -> int:
    """Run ``mxlite train``; return the exit code."""
    ctx = device_context(args.ctx, "mxlite train")
    opt_params = _optimizer_params(args)
    _check_paths(args)
    random.seed(args.seed)
    mnist = load_mnist(args.data_dir)
    with ctx:  # the iterators keep the data on this device
        train_iter = io.NDArrayIter(mnist["train_data"], mnist["train_label"],
                                    args.batch_size, shuffle=True)
        val_iter = io.NDArrayIter(mnist["test_data"], mnist["test_label"], args.batch_size)
    mod = module.Module(MODELS[args.model](), context=ctx)
    train_metric = metric.Accuracy()
    history = _History(train_metric)
    callbacks = _batch_callbacks(args, len(mnist["train_label"]))
    bar = len(callbacks) > 1
    with logging_redirect_tqdm() if bar else contextlib.nullcontext():
        mod.fit(train_iter, eval_data=val_iter, eval_metric=train_metric,
                optimizer=args.optimizer, optimizer_params=opt_params,
                batch_end_callback=callbacks, epoch_end_callback=history.epoch_end,
                eval_end_callback=history.validation_end, num_epoch=args.epochs)
    test_acc = dict(mod.score(val_iter, metric.Accuracy()))["accuracy"]
    _write_outputs(args, mod, history, test_acc)
    return 0


def _report(args: argparse.Namespace, history: _History, test_acc: float,
            files: dict) -> dict:
    return {"model": args.model, "epochs": args.epochs, "batch_size": args.batch_size,
            "optimizer": args.optimizer, "learning_rate": args.lr,
            "momentum": args.momentum, "seed": args.seed, "context": args.ctx,
            "test_accuracy": test_acc, "files": files, "history": history.epochs}


def _write_outputs(args: argparse.Namespace, mod: Any, history: _History,
                   test_acc: float) -> None:
    os.makedirs(args.out, exist_ok=True)
    prefix = os.path.join(args.out, args.model)
    mod.save_checkpoint(prefix, args.epochs)
    files = {"symbol": f"{prefix}-symbol.json",
             "params": f"{prefix}-{args.epochs:04d}.params",
             "metrics": os.path.join(args.out, "metrics.json"),
             "learning_curve": os.path.join(args.out, "learning_curve.png")}
    report = _report(args, history, test_acc, files)
    atomic_write_bytes(files["metrics"], (json.dumps(report, indent=2) + "\n").encode())
    plot_learning_curve(history.epochs, files["learning_curve"],
                        title=f"mxlite {args.model} on MNIST")
    print(f"test accuracy: {test_acc:.4f}")
    print(f"checkpoint:    {files['symbol']}, {files['params']}")
    print(f"               (mxlite predict --model-prefix {prefix} --epoch {args.epochs})")
    print(f"metrics:       {files['metrics']}")
    print(f"curve:         {files['learning_curve']}")
