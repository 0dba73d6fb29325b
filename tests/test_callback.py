"""mx.callback: MXNet 1.9.1's log lines, parsed back with regexes."""

from __future__ import annotations

import logging
import os
import re
import types

import pytest

import mxlite as mx
from mxlite.callback import BatchEndParam

SPEED_LINE = re.compile(
    r"Epoch\[(\d+)\] Batch \[(\d+)-(\d+)\]\tSpeed: (\d+\.\d{2}) "
    r"samples/sec((?:\t[\w-]+=\d+\.\d{6})+)"
)
NO_METRIC_LINE = re.compile(
    r"Iter\[(\d+)\] Batch \[(\d+)\]\tSpeed: (\d+\.\d{2}) samples/sec"
)


class FakeClock:
    """time.time() advancing by ``step`` seconds per call."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 1000.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock(0.5)
    # Only the callback module sees the fake clock (logging reads time.time too).
    monkeypatch.setattr(mx.callback, "time", types.SimpleNamespace(time=fake))
    return fake


def messages(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "mxlite.callback"]


def fed_accuracy() -> mx.metric.Accuracy:
    """An Accuracy that has seen one right and one wrong prediction."""
    acc = mx.metric.Accuracy()
    acc.update([mx.nd.array([1, 1])], [mx.nd.array([[0.0, 1.0], [1.0, 0.0]])])
    return acc


def test_batch_end_param_is_mxnets_namedtuple():
    p = BatchEndParam(epoch=1, nbatch=2, eval_metric=None, locals=None)
    assert type(p).__name__ == "BatchEndParams" and p._fields == (
        "epoch",
        "nbatch",
        "eval_metric",
        "locals",
    )


def test_speedometer_lines_timing_and_reset_local(caplog, clock):
    caplog.set_level(logging.INFO)
    acc = fed_accuracy()
    speedo = mx.callback.Speedometer(batch_size=10, frequent=2)
    assert speedo.frequent == 2
    for nbatch in range(5):
        if nbatch == 3:
            acc.update([mx.nd.array([1])], [mx.nd.array([[0.0, 1.0]])])
        speedo(BatchEndParam(epoch=3, nbatch=nbatch, eval_metric=acc, locals=None))
    lines = messages(caplog)
    assert len(lines) == 2
    first, second = (SPEED_LINE.fullmatch(line) for line in lines)
    # The call at nbatch 0 starts the clock; each later call reads time.time()
    # once for the speed and once to restart: 2 batches x 10 samples / 0.5 s.
    assert first.groups() == ("3", "0", "2", "40.00", "\taccuracy=0.500000")
    assert second.groups()[:4] == ("3", "2", "4", "40.00")
    assert second.group(5) == "\taccuracy=1.000000"  # reset_local after the first line
    assert acc.get_global()[1] == pytest.approx(2 / 3)


def test_speedometer_restarts_at_a_new_epoch(caplog, clock):
    caplog.set_level(logging.INFO)
    speedo = mx.callback.Speedometer(batch_size=4, frequent=2)
    for epoch, nbatch in [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]:
        speedo(BatchEndParam(epoch, nbatch, None, None))
    lines = messages(caplog)
    assert [NO_METRIC_LINE.fullmatch(line).groups() for line in lines] == [
        ("0", "2", "16.00"),
        ("1", "2", "16.00"),
    ]


def test_speedometer_without_auto_reset_counts_from_zero(caplog, clock):
    caplog.set_level(logging.INFO)
    acc = fed_accuracy()
    composite = mx.metric.CompositeEvalMetric([acc, mx.metric.create("ce")])
    composite.metrics[1].update([mx.nd.array([1])], [mx.nd.array([[0.5, 0.5]])])
    speedo = mx.callback.Speedometer(batch_size=1, frequent=3, auto_reset=False)
    for nbatch in range(7):
        speedo(BatchEndParam(0, nbatch, composite, None))
    lines = messages(caplog)
    assert [
        re.match(r"Epoch\[0\] Batch \[0-(\d+)\]\tSpeed: 6\.00 samples/sec", line).group(
            1
        )
        for line in lines
    ] == ["3", "6"]
    assert lines[0].endswith("\taccuracy=0.500000\tcross-entropy=0.693147")
    assert acc.get()[1] == 0.5


def test_log_train_metric(caplog):
    caplog.set_level(logging.INFO)
    acc = fed_accuracy()
    cb = mx.callback.log_train_metric(period=2, auto_reset=True)
    assert cb.frequent == 2
    for nbatch in range(3):
        cb(BatchEndParam(1, nbatch, acc, None))
    assert messages(caplog) == [
        "Iter[1] Batch[0] Train-accuracy=0.500000",
        "Iter[1] Batch[2] Train-accuracy=nan",
    ]


def test_progress_bar(caplog):
    caplog.set_level(logging.INFO)
    bar = mx.callback.ProgressBar(total=4, length=8)
    for nbatch in (1, 2, 4):
        bar(BatchEndParam(0, nbatch, None, None))
    assert messages(caplog) == [
        "[==------] 25%\r",
        "[====----] 50%\r",
        "[========] 100%\r",
    ]


def test_log_validation_metrics(caplog):
    caplog.set_level(logging.INFO)
    mx.callback.LogValidationMetricsCallback()(
        BatchEndParam(2, 0, fed_accuracy(), None)
    )
    mx.callback.LogValidationMetricsCallback()(BatchEndParam(2, 0, None, None))
    assert messages(caplog) == ["Epoch[2] Validation-accuracy=0.500000"]


def test_module_checkpoint_calls_the_module_every_period():
    calls = []

    class FakeModule:
        def save_checkpoint(self, prefix, epoch, save_optimizer_states):
            calls.append((prefix, epoch, save_optimizer_states))

    cb = mx.callback.module_checkpoint(
        FakeModule(), "p", period=2, save_optimizer_states=True
    )
    for epoch in range(4):
        cb(epoch)
    assert calls == [("p", 2, True), ("p", 4, True)]


def test_do_checkpoint_writes_epoch_plus_one(tmp_path):
    checkpoint = pytest.importorskip("mxlite.checkpoint")
    net = mx.sym.FullyConnected(mx.sym.Variable("data"), num_hidden=2, name="fc1")
    arg = {"fc1_weight": mx.nd.ones((2, 3)), "fc1_bias": mx.nd.zeros((2,))}
    prefix = str(tmp_path / "model")
    cb = mx.callback.do_checkpoint(prefix, period=2)
    cb(0, net, arg, {})
    assert not os.path.exists(checkpoint.params_file(prefix, 1))
    cb(1, net, arg, {})
    assert sorted(os.listdir(tmp_path)) == ["model-0002.manifest.json",
                                            "model-0002.params", "model-symbol.json"]
    _, loaded, aux = checkpoint.load_checkpoint(prefix, 2)
    assert sorted(loaded) == ["fc1_bias", "fc1_weight"] and aux == {}
