"""Module.fit against MXNet 1.9.1's own runs (``tests/fixtures/mxnet/fit_*``).

``make_fixtures.py`` trained the seed-001 MLP from ``mlp-0001.params`` on the
first 500 MNIST images (no shuffling, batch 100, two epochs) in MXNet, once
with SGD (momentum, weight decay, a FactorScheduler) and once with Adam. The
same calls here, through mxlite's compiled loop, must land on MXNet's weights
and report its training accuracy. SGD agrees to about 1e-8; Adam to about 3e-6
(its update divides by sqrt(v), which magnifies rounding), while Adam without
its weight decay, or with another epsilon, lands 0.08-0.13 away.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import mxlite as mx
from mxlite.datasets import bundled_dir, read_images, read_labels

FIXTURES = Path(__file__).parents[1] / "fixtures" / "mxnet"
RUNS = {
    "fit_sgd": ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 1e-5,
                        "lr_scheduler": mx.lr_scheduler.FactorScheduler(step=3, factor=0.5)}),
    "fit_adam": ("adam", {"learning_rate": 0.01, "wd": 1e-4}),
}


def _mnist_head(n: int) -> tuple[np.ndarray, np.ndarray]:
    images = read_images(bundled_dir() / "train-images-idx3-ubyte.gz")[:n]
    labels = read_labels(bundled_dir() / "train-labels-idx1-ubyte.gz")[:n]
    x = (images.reshape(n, 1, 28, 28) / np.float32(255)).astype(np.float32)
    return x, labels.astype(np.float32)


def _fit_as_mxnet_did(symbol, optimizer: str, params: dict, arg_params: dict,
                      aux_params: dict | None = None) -> tuple[dict, list]:
    """make_fixtures' run: 500 images, batch 100, 2 epochs; returns the trained
    weights and auxiliary states (NumPy) and the training accuracy after each
    epoch's last batch."""
    x, y = _mnist_head(500)
    seen = []

    def last_batch(param) -> None:
        if param.nbatch == 4:
            seen.append(param.eval_metric.get()[1])

    mod = mx.mod.Module(symbol=symbol, context=mx.cpu())
    mod.fit(mx.io.NDArrayIter(x, y, 100), num_epoch=2, optimizer=optimizer,
            optimizer_params=params, arg_params=arg_params, aux_params=aux_params,
            eval_metric="acc", batch_end_callback=last_batch)
    args, auxs = mod.get_params()
    return {k: v.asnumpy() for k, v in {**args, **auxs}.items()}, seen


@pytest.mark.slow
@pytest.mark.parametrize("run", sorted(RUNS))
def test_fit_lands_on_mxnets_weights(run):
    optimizer, params = RUNS[run]
    expected = json.loads((FIXTURES / "fit_runs.json").read_text())["results"][run]
    symbol, arg_params, aux_params = mx.model.load_checkpoint(str(FIXTURES / "mlp"), 1)
    trained, seen = _fit_as_mxnet_did(symbol, optimizer, params, arg_params, aux_params)
    theirs = {k: v.asnumpy() for k, v in mx.nd.load(str(FIXTURES / f"{run}.params")).items()}
    assert sorted(trained) == sorted(theirs)
    for name, want in theirs.items():
        moved = np.abs(want - arg_params[name].asnumpy()).max()
        assert moved > 1e-3, name  # the comparison below is about training, not init
        np.testing.assert_allclose(trained[name], want, rtol=1e-4, atol=1e-5, err_msg=name)
    assert seen == pytest.approx(expected["train_accuracy"], abs=1e-9)


def _summary(a: np.ndarray) -> dict:
    """As ``make_fixtures.summary``: sum, sum of |x|, L2 norm, every 997th value."""
    a = a.astype(np.float64).ravel()
    return {"sum": a.sum(), "abs_sum": np.abs(a).sum(), "l2": np.sqrt((a * a).sum()),
            "every_997th": a[::997]}


def _assert_summaries_match(trained: dict, theirs: dict) -> None:
    """Every array of ``trained`` against MXNet's recorded summary of it."""
    assert sorted(trained) == sorted(theirs)
    for name, a in trained.items():
        ours = _summary(a)
        for key in ("sum", "abs_sum", "l2"):
            assert ours[key] == pytest.approx(theirs[name][key], rel=1e-5, abs=1e-6), (
                name, key)
        np.testing.assert_allclose(ours["every_997th"], theirs[name]["every_997th"],
                                   rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.slow
def test_lenet_fit_follows_mxnets_run():
    # The seed-002 LeNet (convolution as im2col + GEMM, tile max pooling with
    # its own gradient): same start, same batches, SGD lr 0.1. MXNet's runs are
    # recorded as summaries per weight, with its plain and its MKL-DNN
    # convolution. In the first step one pooling window (image 35, filter 17)
    # holds two values 6e-8 apart, below float32's resolution, so the order in
    # which a library sums the convolution decides which pixel gets that
    # gradient: the two MXNet runs differ there (0.2% in the first layer's
    # weights), and so do jax releases (0.8.2 and later route it as float64
    # does and as MXNet's plain build; 0.6-0.8.1 as MKL-DNN). mxlite must land on one.
    runs = json.loads((FIXTURES / "fit_runs.json").read_text())["results"]
    expected = runs["fit_lenet"]
    net = mx.sym.load(str(FIXTURES / "lenet-symbol.json"))
    arg_shapes, _, _ = net.infer_shape(data=(100, 1, 28, 28))
    rng = np.random.RandomState(0)  # make_fixtures.lenet_start, in argument order
    start = {name: (rng.uniform(-0.1, 0.1, shape) if name.endswith("weight")
                    else np.zeros(shape)).astype(np.float32)
             for name, shape in zip(net.list_arguments(), arg_shapes)
             if name not in ("data", "softmax_label")}
    for name, a in start.items():  # the same start as MXNet's
        assert _summary(a)["l2"] == pytest.approx(expected["start"][name]["l2"], rel=1e-12)
    trained, seen = _fit_as_mxnet_did(net, "sgd", {"learning_rate": 0.1},
                                      {k: mx.nd.array(v) for k, v in start.items()})
    assert seen == pytest.approx(expected["train_accuracy"], abs=1e-9)
    for name in trained:
        moved = abs(expected["trained"][name]["l2"] - expected["start"][name]["l2"])
        assert moved > 1e-3, name
    misses = {}
    for run in ("fit_lenet", "fit_lenet_mkldnn"):
        try:
            _assert_summaries_match(trained, runs[run]["trained"])
            return
        except AssertionError as miss:
            misses[run] = miss
    pytest.fail(f"mxlite's LeNet matches neither of MXNet's runs: {misses}")


def test_mxnets_two_lenet_runs_differ_where_a_pooling_tie_routes():
    # The alternative above is not a tolerance: the two recorded runs are
    # further apart than the comparison allows, in the first layer's weights.
    runs = json.loads((FIXTURES / "fit_runs.json").read_text())["results"]
    plain, mkldnn = (runs[r]["trained"]["convolution0_weight"]["sum"]
                     for r in ("fit_lenet", "fit_lenet_mkldnn"))
    assert abs(plain - mkldnn) > 100 * 1e-5 * abs(plain)


@pytest.mark.slow
def test_batchnorm_fit_follows_mxnets_run():
    # MXNet's BatchNorm defaults in training: fix_gamma=True (gamma stays 1, no
    # gradient), batch statistics in the forward pass, moving statistics with
    # momentum 0.9; fc1's bias, cancelled by the normalization, does not move.
    expected = json.loads((FIXTURES / "fit_runs.json").read_text())["results"]["fit_bn"]
    net = mx.sym.load(str(FIXTURES / "bn_mlp-symbol.json"))  # written by MXNet
    arg_shapes, _, aux_shapes = net.infer_shape(data=(100, 1, 28, 28))
    rng = np.random.RandomState(1)  # make_fixtures.fit_bn's start
    start = {}
    for name, shape in zip(net.list_arguments(), arg_shapes):
        if name.endswith("weight"):
            start[name] = mx.nd.array(rng.uniform(-0.1, 0.1, shape).astype(np.float32))
        elif name.endswith("gamma"):
            start[name] = mx.nd.ones(shape)
        elif name not in ("data", "softmax_label"):
            start[name] = mx.nd.zeros(shape)
    aux = {n: mx.nd.ones(s) if n.endswith("var") else mx.nd.zeros(s)
           for n, s in zip(net.list_auxiliary_states(), aux_shapes)}
    trained, seen = _fit_as_mxnet_did(net, "sgd", {"learning_rate": 0.1, "momentum": 0.9},
                                      start, aux)
    assert seen == pytest.approx(expected["train_accuracy"], abs=1e-9)
    np.testing.assert_array_equal(trained["bn1_gamma"], 1.0)
    # MXNet's fused BatchNorm gradient gives fc1's bias exactly 0; autodiff
    # leaves float rounding (about 1e-9).
    assert np.abs(trained["fc1_bias"]).max() < 1e-7
    _assert_summaries_match(trained, expected["trained"])


def test_a_padded_last_batch_trains_as_in_mxnet():
    # 550 images in batches of 100: NDArrayIter's default 'pad' fills the last
    # batch with the first 50 rows, and MXNet trains on all 100 of them (only
    # metrics leave padding out, see docs/differences.md).
    expected = json.loads((FIXTURES / "fit_runs.json").read_text())["results"]["fit_pad"]
    symbol, arg_params, aux_params = mx.model.load_checkpoint(str(FIXTURES / "mlp"), 1)
    x, y = _mnist_head(550)
    mod = mx.mod.Module(symbol=symbol, context=mx.cpu())
    mod.fit(mx.io.NDArrayIter(x, y, 100), num_epoch=1, optimizer="sgd",
            optimizer_params={"learning_rate": 0.1}, arg_params=arg_params,
            aux_params=aux_params)
    _assert_summaries_match({k: v.asnumpy() for k, v in mod.get_params()[0].items()},
                            expected["trained"])
