"""mx.mod.Module: MXNet's intermediate API, fit (fast and per-batch paths),
predict/score/iter_predict, and context lists."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError, ParamError, ShapeError

from .helpers import (
    CLASSES,
    FEATURES,
    as_nd,
    as_np,
    dataset,
    max_diff,
    tiny,
    tiny_bn,
    tiny_logits,
    tiny_loss,
    tiny_params,
)

FLOAT = r"[0-9]+\.[0-9]+"


def bound(batch: int = 8, for_training: bool = True, **kwargs) -> mx.mod.Module:
    mod = mx.mod.Module(tiny(), **kwargs)
    mod.bind([("data", (batch, FEATURES))], [("softmax_label", (batch,))],
             for_training=for_training)
    return mod


def batch_of(x: np.ndarray, y: np.ndarray | None = None, pad: int = 0) -> mx.io.DataBatch:
    label = None if y is None else [mx.nd.array(y)]
    return mx.io.DataBatch([mx.nd.array(x)], label, pad=pad)


def messages(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records]


# -- construction and bind --------------------------------------------------------------


def test_misspelt_label_name_raises_with_did_you_mean():
    with pytest.raises(ParamError, match=re.escape(
            "'label' is not an argument of the symbol. Did you mean 'softmax_label'?")):
        mx.mod.Module(tiny(), label_names=["label"])


@pytest.mark.parametrize("kwargs, hint", [
    ({"data_names": ["dat"]}, "'data'"),
    ({"fixed_param_names": ["fc1_wieght"]}, "'fc1_weight'"),
])
def test_misspelt_data_or_fixed_name_raises(kwargs, hint):
    with pytest.raises(ParamError, match=f"Did you mean {hint}"):
        mx.mod.Module(tiny(), **kwargs)


def test_default_label_of_a_symbol_without_labels_is_ignored(caplog):
    with mx.name.NameManager():
        net = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=3, name="fc")
    mod = mx.mod.Module(net)  # default label_names=('softmax_label',)
    assert mod.label_names == []
    assert any("softmax_label" in m for m in messages(caplog))
    mod.bind([("data", (2, 4))], for_training=False)
    mod.init_params()
    assert mod.predict(np.ones((2, 4), np.float32)).shape == (2, 3)


def test_bind_accepts_datadesc_and_tuples_alike():
    a = mx.mod.Module(tiny())
    a.bind([mx.io.DataDesc("data", (8, FEATURES))], [mx.io.DataDesc("softmax_label", (8,))])
    b = bound(8)
    for mod in (a, b):
        assert mod.binded and mod.for_training
        assert mod.data_shapes == [("data", (8, FEATURES))]
        assert mod.data_shapes[0].name == "data"
        assert mod.label_shapes == [("softmax_label", (8,))]
        assert mod.output_shapes == [("softmax_output", (8, CLASSES))]


def test_bind_with_unknown_data_name_raises():
    mod = mx.mod.Module(tiny())
    with pytest.raises(ParamError, match="data_names"):
        mod.bind([("x", (8, FEATURES))], [("softmax_label", (8,))])


def test_calls_out_of_order_raise():
    mod = mx.mod.Module(tiny())
    with pytest.raises(ParamError, match="bind"):
        mod.init_params()
    mod.bind([("data", (8, FEATURES))], [("softmax_label", (8,))])
    with pytest.raises(ParamError, match="init_params"):
        mod.get_params()
    mod.init_params()
    with pytest.raises(ParamError, match="init_optimizer"):
        mod.update()


# -- parameters ---------------------------------------------------------------------------


def test_init_params_default_is_uniform_001():
    mx.random.seed(0)
    mod = bound(8)
    mod.init_params()
    arg, aux = mod.get_params()
    assert aux == {}
    assert sorted(arg) == ["fc1_bias", "fc1_weight", "fc2_bias", "fc2_weight"]
    w = arg["fc1_weight"].asnumpy()
    assert np.abs(w).max() <= 0.01 and np.abs(w).max() > 0.009
    assert abs(w.std() - 0.01 / np.sqrt(3)) < 0.001  # U(-0.01, 0.01)
    np.testing.assert_array_equal(arg["fc1_bias"].asnumpy(), 0)


def test_init_params_from_given_values_and_allow_missing():
    p = tiny_params()
    mod = bound(8)
    mod.init_params(arg_params=as_nd(p))
    assert max_diff(as_np(mod.get_params()[0]), p) == 0
    partial = {k: v for k, v in p.items() if k != "fc2_bias"}
    mod.init_params(initializer=mx.init.Constant(7.0), arg_params=as_nd(partial),
                    allow_missing=True, force_init=True)
    got = as_np(mod.get_params()[0])
    np.testing.assert_array_equal(got["fc1_weight"], p["fc1_weight"])
    np.testing.assert_array_equal(got["fc2_bias"], 0)  # a bias: the initializer zeroes it


@pytest.mark.parametrize("change, error, match", [
    (lambda p: p.pop("fc2_bias"), ParamError, "'fc2_bias' is missing.*allow_missing"),
    (lambda p: p.update(extra=p["fc1_bias"]), ParamError, "'extra' is not a parameter"),
    (lambda p: p.update(fc1_bias=np.zeros(3, np.float32)), ShapeError,
     r"'fc1_bias' was given shape \(3,\) but the symbol needs \(16,\)"),
])
def test_init_params_bad_values_raise_and_change_nothing(change, error, match):
    mod = bound(8)
    mod.init_params(arg_params=as_nd(tiny_params(0)))
    bad = tiny_params(1)
    change(bad)
    with pytest.raises(error, match=match):
        mod.init_params(arg_params=as_nd(bad), force_init=True)
    assert max_diff(as_np(mod.get_params()[0]), tiny_params(0)) == 0


def test_init_params_allow_extra():
    p = tiny_params()
    mod = bound(8)
    mod.init_params(arg_params=as_nd({**p, "extra": p["fc1_bias"]}), allow_extra=True)
    assert "extra" not in mod.get_params()[0]


def test_init_params_twice_warns_and_keeps_values(caplog):
    mod = bound(8)
    mod.init_params(arg_params=as_nd(tiny_params(0)))
    mod.init_params(arg_params=as_nd(tiny_params(1)))
    assert any("already initialized" in m for m in messages(caplog))
    assert max_diff(as_np(mod.get_params()[0]), tiny_params(0)) == 0


def test_get_params_returns_copies_and_set_params_assigns():
    mod = bound(8)
    mod.init_params(arg_params=as_nd(tiny_params(0)))
    arg, _ = mod.get_params()
    arg["fc1_weight"][:] = 5.0
    assert max_diff(as_np(mod.get_params()[0]), tiny_params(0)) == 0
    mod.set_params(as_nd(tiny_params(1)), {})
    assert max_diff(as_np(mod.get_params()[0]), tiny_params(1)) == 0
    assert float(arg["fc1_weight"].asnumpy().min()) == 5.0
    with pytest.raises(ParamError, match="missing"):
        mod.set_params({"fc1_weight": mx.nd.zeros((16, FEATURES))}, {})
    mod.set_params({"fc1_weight": mx.nd.zeros((16, FEATURES))}, {}, allow_missing=True)
    got = as_np(mod.get_params()[0])
    np.testing.assert_array_equal(got["fc1_weight"], 0)
    np.testing.assert_array_equal(got["fc2_weight"], tiny_params(1)["fc2_weight"])


def test_given_arrays_are_never_donated_by_training():
    """The caller's NDArrays stay readable and unchanged after fit updates in place."""
    given = as_nd(tiny_params())
    x, y = dataset(64)
    mod = mx.mod.Module(tiny())
    mod.fit(mx.io.NDArrayIter(x, y, 16), num_epoch=1, arg_params=given,
            optimizer_params={"learning_rate": 0.5})
    assert max_diff(as_np(given), tiny_params()) == 0
    assert max_diff(as_np(mod.get_params()[0]), tiny_params()) > 1e-3


# -- optimizer ----------------------------------------------------------------------------


def test_init_optimizer_string_gets_rescale_grad_one_over_batch():
    mod = bound(8)
    mod.init_params()
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.1})
    assert mod._optimizer.rescale_grad == pytest.approx(1 / 8)
    mod2 = bound(8)
    mod2.init_params()
    mod2.init_optimizer(optimizer="sgd", optimizer_params={"rescale_grad": 0.5})
    assert mod2._optimizer.rescale_grad == 0.5


def test_init_optimizer_instance_with_other_rescale_only_warns(caplog):
    mod = bound(8)
    mod.init_params()
    with caplog.at_level(logging.WARNING):
        mod.init_optimizer(optimizer=mx.optimizer.SGD(learning_rate=0.1))
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("rescale_grad" in r.getMessage() for r in warned)
    assert mod._optimizer.rescale_grad == 1.0
    caplog.clear()
    mod2 = bound(8)
    mod2.init_params()
    mod2.init_optimizer(optimizer=mx.optimizer.SGD(rescale_grad=1 / 8))
    assert not [r for r in caplog.records if "rescale_grad" in r.getMessage()]


@pytest.mark.slow
def test_forward_backward_update_is_one_sgd_step():
    """forward/backward/update/update_metric == plain-JAX gradient and MXNet's SGD rule."""
    p = tiny_params()
    x, y = dataset(8, seed=3)
    mod = bound(8)
    mod.init_params(arg_params=as_nd(p))
    lr, wd = 0.5, 0.1
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": lr, "wd": wd})
    mod.forward(batch_of(x, y), is_train=True)
    probs = mod.get_outputs()[0].asnumpy()
    mod.backward()
    grads = {k: mod._exec.grad_dict[k].asnumpy() for k in p}
    mod.update()
    metric = mx.metric.Accuracy()
    mod.update_metric(metric, [mx.nd.array(y)])

    jp = {k: jnp.asarray(v) for k, v in p.items()}
    want_probs = np.asarray(jax.nn.softmax(tiny_logits(jp, jnp.asarray(x)), axis=-1))
    np.testing.assert_allclose(probs, want_probs, rtol=1e-5, atol=1e-6)
    ref = jax.grad(tiny_loss)(jp, jnp.asarray(x), jnp.asarray(y))
    got = as_np(mod.get_params()[0])
    for k in p:
        np.testing.assert_allclose(grads[k], np.asarray(ref[k]), rtol=1e-4, atol=1e-6)
        # MXNet: weight decay only for *_weight; rescale_grad = 1/batch_size.
        decay = wd if k.endswith("_weight") else 0.0
        want = (1 - lr * decay) * p[k] - lr * np.asarray(ref[k]) / 8
        np.testing.assert_allclose(got[k], want, rtol=1e-5, atol=1e-6, err_msg=k)
    assert metric.get() == ("accuracy", float((want_probs.argmax(1) == y).mean()))


def test_forward_with_another_batch_size_reshapes():
    p = tiny_params()
    x, y = dataset(8, seed=3)
    mod = bound(8)
    mod.init_params(arg_params=as_nd(p))
    mod.init_optimizer()
    mod.forward(batch_of(x, y), is_train=False)
    full = mod.get_outputs()[0].asnumpy()
    mod.forward(batch_of(x[:3]), is_train=False)
    assert mod.get_outputs()[0].shape == (3, CLASSES)
    assert mod.data_shapes == [("data", (3, FEATURES))]
    np.testing.assert_allclose(mod.get_outputs()[0].asnumpy(), full[:3], rtol=1e-6)
    mod.forward(batch_of(x, y), is_train=True)  # and back, for training
    mod.backward()
    mod.update()
    assert mod.get_outputs()[0].shape == (8, CLASSES)


def test_forward_with_a_batch_that_changes_parameter_shapes_raises():
    mod = bound(8)
    mod.init_params(arg_params=as_nd(tiny_params()))
    with pytest.raises(ShapeError, match=r"'fc1_weight' of shape \(16, 21\).*\(16, 20\)"):
        mod.forward(batch_of(np.ones((8, FEATURES + 1), np.float32)), is_train=False)
    assert max_diff(as_np(mod.get_params()[0]), tiny_params()) == 0


def test_get_input_grads():
    p = tiny_params()
    x, y = dataset(8, seed=3)
    mod = mx.mod.Module(tiny())
    mod.bind([("data", (8, FEATURES))], [("softmax_label", (8,))], inputs_need_grad=True)
    mod.init_params(arg_params=as_nd(p))
    mod.forward(batch_of(x, y), is_train=True)
    mod.backward()
    (got,) = mod.get_input_grads()
    jp = {k: jnp.asarray(v) for k, v in p.items()}
    want = jax.grad(tiny_loss, argnums=1)(jp, jnp.asarray(x), jnp.asarray(y))
    np.testing.assert_allclose(got.asnumpy(), np.asarray(want), rtol=1e-4, atol=1e-7)
    plain = bound(8)
    plain.init_params()
    with pytest.raises(ParamError, match="inputs_need_grad"):
        plain.get_input_grads()


def test_backward_on_an_inference_module_raises():
    mod = bound(8, for_training=False)
    mod.init_params()
    x, y = dataset(8)
    mod.forward(batch_of(x, y))
    with pytest.raises(ParamError, match="for_training=False"):
        mod.backward()
    with pytest.raises(ParamError, match="for_training=False"):
        mod.fit(mx.io.NDArrayIter(x, y, 8), num_epoch=1)


# -- fit ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_fit_logs_mxnet_lines(caplog):
    x, y = dataset(500)
    vx, vy = dataset(120, seed=9)
    mx.random.seed(0)
    mod = mx.mod.Module(tiny())
    with caplog.at_level(logging.INFO):
        mod.fit(mx.io.NDArrayIter(x, y, 50), eval_data=mx.io.NDArrayIter(vx, vy, 50),
                num_epoch=2, initializer=mx.init.Xavier(),
                optimizer_params={"learning_rate": 0.5, "momentum": 0.9},
                batch_end_callback=mx.callback.Speedometer(50, 2))
    lines = [m for m in messages(caplog) if m.startswith("Epoch[")]
    speed = re.compile(r"Epoch\[(\d)\] Batch \[(\d+)-(\d+)\]\tSpeed: " + FLOAT +
                       r" samples/sec\taccuracy=" + FLOAT + "$")
    for epoch in (0, 1):
        mine = [m for m in lines if m.startswith(f"Epoch[{epoch}]")]
        ranges = [speed.match(m).group(2, 3) for m in mine if "Speed" in m]
        assert ranges == [("0", "2"), ("2", "4"), ("4", "6"), ("6", "8")]
        rest = [m for m in mine if "Speed" not in m]
        assert re.fullmatch(rf"Epoch\[{epoch}\] Train-accuracy=0\.\d{{6}}", rest[0])
        assert re.fullmatch(rf"Epoch\[{epoch}\] Time cost=\d+\.\d{{3}}", rest[1])
        assert re.fullmatch(rf"Epoch\[{epoch}\] Validation-accuracy=0\.\d{{6}}", rest[2])
        assert len(rest) == 3
    final = float(re.search(r"Validation-accuracy=(.*)", lines[-1]).group(1))
    assert final == pytest.approx(dict(mod.score(mx.io.NDArrayIter(vx, vy, 50), "acc"))
                                  ["accuracy"], abs=1e-6)
    assert final > 0.3  # it learns


def _fit_params(make_iter, epochs: int = 2, **fit_kwargs):
    x, y = dataset(1050)
    mx.random.seed(11)
    metric = mx.metric.Accuracy()
    mod = mx.mod.Module(tiny())
    mod.fit(make_iter(mx.io.NDArrayIter(x, y, 100, shuffle=True)), num_epoch=epochs,
            eval_metric=metric, initializer=mx.init.Xavier(),
            optimizer_params={"learning_rate": 0.1, "momentum": 0.9, "wd": 1e-3},
            **fit_kwargs)
    return as_np(mod.get_params()[0]), metric


def _manual_params(epochs: int = 2):
    """The same training with the intermediate API, batch by batch."""
    x, y = dataset(1050)
    mx.random.seed(11)
    it = mx.io.NDArrayIter(x, y, 100, shuffle=True)
    mod = mx.mod.Module(tiny())
    mod.bind(it.provide_data, it.provide_label)
    mod.init_params(mx.init.Xavier())
    mod.init_optimizer(optimizer_params={"learning_rate": 0.1, "momentum": 0.9, "wd": 1e-3})
    metric = mx.metric.Accuracy()
    correct = total = 0
    for _ in range(epochs):
        metric.reset()
        correct = total = 0
        for b in it:
            mod.forward_backward(b)
            real = b.data[0].shape[0] - b.pad
            pred = mod.get_outputs()[0].asnumpy()[:real].argmax(1)
            correct += int((pred == b.label[0].asnumpy()[:real]).sum())
            total += real
            mod.update()
            mod.update_metric(metric, b.label)
        it.reset()
    return as_np(mod.get_params()[0]), metric, correct, total


@pytest.mark.slow
def test_fast_path_equals_per_batch_path_and_manual_loop(monkeypatch):
    used = []
    original = mx.io.NDArrayIter.device_epoch
    monkeypatch.setattr(mx.io.NDArrayIter, "device_epoch",
                        lambda self: used.append(1) or original(self))
    fast, fast_metric = _fit_params(lambda it: it)
    assert used, "fit did not take the device_epoch fast path"
    used.clear()
    resized, resized_metric = _fit_params(lambda it: mx.io.ResizeIter(it, 11))
    prefetched, _ = _fit_params(mx.io.PrefetchingIter)
    assert not used, "ResizeIter/PrefetchingIter must take the per-batch path"
    manual, manual_metric, correct, total = _manual_params()
    # The fast path computes the same function as the step-by-step path, in the
    # same order of operations: equal up to float rounding (here: bit-equal).
    assert max_diff(fast, resized) <= 1e-6
    assert max_diff(fast, prefetched) <= 1e-6
    assert max_diff(fast, manual) <= 1e-6
    assert max_diff(fast, {k: 0 * v for k, v in fast.items()}) > 0.1
    # Training accuracy: the last epoch's, padded rows (50 of 1100) not counted.
    assert total == 1050
    for metric in (fast_metric, resized_metric, manual_metric):
        assert metric.get_global() == ("accuracy", pytest.approx(correct / 1050, abs=1e-9))
        assert metric.global_num_inst == 1050


@pytest.mark.slow
def test_fast_path_updates_batchnorm_aux_states_as_the_manual_loop():
    x, y = dataset(300)
    results = []
    for fast in (True, False):
        mx.random.seed(1)
        it = mx.io.NDArrayIter(x, y, 50, shuffle=True)
        mod = mx.mod.Module(tiny_bn())
        if fast:
            mod.fit(it, num_epoch=2, initializer=mx.init.Xavier(),
                    optimizer_params={"learning_rate": 0.1})
        else:
            mod.bind(it.provide_data, it.provide_label)
            mod.init_params(mx.init.Xavier())
            mod.init_optimizer(optimizer_params={"learning_rate": 0.1})
            for _ in range(2):
                for b in it:
                    mod.forward_backward(b)
                    mod.update()
                it.reset()
        results.append([as_np(p) for p in mod.get_params()])
    (arg_fast, aux_fast), (arg_manual, aux_manual) = results
    assert max_diff(arg_fast, arg_manual) <= 1e-6
    assert max_diff(aux_fast, aux_manual) <= 1e-6
    assert np.abs(aux_fast["bn1_moving_mean"]).max() > 1e-3


def test_speedometer_does_not_change_the_training_metric(caplog):
    plain, metric = _fit_params(lambda it: it, epochs=1)
    with caplog.at_level(logging.INFO):
        timed, timed_metric = _fit_params(lambda it: it, epochs=1,
                                          batch_end_callback=mx.callback.Speedometer(100, 3))
    assert max_diff(plain, timed) == 0
    assert timed_metric.get_global() == metric.get_global()
    assert sum("Speed:" in m for m in messages(caplog)) == 3  # batches 3, 6, 9


@pytest.mark.slow
def test_callbacks_get_mxnet_arguments():
    x, y = dataset(200)
    vx, vy = dataset(90, seed=5)
    seen = {"batch": [], "every": [], "epoch": [], "eval_end": [], "eval_batch": []}

    def every_batch(param):  # no `frequent`: called (and synced) after every batch
        seen["batch"].append((param.epoch, param.nbatch, param.eval_metric.get()[0]))

    def sparse(param):
        seen["every"].append((param.epoch, param.nbatch))
    sparse.frequent = 2

    mod = mx.mod.Module(tiny())

    def epoch_end(epoch, symbol, arg, aux):
        now = as_np(mod.get_params()[0])
        seen["epoch"].append((epoch, symbol is mod.symbol, max_diff(as_np(arg), now), aux))

    mod.fit(mx.io.NDArrayIter(x, y, 50), eval_data=mx.io.NDArrayIter(vx, vy, 30),
            begin_epoch=1, num_epoch=3, batch_end_callback=[every_batch, sparse],
            epoch_end_callback=epoch_end,
            eval_end_callback=lambda p: seen["eval_end"].append(
                (p.epoch, p.nbatch, p.eval_metric.get())),
            eval_batch_end_callback=lambda p: seen["eval_batch"].append((p.epoch, p.nbatch)))
    assert seen["batch"] == [(e, b, "accuracy") for e in (1, 2) for b in range(4)]
    assert seen["every"] == [(e, b) for e in (1, 2) for b in range(4)]
    assert seen["epoch"] == [(1, True, 0.0, {}), (2, True, 0.0, {})]
    assert seen["eval_batch"] == [(e, b) for e in (1, 2) for b in range(3)]
    assert [s[:2] for s in seen["eval_end"]] == [(1, 2), (2, 2)]
    score = dict(mod.score(mx.io.NDArrayIter(vx, vy, 30), "acc"))["accuracy"]
    assert seen["eval_end"][-1][2] == ("accuracy", pytest.approx(score))


def test_begin_epoch_numbers_the_logs(caplog):
    x, y = dataset(100)
    with caplog.at_level(logging.INFO):
        mx.mod.Module(tiny()).fit(mx.io.NDArrayIter(x, y, 50), begin_epoch=3, num_epoch=5)
    epochs = [int(m[6]) for m in messages(caplog) if re.match(r"Epoch\[\d\] Train-", m)]
    assert epochs == [3, 4]


@pytest.mark.parametrize("kwargs, match", [
    ({}, "num_epoch must be given"),
    ({"num_epoch": 1, "optimizer": "sgdd"}, "unknown optimizer 'sgdd'. Did you mean 'sgd'"),
    ({"num_epoch": 1, "eval_metric": "acurracy"}, "unknown metric 'acurracy'"),
])
def test_fit_bad_arguments_raise(kwargs, match):
    x, y = dataset(100)
    with pytest.raises(ParamError, match=match):
        mx.mod.Module(tiny()).fit(mx.io.NDArrayIter(x, y, 50), **kwargs)


class ShapeShifter(mx.io.DataIter):
    """Announces (50, 20) batches; its second batch has 21 features."""

    def __init__(self) -> None:
        super().__init__(50)
        self.provide_data = [mx.io.DataDesc("data", (50, FEATURES))]
        self.provide_label = [mx.io.DataDesc("softmax_label", (50,))]
        self.count = 0

    def reset(self) -> None:
        self.count = 0

    def next(self) -> mx.io.DataBatch:
        if self.count == 2:
            raise StopIteration
        self.count += 1
        width = FEATURES if self.count == 1 else FEATURES + 1
        return mx.io.DataBatch([mx.nd.ones((50, width))], [mx.nd.zeros((50,))])


def test_fit_on_a_batch_of_the_wrong_shape_raises_a_clear_error():
    with pytest.raises(ShapeError, match=r"data=\(50, 21\).*'fc1_weight'.*\(16, 21\).*"
                                         r"\(16, 20\)"):
        mx.mod.Module(tiny()).fit(ShapeShifter(), num_epoch=1)


@pytest.mark.parametrize("path", ["fast", "per_batch"])
def test_fit_with_labels_out_of_range_raises(path):
    x, y = dataset(100)
    y[37] = 12.0  # 10 classes: valid labels are 0..9
    it = mx.io.NDArrayIter(x, y, 50)
    if path == "per_batch":
        it = mx.io.ResizeIter(it, 2)
    with pytest.raises(MXNetError) as info:
        mx.mod.Module(tiny()).fit(it, num_epoch=1)
    message = str(info.value)
    assert "12" in message
    assert re.search(r"\b(9|10)\b", message), message


# -- predict, iter_predict, score -----------------------------------------------------------


@pytest.fixture(scope="module")
def predictor():
    mod = bound(100, for_training=False)
    mod.init_params(arg_params=as_nd(tiny_params()))
    x, y = dataset(1050, seed=4)
    jp = {k: jnp.asarray(v) for k, v in tiny_params().items()}
    want = np.asarray(jax.nn.softmax(tiny_logits(jp, jnp.asarray(x)), axis=-1))
    return mod, x, y, want


def test_predict_gives_one_row_per_example(predictor):
    mod, x, y, want = predictor
    out = mod.predict(mx.io.NDArrayIter(x, y, 100))
    assert isinstance(out, mx.nd.NDArray) and out.shape == (1050, CLASSES)
    np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-5, atol=1e-6)
    assert mod.predict(mx.io.NDArrayIter(x, y, 100), num_batch=3).shape == (300, CLASSES)


def test_predict_merge_batches_false_and_always_output_list(predictor):
    mod, x, y, _ = predictor
    per_batch = mod.predict(mx.io.NDArrayIter(x, y, 100), merge_batches=False)
    assert len(per_batch) == 11
    assert all(len(outs) == 1 for outs in per_batch)
    assert [outs[0].shape[0] for outs in per_batch] == [100] * 10 + [50]
    listed = mod.predict(mx.io.NDArrayIter(x, y, 100), always_output_list=True)
    assert isinstance(listed, list) and len(listed) == 1 and listed[0].shape == (1050, 10)


def test_predict_numpy_input_is_one_batch(predictor):
    mod, x, y, want = predictor
    out = mod.predict(x[:7])
    assert out.shape == (7, CLASSES)
    np.testing.assert_allclose(out.asnumpy(), want[:7], rtol=1e-5, atol=1e-6)
    assert mod.predict(mx.nd.array(x[:3]), always_output_list=True)[0].shape == (3, 10)
    # The module is rebound to the array's batch size and back again.
    assert mod.predict(mx.io.NDArrayIter(x, y, 100)).shape == (1050, CLASSES)


def test_iter_predict_strips_padding(predictor):
    mod, x, y, want = predictor
    seen = []
    for outs, nbatch, batch in mod.iter_predict(mx.io.NDArrayIter(x, y, 100)):
        seen.append((nbatch, outs[0].shape[0], batch.pad))
        rows = batch.index[:outs[0].shape[0]]
        np.testing.assert_allclose(outs[0].asnumpy(), want[rows], rtol=1e-5, atol=1e-6)
    assert seen == [(i, 100, 0) for i in range(10)] + [(10, 50, 50)]


def test_score_does_not_count_padding(predictor):
    """MXNet counted the 50 padded rows of the last batch (1100 rows); mxlite does not."""
    mod, x, y, want = predictor
    result = mod.score(mx.io.NDArrayIter(x, y, 100), ["acc", "ce"])
    names = [name for name, _ in result]
    assert names == ["accuracy", "cross-entropy"]
    acc = dict(result)["accuracy"]
    assert acc == pytest.approx((want.argmax(1) == y).mean(), abs=1e-12)
    ce = -np.log(want[np.arange(1050), y.astype(int)]).mean()
    assert dict(result)["cross-entropy"] == pytest.approx(ce, rel=1e-4)


def test_predict_before_init_raises():
    mod = mx.mod.Module(tiny())
    with pytest.raises(ParamError, match="bind"):
        mod.predict(mx.io.NDArrayIter(*dataset(10), 5))


# -- contexts -----------------------------------------------------------------------------


def test_context_list_gives_the_one_device_result():
    """``context=[cpu(0), cpu(1)]``: on this machine both are the one CPU device,
    so this checks the API and the result (equal up to float rounding)."""
    one, _ = _fit_params(lambda it: it, epochs=1)
    x, y = dataset(1050)
    mx.random.seed(11)
    mod = mx.mod.Module(tiny(), context=[mx.cpu(0), mx.cpu(1)])
    mod.fit(mx.io.NDArrayIter(x, y, 100, shuffle=True), num_epoch=1,
            initializer=mx.init.Xavier(),
            optimizer_params={"learning_rate": 0.1, "momentum": 0.9, "wd": 1e-3})
    assert max_diff(one, as_np(mod.get_params()[0])) <= 1e-5


_TWO_DEVICES = textwrap.dedent("""
    import json, sys
    import numpy as np
    import jax
    import mxlite as mx
    sys.path.insert(0, sys.argv[1])
    from tests.module.helpers import dataset, tiny
    assert len(jax.devices()) == 2, jax.devices()
    x, y = dataset(400)
    out = {}
    runs = (("one", mx.cpu(0), None), ("two", [mx.cpu(0), mx.cpu(1)], None),
            ("second", mx.cpu(1), None), ("second_per_batch", mx.cpu(1), 4))
    for name, ctx, resize in runs:
        mx.random.seed(3)
        mod = mx.mod.Module(tiny(), context=ctx)
        it = mx.io.NDArrayIter(x, y, 100, shuffle=True)  # its data stay on cpu(0)
        mod.fit(it if resize is None else mx.io.ResizeIter(it, resize), num_epoch=2,
                initializer=mx.init.Xavier(), optimizer_params={"learning_rate": 0.1})
        out[name + "_on"] = str(mod.get_params()[0]["fc1_weight"].context)
        out[name] = {k: v.asnumpy().tolist() for k, v in mod.get_params()[0].items()}
        # How many devices the compiled training step split each batch over.
        sharding = mod._trainer.batch_sharding
        out[name + "_devices"] = 1 if sharding is None else sharding.mesh.devices.size
    print(json.dumps(out))
""")


@pytest.fixture(scope="module")
def two_device_run():
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2",
               JAX_PLATFORMS="cpu")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = os.pathsep.join([os.path.join(root, "src"),
                                         env.get("PYTHONPATH", "")])
    proc = subprocess.run([sys.executable, "-c", _TWO_DEVICES, root], env=env,
                          check=False, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_two_host_devices_give_the_one_device_result(two_device_run):
    one = {k: np.asarray(v) for k, v in two_device_run["one"].items()}
    two = {k: np.asarray(v) for k, v in two_device_run["two"].items()}
    assert max_diff(one, two) <= 1e-5


def test_a_module_on_another_device_than_its_data_trains_there(two_device_run):
    """Like a GPU module fed by a CPU-resident NDArrayIter (MXNet copied batches
    into the executor's device): both the fast and the per-batch path."""
    one = {k: np.asarray(v) for k, v in two_device_run["one"].items()}
    for name in ("second", "second_per_batch"):
        assert two_device_run[name + "_on"] == "cpu(1)"
        other = {k: np.asarray(v) for k, v in two_device_run[name].items()}
        assert max_diff(one, other) <= 1e-6


def test_two_host_devices_are_both_used(two_device_run):
    assert two_device_run["one_devices"] == 1
    assert two_device_run["two_devices"] == 2


def test_score_without_labels_raises(predictor):
    mod, x, _, _ = predictor
    with pytest.raises(ParamError, match="without labels"):
        mod.score(mx.io.NDArrayIter(x, None, 100), "acc")


def test_fit_again_on_data_of_another_shape_raises():
    x, y = dataset(100)
    mod = mx.mod.Module(tiny())
    mod.fit(mx.io.NDArrayIter(x, y, 50), num_epoch=1)
    wide = np.ones((100, FEATURES + 1), np.float32)
    with pytest.raises(ShapeError, match=r"Module.bind: .*'fc1_weight'"):
        mod.fit(mx.io.NDArrayIter(wide, y, 50), num_epoch=1)
    mod.fit(mx.io.NDArrayIter(x, y, 25), num_epoch=1)  # another batch size is fine


@pytest.mark.parametrize("path", ["fast", "per_batch"])
def test_fit_on_an_iterator_read_to_its_end_says_reset_it(path):
    # MXNet's fit raised a bare StopIteration; before this check mxlite trained
    # on nothing and logged Train-accuracy=nan.
    x, y = dataset(100)
    it = mx.io.NDArrayIter(x, y, 50)
    if path == "per_batch":
        it = mx.io.ResizeIter(it, 2)  # no device_epoch: one compiled call per batch
    mod = mx.mod.Module(tiny())
    mod.fit(it, num_epoch=1)
    for _ in it:  # read to its end; fit does not reset before an epoch (MXNet)
        pass
    with pytest.raises(ParamError, match=r"Module.fit \(epoch 1\): train_data gave no "
                                         r"batches.*needs train_data.reset\(\)"):
        mod.fit(it, num_epoch=2, begin_epoch=1)
    it.reset()
    mod.fit(it, num_epoch=2, begin_epoch=1)
