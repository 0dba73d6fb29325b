"""What ``mxlite train`` records for metrics.json and the learning curve.

:class:`History` keeps one row per epoch: the training metrics, the
validation metrics, ``seconds`` (the epoch's training time exactly as the
log's ``Epoch[N] Time cost``: Module.fit's own measurement, compilation
included in the first epoch) and ``val_seconds`` (the validation after it).

:class:`CurveRecorder` is a batch callback that keeps the training metrics
every ``frequent`` batches, averaged over the batches since its last point.
It declares ``frequent``, so Module.fit syncs with the device only then; it
reads the metric's global counters, which Speedometer's ``reset_local``
leaves alone.
"""

from __future__ import annotations

import time
from typing import Any

__all__ = ["CurveRecorder", "History", "curve_frequent"]

_POINTS_PER_EPOCH = 30


def curve_frequent(batches_per_epoch: int, sync_every: int = 20) -> int:
    """The largest divisor of ``sync_every`` giving ~30 points per epoch.

    A divisor, so the recorder syncs where the progress bar and Speedometer
    (every 20 and 100 batches) already do, and the compiled chunks keep few
    lengths.
    """
    divisors = [d for d in range(sync_every, 0, -1) if sync_every % d == 0]
    return next((d for d in divisors if batches_per_epoch // d >= _POINTS_PER_EPOCH), 1)


def _children(metric: Any) -> list:
    return list(getattr(metric, "metrics", None) or [metric])


class CurveRecorder:
    """Record the training metrics every ``frequent`` batches and at each
    epoch's last batch, as means over the batches since the previous point.

    Args:
        batches_per_epoch: batches in an epoch (the x axis is in epochs).
        frequent: batches between points.
        curve: points already recorded (a resumed run's), extended in place.
    """

    def __init__(self, batches_per_epoch: int, frequent: int,
                 curve: dict | None = None) -> None:
        self.total = batches_per_epoch
        self.frequent = frequent
        self.curve: dict[str, Any] = curve if curve is not None else {}
        self.curve["every_batches"] = frequent
        self._epoch = -1
        self._last: list[tuple[float, float]] = []

    def __call__(self, param: Any) -> None:
        last = param.nbatch == self.total - 1
        if (param.nbatch % self.frequent and not last) or param.eval_metric is None:
            return
        metrics = _children(param.eval_metric)
        if param.epoch != self._epoch:  # fit reset the metric at the epoch's start
            self._epoch, self._last = param.epoch, [(0.0, 0.0)] * len(metrics)
        sums = [(m.global_sum_metric, m.global_num_inst) for m in metrics]
        x = param.epoch + (param.nbatch + 1) / self.total
        self.curve.setdefault("epoch", []).append(round(x, 5))
        for metric, (s, n), (s0, n0) in zip(metrics, sums, self._last):
            mean = (s - s0) / (n - n0) if n > n0 else float("nan")
            self.curve.setdefault(metric.name, []).append(round(float(mean), 5))
        self._last = sums


class History:
    """Per-epoch rows for metrics.json; ``on_row`` runs after each validation.

    Args:
        mod: the Module being fitted (its ``last_epoch_time_cost``).
        train_metric: the training metric (read after each epoch).
        rows: rows already recorded (a resumed run's).
    """

    def __init__(self, mod: Any, train_metric: Any, rows: list | None = None) -> None:
        self.mod = mod
        self.train_metric = train_metric
        self.epochs: list[dict] = list(rows or [])
        self.on_row: Any = None
        self._tic = time.time()

    def epoch_end(self, epoch: int, *_: Any) -> None:
        """Epoch callback: the training metrics and the logged time cost."""
        row: dict[str, Any] = {"epoch": epoch,
                               "seconds": round(self.mod.last_epoch_time_cost, 3)}
        row.update({f"train_{k}": v
                    for k, v in self.train_metric.get_global_name_value()})
        self.epochs.append(row)
        self._tic = time.time()

    def validation_end(self, param: Any) -> None:
        """Eval-end callback: the validation metrics and time."""
        row = self.epochs[-1]
        row.update({f"val_{k}": v for k, v in param.eval_metric.get_name_value()})
        row["val_seconds"] = round(time.time() - self._tic, 3)
        if self.on_row is not None:
            self.on_row()
