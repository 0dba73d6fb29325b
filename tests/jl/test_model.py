"""MXNet.jl's FeedForward (``import mxlite.jl as mx``): mx.FeedForward, mx.fit,
mx.predict, the v0.1 log lines, epoch/batch callbacks, checkpoints and MXNet.jl's
SGD rule."""

from __future__ import annotations

import logging
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import mxlite
import mxlite.jl as mx
from mxlite.base import ParamError

from ..module.helpers import (
    as_nd,
    as_np,
    dataset,
    max_diff,
    tiny,
    tiny_loss,
    tiny_params,
)


def jl_mlp() -> mx.SymbolicNode:
    """The seed-001 MLP, in its ``@mx.chain`` form."""
    return mx.chain(mx.Variable("data"),
                    mx.FullyConnected(name="fc1", num_hidden=128),
                    mx.Activation(name="relu1", act_type="relu"),
                    mx.FullyConnected(name="fc2", num_hidden=64),
                    mx.Activation(name="relu2", act_type="relu"),
                    mx.FullyConnected(name="fc3", num_hidden=10),
                    mx.SoftmaxOutput(name="softmax"))


def numpy_mlp(params: dict, x: np.ndarray) -> np.ndarray:
    """Softmax probabilities of :func:`jl_mlp`, in float64 NumPy."""
    h = x.reshape(len(x), -1).astype(np.float64)
    for i in (1, 2, 3):
        h = h @ params[f"fc{i}_weight"].T + params[f"fc{i}_bias"]
        h = np.maximum(h, 0) if i < 3 else h
    e = np.exp(h - h.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture(scope="module")
def mnist():
    m = mxlite.test_utils.get_mnist()
    return {"x": m["train_data"][:1000].reshape(1000, 784),
            "y": m["train_label"][:1000],
            "vx": m["test_data"][:1050].reshape(1050, 784),
            "vy": m["test_label"][:1050]}


@pytest.fixture(scope="module")
def run(mnist):
    """The seed-001 tutorial on a slice of MNIST: 2 epochs, logged and called back."""
    calls = {"on_0": [], "every_2": [], "batch": []}
    callbacks = [
        mx.every_n_epoch(lambda model, epoch, metric: calls["on_0"].append(
            (model, epoch, list(metric))), 1, call_on_0=True),
        mx.every_n_epoch(lambda *a: calls["every_2"].append(a[1]), 2),
        mx.every_n_batch(lambda count, metric: calls["batch"].append(count), 4),
    ]
    logger = logging.getLogger("mxlite.jl.model")
    handler, old_level = Lines(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        mxlite.random.seed(1)
        train = mxlite.io.NDArrayIter(mnist["x"], mnist["y"], 100, shuffle=True)
        evaluation = mxlite.io.NDArrayIter(mnist["vx"], mnist["vy"], 50)
        model = mx.FeedForward(jl_mlp(), context=mx.cpu())
        optimizer = mx.SGD(lr=0.1, momentum=0.9, weight_decay=0.00001)
        # Xavier, not the default Uniform(0.01): 20 steps must show learning.
        returned = mx.fit(model, optimizer, train, n_epoch=2, eval_data=evaluation,
                          callbacks=callbacks, initializer=mxlite.init.Xavier())
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    return {"model": model, "returned": returned, "lines": handler.lines,
            "calls": calls,
            "optimizer": optimizer}


def test_fit_logs_mxnet_jl_v01_lines(run):
    lines = run["lines"]
    value = r"          accuracy = \d\.\d{4}"
    expected = ([r"Start training on \[CPU0\]", r"Initializing parameters\.\.\.",
                 r"Start training\.\.\."]
                + [pattern for epoch in ("001", "002") for pattern in (
                    f"== Epoch {epoch} ==========", "## Training summary", value,
                    r"              time = \d+\.\d{4} seconds", "## Validation summary",
                    value)])
    assert len(lines) == len(expected), lines
    for line, pattern in zip(lines, expected):
        assert re.fullmatch(pattern, line), (line, pattern)


def test_fit_learns_and_validation_matches_predict(run, mnist):
    model = run["model"]
    assert run["returned"] is model
    validation = float(run["lines"][-1].split("=")[1])
    probs = mx.predict(model, mxlite.io.NDArrayIter(mnist["vx"], mnist["vy"], 50))
    accuracy = (probs.argmax(1) == mnist["vy"]).mean()
    assert validation == pytest.approx(accuracy, abs=5e-5)
    assert validation > 0.6


def test_epoch_callbacks_are_called_at_0_too(run):
    calls = run["calls"]
    assert [(m is run["model"], e) for m, e, _ in calls["on_0"]] == [
        (True, 0), (True, 1), (True, 2)]
    assert calls["on_0"][0][2] == []
    trained = [float(line.split("=")[1]) for line in run["lines"]
               if line.strip().startswith("accuracy")][0::2]
    for (_, _, metric), logged in zip(calls["on_0"][1:], trained):
        assert [name for name, _ in metric] == ["accuracy"]
        assert metric[0][1] == pytest.approx(logged, abs=5e-5)
    assert calls["every_2"] == [2]


def test_batch_callbacks_count_batches_from_1(run):
    assert run["calls"]["batch"] == [4, 8] * 2  # 10 batches per epoch


def test_fit_sets_rescale_grad_to_one_over_batch_size(run):
    assert run["optimizer"].rescale_grad == pytest.approx(1 / 100)


@pytest.mark.slow
def test_predict_gives_probabilities_one_row_per_example(run, mnist):
    model = run["model"]
    # 1050 rows: the last batch is padded
    it = mxlite.io.NDArrayIter(mnist["vx"], mnist["vy"], 100)
    probs = mx.predict(model, it)
    assert isinstance(probs, np.ndarray) and probs.shape == (1050, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-5)
    want = numpy_mlp(as_np(model.arg_params), mnist["vx"])
    np.testing.assert_allclose(probs, want, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(model.predict(it), probs)
    unlabeled = mxlite.io.NDArrayIter(mnist["vx"][:30], batch_size=20)
    np.testing.assert_allclose(mx.predict(model, unlabeled), probs[:30], rtol=1e-5,
                               atol=1e-7)


def test_predict_needs_parameters_and_a_provider(run, mnist):
    with pytest.raises(ParamError, match="no parameters"):
        mx.FeedForward(jl_mlp()).predict(
            mxlite.io.NDArrayIter(mnist["vx"][:10], batch_size=5))
    with pytest.raises(ParamError, match="data provider"):
        mx.predict(run["model"], mnist["vx"][:10])


def test_checkpoint_round_trip(run, mnist, tmp_path):
    model = run["model"]
    prefix = str(tmp_path / "jl")
    mx.save_checkpoint(prefix, 2, model.arch, model.arg_params, model.aux_params)
    arch, arg, aux = mx.load_checkpoint(prefix, 2)
    assert arch.tojson() == model.arch.tojson()
    assert max_diff(as_np(arg), as_np(model.arg_params)) == 0 and aux == {}
    it = mxlite.io.NDArrayIter(mnist["vx"][:200], batch_size=100)
    want = mx.predict(model, it)
    loaded = mx.FeedForward(arch, context=mx.cpu())
    loaded.arg_params, loaded.aux_params = arg, aux
    np.testing.assert_array_equal(mx.predict(loaded, it), want)
    model.save(str(tmp_path / "again"), 5)
    np.testing.assert_array_equal(
        mx.predict(mx.FeedForward.load(str(tmp_path / "again"), 5), it), want)


def test_feedforward_is_the_dialects_own():
    # MXNet Python's root has no FeedForward; mx.model.FeedForward is MXNet Python's.
    assert not hasattr(mxlite, "FeedForward") and not hasattr(mxlite, "fit")
    assert getattr(mxlite.model, "FeedForward", None) is not mx.FeedForward
    model = mx.FeedForward(jl_mlp(), context=mx.cpu())
    assert model.arg_params is None and model.aux_params is None
    assert model.ctx == [mx.cpu()]
    with pytest.raises(ParamError, match="unknown arguments"):
        mx.FeedForward(jl_mlp(), n_epoch=3)


# -- the update rule, on a tiny net ---------------------------------------------------


def _jl_fit(params: dict, optimizer, force_init: bool = False, **kwargs):
    x, y = dataset(20, seed=6)
    model = mx.FeedForward(tiny())
    model.arg_params = as_nd(params)
    model.aux_params = {}
    mx.fit(model, optimizer, mxlite.io.NDArrayIter(x, y, 10), n_epoch=1,
           force_init=force_init, **kwargs)
    return model, x, y


@pytest.mark.slow
def test_sgd_rule_is_mxnet_jl_weight_decay_on_biases_too():
    """Two steps of mx.SGD against NumPy: g = grad/batch + wd*w for EVERY
    parameter (biases included), mom = mu*mom - lr*g, w += mom."""
    p = tiny_params()
    lr, mu, wd = 0.1, 0.9, 0.05
    model, x, y = _jl_fit(p, mx.SGD(lr=lr, momentum=mu, weight_decay=wd))
    w = {k: v.astype(np.float64) for k, v in p.items()}
    w_python = dict(w)  # MXNet Python's rule: no decay on biases
    mom = {k: 0 * v for k, v in w.items()}
    mom_python = dict(mom)
    for rows in (slice(0, 10), slice(10, 20)):
        for params, momentum, decay_bias in ((w, mom, True),
                                             (w_python, mom_python, False)):
            grads = jax.grad(tiny_loss)({k: jnp.asarray(v, jnp.float32)
                                         for k, v in params.items()},
                                        jnp.asarray(x[rows]), jnp.asarray(y[rows]))
            for k in params:
                decay = wd if (decay_bias or k.endswith("_weight")) else 0.0
                g = np.asarray(grads[k], np.float64) / 10 + decay * params[k]
                momentum[k] = mu * momentum[k] - lr * g
                params[k] = params[k] + momentum[k]
    got = as_np(model.arg_params)
    for k in p:
        np.testing.assert_allclose(got[k], w[k], rtol=1e-5, atol=1e-6, err_msg=k)
    assert np.abs(got["fc1_bias"] - w_python["fc1_bias"]).max() > 1e-4


def test_existing_parameters_are_kept_unless_force_init():
    p = tiny_params()
    frozen = mx.SGD(lr=0.0, weight_decay=0.0)
    model, _, _ = _jl_fit(p, frozen)
    assert max_diff(as_np(model.arg_params), p) == 0
    model, _, _ = _jl_fit(p, frozen, force_init=True,
                          initializer=mxlite.init.Constant(0.5))
    got = as_np(model.arg_params)
    np.testing.assert_array_equal(got["fc1_weight"], 0.5)
    np.testing.assert_array_equal(got["fc1_bias"], 0.0)


@pytest.mark.slow
def test_verbosity_levels(caplog):
    for level, count in ((0, 0), (1, 1), (2, 4), (3, 7)):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="mxlite.jl.model"):
            _jl_fit(tiny_params(), mx.SGD(lr=0.1), verbosity=level)
        records = [r for r in caplog.records if r.name == "mxlite.jl.model"]
        assert len(records) == count, level


def test_epoch_0_callbacks_run_before_training_starts(caplog):
    log = logging.getLogger("mxlite.jl.model")
    callback = mx.every_n_epoch(lambda m, e, metric: log.info("callback %d", e), 1,
                                      call_on_0=True)
    with caplog.at_level(logging.INFO, logger="mxlite.jl.model"):
        _jl_fit(tiny_params(), mx.SGD(lr=0.1), callbacks=[callback])
    lines = [r.getMessage() for r in caplog.records if r.name == "mxlite.jl.model"]
    assert lines[:4] == ["Start training on [CPU0]", "Initializing parameters...",
                         "callback 0", "Start training..."]
    assert lines[-1] == "callback 1"


def test_speedometer_logs_every_n_batches(caplog):
    x, y = dataset(60)
    model = mx.FeedForward(tiny())
    with caplog.at_level(logging.INFO, logger="mxlite.jl.model"):
        mx.fit(model, mx.SGD(lr=0.1), mxlite.io.NDArrayIter(x, y, 10), n_epoch=2,
               callbacks=[mx.speedometer(frequency=2)])
    speeds = [r.getMessage() for r in caplog.records if "Speed" in r.getMessage()]
    assert len(speeds) == 6  # batches 2, 4, 6 of each epoch
    assert all(re.fullmatch(r"Speed: +\d+\.\d{2} samples/sec", s) for s in speeds)


def test_fit_restarts_a_provider_that_predict_read_to_its_end():
    # MXNet.jl's `for batch in eachbatch(data)` starts every epoch at the first
    # batch; after predict() on the same provider, fit must still train on all of it.
    p = tiny_params()
    x, y = dataset(20, seed=6)
    provider = mxlite.io.NDArrayIter(x, y, 10)
    model = mx.FeedForward(tiny())
    model.arg_params, model.aux_params = as_nd(p), {}
    mx.predict(model, provider)
    batches = []
    mx.fit(model, mx.SGD(lr=0.1), provider, n_epoch=1,
           callbacks=[mx.every_n_batch(lambda count, metric: batches.append(count), 1)])
    assert batches == [1, 2]
    fresh, _, _ = _jl_fit(p, mx.SGD(lr=0.1))
    assert max_diff(as_np(model.arg_params), as_np(fresh.arg_params)) < 1e-7
