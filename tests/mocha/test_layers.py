"""mxlite.mocha layers, neurons and initializers against NumPy references.

Every computation layer is checked through a real ``Net`` fed by a
``MemoryDataLayer`` and run by ``forward(net)``. To keep compiles few, one
"zoo" net holds a branch per layer (one compile for all of them).
"""

from __future__ import annotations

import numpy as np
import pytest

from mxlite.context import cpu
from mxlite.mocha import (
    AccuracyLayer,
    ConcatLayer,
    ConstantInitializer,
    ConvolutionLayer,
    CPUBackend,
    DropoutLayer,
    GaussianInitializer,
    InnerProductLayer,
    MemoryDataLayer,
    Net,
    Neurons,
    Pooling,
    PoolingLayer,
    ReLULayer,
    ReshapeLayer,
    SoftmaxLayer,
    SoftmaxLossLayer,
    SplitLayer,
    XavierInitializer,
    forward,
    get_layer_state,
    srand,
)
from mxlite.mocha.functions import statistics

N, C, H, W = 2, 4, 5, 5
RTOL, ATOL = 1e-5, 1e-5


# -- NumPy references --------------------------------------------------------------
def conv_ref(x, w, b, stride, pad, groups):
    """Caffe/Mocha convolution (cross-correlation), NCHW, grouped."""
    n, _, h, wd = x.shape
    f, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    oh = (h + 2 * pad[0] - kh) // stride[0] + 1
    ow = (wd + 2 * pad[1] - kw) // stride[1] + 1
    out = np.zeros((n, f, oh, ow))
    fg = f // groups
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, i * stride[0]:i * stride[0] + kh, j * stride[1]:j * stride[1] + kw]
            for g in range(groups):
                out[:, g * fg:(g + 1) * fg, i, j] = np.einsum(
                    "nckl,fckl->nf", patch[:, g * cg:(g + 1) * cg], w[g * fg:(g + 1) * fg])
    return out + b[None, :, None, None]


def pool_size(length, k, s, p):
    """Caffe's (and Mocha's) pooled length: ceil, minus a window starting in the padding."""
    out = -(-(length + 2 * p - k) // s) + 1
    if p and (out - 1) * s >= length + p:
        out -= 1
    return out


def pool_ref(x, k, s, p, mode):
    """Caffe's pooling; the mean divides by the window clipped to the padded input."""
    n, c, h, w = x.shape
    oh, ow = pool_size(h, k[0], s[0], p[0]), pool_size(w, k[1], s[1], p[1])
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            hs, ws = i * s[0] - p[0], j * s[1] - p[1]
            he, we = min(hs + k[0], h + p[0]), min(ws + k[1], w + p[1])
            win = x[:, :, max(hs, 0):min(he, h), max(ws, 0):min(we, w)]
            out[:, :, i, j] = (win.max((2, 3)) if mode == "max"
                               else win.sum((2, 3)) / ((he - hs) * (we - ws)))
    return out


def softmax_ref(z, axis=1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


NEURONS = {
    "relu_eps": (Neurons.ReLU(epsilon=0.1), lambda z: np.maximum(z, 0.1)),
    "lrelu": (Neurons.LReLU(), lambda z: np.where(z > 0, z, 0.01 * z)),
    "sigmoid": (Neurons.Sigmoid(), lambda z: 1 / (1 + np.exp(-z))),
    "tanh": (Neurons.Tanh(), np.tanh),
    "exp": (Neurons.Exponential(), np.exp),
    "identity": (Neurons.Identity(), lambda z: z),
}


# -- the zoo: one net, one compile ----------------------------------------------------
def _zoo_layers():
    gauss = GaussianInitializer(std=0.5)
    return [
        ConvolutionLayer(name="conv_g", n_filter=4, kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                         n_group=2, neuron=Neurons.ReLU(), bias_init=gauss,
                         bottoms=["data"], tops=["conv_g"]),
        ConvolutionLayer(name="conv_r", n_filter=3, kernel=(2, 3), bias_init=gauss,
                         bottoms=["data"], tops=["conv_r"]),
        PoolingLayer(name="max", kernel=(2, 2), stride=(2, 2), bottoms=["data"], tops=["max"]),
        PoolingLayer(name="mean", kernel=(2, 2), stride=(2, 2), pooling=Pooling.Mean(),
                     bottoms=["data"], tops=["mean"]),
        PoolingLayer(name="max_pad", kernel=(2, 2), stride=(2, 2), pad=(1, 1),
                     bottoms=["data"], tops=["max_pad"]),
        PoolingLayer(name="mean_pad", kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                     pooling=Pooling.Mean(), bottoms=["data"], tops=["mean_pad"]),
        InnerProductLayer(name="ip", output_dim=3, bias_init=gauss, bottoms=["data"],
                          tops=["ip"]),
        *[InnerProductLayer(name=f"ip_{k}", param_key="ip", output_dim=3, neuron=neuron,
                            bias_init=gauss, bottoms=["data"], tops=[f"ip_{k}"])
          for k, (neuron, _) in NEURONS.items()],
        ReLULayer(name="relu", bottoms=["data"], tops=["relu"]),
        SplitLayer(name="split", bottoms=["data"], tops=["s1", "s2"]),
        DropoutLayer(name="drop", bottoms=["s1"], ratio=0.5),
        SoftmaxLayer(name="prob", bottoms=["ip"], tops=["prob"]),
        ConcatLayer(name="cat", bottoms=["max", "mean"], tops=["cat"]),
        ReshapeLayer(name="flat", shape=(C, H * W), bottoms=["data"], tops=["flat"]),
        SoftmaxLossLayer(name="loss", weight=0.5, bottoms=["ip", "label"]),
        AccuracyLayer(name="acc", bottoms=["ip", "label"]),
    ]


@pytest.fixture(scope="module")
def zoo():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, H, W)).astype(np.float32)
    label = np.array([0, 2], np.float32)
    srand(3)
    data = MemoryDataLayer(name="data", batch_size=N, data=[x, label])
    net = Net("zoo", CPUBackend(), [data, *_zoo_layers()])
    objective = forward(net)
    return net, x, label, objective


def _out(net, name, i=0):
    return np.asarray(get_layer_state(net, name).blobs[i].asnumpy(), np.float64)


def _params(net, name):
    return [np.asarray(p.data.asnumpy(), np.float64)
            for p in get_layer_state(net, name).parameters]


@pytest.mark.parametrize("name, stride, pad, groups, relu", [
    ("conv_g", (2, 2), (1, 1), 2, True),
    ("conv_r", (1, 1), (0, 0), 1, False),
])
def test_convolution_matches_numpy(zoo, name, stride, pad, groups, relu):
    net, x, _, _ = zoo
    w, b = _params(net, name)
    assert w.shape[1] == C // groups and b.shape == (w.shape[0],)
    assert np.abs(b).max() > 0  # the Gaussian bias initializer was used
    want = conv_ref(x.astype(np.float64), w, b, stride, pad, groups)
    if relu:
        want = np.maximum(want, 0)
    got = _out(net, name)
    assert got.shape == want.shape == {"conv_g": (N, 4, 3, 3), "conv_r": (N, 3, 4, 3)}[name]
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name, kernel, stride, pad, mode, shape", [
    ("max", (2, 2), (2, 2), (0, 0), "max", (3, 3)),        # ceil: 5 -> 3
    ("mean", (2, 2), (2, 2), (0, 0), "mean", (3, 3)),
    ("max_pad", (2, 2), (2, 2), (1, 1), "max", (3, 3)),    # 4 by ceil, last window in padding
    ("mean_pad", (3, 3), (2, 2), (1, 1), "mean", (3, 3)),  # divisor counts the padding
])
def test_pooling_matches_caffe(zoo, name, kernel, stride, pad, mode, shape):
    net, x, _, _ = zoo
    want = pool_ref(x.astype(np.float64), kernel, stride, pad, mode)
    assert want.shape[2:] == shape
    got = _out(net, name)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


def test_inner_product_flattens_a_4d_input(zoo):
    net, x, _, _ = zoo
    w, b = _params(net, "ip")
    assert w.shape == (3, C * H * W) and b.shape == (3,)
    np.testing.assert_allclose(_out(net, "ip"), x.reshape(N, -1) @ w.T + b,
                               rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("key", list(NEURONS))
def test_neurons_on_an_inner_product(zoo, key):
    net, x, _, _ = zoo
    w, b = _params(net, f"ip_{key}")
    assert get_layer_state(net, f"ip_{key}").parameters[0].data is \
        get_layer_state(net, f"ip_{next(iter(NEURONS))}").parameters[0].data  # param_key
    z = x.reshape(N, -1).astype(np.float64) @ w.T + b
    np.testing.assert_allclose(_out(net, f"ip_{key}"), NEURONS[key][1](z), rtol=1e-5, atol=1e-6)


def test_neuron_outputs_differ_where_they_should(zoo):
    # Guard against a neuron silently being the identity.
    net, *_ = zoo
    ident = _out(net, "ip_identity")
    for key in ("relu_eps", "lrelu", "sigmoid", "tanh", "exp"):
        assert not np.allclose(_out(net, f"ip_{key}"), ident), key


def test_relu_layer_split_dropout_in_place_and_reshape(zoo):
    net, x, _, _ = zoo
    np.testing.assert_array_equal(_out(net, "relu"), np.maximum(x, 0))
    np.testing.assert_array_equal(_out(net, "split", 0), x)
    np.testing.assert_array_equal(_out(net, "split", 1), x)
    # forward(net) is not training: dropout in place is the identity
    assert get_layer_state(net, "drop").layer.tops == ("s1",)
    np.testing.assert_array_equal(_out(net, "drop"), x)
    np.testing.assert_array_equal(_out(net, "flat"), x.reshape(N, C, H * W))


def test_softmax_and_concat(zoo):
    net, *_ = zoo
    prob = _out(net, "prob")
    np.testing.assert_allclose(prob, softmax_ref(_out(net, "ip")), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(prob.sum(1), 1.0, rtol=1e-6)
    cat = _out(net, "cat")
    assert cat.shape == (N, 2 * C, 3, 3)
    np.testing.assert_array_equal(cat[:, :C], _out(net, "max"))
    np.testing.assert_array_equal(cat[:, C:], _out(net, "mean"))


def test_softmax_loss_and_accuracy(zoo):
    net, _, label, objective = zoo
    p = softmax_ref(_out(net, "ip"))
    want = 0.5 * -np.mean(np.log(p[np.arange(N), label.astype(int)]))
    assert objective == pytest.approx(want, rel=1e-5)
    loss = get_layer_state(net, "loss").blobs[0].asnumpy()
    assert loss.size == 1 and loss.ravel()[0] == pytest.approx(want, rel=1e-5)
    hits = np.mean(p.argmax(1) == label)
    assert statistics(net)["acc-accuracy"] == pytest.approx(hits)


# -- initializers -----------------------------------------------------------------------
def _init_net(backend, **conv):
    data = MemoryDataLayer(name="data", tops=["data"], batch_size=2,
                           data=[np.zeros((2, 3, 6, 6), np.float32)])
    layers = [data,
              ConvolutionLayer(name="conv", n_filter=16, kernel=(3, 3), bottoms=["data"],
                               tops=["conv"], **conv),
              InnerProductLayer(name="ip", output_dim=200, bottoms=["conv"], tops=["ip"],
                                weight_init=GaussianInitializer(mean=1.5, std=2.0),
                                bias_init=ConstantInitializer(0.25))]
    return Net("init", backend, layers)


def test_xavier_bound_uses_every_dim_but_the_first():
    srand(0)
    net = _init_net(CPUBackend())
    w, b = _params(net, "conv")
    assert w.shape == (16, 3, 3, 3)
    bound = np.sqrt(3 / (3 * 3 * 3))
    assert np.abs(w).max() <= bound
    assert np.abs(w).max() > 0.9 * bound  # fills the range: not a narrower rule
    assert abs(w.mean()) < 0.1 * bound
    np.testing.assert_array_equal(b, 0.0)  # biases default to ConstantInitializer(0)


def test_gaussian_and_constant_initializers():
    srand(0)
    w, b = _params(_init_net(CPUBackend()), "ip")
    assert w.shape == (200, 16 * 4 * 4)
    assert w.mean() == pytest.approx(1.5, abs=0.05)
    assert w.std() == pytest.approx(2.0, rel=0.03)
    np.testing.assert_array_equal(b, 0.25)


def test_srand_makes_initial_parameters_reproducible():
    srand(11)
    first = _params(_init_net(CPUBackend()), "conv")[0]
    srand(11)
    again = _params(_init_net(CPUBackend()), "conv")[0]
    srand(12)
    other = _params(_init_net(CPUBackend()), "conv")[0]
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


def test_initializer_make_directly():
    arr = XavierInitializer().make((5, 12), cpu()).asnumpy()
    assert arr.dtype == np.float32 and np.abs(arr).max() <= np.sqrt(3 / 12)
