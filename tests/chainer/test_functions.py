"""``F`` functions' forward results against NumPy references written here,
their modes (``chainer.config.train``) and their error messages."""

from __future__ import annotations

import numpy as np
import pytest

import mxlite.chainer as chainer
import mxlite.chainer.functions as F
from mxlite.base import DTypeError, ParamError, ShapeError

RNG = np.random.RandomState(3)


def _np(v) -> np.ndarray:
    return np.asarray(v.array if isinstance(v, chainer.Variable) else v)


# -- NumPy references -----------------------------------------------------------------
def _outsize(n, k, s, p, cover_all, d=1):
    dk = k + (k - 1) * (d - 1)
    return (n + 2 * p - dk + (s - 1 if cover_all else 0)) // s + 1


def conv_ref(x, W, b, stride, pad, *, cover_all=False, dilate=1, groups=1):
    """Explicit loops over output pixels, Chainer's definition."""
    n, c, h, w = x.shape
    oc, icg, kh, kw = W.shape
    oh, ow = (_outsize(h, kh, stride, pad, cover_all, dilate),
              _outsize(w, kw, stride, pad, cover_all, dilate))
    big = np.zeros((n, c, h + 2 * pad + stride + kh * dilate, w + 2 * pad + stride +
                    kw * dilate))
    big[:, :, pad:pad + h, pad:pad + w] = x
    y = np.zeros((n, oc, oh, ow))
    ocg = oc // groups
    for o in range(oc):
        g = o // ocg
        for i in range(oh):
            for j in range(ow):
                patch = big[:, g * icg:(g + 1) * icg,
                            i * stride:i * stride + dilate * (kh - 1) + 1:dilate,
                            j * stride:j * stride + dilate * (kw - 1) + 1:dilate]
                y[:, o, i, j] = np.einsum("nchw,chw->n", patch, W[o])
    return y if b is None else y + b[None, :, None, None]


def pool_ref(x, k, s, p, *, cover_all, op):
    """Windows over the -inf (max) or 0 (avg) padded input; avg divides by k*k."""
    n, c, h, w = x.shape
    oh, ow = _outsize(h, k, s, p, cover_all), _outsize(w, k, s, p, cover_all)
    fill = -np.inf if op == "max" else 0.0
    big = np.full((n, c, h + 2 * p + s + k, w + 2 * p + s + k), fill)
    big[:, :, p:p + h, p:p + w] = x
    y = np.zeros((n, c, oh, ow))
    idx = np.zeros((n, c, oh, ow), np.int64)
    for i in range(oh):
        for j in range(ow):
            win = big[:, :, i * s:i * s + k, j * s:j * s + k].reshape(n, c, k * k)
            y[:, :, i, j] = win.max(-1) if op == "max" else win.sum(-1) / (k * k)
            idx[:, :, i, j] = win.argmax(-1)
    return y, idx


def softmax_ref(x, axis=1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# -- connections ---------------------------------------------------------------------
@pytest.mark.parametrize("kw", [
    {"stride": 1, "pad": 0}, {"stride": 2, "pad": 1}, {"stride": 2, "pad": 0,
                                                       "cover_all": True},
    {"stride": 1, "pad": 1, "dilate": 2}, {"stride": 1, "pad": 0, "groups": 2}],
    ids=["plain", "stride_pad", "cover_all", "dilate", "groups"])
@pytest.mark.slow
def test_convolution_2d_matches_loops(kw):
    groups = kw.get("groups", 1)
    x, W, b = RNG.randn(2, 4, 6, 6), RNG.randn(6, 4 // groups, 3, 3), RNG.randn(6)
    y = F.convolution_2d(x, W, b, **kw)
    np.testing.assert_allclose(_np(y), conv_ref(x, W, b, **kw), rtol=1e-10, atol=1e-10)


def test_convolution_2d_cover_all_adds_a_row():
    x, W = RNG.randn(1, 1, 6, 6), RNG.randn(1, 1, 3, 3)
    assert F.convolution_2d(x, W, stride=2).shape == (1, 1, 2, 2)
    assert F.convolution_2d(x, W, stride=2, cover_all=True).shape == (1, 1, 3, 3)
    assert F.convolution_2d(x, W, stride=(2, 1), pad=(0, 1)).shape == (1, 1, 2, 6)


def test_linear_and_embed_id():
    x, W, b = RNG.randn(3, 2, 2), RNG.randn(5, 4), RNG.randn(5)
    np.testing.assert_allclose(_np(F.linear(x, W, b)), x.reshape(3, 4) @ W.T + b)
    np.testing.assert_allclose(_np(F.linear(x, W[:, :2], n_batch_axes=2)), x @ W[:, :2].T)
    ids = np.array([[0, 3], [-1, 2]], np.int32)
    y = _np(F.embed_id(ids, W, ignore_label=-1))
    np.testing.assert_allclose(y, np.where((ids == -1)[..., None], 0.0, W[ids]))
    assert y.shape == (2, 2, 4)


# -- pooling -----------------------------------------------------------------------------
@pytest.mark.parametrize("k,s,p,cover_all", [(2, 2, 0, True), (3, 2, 0, True),
                                             (3, 2, 0, False), (3, 2, 1, True),
                                             (2, 1, 1, False)])
@pytest.mark.slow
def test_max_pooling_2d(k, s, p, cover_all):
    x = RNG.randn(2, 3, 7, 7)
    y, idx = F.max_pooling_2d(x, k, s, p, cover_all=cover_all, return_indices=True)
    want, want_idx = pool_ref(x, k, s, p, cover_all=cover_all, op="max")
    np.testing.assert_allclose(_np(y), want)
    np.testing.assert_array_equal(np.asarray(idx), want_idx)
    assert F.max_pooling_2d(x, k, s, p, cover_all=cover_all).shape == want.shape


def test_max_pooling_2d_default_stride_is_the_window_and_covers_all():
    x = RNG.randn(1, 1, 5, 5)
    assert F.max_pooling_2d(x, 2).shape == (1, 1, 3, 3)
    assert F.max_pooling_2d(x, 2, cover_all=False).shape == (1, 1, 2, 2)


@pytest.mark.parametrize("k,s,p", [(2, None, 0), (3, 2, 1), (3, 1, 1)])
def test_average_pooling_2d_divides_by_the_whole_window(k, s, p):
    x = RNG.randn(2, 2, 6, 6)
    want, _ = pool_ref(x, k, s or k, p, cover_all=False, op="avg")
    np.testing.assert_allclose(_np(F.average_pooling_2d(x, k, s, p)), want)


# -- dropout -------------------------------------------------------------------------
def test_dropout_scales_the_kept_elements():
    x = np.ones((200, 50), np.float32)
    y, mask = F.dropout(x, 0.3, return_mask=True)
    y = _np(y)
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.7)}
    assert abs((y == 0).mean() - 0.3) < 0.03
    np.testing.assert_array_equal(np.asarray(mask), y)
    assert _np(F.dropout(x, 0.0)).min() == 1.0


def test_dropout_with_train_false_is_the_identity():
    x = chainer.Variable(RNG.randn(3, 4).astype(np.float32))
    with chainer.using_config("train", False):
        assert F.dropout(x, 0.9) is x
        y = F.dropout(x.array)
    np.testing.assert_array_equal(_np(y), _np(x))


def test_dropout_draws_a_new_mask_each_call():
    x = np.ones((20, 20), np.float32)
    assert not np.array_equal(_np(F.dropout(x)), _np(F.dropout(x)))


# -- normalization -------------------------------------------------------------------
def test_batch_normalization_updates_running_statistics_as_chainer():
    x = RNG.randn(4, 3, 2, 2).astype(np.float32)
    gamma, beta = RNG.rand(3).astype(np.float32) + 0.5, RNG.randn(3).astype(np.float32)
    mean, var = np.zeros(3, np.float32), np.ones(3, np.float32)
    var_v = chainer.Variable(np.ones(3, np.float32), requires_grad=False)
    y = F.batch_normalization(x, gamma, beta, running_mean=mean, running_var=var_v,
                              decay=0.8)
    mu, sig2 = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    b = (None, slice(None), None, None)
    want = gamma[b] * (x - mu[b]) / np.sqrt(sig2[b] + 2e-5) + beta[b]
    np.testing.assert_allclose(_np(y), want, rtol=1e-5, atol=1e-5)
    m = x.size // 3
    np.testing.assert_allclose(mean, 0.2 * mu, rtol=1e-5, atol=1e-7)  # written in place
    np.testing.assert_allclose(_np(var_v), 0.8 + 0.2 * sig2 * m / (m - 1), rtol=1e-5)
    assert var.tolist() == [1.0, 1.0, 1.0]


def test_batch_normalization_axis_and_channel_shapes():
    x = RNG.randn(3, 2, 4)
    gamma, beta = np.ones((2, 4)), np.zeros((2, 4))
    want = (x - x.mean(0)) / np.sqrt(x.var(0) + 2e-5)
    np.testing.assert_allclose(_np(F.batch_normalization(x, gamma, beta)), want)
    g2 = np.full(2, 2.0)
    y = F.batch_normalization(x, g2, np.zeros(2), axis=(0, 2), eps=1e-3)
    mu, sig2 = x.mean((0, 2), keepdims=True), x.var((0, 2), keepdims=True)
    np.testing.assert_allclose(_np(y), 2 * (x - mu) / np.sqrt(sig2 + 1e-3))


def test_fixed_batch_normalization():
    x = RNG.randn(2, 3, 2)
    g, b, mean, var = RNG.randn(3), RNG.randn(3), RNG.randn(3), RNG.rand(3) + 0.1
    c = (None, slice(None), None)
    want = g[c] * (x - mean[c]) / np.sqrt(var[c] + 1e-4) + b[c]
    np.testing.assert_allclose(_np(F.fixed_batch_normalization(x, g, b, mean, var, 1e-4)),
                               want)


# -- losses and metrics ---------------------------------------------------------------
def test_softmax_cross_entropy_ignore_label_and_normalize():
    x = RNG.randn(5, 4)
    t = np.array([0, 3, -1, 2, -1], np.int32)
    logp = np.log(softmax_ref(x))
    each = np.where(t == -1, 0.0, -logp[np.arange(5), np.maximum(t, 0)])
    np.testing.assert_allclose(_np(F.softmax_cross_entropy(x, t)), each.sum() / 3)
    np.testing.assert_allclose(_np(F.softmax_cross_entropy(x, t, normalize=False)),
                               each.sum() / 5)
    np.testing.assert_allclose(_np(F.softmax_cross_entropy(x, t, reduce="no")), each)
    t7 = np.where(t == -1, 7, t).astype(np.int32)
    np.testing.assert_allclose(_np(F.softmax_cross_entropy(x, t7, ignore_label=7)),
                               each.sum() / 3)
    assert F.softmax_cross_entropy(x, t).shape == ()


def test_sigmoid_cross_entropy_and_mean_squared_error():
    x = RNG.randn(2, 3)
    t = np.array([[1, 0, -1], [0, 1, 1]], np.int32)
    each = np.where(t == -1, 0.0, np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0) - x * t)
    np.testing.assert_allclose(_np(F.sigmoid_cross_entropy(x, t)), each.sum() / 5)
    np.testing.assert_allclose(_np(F.sigmoid_cross_entropy(x, t, normalize=False)),
                               each.sum() / 2)
    y = RNG.randn(2, 3)
    np.testing.assert_allclose(_np(F.mean_squared_error(x, y)), ((x - y) ** 2).mean())


def test_accuracy_with_ignore_label():
    y = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]], np.float32)
    t = np.array([1, 1, -1, 0], np.int32)
    assert float(_np(F.accuracy(y, t))) == pytest.approx(0.5)
    assert float(_np(F.accuracy(y, t, ignore_label=-1))) == pytest.approx(2 / 3)
    assert float(_np(F.accuracy(y, np.full(4, -1, np.int32), ignore_label=-1))) == 0.0
    assert F.accuracy(y, t).dtype == np.float32


# -- activations, arrays, reductions --------------------------------------------------
def test_activations_and_arrays():
    x = RNG.randn(3, 4)
    np.testing.assert_allclose(_np(F.relu(x)), np.maximum(x, 0))
    np.testing.assert_allclose(_np(F.leaky_relu(x)), np.where(x >= 0, x, 0.2 * x))
    np.testing.assert_allclose(_np(F.sigmoid(x)), 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(_np(F.tanh(x)), np.tanh(x))
    np.testing.assert_allclose(_np(F.softmax(x)), softmax_ref(x))
    np.testing.assert_allclose(_np(F.log_softmax(x, axis=0)), np.log(softmax_ref(x, 0)))
    assert F.flatten(x).shape == (12,)
    assert F.reshape(x, (2, -1)).shape == (2, 6)
    np.testing.assert_array_equal(_np(F.concat((x, x[:, :1]))),
                                  np.concatenate([x, x[:, :1]], 1))
    np.testing.assert_array_equal(_np(F.get_item(x, (slice(None), [0, 2]))), x[:, [0, 2]])
    np.testing.assert_allclose(_np(F.sum(x, axis=-1)), x.sum(-1))
    np.testing.assert_allclose(_np(F.mean(x, axis=(0, 1), keepdims=True)),
                               x.mean((0, 1), keepdims=True))
    w = RNG.rand(4)
    np.testing.assert_allclose(_np(F.mean(x, axis=1, weights=w)), np.average(x, 1, w))
    assert F.sum(x).shape == () and F.mean(x).shape == ()


def test_variable_arithmetic():
    a, b = RNG.randn(2, 3), RNG.randn(1, 3)
    va, vb = chainer.Variable(a), chainer.Variable(b)
    np.testing.assert_allclose(_np(va + vb), a + b)
    np.testing.assert_allclose(_np(2.0 - va), 2.0 - a)
    np.testing.assert_allclose(_np(va / 2), a / 2)
    np.testing.assert_allclose(_np(1.5 / vb), 1.5 / b)
    np.testing.assert_allclose(_np(va ** 2), a ** 2)
    np.testing.assert_allclose(_np(-va * b), -a * b)
    np.testing.assert_allclose(_np(b + va), b + a)
    assert (va * 2).dtype == np.float64


# -- errors ---------------------------------------------------------------------------
def test_convolution_errors_name_the_function_and_the_shapes():
    W = np.zeros((4, 3, 3, 3), np.float32)
    with pytest.raises(DTypeError, match=r"convolution_2d: x must be a floating-point "
                                         r"array; got int32 of shape \(1, 3, 5, 5\)"):
        F.convolution_2d(np.zeros((1, 3, 5, 5), np.int32), W)
    with pytest.raises(ShapeError, match=r"convolution_2d: x of shape \(1, 2, 5, 5\) has "
                                         r"2 channels, but W of shape \(4, 3, 3, 3\) "
                                         r"with groups=1 expects 3"):
        F.convolution_2d(np.zeros((1, 2, 5, 5), np.float32), W)
    with pytest.raises(ShapeError, match=r"convolution_2d: x has shape \(5, 5\) \(2-d\); "
                                         r"expected a 4-d array"):
        F.convolution_2d(np.zeros((5, 5), np.float32), W)
    with pytest.raises(ShapeError, match=r"convolution_2d: b has shape \(3,\); expected "
                                         r"\(4,\)"):
        F.convolution_2d(np.zeros((1, 3, 5, 5), np.float32), W, np.zeros(3, np.float32))


def test_label_errors():
    x = np.zeros((4, 3), np.float32)
    with pytest.raises(DTypeError, match=r"softmax_cross_entropy: t must hold integer "
                                         r"class labels \(int32\); got float32"):
        F.softmax_cross_entropy(x, np.zeros(4, np.float32))
    with pytest.raises(DTypeError, match=r"accuracy: t must hold integer class labels"):
        F.accuracy(x, np.zeros(4, np.float32))
    with pytest.raises(ShapeError, match=r"softmax_cross_entropy: t has shape \(4, 1\); "
                                         r"expected \(4,\) for x of shape \(4, 3\)"):
        F.softmax_cross_entropy(x, np.zeros((4, 1), np.int32))
    with pytest.raises(ShapeError, match=r"accuracy: t has shape \(3,\); expected \(4,\)"):
        F.accuracy(x, np.zeros(3, np.int32))
    with pytest.raises(ShapeError, match=r"sigmoid_cross_entropy: t has shape \(4,\); "
                                         r"expected \(4, 3\)"):
        F.sigmoid_cross_entropy(x, np.zeros(4, np.int32))


def test_axis_errors():
    x = np.zeros((2, 3), np.float32)
    for fn, name in [(lambda: F.sum(x, axis=2), "sum"), (lambda: F.mean(x, axis=-3), "mean"),
                     (lambda: F.softmax(x, axis=2), "softmax"),
                     (lambda: F.log_softmax(x, axis=5), "log_softmax"),
                     (lambda: F.concat([x, x], axis=2), "concat")]:
        with pytest.raises(ShapeError, match=rf"^{name}: axis=-?\d is out of range for an "
                                             r"input with 2 axes"):
            fn()
    with pytest.raises(ShapeError, match=r"batch_normalization: gamma has shape \(2,\); "
                                         r"expected \(3,\)"):
        F.batch_normalization(x, np.ones(2, np.float32), np.zeros(2, np.float32))
    with pytest.raises(ShapeError, match=r"batch_normalization: axis=2 is out of range"):
        F.batch_normalization(x, np.ones(3, np.float32), np.zeros(3, np.float32), axis=2)
    with pytest.raises(ShapeError, match=r"concat: xs\[1\] has shape \(3, 3\)"):
        F.concat([x, np.zeros((3, 3), np.float32)])


def test_other_argument_errors():
    x = np.zeros((1, 1, 4, 4), np.float32)
    with pytest.raises(ParamError, match=r"dropout: ratio must be in \[0, 1\); got 1.0"):
        F.dropout(x, 1.0)
    with pytest.raises(ParamError, match="dropout: the train argument is not supported"):
        F.dropout(x, train=False)
    with pytest.raises(ShapeError, match=r"max_pooling_2d: x of shape \(1, 1, 4, 4\) is "
                                         r"too small for ksize=\(5, 5\)"):
        F.max_pooling_2d(x, 5, cover_all=False)
    with pytest.raises(DTypeError, match=r"embed_id: x must hold integer class labels"):
        F.embed_id(np.zeros(2, np.float32), np.zeros((3, 2), np.float32))
    with pytest.raises(ParamError, match=r"batch_normalization: running_mean is a "):
        F.batch_normalization(np.zeros((2, 3), np.float32), np.ones(3, np.float32),
                              np.zeros(3, np.float32),
                              running_mean=F.relu(np.zeros(3, np.float32)).array,
                              running_var=np.ones(3, np.float32))
