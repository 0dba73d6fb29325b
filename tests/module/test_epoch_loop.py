"""The in-memory fast path: one compiled loop for every stretch of an epoch."""

from __future__ import annotations

import numpy as np
import pytest

import mxlite as mx
from mxlite.executor import cache
from mxlite.training import Stretch
from mxlite.training import step as train_step

from .helpers import dataset, tiny


class _Every:
    """A batch callback that needs the state every ``frequent`` batches."""

    def __init__(self, frequent: int) -> None:
        self.frequent, self.seen = frequent, []

    def __call__(self, param) -> None:
        self.seen.append(param.nbatch)


def _fit(callbacks, epochs: int = 2) -> tuple[dict, int]:
    mx.random.seed(7)
    x, y = dataset(90)
    it = mx.io.NDArrayIter(x, y, 10, shuffle=True)
    mod = mx.mod.Module(tiny(), context=mx.cpu())
    before = cache.stats()["compiles"]
    mod.fit(it, optimizer="sgd", optimizer_params={"learning_rate": 0.1, "momentum": 0.9},
            initializer=mx.init.Uniform(0.1), num_epoch=epochs,
            batch_end_callback=callbacks)
    params = {k: v.asnumpy() for k, v in mod.get_params()[0].items()}
    return params, cache.stats()["compiles"] - before


def test_stretches_between_callbacks_train_like_one_loop():
    # Sync points after batches 0, 4, 8 split each 9-batch epoch into
    # stretches of 1, 4 and 4 batches; the result equals the unsplit epoch.
    every = _Every(4)
    split, _ = _fit([every])
    whole, _ = _fit([])
    assert every.seen == list(range(9)) * 2
    for name in whole:
        np.testing.assert_allclose(split[name], whole[name], rtol=1e-6, atol=1e-7,
                                   err_msg=name)


def test_stretches_of_different_lengths_compile_one_loop():
    _fit([_Every(4)], epochs=1)  # warm the executor and metric programs
    _, compiles = _fit([_Every(3)], epochs=1)  # stretches 1, 3, 3, 2
    assert compiles == 1


@pytest.mark.slow
def test_gpu_stretches_scan_like_the_cpu_loop(monkeypatch):
    # On a GPU each stretch is a fixed-length lax.scan (compiled per length);
    # no GPU here, so that branch runs on the CPU and must train identically.
    _fit([_Every(4)])  # warm the executor and metric programs
    whole, loop_compiles = _fit([_Every(4)])
    assert loop_compiles == 1  # the CPU loop serves stretches of 1 and 4
    monkeypatch.setattr(train_step, "platform_of", lambda device: "gpu")
    scanned, compiles = _fit([_Every(4)])
    assert compiles == 2  # one scan per stretch length (1 and 4)
    for name in whole:
        np.testing.assert_allclose(scanned[name], whole[name], rtol=1e-6, atol=1e-7,
                                   err_msg=name)


def test_steps_rejects_a_stretch_outside_the_epoch():
    mod = mx.mod.Module(tiny(), context=mx.cpu())
    x, y = dataset(20)
    it = mx.io.NDArrayIter(x, y, 10)
    mod.bind(it.provide_data, it.provide_label)
    mod.init_params()
    mod.init_optimizer()
    trainer = mod._trainer_for(mx.metric.create("acc"))
    with pytest.raises(ValueError, match=r"need 0 <= start <= stop <= 2; got start=1, stop=3"):
        trainer.steps(mod._state_now(), {}, {}, Stretch(np.zeros((2, 10)), [0, 0], 1, 3))



def _refit_module() -> tuple[mx.mod.Module, mx.io.NDArrayIter]:
    """A module fitted one epoch with learning rate 0: later fits keep its weights."""
    x, y = dataset(40)
    it = mx.io.NDArrayIter(x, y, 10)
    mod = mx.mod.Module(tiny(), context=mx.cpu())
    mod.fit(it, optimizer="sgd", optimizer_params={"learning_rate": 0.0},
            initializer=mx.init.Uniform(0.5), num_epoch=1)
    return mod, it


def test_a_second_fit_with_an_equal_metric_does_not_recompile():
    # eval_metric='acc' makes a new Accuracy object per fit; its compiled
    # update is the same, so the training loop compiled by the first fit serves.
    mod, it = _refit_module()
    before = cache.stats()["compiles"]
    mod.fit(it, eval_metric="acc", num_epoch=2, begin_epoch=1)
    mod.fit(it, eval_metric=mx.metric.Accuracy(), num_epoch=3, begin_epoch=2)
    assert cache.stats()["compiles"] == before


@pytest.mark.slow
def test_a_metric_with_other_settings_gets_its_own_loop():
    mod, it = _refit_module()
    top2, top3 = mx.metric.TopKAccuracy(top_k=2), mx.metric.TopKAccuracy(top_k=3)
    before = cache.stats()["compiles"]
    mod.fit(it, eval_metric=top2, num_epoch=2, begin_epoch=1)
    mod.fit(it, eval_metric=top3, num_epoch=3, begin_epoch=2)
    assert cache.stats()["compiles"] == before + 2
    # The weights did not move (lr 0), so each fit's training value is the score.
    scored = {k: dict(mod.score(it, mx.metric.TopKAccuracy(top_k=k))) for k in (2, 3)}
    assert top2.get()[1] == pytest.approx(scored[2]["top_k_accuracy_2"])
    assert top3.get()[1] == pytest.approx(scored[3]["top_k_accuracy_3"])
    assert scored[3]["top_k_accuracy_3"] > scored[2]["top_k_accuracy_2"]


@pytest.mark.slow
def test_a_composite_metric_grown_between_fits_counts_every_child():
    # The same CompositeEvalMetric object with one child more: both children
    # accumulate in the second fit.
    mod, it = _refit_module()
    metric = mx.metric.CompositeEvalMetric(["acc"])
    mod.fit(it, eval_metric=metric, num_epoch=2, begin_epoch=1)
    metric.add("ce")
    mod.fit(it, eval_metric=metric, num_epoch=3, begin_epoch=2)
    names, values = metric.get()
    scored = dict(mod.score(it, mx.metric.CompositeEvalMetric(["acc", "ce"])))
    assert names == ["accuracy", "cross-entropy"]
    assert values == pytest.approx([scored["accuracy"], scored["cross-entropy"]])
