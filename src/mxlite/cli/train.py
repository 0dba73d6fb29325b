"""``mxlite train``: the MXNet MNIST tutorial's training run, with its outputs written.

Trains the chosen network on the bundled MNIST with MXNet's log lines (and a
progress bar on a terminal), validates on the test set after each epoch, and
writes into the run folder (see :mod:`.runs`): ``run.json`` at the start, the
checkpoint with optimizer states after each epoch (``<model>-symbol.json``,
``<model>-NNNN.params``, ``<model>-NNNN.states`` and, last,
``<model>-NNNN.manifest.json``), ``metrics.json`` after each validation and
``learning_curve.png`` at the end. ``--resume`` continues from the newest
complete checkpoint exactly: a run killed and resumed ends with the
parameters of an uninterrupted one.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import sys
from typing import Any

from tqdm.contrib.logging import logging_redirect_tqdm

from .. import callback, checkpoint, context, io, metric, module, optimizer, random
from .._fileio import atomic_write_bytes
from ..datasets import load_mnist
from . import runs
from .device import device_context
from .errors import UsageError
from .history import CurveRecorder, History, curve_frequent
from .models import INITIALIZERS, MODELS
from .plot import plot_learning_curve
from .progress import ProgressCallback

__all__ = ["run"]

_log = logging.getLogger(__name__)

# Speedometer(batch_size, 100) as in the tutorial; the bar syncs every
# 20 batches, a divisor of 100, so the compiled chunks keep few lengths.
_SPEEDOMETER_FREQUENT = 100
_BAR_FREQUENT = 20


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


def _check_data(args: argparse.Namespace) -> dict:
    """MNIST from ``--data-dir``; UsageError if a batch exceeds the training set."""
    if args.data_dir is not None and not os.path.isdir(args.data_dir):
        raise UsageError(f"--data-dir {args.data_dir}: no such directory")
    mnist = load_mnist(args.data_dir)
    n_train = len(mnist["train_label"])
    if args.batch_size > n_train:
        raise UsageError(f"--batch-size {args.batch_size}: larger than the training "
                         f"set, which has {n_train} examples")
    return mnist


def _batch_callbacks(args: argparse.Namespace, n_train: int) -> list:
    callbacks: list = [callback.Speedometer(args.batch_size, _SPEEDOMETER_FREQUENT)]
    if not args.no_progress and sys.stderr.isatty():
        callbacks.append(ProgressCallback(math.ceil(n_train / args.batch_size),
                                          frequent=_BAR_FREQUENT))
    return callbacks


def run(args: argparse.Namespace) -> int:
    """Run ``mxlite train``; return the exit code."""
    ctx = device_context(args.ctx, "mxlite train")
    plan = runs.plan(args)  # on --resume, args take the run's saved settings
    opt_params = _optimizer_params(args)
    mnist = _check_data(args)
    args.out = runs.make_folder(plan, args.model)
    runs.write_run_json(args.out, args)
    _log_start(args, plan)
    # A resumed run seeds as the first did; fit(resume_from=) then restores the
    # checkpoint's random stream and data order, so it goes on exactly.
    random.seed(args.seed)
    with ctx:  # the iterators keep the data on this device
        train_iter = io.NDArrayIter(mnist["train_data"], mnist["train_label"],
                                    args.batch_size, shuffle=True)
        val_iter = io.NDArrayIter(mnist["test_data"], mnist["test_label"], args.batch_size)
    fitted = _fit(args, plan, ctx, opt_params, (train_iter, val_iter))
    _finish(args, *fitted)
    return 0


def _log_start(args: argparse.Namespace, plan: runs.RunPlan) -> None:
    what = (f"resuming after epoch {plan.begin_epoch}" if plan.begin_epoch
            else "training")
    _log.info("%s: model=%s init=%s %r optimizer=%s lr=%g momentum=%g batch_size=%d "
              "epochs=%d seed=%d ctx=%s out=%s", what, args.model, args.init,
              INITIALIZERS[args.init](), args.optimizer, args.lr, args.momentum,
              args.batch_size, args.epochs, args.seed, args.ctx, args.out)


def _fit(args: argparse.Namespace, plan: runs.RunPlan, ctx: context.Context,
         opt_params: dict, data: tuple) -> tuple[History, CurveRecorder]:
    """Module.fit with a checkpoint, metrics.json row and curve per epoch."""
    train_iter, val_iter = data
    prefix = os.path.join(args.out, args.model)
    mod = module.Module(MODELS[args.model](), context=ctx)
    train_metric = metric.create(["acc", "ce"])
    history, recorder = _recorders(args, plan, mod, train_metric,
                                   math.ceil(train_iter.num_data / args.batch_size))
    history.on_row = lambda: _write_metrics(args, history, recorder)
    batch_callbacks = [*_batch_callbacks(args, train_iter.num_data), recorder]
    saver = callback.module_checkpoint(mod, prefix, save_optimizer_states=True)
    bar = any(isinstance(c, ProgressCallback) for c in batch_callbacks)
    with logging_redirect_tqdm() if bar else contextlib.nullcontext():
        mod.fit(train_iter, eval_data=val_iter, eval_metric=train_metric,
                optimizer=args.optimizer, optimizer_params=opt_params,
                initializer=INITIALIZERS[args.init](),
                batch_end_callback=batch_callbacks,
                epoch_end_callback=[saver, history.epoch_end],
                eval_end_callback=history.validation_end,
                num_epoch=args.epochs,
                resume_from=prefix if plan.begin_epoch else None)
    return history, recorder


def _recorders(args: argparse.Namespace, plan: runs.RunPlan, mod: Any,
               train_metric: Any, batches: int) -> tuple[History, CurveRecorder]:
    rows, curve = [], None
    if plan.previous is not None:  # keep the epochs the checkpoint holds
        rows = [r for r in plan.previous.get("history", [])
                if r.get("epoch", math.inf) < plan.begin_epoch]
        old = plan.previous.get("curve") or {}
        keep = sum(1 for x in old.get("epoch", []) if x <= plan.begin_epoch)
        curve = {k: v[:keep] for k, v in old.items() if isinstance(v, list)}
    recorder = CurveRecorder(batches, curve_frequent(batches), curve)
    return History(mod, train_metric, rows), recorder


def _files(args: argparse.Namespace, epoch: int) -> dict:
    """The run's files, with the checkpoint of ``epoch``."""
    prefix = os.path.join(args.out, args.model)
    return {"run": os.path.join(args.out, "run.json"),
            "symbol": checkpoint.symbol_file(prefix),
            "params": checkpoint.params_file(prefix, epoch),
            "states": f"{prefix}-{epoch:04d}.states",
            "metrics": os.path.join(args.out, "metrics.json"),
            "learning_curve": os.path.join(args.out, "learning_curve.png")}


def _write_metrics(args: argparse.Namespace, history: History,
                   recorder: CurveRecorder) -> dict:
    """metrics.json as it stands (after each validation and at the end)."""
    last = history.epochs[-1] if history.epochs else {}
    done = last.get("epoch", -1) + 1
    report = {"model": args.model, "init": args.init, "epochs": args.epochs,
              "batch_size": args.batch_size, "optimizer": args.optimizer,
              "learning_rate": args.lr, "momentum": args.momentum, "seed": args.seed,
              "context": args.ctx, "epochs_done": done,
              "test_accuracy": last.get("val_accuracy"), "files": _files(args, done),
              "history": history.epochs, "curve": recorder.curve}
    atomic_write_bytes(report["files"]["metrics"], _json_text(report).encode())
    return report


def _json_text(report: dict) -> str:
    """Indented JSON with each curve list on one line (hundreds of numbers)."""
    head = json.dumps({k: v for k, v in report.items() if k != "curve"}, indent=2)
    curve = ",\n".join(f"    {json.dumps(k)}: {json.dumps(v)}"
                       for k, v in report["curve"].items())
    return f'{head[:-2]},\n  "curve": {{\n{curve}\n  }}\n}}\n'


def _finish(args: argparse.Namespace, history: History, recorder: CurveRecorder) -> None:
    report = _write_metrics(args, history, recorder)
    files = report["files"]
    plot_learning_curve(history.epochs, files["learning_curve"],
                        title=f"mxlite {args.model} on MNIST", curve=recorder.curve)
    prefix = os.path.join(args.out, args.model)
    print(f"test accuracy: {report['test_accuracy']:.4f}")
    print(f"checkpoint:    {files['symbol']}, {files['params']}, {files['states']}")
    print(f"               (mxlite predict --model-prefix {prefix} --epoch {args.epochs})")
    print(f"settings:      {files['run']}")
    print(f"               (mxlite train --resume {args.out} --epochs "
          f"{args.epochs + 1} trains on)")
    print(f"metrics:       {files['metrics']}")
    print(f"curve:         {files['learning_curve']}")
