"""The learning curve of ``mxlite train``: the per-batch recorder, the
per-epoch rows and the two-panel PNG."""

from __future__ import annotations

import struct

import numpy as np
import pytest

import mxlite as mx
from mxlite.cli.history import CurveRecorder, History, curve_frequent
from mxlite.cli.plot import plot_learning_curve, running_mean


@pytest.mark.parametrize(("batches", "frequent"),
                         [(600, 20), (300, 10), (120, 4), (60, 2), (6, 1), (1, 1)])
def test_curve_frequent_divides_the_bar_and_speedometer_syncs(batches, frequent):
    assert curve_frequent(batches) == frequent
    assert 100 % frequent == 0 and 20 % frequent == 0


def _batch(metric, correct: list[bool]) -> None:
    """One batch of len(correct) two-class predictions, right where asked."""
    labels = np.zeros(len(correct), np.float32)
    probs = np.array([[0.8, 0.2] if ok else [0.4, 0.6] for ok in correct], np.float32)
    metric.update([mx.nd.array(labels)], [mx.nd.array(probs)])


def _run_epoch(recorder, metric, epoch: int, per_batch: list[list[bool]]) -> None:
    metric.reset()  # as Module.fit does at each epoch's start
    for nbatch, correct in enumerate(per_batch):
        _batch(metric, correct)
        if nbatch % 2 == 0:
            metric.reset_local()  # Speedometer's auto_reset must not matter
        recorder(mx.callback.BatchEndParam(epoch, nbatch, metric, None))


def test_recorder_keeps_means_since_the_last_point():
    metric = mx.metric.create(["acc", "ce"])
    recorder = CurveRecorder(batches_per_epoch=5, frequent=2)
    batches = [[True, True], [False, False], [True, False], [True, True],
               [False, True]]
    _run_epoch(recorder, metric, 0, batches)
    _run_epoch(recorder, metric, 1, batches[::-1])
    curve = recorder.curve
    # points at batches 0, 2, 4 of each epoch (4 is the last batch)
    assert curve["epoch"] == [0.2, 0.6, 1.0, 1.2, 1.6, 2.0]
    assert curve["every_batches"] == 2
    # batch 0 | batches 1-2 | batches 3-4; then reversed: 4 | 3-2 | 1-0
    assert curve["accuracy"] == [1.0, 0.25, 0.75, 0.5, 0.75, 0.5]
    ce_right, ce_wrong = -np.log(0.8 + 1e-12), -np.log(0.4 + 1e-12)
    assert curve["cross-entropy"][:2] == [round(ce_right, 5),
                                          round((ce_right + 3 * ce_wrong) / 4, 5)]


def test_recorder_continues_a_resumed_curve():
    old = {"every_batches": 2, "epoch": [0.5, 1.0], "accuracy": [0.5, 0.7]}
    recorder = CurveRecorder(batches_per_epoch=2, frequent=2, curve=old)
    metric = mx.metric.Accuracy()
    _run_epoch(recorder, metric, 1, [[True], [True]])
    assert recorder.curve is old
    assert old["epoch"] == [0.5, 1.0, 1.5, 2.0]
    assert old["accuracy"] == [0.5, 0.7, 1.0, 1.0]


class _Fitted:
    last_epoch_time_cost = 1.23456


def test_history_rows_take_the_logged_time_cost():
    metric = mx.metric.create(["acc", "ce"])
    _batch(metric, [True, False])
    written = []
    history = History(_Fitted(), metric, rows=[{"epoch": 0}])
    history.on_row = lambda: written.append(len(history.epochs))
    history.epoch_end(1)
    val = mx.metric.Accuracy()
    _batch(val, [True, True, True, False])
    history.validation_end(mx.callback.BatchEndParam(1, 0, val, None))
    row = history.epochs[-1]
    assert row["epoch"] == 1 and row["seconds"] == 1.235
    assert row["train_accuracy"] == 0.5 and row["val_accuracy"] == 0.75
    assert row["train_cross-entropy"] > 0 and row["val_seconds"] >= 0
    assert written == [2]


def test_running_mean_is_centred_and_skips_nan():
    assert running_mean([1.0, 2.0, 6.0, 4.0, 5.0, 9.0], window=5).tolist() == [
        1.0, 3.0, 3.6, 5.2, 6.0, 9.0]
    assert running_mean([1.0, float("nan"), 3.0], window=3).tolist() == [1.0, 2.0, 3.0]


def _png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.slow
def test_plot_draws_epochs_alone_and_with_the_curve(tmp_path):
    rows = [{"epoch": e, "train_accuracy": 0.8 + e / 20, "val_accuracy": 0.85 + e / 20,
             "train_cross-entropy": 0.5 - e / 10, "val_cross-entropy": 0.4 - e / 10}
            for e in range(3)]
    plot_learning_curve(rows, str(tmp_path / "epochs.png"), title="t")
    x = [i / 10 for i in range(1, 31)]
    curve = {"every_batches": 20, "epoch": x, "accuracy": [0.5 + i / 100 for i in
                                                          range(30)],
             "cross-entropy": [2.0 - i / 20 for i in range(30)]}
    plot_learning_curve(rows, str(tmp_path / "curve.png"), title="t", curve=curve)
    assert _png_size(tmp_path / "epochs.png") == _png_size(tmp_path / "curve.png") == (
        1000, 400)
    assert (tmp_path / "epochs.png").read_bytes() != (tmp_path / "curve.png").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curve.png", "epochs.png"]
