"""Chainer's optimizer API on the shared rules: setup, both update forms, hooks,
t/epoch, hyper-parameters by attribute, devices."""

from __future__ import annotations

import numpy as np
import pytest

import mxlite.chainer as chainer
from mxlite.base import ContextError, ParamError
from mxlite.chainer import cuda, optimizer_hooks, optimizers
from mxlite.chainer import functions as F
from mxlite.chainer import links as L
from mxlite.context import num_gpus

RNG = np.random.default_rng(3)
X = RNG.random((6, 4), dtype=np.float32)
T = RNG.integers(0, 3, 6).astype(np.int32)


def _model() -> L.Classifier:
    model = L.Classifier(L.Linear(4, 3))
    model.predictor.W.array = RNG.standard_normal((3, 4)).astype(np.float32)
    return model


def _sgd_reference(w, b, lr, rate=0.0):
    """One SGD step of softmax cross entropy in NumPy (WeightDecay ``rate``)."""
    logits = X @ w.T + b
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    p[np.arange(len(T)), T] -= 1
    gw, gb = p.T @ X / len(T), p.sum(0) / len(T)
    return w - lr * (gw + rate * w), b - lr * (gb + rate * b)


@pytest.mark.slow
@pytest.mark.parametrize("form", ["lossfun", "manual"])
def test_sgd_with_weight_decay_hook_matches_numpy(form):
    model = _model()
    w0 = np.asarray(model.predictor.W.array)
    b0 = np.asarray(model.predictor.b.array)
    opt = optimizers.SGD(lr=0.5)
    assert opt.setup(model) is opt
    opt.add_hook(optimizer_hooks.WeightDecay(0.01))
    if form == "lossfun":
        opt.update(model, X, T)
    else:
        loss = model(X, T)
        model.cleargrads()
        loss.backward()
        opt.update()
    w, b = _sgd_reference(w0, b0, 0.5, 0.01)
    np.testing.assert_allclose(np.asarray(model.predictor.W.array), w, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(model.predictor.b.array), b, rtol=1e-5)
    assert opt.t == 1 and model.predictor.W.update_rule.t == 1


def test_changed_learning_rate_is_used_by_the_same_compiled_step():
    model = _model()
    opt = optimizers.SGD(lr=0.5)
    opt.setup(model)
    opt.update(model, X, T)
    w1 = np.asarray(model.predictor.W.array)
    b1 = np.asarray(model.predictor.b.array)
    opt.lr = 0.0
    assert opt.hyperparam.lr == 0.0
    opt.update(model, X, T)
    np.testing.assert_array_equal(np.asarray(model.predictor.W.array), w1)
    opt.lr = 0.25
    opt.update(model, X, T)
    w, _ = _sgd_reference(w1, b1, 0.25)
    np.testing.assert_allclose(np.asarray(model.predictor.W.array), w, rtol=1e-5)


def test_gradient_clipping_hook_changes_the_compiled_program():
    model = _model()
    opt = optimizers.MomentumSGD(lr=0.1)
    opt.setup(model)
    opt.add_hook(optimizer_hooks.GradientClipping(1e-3))
    w0 = np.asarray(model.predictor.W.array)
    opt.update(model, X, T)
    step = np.asarray(model.predictor.W.array) - w0
    # momentum 0: v = -lr * g, and |g| over all parameters is clipped to 1e-3
    assert np.sqrt((step ** 2).sum()) <= 0.1 * 1e-3 * (1 + 1e-5)
    with pytest.raises(ParamError, match="already exists"):
        opt.add_hook(optimizer_hooks.GradientClipping(1.0))


def test_epoch_counter_and_adam_lr():
    opt = optimizers.Adam()
    opt.setup(_model())
    assert (opt.t, opt.epoch) == (0, 0)
    opt.new_epoch()
    assert opt.epoch == 1
    with pytest.raises(ParamError, match="t = 0"):
        _ = opt.lr
    opt.update(opt.target, X, T)
    assert opt.lr == pytest.approx(0.001 * np.sqrt(1 - 0.999) / (1 - 0.9))


def test_setup_needs_a_link():
    with pytest.raises(ParamError, match="expected a Link"):
        optimizers.SGD().setup(object())


def test_variable_grad_and_backward():
    x = chainer.Variable(np.array([1.0, 2.0, 3.0], np.float32))
    y = F.sum(x * x)
    y.backward()
    np.testing.assert_allclose(np.asarray(x.grad), [2.0, 4.0, 6.0])
    y2 = F.sum(x * 3.0)
    y2.backward()  # gradients add up until cleargrad
    np.testing.assert_allclose(np.asarray(x.grad), [5.0, 7.0, 9.0])
    x.cleargrad()
    assert x.grad is None
    with chainer.no_backprop_mode():
        z = F.sum(x * x)
    with pytest.raises(Exception, match="nothing to differentiate"):
        z.backward()


def test_cpu_array_module_and_missing_gpu():
    x = chainer.Variable(np.ones(2, np.float32))
    assert chainer.backend.get_array_module(x) is np
    assert cuda.get_device(-1) == cuda.DummyDevice
    if num_gpus() == 0:
        with pytest.raises(ContextError, match="GPU 0 was asked for but this machine has 0"):
            cuda.get_device(0).use()
        with pytest.raises(ContextError, match="use device -1"):
            _model().to_gpu()
