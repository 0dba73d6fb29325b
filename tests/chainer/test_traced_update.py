"""optimizer.update(model, x, t): one compiled step, or the eager tape when the
model cannot be traced (with one warning saying why and where)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import mxlite as mx
import mxlite.chainer as chainer
from mxlite.base import MXNetError
from mxlite.chainer import _ops, optimizer_hooks, optimizers
from mxlite.chainer import functions as F
from mxlite.chainer import links as L
from mxlite.training.traced import TracingFallbackWarning

RNG = np.random.default_rng(7)
X = RNG.random((16, 20), dtype=np.float32)
T = RNG.integers(0, 5, 16).astype(np.int32)


class Net(chainer.Chain):
    """Two Linear layers; ``mode`` picks a variant that cannot be traced."""

    def __init__(self, mode: str = "plain") -> None:
        super().__init__()
        self.mode = mode
        with self.init_scope():
            self.l1 = L.Linear(20, 8)
            self.l2 = L.Linear(8, 5)

    def forward(self, x, t):
        h = self.l1(x)
        if self.mode == "branch":
            if float(F.sum(h).array) > -1e9:  # always true, but needs the value
                h = F.relu(h)
        elif self.mode == "numpy":
            np.asarray(h.data)
            h = F.relu(h)
        elif self.mode == "print":
            print(h)
            h = F.relu(h)
        else:
            h = F.relu(h)
        self.loss = F.softmax_cross_entropy(self.l2(h), t)
        return self.loss


def _pair(mode: str) -> tuple[Net, Net]:
    a, b = Net(), Net(mode)
    b.copyparams(a)
    return a, b


def _train(model: Net, steps: int = 3) -> list[float]:
    opt = optimizers.Adam(alpha=0.01)
    opt.setup(model)
    losses = []
    for _ in range(steps):
        opt.update(model, chainer.Variable(X), chainer.Variable(T))
        losses.append(float(model.loss.array))
    return losses


@pytest.mark.parametrize(("mode", "reason"), [
    ("branch", "needs an array's value in Python"), ("numpy", "converts an array to NumPy"),
    ("print", "printing of a Variable needs its value")])
@pytest.mark.slow
def test_untraceable_model_falls_back_once_and_matches_the_compiled_one(mode, reason,
                                                                        capsys):
    traced, fallback = _pair(mode)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        losses_t = _train(traced)
        losses_f = _train(fallback)
    ours = [w for w in caught if issubclass(w.category, TracingFallbackWarning)]
    assert len(ours) == 1, [str(w.message) for w in ours]
    message = str(ours[0].message)
    assert reason in message and "runs eagerly" in message
    assert "test_traced_update.py:" in message  # the user's line
    np.testing.assert_allclose(losses_f, losses_t, rtol=1e-5)
    for (name, p), (_, q) in zip(traced.namedparams(), fallback.namedparams()):
        np.testing.assert_allclose(np.asarray(q.array), np.asarray(p.array), rtol=1e-5,
                                   atol=1e-7, err_msg=name)


def test_compiled_loss_stays_on_the_device_until_read():
    model = Net()
    opt = optimizers.SGD(lr=0.1)
    opt.setup(model)
    opt.update(model, X, T)
    assert type(model.loss) is chainer.Variable
    assert not isinstance(model.loss.array, np.ndarray)  # a device array, not synced
    eager = model(X, T)  # the same loss computed eagerly after the step
    opt.update(model, X, T)
    assert float(model.loss.array) == pytest.approx(float(eager.array), rel=1e-6)
    assert opt.t == 2


def test_reported_values_come_back_through_the_reporter():
    model = L.Classifier(L.Linear(20, 5))
    opt = optimizers.SGD()
    opt.setup(model)
    reporter = chainer.Reporter()
    reporter.add_observer("main", model)
    for _ in range(2):
        observation: dict = {}
        with reporter.scope(observation):
            opt.update(model, X, T)
        assert sorted(observation) == ["main/accuracy", "main/loss"]
        assert 0.0 <= float(observation["main/accuracy"].array) <= 1.0
        assert float(observation["main/loss"].array) == pytest.approx(
            float(model.loss.array))


class Noisy(chainer.Chain):
    def __init__(self) -> None:
        super().__init__()
        with self.init_scope():
            self.l1 = L.Linear(20, 5)

    def forward(self, x):
        return F.sum(_ops.call("Dropout", self.l1(x), p=0.5))


@pytest.mark.slow
def test_every_compiled_step_draws_a_fresh_dropout_mask_reproducibly():
    def run(seed: int) -> list[float]:
        mx.random.seed(seed)
        model = Noisy()
        opt = optimizers.SGD(lr=0.0)
        opt.setup(model)
        losses = []

        def lossfun(x):
            loss = model(x)
            model.last = loss
            return loss

        for _ in range(4):
            opt.update(lossfun, X)
            losses.append(float(model.last.array))
        return losses

    first, again = run(3), run(3)
    assert len(set(first)) == 4  # a new mask every step
    assert first == again  # and the same masks for the same seed
    with chainer.using_config("train", False):  # a separate program: no dropout
        mx.random.seed(3)
        model = Noisy()
        opt = optimizers.SGD(lr=0.0)
        opt.setup(model)
        opt.update(model, X)
        expected = float(np.asarray(model.l1(X).array).sum())
    assert expected not in first


def test_update_before_setup_is_a_clear_error():
    with pytest.raises(MXNetError, match=r"Adam.update: call setup\(link\) first"):
        optimizers.Adam().update(Net(), X, T)


def test_loss_function_must_return_a_variable():
    model = Net()
    opt = optimizers.SGD()
    opt.setup(model)
    with pytest.raises(MXNetError, match="must return a Variable; got int"):
        opt.update(lambda x: 3, X)


def test_lazy_linear_is_created_while_tracing_and_updated():
    model = L.Classifier(L.Linear(5))
    opt = optimizers.SGD(lr=0.5)
    opt.setup(model)
    assert model.predictor.W.array is None
    opt.update(model, X, T)
    w1 = np.asarray(model.predictor.W.array).copy()
    assert w1.shape == (5, 20)
    opt.update(model, X, T)
    assert not np.array_equal(np.asarray(model.predictor.W.array), w1)
    assert opt.t == 2 and model.predictor.W.update_rule.t == 2


@pytest.mark.parametrize("path", ["compiled", "eager"])
def test_labels_out_of_range_are_an_error_on_both_paths(path):
    model = Net()
    opt = optimizers.SGD()
    opt.setup(model)
    opt.update(model, X, T)  # traces with good labels
    bad = T.copy()
    bad[3] = 5
    with pytest.raises(MXNetError, match=r"softmax_cross_entropy: labels range over "
                                         r"\[0, 5\] but there are 5 classes"):
        if path == "compiled":
            opt.update(model, X, bad)
        else:
            model(X, bad)
    ignored = T.copy()
    ignored[0] = -1  # ignore_label: fine
    opt.update(model, X, ignored)


def test_lazy_parameters_are_drawn_on_the_host_reproducibly():
    def weights(seed: int) -> np.ndarray:
        mx.random.seed(seed)
        model = L.Classifier(L.Linear(None, 5))
        opt = optimizers.SGD(lr=0.0)
        opt.setup(model)
        opt.update(model, X, T)
        return np.asarray(model.predictor.W.array)

    a, b, c = weights(5), weights(5), weights(6)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.dtype == np.float32 and a.shape == (5, 20)
    assert abs(a.std() - np.sqrt(1 / 20)) < 0.1  # LeCunNormal: std sqrt(1/fan_in)


def test_a_reused_numpy_batch_buffer_cannot_change_a_running_step():
    model = Net()
    opt = optimizers.SGD(lr=0.0)
    opt.setup(model)
    expected = float(model(X, T).array)
    buf_x, buf_t = X.copy(), T.copy()
    for _ in range(5):
        opt.update(model, buf_x, buf_t)
        buf_x[...] = 0.0  # the caller refills its buffer before reading the loss
        loss = float(model.loss.array)
        buf_x[...] = X
        assert loss == pytest.approx(expected, rel=1e-6)


class WithSpare(chainer.Chain):
    """A link the loss never reaches (a second head, say) is left alone, as
    Chainer leaves a parameter whose gradient is None."""

    def __init__(self) -> None:
        super().__init__()
        with self.init_scope():
            self.used = L.Linear(20, 5)
            self.spare = L.Linear(20, 5)

    def forward(self, x, t):
        self.spare_out = self.spare(x)  # computed, reported, but not in the loss
        self.loss = F.softmax_cross_entropy(self.used(x), t)
        return self.loss


@pytest.mark.parametrize("path", ["compiled", "eager"])
def test_a_parameter_the_loss_does_not_reach_is_not_updated(path):
    model = WithSpare()
    spare = np.asarray(model.spare.W.array).copy()
    used = np.asarray(model.used.W.array).copy()
    opt = optimizers.Adam(alpha=0.1)
    opt.setup(model)
    opt.add_hook(optimizer_hooks.WeightDecay(0.1))  # would move a zero-gradient weight
    for _ in range(3):
        if path == "compiled":
            opt.update(model, X, T)
        else:
            loss = model(X, T)
            model.cleargrads()
            loss.backward()
            opt.update()
    np.testing.assert_array_equal(np.asarray(model.spare.W.array), spare)
    assert not np.array_equal(np.asarray(model.used.W.array), used)
    assert (model.used.W.update_rule.t, model.spare.W.update_rule.t) == (3, 0)
    assert model.spare_out.shape == (16, 5)
