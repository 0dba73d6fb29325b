"""``mxlite train``: the seed tutorial's training run, with its outputs written.

Trains the chosen network on the bundled MNIST with MXNet's log lines and a
progress bar, evaluates on the test set, and writes into ``--out``: the
checkpoint (``<model>-symbol.json``, ``<model>-NNNN.params``), ``metrics.json``
and ``learning_curve.png``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from typing import Any

from .. import callback, context, io, metric, module, optimizer, random
from .._fileio import atomic_write_bytes
from ..datasets import load_mnist
from .main import UsageError
from .models import MODELS
from .plot import plot_learning_curve
from .progress import ProgressCallback

__all__ = ["run"]

log = logging.getLogger("mxlite")


def _context(name: str) -> context.Context:
    if name == "gpu" and context.num_gpus() == 0:
        raise UsageError("mxlite train: error: --ctx gpu: JAX found no GPU on this "
                         "machine; use --ctx cpu")
    return context.gpu() if name == "gpu" else context.cpu()


def _optimizer_params(args: argparse.Namespace) -> dict:
    params: dict[str, Any] = {"learning_rate": args.lr}
    if args.momentum:
        params["momentum"] = args.momentum
    try:
        optimizer.create(args.optimizer, **params)
    except Exception as err:
        raise UsageError(f"mxlite train: error: --optimizer {args.optimizer}: {err}") from None
    return params


def _setup_logging() -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                            format="%(levelname)s:%(name)s:%(message)s")
    root.setLevel(logging.INFO)


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


def run(args: argparse.Namespace) -> int:
    """Run ``mxlite train``; return the exit code."""
    ctx = _context(args.ctx)
    opt_params = _optimizer_params(args)
    _setup_logging()
    random.seed(args.seed)
    mnist = load_mnist(args.data_dir)
    with ctx:  # the iterators keep the data on this device
        train_iter = io.NDArrayIter(mnist["train_data"], mnist["train_label"],
                                    args.batch_size, shuffle=True)
        val_iter = io.NDArrayIter(mnist["test_data"], mnist["test_label"], args.batch_size)
    net = MODELS[args.model]()
    mod = module.Module(net, context=ctx)
    train_metric = metric.Accuracy()
    history = _History(train_metric)
    batch_callbacks = [callback.Speedometer(args.batch_size, 100)]
    if not args.no_progress and sys.stderr.isatty():
        batch_callbacks.append(ProgressCallback(len(mnist["train_label"]) // args.batch_size))
    mod.fit(train_iter, eval_data=val_iter, eval_metric=train_metric,
            optimizer=args.optimizer, optimizer_params=opt_params,
            batch_end_callback=batch_callbacks, epoch_end_callback=history.epoch_end,
            eval_end_callback=history.validation_end, num_epoch=args.epochs)
    test_acc = dict(mod.score(val_iter, metric.Accuracy()))["accuracy"]
    _write_outputs(args, mod, history, test_acc)
    return 0


def _write_outputs(args: argparse.Namespace, mod: Any, history: _History,
                   test_acc: float) -> None:
    os.makedirs(args.out, exist_ok=True)
    prefix = os.path.join(args.out, args.model)
    mod.save_checkpoint(prefix, args.epochs)
    report = {"model": args.model, "epochs": args.epochs, "batch_size": args.batch_size,
              "optimizer": args.optimizer, "learning_rate": args.lr,
              "momentum": args.momentum, "seed": args.seed, "context": args.ctx,
              "test_accuracy": test_acc, "history": history.epochs}
    metrics_path = os.path.join(args.out, "metrics.json")
    atomic_write_bytes(metrics_path, json.dumps(report, indent=2).encode())
    curve_path = os.path.join(args.out, "learning_curve.png")
    plot_learning_curve(history.epochs, curve_path, title=f"mxlite {args.model} on MNIST")
    print(f"test accuracy: {test_acc:.4f}")
    print(f"checkpoint:    {prefix}-symbol.json, {prefix}-{args.epochs:04d}.params")
    print(f"metrics:       {metrics_path}")
    print(f"curve:         {curve_path}")
