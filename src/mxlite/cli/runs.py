"""``mxlite train``'s run folders: a new one per run, never another run's.

Without ``--out`` a run gets ``runs/<model>-NNN`` (the next number, made with
``os.mkdir``, so two runs started at once cannot share one). An ``--out``
that holds a run (any file below) is refused unless ``--overwrite`` (its
files go; other files stay) or ``--resume`` (it continues from its newest
complete checkpoint, exactly, with the settings saved in its ``run.json``).

A run's files: ``run.json``, ``metrics.json``, ``learning_curve.png``,
``<model>-symbol.json``, ``<model>-NNNN.params``, ``<model>-NNNN.states`` and
``<model>-NNNN.manifest.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
from typing import NamedTuple

from .._fileio import atomic_write_bytes, remove_stale_temporaries
from ..checkpoint import latest_checkpoint
from .errors import UsageError
from .models import MODELS

__all__ = ["RunPlan", "latest_epoch", "make_folder", "plan", "remove_run", "run_files",
           "write_run_json"]

RUNS_ROOT = "runs"
# The settings a resumed run keeps (argparse names, also run.json's keys).
SAVED = ("model", "init", "optimizer", "lr", "momentum", "batch_size", "seed")
_MODEL = "|".join(MODELS)
_OWN = re.compile(rf"run\.json|metrics\.json|learning_curve\.png"
                  rf"|({_MODEL})-(symbol\.json|\d{{4}}\.(params|states|manifest\.json))")


class RunPlan(NamedTuple):
    """Where a run goes and how it starts.

    Attributes:
        out: the run folder; None for a new ``runs/<model>-NNN``.
        overwrite: remove the run files in ``out`` first (``--overwrite``).
        begin_epoch: epochs already done (the checkpoint resumed from), else 0.
        previous: the resumed run's metrics.json, else None.
    """

    out: str | None
    overwrite: bool = False
    begin_epoch: int = 0
    previous: dict | None = None


def run_files(folder: str) -> list[str]:
    """The names of mxlite's run files in ``folder`` (sorted)."""
    if not os.path.isdir(folder):
        return []
    return sorted(name for name in os.listdir(folder) if _OWN.fullmatch(name))


def plan(args: argparse.Namespace) -> RunPlan:
    """Check ``--out``, ``--overwrite`` and ``--resume``; touch no file.

    For ``--resume`` the saved settings go into ``args`` (UsageError if one
    given on the command line differs) and the run's epochs are checked.
    """
    if isinstance(args.resume, str):  # --resume DIR
        if args.out is not None and args.out != args.resume:
            raise UsageError(f"--resume {args.resume}: the run's folder; got another "
                             f"--out {args.out}")
        args.out = args.resume
    if args.out is None:
        if args.resume:
            raise UsageError("--resume needs the folder of the run: --resume DIR (or "
                             "--out DIR --resume)")
        if args.overwrite:
            raise UsageError("--overwrite needs --out DIR, the folder of the run; "
                             "without --out every run gets a new folder")
        return RunPlan(None)
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise UsageError(f"--out {args.out}: exists and is not a directory")
    found = run_files(args.out)
    if args.resume:
        return _plan_resume(args, found)
    if found and not args.overwrite:
        raise UsageError(f"--out {args.out}: holds a run ({', '.join(found[:3])}); "
                         "pass --resume to continue it, --overwrite to replace it, or "
                         "another --out")
    return RunPlan(args.out, overwrite=bool(found))


def _plan_resume(args: argparse.Namespace, found: list[str]) -> RunPlan:
    where = f"--resume --out {args.out}"
    if "run.json" not in found:
        raise UsageError(f"{where}: no run to resume there (no run.json); train "
                         "into it without --resume")
    saved = _read_json(os.path.join(args.out, "run.json"), where)
    _take_saved(args, saved, where)
    done = latest_epoch(args.out, args.model)
    if done == 0:
        raise UsageError(f"{where}: the run has no complete epoch checkpoint "
                         f"({args.model}-NNNN.params with its .states); start it "
                         "afresh with --overwrite")
    if "epochs" not in getattr(args, "given", ()):
        args.epochs = int(saved.get("epochs", args.epochs))
    if args.epochs <= done:
        raise UsageError(f"{where}: the run has done {done} epochs; pass --epochs "
                         f"greater than {done} to train on")
    metrics = os.path.join(args.out, "metrics.json")
    previous = _read_json(metrics, where) if os.path.isfile(metrics) else None
    return RunPlan(args.out, begin_epoch=done, previous=previous)


def _take_saved(args: argparse.Namespace, saved: dict, where: str) -> None:
    for key in SAVED:
        if key not in saved:
            raise UsageError(f"{where}: run.json lacks {key!r}; it was not written by "
                             "mxlite train")
        value = saved[key]
        if key in getattr(args, "given", ()) and getattr(args, key) != value:
            flag = "--" + key.replace("_", "-")
            raise UsageError(f"{where}: the run was trained with {flag} {value}; "
                             f"got {flag} {getattr(args, key)}. A resumed run keeps "
                             f"its settings: drop {flag}, or start a new run")
        setattr(args, key, value)


def _read_json(path: str, where: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as err:
        raise UsageError(f"{where}: cannot read {path}: {err}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{where}: {path} does not hold a JSON object")
    return data


def latest_epoch(folder: str, model: str) -> int:
    """The newest complete checkpoint's epoch (with its ``.states``); 0 if none."""
    prefix = os.path.join(folder, model)
    epoch = latest_checkpoint(prefix) or 0
    if epoch and not os.path.isfile(f"{prefix}-{epoch:04d}.states"):
        return 0  # mxlite train always saves them; without, no exact resume
    return epoch


def make_folder(plan: RunPlan, model: str, root: str = RUNS_ROOT) -> str:
    """Create (or clean, for ``--overwrite``) the run folder; return its path."""
    if plan.out is None:
        return _next_free(root, model)
    os.makedirs(plan.out, exist_ok=True)
    if plan.overwrite:
        remove_run(plan.out)
    elif plan.begin_epoch:  # what a killed run was writing
        remove_stale_temporaries(plan.out, names=_OWN)
    return plan.out


def _next_free(root: str, model: str) -> str:
    os.makedirs(root, exist_ok=True)
    pattern = re.compile(rf"{re.escape(model)}-(\d+)")
    taken = [int(m[1]) for m in map(pattern.fullmatch, os.listdir(root)) if m]
    number = max(taken, default=0) + 1
    while True:
        folder = os.path.join(root, f"{model}-{number:03d}")
        try:
            os.mkdir(folder)
        except FileExistsError:  # another run took it meanwhile
            number += 1
            continue
        return folder


def remove_run(folder: str) -> list[str]:
    """Delete mxlite's run files (and their stale temporaries); keep the rest."""
    removed = [os.path.basename(p) for p in remove_stale_temporaries(folder, names=_OWN)]
    for name in run_files(folder):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(folder, name))
            removed.append(name)
    return sorted(removed)


def write_run_json(folder: str, args: argparse.Namespace) -> str:
    """Write the run's settings (what ``--resume`` reads) atomically; its path."""
    settings = {key: getattr(args, key) for key in SAVED}
    settings.update(epochs=args.epochs, ctx=args.ctx, data_dir=args.data_dir)
    path = os.path.join(folder, "run.json")
    atomic_write_bytes(path, (json.dumps(settings, indent=2) + "\n").encode())
    return path
