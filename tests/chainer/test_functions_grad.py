"""Gradients of every differentiable ``F`` function against central finite
differences, in float64 (``Variable.backward()`` and ``.grad``).

One helper, :func:`check_grad`, builds Variables from float64 arrays, takes
``loss = sum(fn(*xs) * w)`` for a fixed random ``w`` and compares each
input's ``.grad`` with ``(L(x + eps) - L(x - eps)) / 2 eps`` element by
element. Inputs are small (the forward runs twice per element). ``F.accuracy``
and ``F.argmax`` have no gradient and are left out.
"""

from __future__ import annotations

import numpy as np
import pytest

import mxlite.chainer as chainer
import mxlite.chainer.functions as F

RNG = np.random.RandomState(7)


def _randn(*shape: int) -> np.ndarray:
    return RNG.randn(*shape).astype(np.float64)


def _away_from_zero(*shape: int) -> np.ndarray:
    """Values in +-[0.2, 1.2]: kinks (relu, abs) stay farther than eps."""
    x = RNG.uniform(0.2, 1.2, shape) * RNG.choice([-1.0, 1.0], shape)
    return x.astype(np.float64)


def check_grad(fn, *inputs, consts=(), eps: float = 1e-6, rtol: float = 1e-5,
               atol: float = 1e-7) -> None:
    """``fn(*variables, *consts)``'s gradients w.r.t. the float64 ``inputs``."""
    variables = [chainer.Variable(np.array(x)) for x in inputs]
    y = fn(*variables, *consts)
    w = RNG.uniform(0.5, 1.5, y.shape).astype(np.float64)
    loss = F.sum(y * w)
    loss.backward()

    def value(arrays):
        with chainer.no_backprop_mode():
            out = fn(*[chainer.Variable(a, requires_grad=False) for a in arrays], *consts)
        return float(np.sum(np.asarray(out.array) * w))

    for i, x in enumerate(inputs):
        numeric = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            arrays = [np.array(a) for a in inputs]
            arrays[i][idx] = x[idx] + eps
            up = value(arrays)
            arrays[i][idx] = x[idx] - eps
            numeric[idx] = (up - value(arrays)) / (2 * eps)
        got = variables[i].grad
        assert got is not None, f"input {i} got no gradient"
        np.testing.assert_allclose(np.asarray(got), numeric, rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i}")


# -- activations ---------------------------------------------------------------------
@pytest.mark.parametrize("fn", [F.relu, F.sigmoid, F.tanh, F.leaky_relu,
                                lambda x: F.leaky_relu(x, slope=0.1), F.softmax,
                                F.log_softmax, lambda x: F.softmax(x, axis=0),
                                lambda x: F.log_softmax(x, axis=-1)],
                         ids=["relu", "sigmoid", "tanh", "leaky_relu", "leaky_relu_0.1",
                              "softmax", "log_softmax", "softmax_axis0",
                              "log_softmax_axis-1"])
@pytest.mark.slow
def test_activation(fn):
    check_grad(fn, _away_from_zero(3, 4))


# -- connections ---------------------------------------------------------------------
def test_linear():
    check_grad(F.linear, _randn(3, 4), _randn(2, 4), _randn(2))
    check_grad(F.linear, _randn(2, 2, 3), _randn(2, 6))  # flattened features, no bias


def test_linear_n_batch_axes():
    check_grad(lambda x, W, b: F.linear(x, W, b, n_batch_axes=2), _randn(2, 2, 3),
               _randn(2, 3), _randn(2))


@pytest.mark.parametrize("kw", [{}, {"stride": 2, "pad": 1}, {"cover_all": True,
                                                                "stride": 3},
                                {"dilate": 2}, {"groups": 2}],
                         ids=["plain", "stride_pad", "cover_all", "dilate", "groups"])
@pytest.mark.slow
def test_convolution_2d(kw):
    groups = kw.get("groups", 1)
    check_grad(lambda x, W, b: F.convolution_2d(x, W, b, **kw), _randn(1, 2, 4, 4),
               _randn(2, 2 // groups, 2, 2), _randn(2))


def test_embed_id():
    x = np.array([[0, 2], [3, -1]], np.int32)
    check_grad(lambda W, x: F.embed_id(x, W, ignore_label=-1), _randn(4, 3), consts=(x,))


# -- pooling ---------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [{"ksize": 2}, {"ksize": 2, "cover_all": False},
                                {"ksize": 3, "stride": 2, "pad": 1}],
                         ids=["k2_cover_all", "k2_valid", "k3_s2_p1"])
def test_max_pooling_2d(kw):
    # distinct values at least 0.01 apart: no tie is within eps
    x = RNG.permutation(50).reshape(1, 2, 5, 5).astype(np.float64) / 100
    check_grad(lambda x: F.max_pooling_2d(x, **kw), x)


def test_average_pooling_2d():
    check_grad(lambda x: F.average_pooling_2d(x, 3, stride=2, pad=1), _randn(1, 2, 5, 5))


# -- noise and normalization ---------------------------------------------------------
def test_dropout_with_a_given_mask():
    mask = (RNG.uniform(size=(3, 4)) >= 0.5) * 2.0
    check_grad(lambda x: F.dropout(x, 0.5, mask=mask), _randn(3, 4))


def test_dropout_gradient_is_its_mask():
    x = chainer.Variable(_randn(4, 5))
    y, mask = F.dropout(x, 0.25, return_mask=True)
    F.sum(y).backward()
    np.testing.assert_allclose(np.asarray(x.grad), np.asarray(mask))


@pytest.mark.parametrize("shape,axis", [((4, 3), None), ((2, 3, 2, 2), None),
                                        ((2, 3, 2), (0, 2))],
                         ids=["nc", "nchw", "axis_0_2"])
@pytest.mark.slow
def test_batch_normalization(shape, axis):
    check_grad(lambda x, g, b: F.batch_normalization(x, g, b, axis=axis),
               _randn(*shape), _randn(3) + 1.5, _randn(3), rtol=1e-4, atol=1e-6)


def test_batch_normalization_two_channel_axes():
    check_grad(F.batch_normalization, _randn(3, 2, 2, 2), _randn(2, 2) + 1.5,
               _randn(2, 2), rtol=1e-4, atol=1e-6)


def test_fixed_batch_normalization():
    check_grad(F.fixed_batch_normalization, _randn(2, 3, 2), _randn(3), _randn(3),
               _randn(3), RNG.uniform(0.5, 1.5, 3))


# -- losses -------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [{}, {"normalize": False}, {"reduce": "no"}],
                         ids=["mean", "normalize_false", "reduce_no"])
@pytest.mark.slow
def test_softmax_cross_entropy(kw):
    t = np.array([1, -1, 2, 0], np.int32)
    check_grad(lambda x, t: F.softmax_cross_entropy(x, t, **kw), _randn(4, 3),
               consts=(t,))


def test_softmax_cross_entropy_spatial():
    t = np.array([[0, 2, 1], [-1, 1, 0]], np.int32)
    check_grad(F.softmax_cross_entropy, _randn(2, 3, 3), consts=(t,))


@pytest.mark.parametrize("normalize", [True, False])
def test_sigmoid_cross_entropy(normalize):
    t = np.array([[1, 0, -1], [0, 1, 1]], np.int32)
    check_grad(lambda x, t: F.sigmoid_cross_entropy(x, t, normalize=normalize),
               _randn(2, 3), consts=(t,))


def test_mean_squared_error():
    check_grad(F.mean_squared_error, _randn(2, 3), _randn(2, 3))


# -- arrays and reductions ---------------------------------------------------------
def test_reshape_flatten_concat():
    check_grad(lambda x: F.reshape(x, (3, 2)), _randn(2, 3))
    check_grad(F.flatten, _randn(2, 3))
    check_grad(lambda a, b: F.concat([a, b]), _randn(2, 1), _randn(2, 3))
    check_grad(lambda a, b: F.concat((a, b), axis=0), _randn(1, 3), _randn(2, 3))


@pytest.mark.parametrize("index", [1, (slice(None), 1), (Ellipsis, slice(0, 3, 2)),
                                   (np.array([0, 2, 2]),), (None, 1, slice(1, None))],
                         ids=["int", "column", "ellipsis_step", "advanced_repeat",
                              "newaxis"])
def test_get_item(index):
    check_grad(lambda x: F.get_item(x, index), _randn(3, 4))


@pytest.mark.parametrize("kw", [{}, {"axis": 1}, {"axis": (0, 2), "keepdims": True},
                                {"axis": -1}], ids=["all", "axis1", "axes_keep", "neg"])
def test_sum_and_mean(kw):
    check_grad(lambda x: F.sum(x, **kw), _randn(2, 3, 2))
    check_grad(lambda x: F.mean(x, **kw), _randn(2, 3, 2))


def test_weighted_mean():
    check_grad(lambda x, w: F.mean(x, axis=1, weights=w), _randn(2, 3),
               RNG.uniform(0.5, 1.5, 3))
    check_grad(lambda x, w: F.mean(x, weights=w), _randn(2, 3), RNG.uniform(0.5, 1.5,
                                                                            (2, 3)))


# -- Variable operators --------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b,
    lambda a, b: abs(a) ** b, lambda a, b: -a + 2.0 * b - 1.5, lambda a, b: 3.0 / b + a,
    lambda a, b: 2.0 - a - b, lambda a, b: a ** 2 + 2.0 ** b, lambda a, b: a @ b.T,
], ids=["add", "sub", "mul", "div", "pow", "neg_scalars", "rdiv", "rsub", "pow_scalar",
        "matmul"])
@pytest.mark.slow
def test_variable_arithmetic(fn):
    check_grad(fn, _away_from_zero(2, 3), _away_from_zero(2, 3))


def test_variable_arithmetic_broadcasts():
    check_grad(lambda a, b: a * b + b, _randn(2, 3), _randn(1, 3))
    check_grad(lambda a, b: a / b - a, _randn(2, 3), _away_from_zero(3))
