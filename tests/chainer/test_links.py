"""``L.Linear``, ``L.Convolution2D``, ``L.BatchNormalization``, ``L.EmbedID``:
their lazy forms, modes, persistents and errors, and training through the
compiled ``optimizer.update(model, x, t)`` against the eager path and
against a trajectory recorded with Chainer 7.8.1."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import mxlite.chainer as chainer
import mxlite.chainer.functions as F
import mxlite.chainer.links as L
from mxlite.base import DTypeError, ShapeError
from mxlite.chainer import optimizer_hooks, optimizers

RNG = np.random.RandomState(5)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "chainer"


def _np(v) -> np.ndarray:
    return np.asarray(v.array if isinstance(v, chainer.Variable) else v)


class _Keys:
    """A serializer that records ``save_npz``'s keys and values."""

    def __init__(self, out: dict, prefix: str = "") -> None:
        self.out, self.prefix = out, prefix

    def __getitem__(self, name: str) -> _Keys:
        return _Keys(self.out, f"{self.prefix}{name}/")

    def __call__(self, name: str, value):
        self.out[self.prefix + name] = value
        return value


# -- lazy shapes and initializers -------------------------------------------------
def test_linear_lazy_forms():
    x = RNG.randn(2, 3, 2).astype(np.float32)
    for link in (L.Linear(None, 5), L.Linear(5)):
        assert link.W.array is None
        assert link(x).shape == (2, 5)
        assert link.W.shape == (5, 6) and link.b.shape == (5,)


def test_convolution_2d_lazy_forms_and_defaults():
    x = RNG.randn(2, 3, 6, 6).astype(np.float32)
    eager = L.Convolution2D(3, 4, 3)
    assert eager.W.shape == (4, 3, 3, 3)
    for link in (L.Convolution2D(None, 4, 3), L.Convolution2D(4, 3)):
        assert link.W.array is None
        assert link(x).shape == (2, 4, 4, 4)
        assert link.W.shape == (4, 3, 3, 3)
        assert _np(link.b).tolist() == [0.0] * 4
    assert L.Convolution2D(4, 3, stride=2, pad=1)(x).shape == (2, 4, 3, 3)
    grouped = L.Convolution2D(None, 6, (3, 1), groups=3, dilate=(1, 2), nobias=True)
    assert grouped(x).shape == (2, 6, 4, 6) and grouped.W.shape == (6, 1, 3, 1)
    assert grouped.b is None
    wide = L.Convolution2D(16, 32, 3)
    assert np.std(_np(wide.W)) == pytest.approx(1 / np.sqrt(16 * 9), rel=0.1)  # LeCunNormal


def test_convolution_2d_matches_the_function():
    x = RNG.randn(2, 3, 5, 5).astype(np.float32)
    link = L.Convolution2D(3, 2, 3, pad=1, initial_bias=0.5)
    np.testing.assert_allclose(_np(link(x)), _np(F.convolution_2d(x, link.W, link.b,
                                                                  pad=1)))
    assert _np(link.b).tolist() == [0.5, 0.5]


def test_embed_id():
    link = L.EmbedID(100, 20, ignore_label=-1)
    assert link.W.shape == (100, 20)
    assert np.std(_np(link.W)) == pytest.approx(1.0, rel=0.1)  # Normal(1.0)
    y = _np(link(np.array([[3, -1]], np.int32)))
    np.testing.assert_array_equal(y[0, 0], _np(link.W)[3])
    np.testing.assert_array_equal(y[0, 1], np.zeros(20))


# -- errors -------------------------------------------------------------------------------
def test_convolution_2d_link_errors():
    model = chainer.Chain()
    with model.init_scope():
        model.conv = L.Convolution2D(3, 4, 3)
    with pytest.raises(ShapeError, match=r"Convolution2D 'conv': input of shape "
                                         r"\(1, 2, 5, 5\) has 2 channels, but W was "
                                         r"initialized as \(4, 3, 3, 3\) for 3"):
        model.conv(np.zeros((1, 2, 5, 5), np.float32))
    with pytest.raises(DTypeError, match=r"Convolution2D 'conv': x must be a "
                                         r"floating-point array; got int32"):
        model.conv(np.zeros((1, 3, 5, 5), np.int32))
    with pytest.raises(ShapeError, match=r"Convolution2D: 5 input channels are not "
                                         r"divisible by groups=2"):
        L.Convolution2D(5, 4, 3, groups=2)


def test_batch_normalization_errors():
    with pytest.raises(ValueError, match="BatchNormalization: give size"):
        L.BatchNormalization()
    bn = L.BatchNormalization(3)
    with pytest.raises(ShapeError, match=r"batch_normalization: gamma has shape \(3,\); "
                                         r"expected \(4,\)"):
        bn(np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match="test argument is not supported"):
        bn(np.zeros((2, 3), np.float32), test=True)


# -- BatchNormalization -------------------------------------------------------------
def test_batch_normalization_persistents_and_keys():
    model = chainer.Chain()
    with model.init_scope():
        model.bn = L.BatchNormalization(3)
    bn = model.bn
    assert sorted(bn._persistent) == ["N", "avg_mean", "avg_var"]
    assert sorted(p for p, _ in model.namedparams()) == ["/bn/beta", "/bn/gamma"]
    keys: dict = {}
    model.serialize(_Keys(keys))
    assert sorted(keys) == ["bn/N", "bn/avg_mean", "bn/avg_var", "bn/beta", "bn/gamma"]
    assert _np(bn.avg_mean).tolist() == [0.0] * 3 and _np(bn.avg_var).tolist() == [1.0] * 3
    assert _np(bn.gamma).dtype == np.float32 and bn.N == 0


def test_batch_normalization_train_and_test_modes():
    bn = L.BatchNormalization(3, decay=0.7)
    x = RNG.randn(5, 3, 2, 2).astype(np.float32)
    y = _np(bn(x))
    mu, var = x.mean((0, 2, 3)), x.var((0, 2, 3))
    b = (None, slice(None), None, None)
    np.testing.assert_allclose(y, (x - mu[b]) / np.sqrt(var[b] + 2e-5), rtol=1e-4,
                               atol=1e-5)
    m = x.size // 3
    want_mean, want_var = 0.3 * mu, 0.7 + 0.3 * var * m / (m - 1)
    np.testing.assert_allclose(_np(bn.avg_mean), want_mean, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(_np(bn.avg_var), want_var, rtol=1e-5)
    with chainer.using_config("train", False):
        y_test = _np(bn(x))
    np.testing.assert_allclose(y_test, (x - want_mean[b]) / np.sqrt(want_var[b] + 2e-5),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_np(bn.avg_mean), want_mean, rtol=1e-5, atol=1e-7)


def test_batch_normalization_lazy_axis_and_no_gamma():
    x = RNG.randn(4, 3, 2).astype(np.float32)
    bn = L.BatchNormalization(axis=0, use_gamma=False, initial_beta=1.0)
    assert bn.avg_mean is None
    y = _np(bn(x))
    assert bn.avg_mean.shape == (3, 2) and bn.beta.shape == (3, 2) and bn.gamma is None
    np.testing.assert_allclose(y, (x - x.mean(0)) / np.sqrt(x.var(0) + 2e-5) + 1.0,
                               rtol=1e-4, atol=1e-5)


def test_batch_normalization_finetune_averages_the_batches():
    bn = L.BatchNormalization(2)
    xs = [RNG.randn(3, 2).astype(np.float32) for _ in range(2)]
    for x in xs:
        bn(x, finetune=True)
    assert bn.N == 2
    np.testing.assert_allclose(_np(bn.avg_mean), np.mean([x.mean(0) for x in xs], 0),
                               rtol=1e-5)
    bn.start_finetuning()
    assert bn.N == 0


# -- training: the compiled step and the eager path ------------------------------------
class ConvNet(chainer.Chain):
    def __init__(self, dropout: float = 0.0) -> None:
        super().__init__()
        self.dropout = dropout
        with self.init_scope():
            self.conv = L.Convolution2D(None, 3, 3, pad=1)
            self.bn = L.BatchNormalization(3)
            self.fc = L.Linear(None, 4)

    def forward(self, x, t):
        h = F.max_pooling_2d(F.relu(self.bn(self.conv(x))), 2)
        if self.dropout:
            h = F.dropout(h, self.dropout)
            self.h = h
        return F.softmax_cross_entropy(self.fc(h), t)


def _batches(n: int) -> list:
    return [(RNG.rand(4, 2, 6, 6).astype(np.float32), RNG.randint(0, 4, 4).astype(
        np.int32)) for _ in range(n)]


def _twins(factory):
    """Two models with the same initial parameters (copies: a compiled update
    donates its parameters' buffers)."""
    a, b = factory(), factory()
    x, _ = _batches(1)[0]
    with chainer.using_config("train", False), chainer.no_backprop_mode():
        for model in (a, b):
            model.fc(F.max_pooling_2d(model.conv(x), 2))
    for (_, mine), (_, theirs) in zip(b.namedparams(), a.namedparams()):
        mine.array = np.array(theirs.array)
    return a, b


def _state(model) -> dict:
    out = {path: _np(p) for path, p in model.namedparams()}
    out.update(avg_mean=_np(model.bn.avg_mean), avg_var=_np(model.bn.avg_var))
    return out


@pytest.mark.slow
def test_compiled_and_eager_updates_agree():
    compiled, eager = _twins(ConvNet)
    opts = []
    for model in (compiled, eager):
        opt = optimizers.MomentumSGD(lr=0.1)
        opt.setup(model)
        opts.append(opt)
    for x, t in _batches(3):
        opts[0].update(compiled, x, t)
        loss = eager(x, t)
        eager.cleargrads()
        loss.backward()
        opts[1].update()
    got, want = _state(compiled), _state(eager)
    assert not np.allclose(want["avg_mean"], 0.0)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-5, atol=1e-6, err_msg=key)


def test_statistics_created_while_compiling_are_updated():
    def lazy():
        model = ConvNet()
        with model.init_scope():
            model.bn = L.BatchNormalization(axis=(0, 2, 3), use_gamma=False,
                                            use_beta=False)
        return model

    compiled, eager = _twins(lazy)
    assert compiled.bn.avg_mean is None
    x, t = _batches(1)[0]
    opt = optimizers.MomentumSGD()
    opt.setup(compiled)
    opt.update(compiled, x, t)
    eager(x, t)
    np.testing.assert_allclose(_np(compiled.bn.avg_mean), _np(eager.bn.avg_mean),
                               rtol=1e-5, atol=1e-7)
    assert not np.allclose(_np(eager.bn.avg_mean), 0.0)


@pytest.mark.slow
def test_dropout_in_the_compiled_step_draws_each_step_and_obeys_train():
    model = ConvNet(dropout=0.5)
    opt = optimizers.SGD()
    opt.setup(model)
    (x, t), = _batches(1)
    opt.update(model, x, t)
    first = _np(model.h)
    opt.update(model, x, t)
    assert (first == 0).any() and not np.array_equal(first, _np(model.h))
    mean_before = _np(model.bn.avg_mean)
    with chainer.using_config("train", False):
        with chainer.no_backprop_mode():
            h = _np(F.max_pooling_2d(F.relu(model.bn(model.conv(x))), 2))
        opt.update(model, x, t)
    np.testing.assert_allclose(_np(model.h), h, rtol=1e-6)  # no dropout
    np.testing.assert_array_equal(_np(model.bn.avg_mean), mean_before)


# -- against Chainer 7.8.1 ----------------------------------------------------------
class TinyLeNet(chainer.Chain):
    """tests/fixtures/chainer/make_fixtures.py's model."""

    def __init__(self) -> None:
        super().__init__()
        with self.init_scope():
            self.conv = L.Convolution2D(1, 4, 3)
            self.bn = L.BatchNormalization(4)
            self.fc = L.Linear(None, 10)

    def forward(self, x):
        return self.fc(self.bn(F.max_pooling_2d(F.relu(self.conv(x)), 2)))


class SoftmaxClassifier(chainer.Chain):
    def __init__(self, predictor) -> None:
        super().__init__()
        with self.init_scope():
            self.predictor = predictor

    def forward(self, x, t):
        self.loss = F.softmax_cross_entropy(self.predictor(x), t)
        return self.loss


@pytest.mark.slow
@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "eager"])
def test_tiny_lenet_follows_chainer(compiled):
    with np.load(FIXTURES / "lenet_reference.npz") as f:
        ref = {k: f[k] for k in f.files}
    model = SoftmaxClassifier(TinyLeNet())
    with chainer.using_config("train", False), chainer.no_backprop_mode():
        model.predictor(ref["x1"])
    for path, param in model.namedparams():
        param.array = ref["init" + path]
    bn = model.predictor.bn
    bn.avg_mean, bn.avg_var = ref["init/predictor/bn/avg_mean"], ref[
        "init/predictor/bn/avg_var"]
    opt = optimizers.MomentumSGD()
    opt.setup(model)
    opt.add_hook(optimizer_hooks.WeightDecay(1e-4))
    for step in (1, 2):
        x, t = ref[f"x{step}"], ref[f"t{step}"]
        if compiled:
            opt.update(model, x, t)
        else:
            loss = model(x, t)
            model.cleargrads()
            loss.backward()
            opt.update()
        assert float(_np(model.loss)) == pytest.approx(float(ref[f"step{step}/loss"]),
                                                       rel=1e-5)
        got = {**{p: _np(v) for p, v in model.namedparams()},
               "/predictor/bn/avg_mean": _np(bn.avg_mean),
               "/predictor/bn/avg_var": _np(bn.avg_var)}
        for path, value in got.items():
            np.testing.assert_allclose(value, ref[f"step{step}{path}"], rtol=1e-5,
                                       atol=1e-6, err_msg=path)
    with chainer.using_config("train", False), chainer.no_backprop_mode():
        y = model.predictor(ref["x_eval"])
    np.testing.assert_allclose(_np(y), ref["y_eval"], rtol=1e-4, atol=1e-5)
