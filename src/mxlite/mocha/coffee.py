"""Mocha's coffee breaks: what the solver does between compiled stretches.

``setup_coffee_lounge(solver, save_into=..., every_n_iter=...)`` keeps the
statistics the breaks report, saved (atomically, HDF5) every
``every_n_iter`` iterations and at the end. ``add_coffee_break(solver,
coffee, every_n_iter=n)`` runs ``coffee`` at iteration 0 and every n
iterations (or every n epochs of the training data): ``TrainingSummary()``
logs the objective, ``Snapshot(dir)`` saves everything needed to resume,
``ValidationPerformance(test_net)`` runs one pass over the test data.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .._fileio import remove_stale_temporaries
from ..base import ParamError
from . import functions
from .log import info, logger
from .snapshot import load_snapshot, save_snapshot, snapshot_name
from .statistics import load_statistics, save_statistics

__all__ = ["CoffeeLounge", "Snapshot", "TrainingSummary", "ValidationPerformance",
           "add_coffee_break", "lounge_of", "setup_coffee_lounge"]

_FILE_EXISTS = ("merge", "overwrite", "panic")


class Coffee:
    """A coffee break: ``init`` when solving starts, ``enjoy`` at each break."""

    def init(self, run: Any, lounge: CoffeeLounge) -> None:
        """Prepare (called once before the first break)."""

    def enjoy(self, run: Any, lounge: CoffeeLounge) -> None:
        raise NotImplementedError


class TrainingSummary(Coffee):
    """Logs ``001700 :: TRAIN obj-val = 0.43609169`` and records ``obj_val``;
    extra names (``"learning_rate"``, ``"momentum"``) are logged and recorded too."""

    _KNOWN = ("iter", "obj_val", "learning_rate", "momentum")

    def __init__(self, *names: str) -> None:
        unknown = [n for n in names if n not in self._KNOWN]
        if unknown:
            raise ParamError(f"TrainingSummary: unknown statistics {unknown}; choose from "
                             f"{list(self._KNOWN)}.")
        self.names = [n for n in names if n not in ("iter", "obj_val")]

    def enjoy(self, run: Any, lounge: CoffeeLounge) -> None:
        obj = run.obj_val
        lounge.record(run.iter, "obj_val", obj)
        line = f"{run.iter:06d} :: TRAIN obj-val = {obj:.8f}"
        for name in self.names:
            value = getattr(run, name)
            if value is not None:
                lounge.record(run.iter, name, value)
                line += f" {name.replace('_', '-')} = {value:.8f}"
        info(line)


class Snapshot(Coffee):
    """Saves ``dir/snapshot-%06d.jld``: parameters and the whole solver state."""

    def __init__(self, dir: str | os.PathLike) -> None:
        self.dir = Path(dir)

    def init(self, run: Any, lounge: CoffeeLounge) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(self.dir)

    def enjoy(self, run: Any, lounge: CoffeeLounge) -> None:
        path = self.dir / snapshot_name(run.iter)
        if path.exists() and getattr(run, "resumed_from", None) != path:
            logger.warning("Snapshot: overwriting %s", path)
        save_snapshot(run, path)


class ValidationPerformance(Coffee):
    """One pass over ``test_net``'s data; logs and records each accuracy."""

    def __init__(self, test_net: Any) -> None:
        self.net = test_net

    def enjoy(self, run: Any, lounge: CoffeeLounge) -> None:
        functions.reset_statistics(self.net)
        functions.forward_epoch(self.net)
        counts = functions.sample_counts(self.net)
        rule = "-" * 57
        lines = ["", "## Performance on Validation Set", rule]
        for key, value in functions.statistics(self.net).items():
            lounge.record(run.iter, key, value)
            if key.endswith("-accuracy"):
                n = counts[key[:-len("-accuracy")]]
                lines.append(f"  Accuracy (avg over {n}) = {value * 100:.4f}%")
        for line in [*lines, rule, ""]:
            info(line)
        _decay_on_validation(run, lounge)


def _decay_on_validation(run: Any, lounge: CoffeeLounge) -> None:
    """``LRPolicy.DecayOnValidation``: when its statistic got worse, decay the
    rate and (as Mocha) go back to the parameters of the latest snapshot in
    ``load_from`` (the iteration count and optimizer state go on)."""
    policy = run.solver.rule.lr_policy
    value = lounge.stats.get(getattr(policy, "key", None), {}).get(run.iter)
    if not hasattr(policy, "on_validation") or value is None:
        return
    if policy.on_validation(value):
        decayed = policy.state_dict()
        info(f"Validation got worse ({policy.key} = {value:.6f}); learning rate "
             f"decayed to {decayed['curr_lr']:.6g}")
        if load_snapshot(run.net, run.solver.load_from):
            run.reset_objective()


class CoffeeLounge:
    """The statistics (name -> {iteration: value}) and the breaks."""

    def __init__(self, save_into: str | os.PathLike = "", every_n_iter: int = 1,
                 file_exists: str = "merge") -> None:
        if file_exists not in _FILE_EXISTS:
            raise ParamError(f"setup_coffee_lounge: file_exists must be one of "
                             f"{list(_FILE_EXISTS)}; got {file_exists!r}.")
        _interval("setup_coffee_lounge", "every_n_iter", every_n_iter, allow_zero=False)
        self.path = Path(save_into) if save_into else None
        self.every_n_iter, self.file_exists = every_n_iter, file_exists
        self.stats: dict[str, dict[int, float]] = {}
        self.breaks: list[tuple[Coffee, int, int]] = []
        self._epoch = 0

    def record(self, iteration: int, name: str, value: float) -> None:
        self.stats.setdefault(name, {})[int(iteration)] = float(value)

    def open(self, run: Any) -> None:
        """Load (merge) or refuse an existing statistics file; init the breaks."""
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            remove_stale_temporaries(self.path)
            if self.path.exists():
                if self.file_exists == "panic":
                    raise ParamError(f"setup_coffee_lounge: statistics file {self.path} "
                                     "exists and file_exists='panic'.")
                if self.file_exists == "merge":
                    self.stats = load_statistics(self.path)
        self._epoch = run.epoch
        for coffee, _, _ in self.breaks:
            coffee.init(run, self)

    def check(self, run: Any, *, resumed: bool = False) -> None:
        """Run the breaks due at ``run.iter``; save the statistics when due.

        After a resume the snapshot just loaded is not written again."""
        epoch_changed = run.epoch != self._epoch
        self._epoch = run.epoch
        for coffee, n_iter, n_epoch in self.breaks:
            due = run.iter % n_iter == 0 if n_iter else (
                epoch_changed and run.epoch % n_epoch == 0)
            if due and not (resumed and isinstance(coffee, Snapshot)):
                coffee.enjoy(run, self)
        if self.path is not None and run.iter % self.every_n_iter == 0:
            save_statistics(self.path, self.stats)

    def stretch(self, run: Any) -> int:
        """Iterations until the next break, save or the end (at most ``run.capacity``)."""
        left = [run.capacity, run.solver.max_iter - run.iter]
        intervals = [n for _, n, _ in self.breaks if n]
        if self.path is not None:
            intervals.append(self.every_n_iter)
        left += [n - run.iter % n for n in intervals]
        if any(e for _, _, e in self.breaks):
            left.append(run.batches_to_epoch_end())
        return int(min(left))

    def close(self, run: Any) -> None:
        if self.path is not None:
            save_statistics(self.path, self.stats)


def _interval(where: str, name: str, value: Any, *, allow_zero: bool = True) -> int:
    lower = 0 if allow_zero else 1
    if not isinstance(value, int) or isinstance(value, bool) or value < lower:
        raise ParamError(f"{where}: {name} must be an integer >= {lower}; got {value!r}.")
    return value


def lounge_of(solver: Any) -> CoffeeLounge:
    """The solver's lounge (a file-less one if ``setup_coffee_lounge`` was not called)."""
    if solver.lounge is None:
        solver.lounge = CoffeeLounge()
    solver.lounge.breaks = solver.breaks
    return solver.lounge


def setup_coffee_lounge(solver: Any, save_into: str | os.PathLike = "",
                        every_n_iter: int = 1, file_exists: str = "merge") -> None:
    """Keep the breaks' statistics, saved to ``save_into`` every ``every_n_iter``."""
    solver.lounge = CoffeeLounge(save_into, every_n_iter, file_exists)


def add_coffee_break(solver: Any, coffee: Any, every_n_iter: int | None = None,
                     every_n_epoch: int | None = None) -> None:
    """Run ``coffee`` every ``every_n_iter`` iterations, or (when that is not
    given, as in Mocha) every ``every_n_epoch`` epochs of the training data."""
    if not isinstance(coffee, Coffee):
        raise ParamError(f"add_coffee_break: {coffee!r:.80} is not a coffee break "
                         "(TrainingSummary(), Snapshot(dir), ValidationPerformance(net)).")
    n_iter = _interval("add_coffee_break", "every_n_iter", every_n_iter or 0)
    n_epoch = _interval("add_coffee_break", "every_n_epoch", every_n_epoch or 0)
    if not n_iter and not n_epoch:
        raise ParamError("add_coffee_break: give every_n_iter or every_n_epoch (> 0).")
    solver.breaks.append((coffee, n_iter, n_epoch))
