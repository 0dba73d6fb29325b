"""chainer.training: Trainer, StandardUpdater, triggers and the tutorial's extensions
on a 2000/500 MNIST subset (seed 003's ``train_mnist_4_trainer.py`` flow)."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest

import mxlite as mx
import mxlite.chainer as chainer
import mxlite.chainer.functions as F
import mxlite.chainer.links as L
from mxlite.chainer import _ops, iterators, serializers, training
from mxlite.chainer.datasets import get_mnist, split_dataset
from mxlite.chainer.training import extensions, triggers

from ..seeds._examples import load_example

ENTRIES = ["epoch", "main/loss", "validation/main/loss", "main/accuracy",
           "validation/main/accuracy", "elapsed_time"]
KEYS = {"epoch", "iteration", "main/loss", "main/accuracy", "validation/main/loss",
        "validation/main/accuracy", "elapsed_time"}


class MLP(chainer.Chain):
    def __init__(self, n_units: int = 50, n_out: int = 10, dropout: float = 0.0):
        super().__init__()
        self.dropout = dropout
        with self.init_scope():
            self.l1 = L.Linear(None, n_units)
            self.l2 = L.Linear(None, n_units)
            self.l3 = L.Linear(None, n_out)

    def __call__(self, x):
        h = F.relu(self.l1(x))
        if self.dropout:
            h = _ops.call("Dropout", h, p=self.dropout)
        return self.l3(F.relu(self.l2(h)))


@pytest.fixture(scope="module")
def mnist():
    train, test = get_mnist()
    return split_dataset(train, 2000)[0], split_dataset(test, 500)[0]


def _trainer(mnist, out, epochs=2, stream=None, snapshot_every=1):
    """The tutorial's Trainer flow (20 iterations per epoch)."""
    train, test = mnist
    model = L.Classifier(MLP())
    optimizer = chainer.optimizers.Adam()
    optimizer.setup(model)
    train_iter = iterators.SerialIterator(train, 100)
    test_iter = iterators.SerialIterator(test, 100, repeat=False, shuffle=False)
    updater = training.StandardUpdater(train_iter, optimizer, device=-1)
    trainer = training.Trainer(updater, (epochs, "epoch"), out=str(out))
    trainer.extend(extensions.Evaluator(test_iter, model, device=-1))
    trainer.extend(extensions.dump_graph("main/loss"))
    trainer.extend(extensions.snapshot(), trigger=(snapshot_every, "epoch"))
    trainer.extend(extensions.LogReport())
    if extensions.PlotReport.available():
        trainer.extend(extensions.PlotReport(["main/loss", "validation/main/loss"],
                                             x_key="epoch", file_name="loss.png"))
    stream = stream or io.StringIO()
    trainer.extend(extensions.PrintReport(ENTRIES, out=stream))
    trainer.extend(extensions.ProgressBar(update_interval=10, out=stream))
    return trainer, model


@pytest.fixture(scope="module")
def run(mnist, tmp_path_factory):
    """One 3-epoch run, snapshots each epoch; shared by the output checks."""
    out = tmp_path_factory.mktemp("trainer")
    stream = io.StringIO()
    mx.random.seed(3)
    trainer, model = _trainer(mnist, out, epochs=3, stream=stream)
    trainer.run()
    return trainer, model, out, stream.getvalue()


def test_log_file(run):
    trainer, _, out, _ = run
    log = json.loads((out / "log").read_text())
    assert [e["epoch"] for e in log] == [1, 2, 3]
    assert [e["iteration"] for e in log] == [20, 40, 60]
    assert all(set(e) == KEYS for e in log)
    assert log == trainer.get_extension("LogReport").log
    assert log[-1]["main/loss"] < log[0]["main/loss"]
    assert 0.5 < log[-1]["validation/main/accuracy"] <= 1.0
    assert all(isinstance(e["main/loss"], float) for e in log)
    assert not list(out.glob(".*tmp"))  # atomic writes leave no temporaries


def test_print_report_lines(run):
    _, _, _, text = run
    header = "epoch       main/loss   validation/main/loss  main/accuracy  " \
             "validation/main/accuracy  elapsed_time"
    assert text.startswith(header + "\n")
    rows = re.findall(r"\033\[J(\d[^\n]*)\n", text)
    assert [row.split()[0] for row in rows] == ["1", "2", "3"]
    row = rows[0]
    # columns: max(10, len(name)) wide, '{:<Wg}', two spaces apart
    widths = [max(10, len(e)) + 2 for e in ENTRIES]
    assert len(row) == sum(widths)
    assert row[:12] == "1" + " " * 11
    assert "     total [" in text and " iter, " in text and "iters/sec" in text


def test_snapshot_npz_keys(run):
    _, model, out, _ = run
    assert sorted(p.name for p in out.glob("snapshot_iter_*")) == [
        "snapshot_iter_20", "snapshot_iter_40", "snapshot_iter_60"]
    with np.load(out / "snapshot_iter_60", allow_pickle=False) as npz:
        keys = set(npz.files)
        for key in ("updater/model:main/predictor/l1/W", "updater/model:main/predictor/l3/b",
                    "updater/optimizer:main/t", "updater/optimizer:main/epoch",
                    "updater/optimizer:main/predictor/l1/W/m",
                    "updater/optimizer:main/predictor/l1/W/v",
                    "updater/optimizer:main/predictor/l1/W/t",
                    "updater/iterator:main/current_position", "updater/iterator:main/epoch",
                    "updater/iterator:main/is_new_epoch", "updater/iterator:main/order",
                    "updater/iterator:main/previous_epoch_detail", "updater/iteration",
                    "stop_trigger/previous_iteration", "extensions/LogReport/_log",
                    "extensions/LogReport/_summary/_names",
                    "extension_triggers/validation/previous_epoch_detail",
                    "extensions/dump_graph/_flag_called", "_snapshot_elapsed_time"):
            assert key in keys, key
        assert int(npz["updater/optimizer:main/t"]) == 60
        assert int(npz["updater/iteration"]) == 60
        np.testing.assert_array_equal(npz["updater/model:main/predictor/l1/W"],
                                      np.asarray(model.predictor.l1.W.array))


def test_plot_and_graph(run):
    _, _, out, _ = run
    if extensions.PlotReport.available():
        assert (out / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    dot = (out / "cg.dot").read_text()
    assert dot.startswith("digraph graphname{rankdir=TB;") and dot.endswith("}")
    assert 'label="predictor/l1/W: (50, 784), float32"' in dot
    assert 'label="FullyConnected"' in dot and " -> " in dot


@pytest.mark.slow
def test_resume_equals_uninterrupted(run, mnist, tmp_path):
    """Load snapshot_iter_40 into a fresh trainer: epoch 3 ends where the
    uninterrupted run ended."""
    full, full_model, out, _ = run
    mx.random.seed(99)  # a different initialization and shuffle stream
    trainer, model = _trainer(mnist, tmp_path, epochs=3)
    serializers.load_npz(str(out / "snapshot_iter_40"), trainer)
    assert trainer.updater.iteration == 40
    trainer.run()
    for (path, p), (_, q) in zip(model.namedparams(), full_model.namedparams()):
        np.testing.assert_allclose(np.asarray(p.array), np.asarray(q.array),
                                   rtol=1e-5, atol=1e-6, err_msg=path)
    got, want = trainer.get_extension("LogReport").log, \
        full.get_extension("LogReport").log
    assert [e["epoch"] for e in got] == [1, 2, 3]
    assert got[:2] == want[:2]  # restored from the snapshot
    for key in KEYS - {"elapsed_time"}:
        assert got[2][key] == pytest.approx(want[2][key], rel=1e-5), key
    assert got[2]["elapsed_time"] > got[1]["elapsed_time"]
    assert not (tmp_path / "cg.dot").exists()  # dump_graph ran before the snapshot


# ---- the updater ----------------------------------------------------------------


def test_updater_counts_and_new_epoch(mnist):
    train, _ = mnist
    model = L.Classifier(MLP())
    optimizer = chainer.optimizers.Adam()
    optimizer.setup(model)
    updater = training.updaters.StandardUpdater(iterators.SerialIterator(train, 500),
                                                optimizer)
    for _ in range(5):
        updater.update()
    assert (updater.iteration, updater.epoch, optimizer.epoch, optimizer.t) == (5, 1, 1, 5)
    assert updater.epoch_detail == pytest.approx(1.25)
    assert not updater.is_new_epoch


def test_updater_dict_batches_go_to_keywords():
    seen = []

    class Model(chainer.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.l = L.Linear(3, 1)

        def __call__(self, x, t):
            seen.append((x.shape, t.shape))
            return F.mean_squared_error(self.l(x), t)

    data = [{"t": np.zeros(1, np.float32), "x": np.ones(3, np.float32)}] * 4
    optimizer = chainer.optimizers.SGD()
    optimizer.setup(Model())
    updater = training.StandardUpdater(iterators.SerialIterator(data, 2), optimizer)
    updater.update()
    assert seen[-1] == ((2, 3), (2, 1))


def test_gpu_device_without_gpu_is_an_error(mnist):
    if mx.context.num_gpus():
        pytest.skip("a GPU is present")
    optimizer = chainer.optimizers.Adam()
    optimizer.setup(L.Classifier(MLP()))
    with pytest.raises(mx.base.MXNetError):
        training.StandardUpdater(iterators.SerialIterator(mnist[0], 10), optimizer,
                                 device=0)


# ---- triggers ---------------------------------------------------------------------


class _Updater:
    def __init__(self, per_epoch):
        self.iteration, self.per_epoch = 0, per_epoch
        self.previous_epoch_detail = None

    @property
    def epoch_detail(self):
        return self.iteration / self.per_epoch

    @property
    def epoch(self):
        return self.iteration // self.per_epoch


class _Trainer:
    def __init__(self, per_epoch=4):
        self.updater, self.observation = _Updater(per_epoch), {}


def _fires(trigger, n, per_epoch=4, values=None):
    trainer, fired = _Trainer(per_epoch), []
    for i in range(1, n + 1):
        trainer.updater.iteration = i
        trainer.observation = {"v": values[i - 1]} if values else {}
        if trigger(trainer):
            fired.append(i)
    return fired


def test_interval_trigger():
    assert _fires(training.get_trigger((3, "iteration")), 10) == [3, 6, 9]
    assert _fires(training.get_trigger((1, "epoch")), 10) == [4, 8]
    assert _fires(triggers.IntervalTrigger(0.5, "epoch"), 8) == [2, 4, 6, 8]
    assert _fires(training.get_trigger(None), 5) == []
    with pytest.raises(mx.base.ParamError, match="unit"):
        triggers.IntervalTrigger(1, "epochs")


def test_manual_schedule_trigger():
    trigger = triggers.ManualScheduleTrigger([2, 5], "iteration")
    assert _fires(trigger, 8) == [2, 5]
    assert trigger.finished
    assert _fires(triggers.ManualScheduleTrigger(1.5, "epoch"), 10) == [6]


def test_min_max_value_triggers():
    values = [5, 4, 6, 3, 7, 8, 2, 9]
    best_min = triggers.MinValueTrigger("v", trigger=(1, "iteration"))
    best_max = triggers.MaxValueTrigger("v", trigger=(1, "iteration"))
    assert _fires(best_min, 8, values=values) == [1, 2, 4, 7]
    assert _fires(best_max, 8, values=values) == [1, 3, 5, 6, 8]


def test_extension_order_and_names(tmp_path, mnist):
    calls = []

    def ext(tag, priority):
        @training.make_extension(trigger=(1, "iteration"), priority=priority)
        def f(trainer):
            calls.append(tag)
        return f

    optimizer = chainer.optimizers.SGD()
    optimizer.setup(L.Classifier(MLP()))
    updater = training.StandardUpdater(iterators.SerialIterator(mnist[0], 100), optimizer)
    trainer = training.Trainer(updater, (1, "iteration"), out=str(tmp_path))
    for tag, priority in [("a", 100), ("b", 300), ("c", 100), ("d", 200)]:
        trainer.extend(ext(tag, priority), name="f")
    trainer.run()
    assert calls == ["b", "d", "a", "c"]  # priority, then registration order
    assert sorted(trainer._extensions) == ["f", "f_1", "f_2", "f_3"]


# ---- the evaluator ----------------------------------------------------------------


def test_evaluator_runs_in_test_mode_deterministically(mnist):
    _, test = mnist
    model = L.Classifier(MLP(dropout=0.5))
    modes = []
    model.predictor.__dict__["_probe"] = modes
    original = MLP.__call__

    def probe(self, x):
        self._probe.append((chainer.config.train, chainer.config.enable_backprop))
        return original(self, x)

    model.predictor.__class__ = type("Probe", (MLP,), {"__call__": probe})
    evaluator = extensions.Evaluator(
        iterators.SerialIterator(test, 100, repeat=False, shuffle=False), model)
    evaluator.name = "validation"
    first = evaluator()
    second = evaluator()
    assert set(first) == {"validation/main/loss", "validation/main/accuracy"}
    assert first == second
    assert modes and set(modes) == {(False, False)}
    assert len(modes) < 5  # traced once per input shape, then replayed
    with chainer.using_config("train", False), chainer.no_backprop_mode():
        x, t = chainer.dataset.concat_examples(test[:100])
        eager = float(model(x, t).array)
    assert eager == pytest.approx(
        float(np.asarray(model.loss.array)), rel=1e-6)


@pytest.mark.slow
def test_observe_lr_and_exponential_shift(tmp_path, mnist):
    optimizer = chainer.optimizers.MomentumSGD(lr=0.1)
    optimizer.setup(L.Classifier(MLP()))
    updater = training.StandardUpdater(iterators.SerialIterator(mnist[0], 100), optimizer)
    trainer = training.Trainer(updater, (3, "iteration"), out=str(tmp_path))
    trainer.extend(extensions.ExponentialShift("lr", 0.5), trigger=(1, "iteration"))
    trainer.extend(extensions.observe_lr(), trigger=(1, "iteration"))
    trainer.extend(extensions.LogReport(trigger=(1, "iteration")))
    trainer.run()
    lrs = [e["lr"] for e in trainer.get_extension("LogReport").log]
    assert lrs == pytest.approx([0.1, 0.05, 0.025])
    assert optimizer.lr == pytest.approx(0.0125)


@pytest.mark.slow
def test_tutorial_flow_on_full_mnist(tmp_path, capfd):
    """examples/mnist_chainer_trainer.py for 3 epochs on all of MNIST."""
    mx.random.seed(0)
    example = load_example("mnist_chainer_trainer")
    trainer = example.main(["--epoch", "3", "--frequency", "3", "--out", str(tmp_path)])
    log = json.loads((tmp_path / "log").read_text())
    assert [e["epoch"] for e in log] == [1, 2, 3]
    assert log[-1]["validation/main/accuracy"] > 0.95
    for name in ("log", "loss.png", "accuracy.png", "snapshot_iter_1800", "cg.dot"):
        assert (tmp_path / name).is_file(), name
    assert trainer.updater.iteration == 1800
    assert "validation/main/accuracy" in capfd.readouterr().out
