"""mxlite.mocha.functions: forward, backward, forward_epoch, statistics,
get_layer/get_layer_state and destroy, through small nets."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from mxlite.base import ParamError
from mxlite.mocha import (
    AccuracyLayer,
    ConvolutionLayer,
    CPUBackend,
    GaussianInitializer,
    InnerProductLayer,
    MemoryDataLayer,
    Net,
    Neurons,
    PoolingLayer,
    SoftmaxLossLayer,
    SplitLayer,
    backward,
    destroy,
    forward,
    forward_epoch,
    get_layer,
    get_layer_state,
    reset_statistics,
    srand,
)
from mxlite.mocha.functions import sample_counts, statistics


# -- backward against jax.grad and finite differences ----------------------------------
def _grad_net():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 2, 5, 5)).astype(np.float32)
    label = np.array([0, 2, 1], np.float32)
    srand(5)
    layers = [
        MemoryDataLayer(name="data", batch_size=3, data=[x, label]),
        ConvolutionLayer(name="conv", n_filter=3, kernel=(3, 3), pad=(1, 1),
                         neuron=Neurons.Tanh(), bias_init=GaussianInitializer(std=0.3),
                         bottoms=["data"], tops=["conv"]),
        PoolingLayer(name="pool", kernel=(2, 2), stride=(2, 2), pad=(1, 1),
                     bottoms=["conv"], tops=["pool"]),
        InnerProductLayer(name="ip", output_dim=3, bias_init=GaussianInitializer(std=0.3),
                          bottoms=["pool"], tops=["ip"]),
        SoftmaxLossLayer(name="loss", weight=2.0, bottoms=["ip", "label"]),
    ]
    return Net("grad", CPUBackend(), layers), x, label


def _hand_loss(params, x, label):
    """The same net written directly in JAX (Caffe pooling: 5 + pad 1 -> 3, not 4)."""
    cw, cb, iw, ib = params
    y = lax.conv_general_dilated(x, cw, (1, 1), ((1, 1), (1, 1)),
                                 dimension_numbers=("NCHW", "OIHW", "NCHW"))
    y = jnp.tanh(y + cb[None, :, None, None])
    y = lax.reduce_window(y, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2),
                          ((0, 0), (0, 0), (1, 0), (1, 0)))
    assert y.shape == (3, 3, 3, 3)
    z = y.reshape(3, -1) @ iw.T + ib[None, :]
    logp = jax.nn.log_softmax(z, axis=1)
    return 2.0 * -jnp.mean(logp[jnp.arange(3), label.astype(np.int32)])


@pytest.mark.slow
def test_backward_matches_jax_grad_and_finite_differences():
    net, x, label = _grad_net()
    blobs = [*get_layer_state(net, "conv").parameters, *get_layer_state(net, "ip").parameters]
    assert [b.role for b in blobs] == ["filter", "bias", "weight", "bias"]
    values = [jnp.asarray(b.data.asnumpy()) for b in blobs]
    obj = forward(net)
    want_obj, want_grads = jax.value_and_grad(_hand_loss)(values, jnp.asarray(x), label)
    assert obj == pytest.approx(float(want_obj), rel=1e-5)
    backward(net)
    for blob, want in zip(blobs, want_grads):
        assert blob.gradient.shape == blob.data.shape
        np.testing.assert_allclose(blob.gradient.asnumpy(), np.asarray(want),
                                   rtol=1e-4, atol=1e-5, err_msg=blob.name)
    # Central differences of forward(net) itself (float32, so a loose match).
    eps = 1e-2
    for blob, index in ((blobs[0], (1, 0, 2, 1)), (blobs[2], (2, 5)), (blobs[3], (0,))):
        base = blob.data.asnumpy()
        diffs = []
        for sign in (1, -1):
            moved = base.copy()
            moved[index] += sign * eps
            blob.data[:] = moved
            diffs.append(forward(net))
        blob.data[:] = base
        numeric = (diffs[0] - diffs[1]) / (2 * eps)
        assert numeric == pytest.approx(float(blob.gradient.asnumpy()[index]),
                                        rel=0.05, abs=2e-3), blob.name


def test_backward_needs_a_forward_and_refuses_regu_coef():
    net, _, _ = _grad_net()
    with pytest.raises(ParamError, match=r"call forward\(net\) on Net 'grad' first"):
        backward(net)
    with pytest.raises(ParamError, match="regu_coef != 0"):
        backward(net, regu_coef=0.1)


# -- loss, accuracy, statistics --------------------------------------------------------
def _scores_net(n=8, batch=4, classes=3, seed=0, labels=None):
    rng = np.random.default_rng(seed)
    scores = rng.standard_normal((n, classes)).astype(np.float32)
    label = (rng.integers(0, classes, n) if labels is None else labels).astype(np.float32)
    layers = [MemoryDataLayer(name="data", tops=["pred", "label"], batch_size=batch,
                              data=[scores, label]),
              SoftmaxLossLayer(name="loss", weight=1.5, bottoms=["pred", "label"]),
              AccuracyLayer(name="test-accuracy", report_error=True,
                            bottoms=["pred", "label"])]
    return Net("scores", CPUBackend(), layers), scores, label


def _nll(scores, label, weight):
    z = scores - scores.max(1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    return weight * -np.mean(logp[np.arange(len(label)), label.astype(int)])


def test_softmax_loss_value_and_accuracy_accumulates_until_reset():
    net, scores, label = _scores_net()
    hits = scores.argmax(1) == label
    assert 0 < hits.sum() < len(hits)  # a discriminating example
    first = forward(net)
    assert first == pytest.approx(_nll(scores[:4], label[:4], 1.5), rel=1e-6)
    assert statistics(net)["test-accuracy-accuracy"] == pytest.approx(hits[:4].mean())
    second = forward(net)
    assert second == pytest.approx(_nll(scores[4:], label[4:], 1.5), rel=1e-6)
    stats = statistics(net)
    assert stats["test-accuracy-accuracy"] == pytest.approx(hits.mean())
    assert stats["test-accuracy-error"] == pytest.approx(1 - hits.mean())
    assert sample_counts(net) == {"test-accuracy": 8}
    reset_statistics(net)
    assert sample_counts(net) == {"test-accuracy": 0}
    assert statistics(net)["test-accuracy-accuracy"] == 0.0
    forward(net)  # the data wrapped: the first batch again
    assert statistics(net)["test-accuracy-accuracy"] == pytest.approx(hits[:4].mean())


def test_forward_epoch_counts_batches_and_epochs():
    net, scores, label = _scores_net(n=250, batch=100)
    stream = get_layer_state(net, "data").runtime
    assert forward_epoch(net) == 3
    assert stream.epoch == 1 and stream.position == 50  # no padding: 50 carried over
    assert sample_counts(net) == {"test-accuracy": 300}
    want = (np.sum(scores.argmax(1) == label) + np.sum(scores[:50].argmax(1) == label[:50]))
    assert statistics(net)["test-accuracy-accuracy"] == pytest.approx(want / 300)
    assert forward_epoch(net) == 2  # 200 left in epoch 1
    assert stream.epoch == 2 and stream.position == 0


def test_forward_epoch_without_a_statistics_layer_runs_forward():
    x = np.arange(10, dtype=np.float32).reshape(5, 2)
    layers = [MemoryDataLayer(name="data", tops=["data"], batch_size=2, data=[x]),
              SplitLayer(name="split", bottoms=["data"], tops=["a", "b"])]
    net = Net("plain", CPUBackend(), layers)
    assert forward_epoch(net) == 3
    assert get_layer_state(net, "data").runtime.epoch == 1
    np.testing.assert_array_equal(get_layer_state(net, "split").blobs[0].asnumpy(),
                                  x[[4, 0]])


@pytest.mark.parametrize("bad", [1.5, 3.0, -1.0])
def test_labels_must_be_integers_in_range(bad):
    labels = np.array([0, 1, bad, 2, 0, 1, 2, 0], np.float32)
    net, _, _ = _scores_net(labels=labels)
    with pytest.raises(ParamError) as err:
        forward(net)
    msg = str(err.value)
    assert "SoftmaxLossLayer 'loss'" in msg and "blob 'label'" in msg
    assert "[0, 3)" in msg and f"{bad:g}" in msg


def test_labels_through_a_split_layer_are_checked_too():
    scores = np.zeros((4, 3), np.float32)
    labels = np.array([0, 1, 5, 2], np.float32)
    layers = [MemoryDataLayer(name="data", tops=["pred", "label"], batch_size=4,
                              data=[scores, labels]),
              SplitLayer(name="split", bottoms=["label"], tops=["l1", "l2"]),
              SoftmaxLossLayer(name="loss", bottoms=["pred", "l1"]),
              AccuracyLayer(name="acc", bottoms=["pred", "l2"])]
    net = Net("split-labels", CPUBackend(), layers)
    with pytest.raises(ParamError, match=r"SoftmaxLossLayer 'loss': blob 'label'.*\[0, 3\)"):
        forward(net)


# -- MemoryDataLayer ---------------------------------------------------------------------
def _memory_net(x):
    layers = [MemoryDataLayer(name="data", tops=["data"], batch_size=2, data=[x]),
              InnerProductLayer(name="ip", output_dim=2, bottoms=["data"], tops=["ip"])]
    return Net("memory", CPUBackend(), layers)


def test_memory_data_batches_wrap_across_epochs_without_padding():
    x = np.arange(5, dtype=np.float32)[:, None] * np.ones((1, 3), np.float32)
    net = _memory_net(x)
    stream = get_layer_state(net, "data").runtime
    seen, epochs = [], []
    for _ in range(4):
        forward(net)
        seen.append(get_layer_state(net, "data").blobs[0][:, 0].tolist())
        epochs.append(stream.epoch)
    assert seen == [[0, 1], [2, 3], [4, 0], [1, 2]]
    assert epochs == [0, 0, 1, 1]


def test_writing_into_memory_data_changes_the_next_forward():
    x = np.zeros((2, 3), np.float32)
    net = _memory_net(x)
    forward(net)
    w, b = (p.data.asnumpy() for p in get_layer_state(net, "ip").parameters)
    np.testing.assert_allclose(get_layer_state(net, "ip").blobs[0].asnumpy(), [b, b])
    img = np.array([[1, 2, 3], [-1, 0, 4]], np.float32)
    get_layer(net, "data").data[0][...] = img  # the seed's prediction flow
    forward(net)
    np.testing.assert_allclose(get_layer_state(net, "ip").blobs[0].asnumpy(), img @ w.T + b,
                               rtol=1e-6)
    np.testing.assert_array_equal(net.output_blobs["ip"].asnumpy(),
                                  get_layer_state(net, "ip").blobs[0].asnumpy())


# -- lookups and destroy -----------------------------------------------------------------
def test_unknown_layer_names_suggest_the_closest():
    net = _memory_net(np.zeros((2, 3), np.float32))
    with pytest.raises(ParamError, match=r"Net 'memory' has no layer 'ipp'\. Did you mean 'ip'\?"):
        get_layer(net, "ipp")
    with pytest.raises(ParamError, match=r"no layer 'dta'\. Did you mean 'data'\?"):
        get_layer_state(net, "dta")
    assert get_layer(net, "ip").output_dim == 2


def test_destroyed_net_refuses_to_run():
    net = _memory_net(np.zeros((2, 3), np.float32))
    forward(net)
    destroy(net)
    with pytest.raises(ParamError, match="forward: Net 'memory' was destroyed"):
        forward(net)
    with pytest.raises(ParamError, match="get_layer: Net 'memory' was destroyed"):
        get_layer(net, "ip")
    with pytest.raises(ParamError, match="expected a Net"):
        forward("memory")


def test_a_net_of_data_layers_only_still_reads_batches():
    x = np.arange(6, dtype=np.float32).reshape(3, 2)
    net = Net("only-data", CPUBackend(),
              [MemoryDataLayer(name="data", tops=["data"], batch_size=2, data=[x])])
    assert forward(net) == 0.0
    np.testing.assert_array_equal(get_layer_state(net, "data").blobs[0], x[:2])
    forward(net)
    np.testing.assert_array_equal(get_layer_state(net, "data").blobs[0], x[[2, 0]])
