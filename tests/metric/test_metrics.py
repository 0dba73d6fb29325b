"""mx.metric: values equal NumPy references written from MXNet 1.9.1's formulas.

Each reference returns the additive statistics of one ``update`` pair and a
value function, mirroring ``python/mxnet/metric.py`` (per-batch means for
MAE/MSE/RMSE, per-update F1 for 'macro', exp of the mean for perplexity).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError, ParamError, ShapeError


# -- NumPy references (MXNet 1.9.1's formulas) -----------------------------------------
def ref_accuracy(label, pred, axis=1):
    if pred.shape != label.shape:
        pred = np.argmax(pred, axis=axis)
    hit = pred.astype(np.int32).ravel() == label.astype(np.int32).ravel()
    return {"sum": hit.sum(), "num": hit.size}


def ref_topk(label, pred, top_k):
    top = np.argsort(-pred.astype(np.float32), axis=1, kind="stable")[:, :top_k]
    hit = (top == label.astype(np.int32)[:, None]).any(axis=1)
    return {"sum": hit.sum(), "num": hit.size}


def ref_ce(label, pred, eps=1e-12):
    prob = pred[np.arange(label.shape[0]), np.int64(label.ravel())]
    return {"sum": (-np.log(prob + eps)).sum(), "num": label.shape[0]}


def ref_perplexity(label, pred, ignore_label):
    label = label.ravel()
    prob = pred[np.arange(label.size), label.astype(np.int32)]
    num = label.size
    if ignore_label is not None:
        ignore = (label == ignore_label).astype(pred.dtype)
        num -= ignore.sum()
        prob = prob * (1 - ignore) + ignore
    return {"sum": -np.log(np.maximum(1e-10, prob)).sum(), "num": num}


def _binary(label, pred):
    pred_true = np.argmax(pred, axis=1) == 1
    label_true = label.astype(np.int32) == 1
    return {
        "tp": float((pred_true & label_true).sum()),
        "fp": float((pred_true & ~label_true).sum()),
        "fn": float((~pred_true & label_true).sum()),
        "tn": float((~pred_true & ~label_true).sum()),
    }


def _fscore(c):
    p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] > 0 else 0.0
    r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] > 0 else 0.0
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def _mcc(c):
    terms = [c["tp"] + c["fp"], c["tp"] + c["fn"], c["tn"] + c["fp"], c["tn"] + c["fn"]]
    denom = math.prod(t for t in terms if t != 0)
    return (c["tp"] * c["tn"] - c["fp"] * c["fn"]) / math.sqrt(denom)


def _as_2d(x):
    return x.reshape(x.shape[0], 1) if x.ndim == 1 else x


def ref_batch_mean(fn):
    def stats(label, pred):
        return {"sum": fn(_as_2d(label) - _as_2d(pred)), "num": 1}

    return stats


def ref_pearson(label, pred):
    return {
        "sum": np.corrcoef(
            pred.ravel().astype(np.float64), label.ravel().astype(np.float64)
        )[0, 1],
        "num": 1,
    }


def ref_loss(label, pred):
    return {"sum": pred.sum(), "num": pred.size}


def mean_value(s):
    return s["sum"] / s["num"] if s["num"] else float("nan")


@dataclass
class Case:
    name: str
    kwargs: dict
    kind: str  # which data: 'cls', 'prob', 'bin', 'reg', 'reg1'
    stats: Callable
    value: Callable = mean_value
    shown: str = ""
    extra: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.name}{self.kwargs or ''}-{self.kind}"


CASES = [
    Case("acc", {}, "cls", ref_accuracy, shown="accuracy"),
    Case("acc", {}, "ids", ref_accuracy, shown="accuracy"),
    Case(
        "top_k_accuracy",
        {"top_k": 3},
        "cls",
        lambda lab, p: ref_topk(lab, p, 3),
        shown="top_k_accuracy_3",
    ),
    Case("ce", {}, "prob", ref_ce, shown="cross-entropy"),
    Case("nll_loss", {}, "prob", ref_ce, shown="nll-loss"),
    Case(
        "perplexity",
        {"ignore_label": 2},
        "prob",
        lambda lab, p: ref_perplexity(lab, p, 2),
        lambda s: math.exp(mean_value(s)),
    ),
    Case(
        "perplexity",
        {},
        "prob",
        lambda lab, p: ref_perplexity(lab, p, None),
        lambda s: math.exp(mean_value(s)),
    ),
    Case("f1", {}, "bin", lambda lab, p: {"sum": _fscore(_binary(lab, p)), "num": 1}),
    Case(
        "f1",
        {"average": "micro"},
        "bin",
        _binary,
        lambda s: _fscore(s) if sum(s.values()) else float("nan"),
    ),
    Case("mcc", {}, "bin", lambda lab, p: {"sum": _mcc(_binary(lab, p)), "num": 1}),
    Case(
        "mcc",
        {"average": "micro"},
        "bin",
        _binary,
        lambda s: _mcc(s) if sum(s.values()) else float("nan"),
    ),
    Case("mae", {}, "reg", ref_batch_mean(lambda d: np.abs(d).mean())),
    Case("mse", {}, "reg", ref_batch_mean(lambda d: (d**2.0).mean())),
    Case("rmse", {}, "reg", ref_batch_mean(lambda d: np.sqrt((d**2.0).mean()))),
    Case("rmse", {}, "reg1", ref_batch_mean(lambda d: np.sqrt((d**2.0).mean()))),
    Case("pearsonr", {}, "reg", ref_pearson),
    Case("loss", {}, "reg", ref_loss),
]
SIZES = (12, 9, 12, 9)  # two shapes: two compilations per metric


def make_batch(
    kind: str, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    if kind in ("cls", "prob"):
        p = rng.random((n, 5), dtype=np.float32)
        return rng.integers(0, 5, n).astype(np.float32), p / p.sum(1, keepdims=True)
    if kind == "ids":
        return (
            rng.integers(0, 4, n).astype(np.float32),
            rng.integers(0, 4, n).astype(np.float32),
        )
    if kind == "bin":
        p = rng.random((n, 2), dtype=np.float32)
        return rng.integers(0, 2, n).astype(np.float32), p / p.sum(1, keepdims=True)
    pred = rng.standard_normal((n, 3), dtype=np.float32)
    if kind == "reg1":
        return rng.standard_normal(n, dtype=np.float32), pred
    return (pred * 0.5 + rng.standard_normal((n, 3), dtype=np.float32)), pred


def batches(case: Case, sizes=SIZES, seed=0) -> list:
    rng = np.random.default_rng(seed)
    return [make_batch(case.kind, n, rng) for n in sizes]


def accumulate(case: Case, pairs: list) -> dict:
    total: dict[str, float] = {}
    for label, pred in pairs:
        for k, v in case.stats(label, pred).items():
            total[k] = total.get(k, 0.0) + float(v)
    return total


def nd(x: np.ndarray) -> Any:
    return mx.nd.array(x, dtype=x.dtype)


def assert_close(actual: float, expected: float) -> None:
    np.testing.assert_allclose(actual, expected, rtol=2e-6, atol=1e-7, equal_nan=True)


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=str)
def test_values_match_mxnet_formulas_local_and_global(case):
    data = batches(case)
    metric = mx.metric.create(case.name, **case.kwargs)
    for label, pred in data[:2]:
        metric.update([nd(label)], [nd(pred)])
    assert_close(metric.get()[1], case.value(accumulate(case, data[:2])))
    metric.reset_local()
    assert math.isnan(metric.get()[1])
    for label, pred in data[2:]:
        metric.update([nd(label)], [nd(pred)])
    assert_close(metric.get()[1], case.value(accumulate(case, data[2:])))
    assert_close(metric.get_global()[1], case.value(accumulate(case, data)))
    if case.shown:
        assert metric.get()[0] == case.shown
    metric.reset()
    assert math.isnan(metric.get_global()[1])


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=str)
def test_device_path_equals_update(case):
    data = batches(case, sizes=(8, 8, 8))
    imperative = mx.metric.create(case.name, **case.kwargs)
    for label, pred in data:
        imperative.update([nd(label)], [nd(pred)])

    device = mx.metric.create(case.name, **case.kwargs)
    assert device.device_capable

    def body(state, xs):
        label, pred = xs
        return device.update_state(
            state, [label], [pred], jnp.ones(label.shape[0])
        ), None

    labels = jnp.stack([jnp.asarray(b[0]) for b in data])
    preds = jnp.stack([jnp.asarray(b[1]) for b in data])
    state, _ = jax.jit(lambda s: jax.lax.scan(body, s, (labels, preds)))(
        device.init_state()
    )
    device.set_state(state)
    assert_close(device.get()[1], imperative.get()[1])
    assert_close(device.get_global()[1], imperative.get_global()[1])


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=str)
def test_mask_excludes_padded_rows(case):
    (label, pred), (junk_label, junk_pred) = batches(case, sizes=(9, 3), seed=1)
    padded_label = np.concatenate([label, junk_label])
    padded_pred = np.concatenate([pred, junk_pred])
    mask = np.array([1.0] * 9 + [0.0] * 3, np.float32)

    real = mx.metric.create(case.name, **case.kwargs)
    real.update([nd(label)], [nd(pred)])
    masked = mx.metric.create(case.name, **case.kwargs)
    masked.update([nd(padded_label)], [nd(padded_pred)], mask=nd(mask))
    assert_close(masked.get()[1], real.get()[1])

    state = jax.jit(masked.update_state)(
        masked.init_state(),
        [jnp.asarray(padded_label)],
        [jnp.asarray(padded_pred)],
        jnp.asarray(mask),
    )
    masked.set_state(state)
    assert_close(masked.get_global()[1], real.get()[1])


# -- MXNet's documented examples -------------------------------------------------------
PRED3 = [[0.3, 0.7], [0, 1.0], [0.4, 0.6]]
REG_LABEL = np.array([2.5, 0.0, 2, 8]).reshape(4, 1)
REG_PRED = np.array([3, -0.5, 2, 7]).reshape(4, 1)


@pytest.mark.parametrize(
    "metric, labels, preds, expected",
    [
        (mx.metric.Accuracy(), [0, 1, 1], PRED3, 0.6666666666666666),
        (mx.metric.F1(), [0, 1, 1], PRED3, 0.8),
        (mx.metric.Perplexity(ignore_label=None), [0, 1, 1], PRED3, 1.7710976285155853),
        (mx.metric.CrossEntropy(), [0, 1, 1], PRED3, 0.57159948348999023),
        (mx.metric.NegativeLogLikelihood(), [0, 1, 1], PRED3, 0.57159948348999023),
        (mx.metric.MAE(), REG_LABEL, REG_PRED, 0.5),
        (mx.metric.MSE(), REG_LABEL, REG_PRED, 0.375),
        (mx.metric.RMSE(), REG_LABEL, REG_PRED, 0.612372457981),
        (
            mx.metric.PearsonCorrelation(),
            [[1, 0], [0, 1], [0, 1]],
            PRED3,
            0.42163704544016178,
        ),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, mx.metric.EvalMetric) else "",
)
def test_mxnet_docstring_examples(metric, labels, preds, expected):
    metric.reset()
    metric.update([mx.nd.array(labels)], [mx.nd.array(preds)])
    np.testing.assert_allclose(metric.get()[1], expected, rtol=1e-6)


def test_topk_docstring_example():
    rng = np.random.RandomState(999)
    acc = mx.metric.TopKAccuracy(top_k=3)
    acc.update(
        [mx.nd.array([2, 6, 9, 2, 3, 4, 7, 8, 9, 6])], [mx.nd.array(rng.rand(10, 10))]
    )
    assert acc.get() == ("top_k_accuracy_3", 0.3)


def test_accuracy_axis_and_segmentation_shapes():
    rng = np.random.default_rng(2)
    pred = rng.random((4, 3, 5), dtype=np.float32)  # (batch, classes, positions)
    label = rng.integers(0, 3, (4, 5)).astype(np.float32)
    acc = mx.metric.Accuracy(axis=1)
    acc.update([nd(label)], [nd(pred)])
    assert_close(acc.get()[1], ref_accuracy(label, pred)["sum"] / label.size)


# -- the MXNet API surface -------------------------------------------------------------
def test_str_get_name_value_and_nan_before_update():
    acc = mx.metric.Accuracy()
    assert str(acc) == "EvalMetric: {'accuracy': nan}"
    acc.update([mx.nd.array([0, 1, 1])], [mx.nd.array(PRED3)])
    assert str(acc) == "EvalMetric: {'accuracy': 0.6666666666666666}"
    assert acc.get_name_value() == [("accuracy", 0.6666666666666666)]
    assert acc.get_global_name_value() == [("accuracy", 0.6666666666666666)]
    assert type(acc.get()[1]) is float
    assert (acc.sum_metric, acc.num_inst) == (2.0, 3.0)


@pytest.mark.parametrize(
    "name, cls",
    [
        ("acc", mx.metric.Accuracy),
        ("accuracy", mx.metric.Accuracy),
        ("ACC", mx.metric.Accuracy),
        ("ce", mx.metric.CrossEntropy),
        ("top_k_accuracy", mx.metric.TopKAccuracy),
        ("top_k_acc", mx.metric.TopKAccuracy),
        ("f1", mx.metric.F1),
        ("mse", mx.metric.MSE),
        ("rmse", mx.metric.RMSE),
        ("mae", mx.metric.MAE),
        ("nll_loss", mx.metric.NegativeLogLikelihood),
        ("perplexity", mx.metric.Perplexity),
        ("loss", mx.metric.Loss),
        ("pearsonr", mx.metric.PearsonCorrelation),
        ("mcc", mx.metric.MCC),
        ("composite", mx.metric.CompositeEvalMetric),
    ],
)
def test_create_by_name(name, cls):
    assert type(mx.metric.create(name)) is cls


def test_create_other_forms_and_config_round_trip():
    acc = mx.metric.Accuracy()
    assert mx.metric.create(acc) is acc
    assert mx.metric.create(mx.metric.Accuracy).name == "accuracy"
    composite = mx.metric.create(["acc", mx.metric.F1(), "rmse"])
    assert composite.get()[0] == ["accuracy", "f1", "rmse"]
    assert (
        mx.metric.create('["top_k_accuracy", {"top_k": 5}]').name == "top_k_accuracy_5"
    )
    rebuilt = mx.metric.create(**mx.metric.F1(average="micro").get_config())
    assert (type(rebuilt), rebuilt.average) == (mx.metric.F1, "micro")
    rebuilt = mx.metric.create(composite.get_config())
    assert rebuilt.get()[0] == ["accuracy", "f1", "rmse"]
    custom = mx.metric.create(lambda label, pred: 1.0)
    assert (
        isinstance(custom, mx.metric.CustomMetric) and custom.name == "custom(<lambda>)"
    )


def test_create_unknown_name_suggests_the_closest():
    with pytest.raises(
        ParamError,
        match=r"unknown metric 'acuracy'\. Did you mean "
        r"'accuracy'\?",
    ) as err:
        mx.metric.create("acuracy")
    assert isinstance(err.value, ValueError)
    with pytest.raises(ParamError, match="metric must be a name"):
        mx.metric.create(None)
    with pytest.raises(ParamError, match="already an instance"):
        mx.metric.create(mx.metric.Accuracy(), axis=2)


def test_register_and_alias():
    @mx.metric.register
    @mx.metric.alias("my_metric_alias")
    class MyTestMetric(mx.metric.EvalMetric):
        def __init__(self):
            super().__init__("mine")

        def update(self, labels, preds):
            self.sum_metric += 3
            self.num_inst += 4

    m = mx.metric.create("my_metric_alias")
    m.update(None, None)
    assert type(m) is MyTestMetric and m.get() == ("mine", 0.75)
    assert not m.device_capable
    with pytest.raises(MXNetError, match="runs on the host"):
        m.init_state()


def test_shape_errors_name_both_shapes():
    acc = mx.metric.Accuracy()
    with pytest.raises(ShapeError, match=r"\(100,\).*\(50, 10\)"):
        acc.update([mx.nd.zeros((100,))], [mx.nd.zeros((50, 10))])
    with pytest.raises(ShapeError, match="2 label array"):
        acc.update([mx.nd.zeros((5,)), mx.nd.zeros((5,))], [mx.nd.zeros((5, 3))])
    with pytest.raises(ShapeError, match="mask must have shape"):
        acc.update([mx.nd.zeros((5,))], [mx.nd.zeros((5, 3))], mask=mx.nd.ones((4,)))
    with pytest.raises(ShapeError, match=r"\(4,\).*\(3, 2\)"):
        mx.metric.CrossEntropy().update([mx.nd.zeros((4,))], [mx.nd.zeros((3, 2))])
    with pytest.raises(ParamError, match="top_k must be an int >= 1"):
        mx.metric.TopKAccuracy(top_k=0)
    with pytest.raises(ParamError, match="average must be"):
        mx.metric.F1(average="weighted")


def test_out_of_range_label_gives_nan_cross_entropy_on_device():
    ce = mx.metric.CrossEntropy()
    ce.update([mx.nd.array([0, 7])], [mx.nd.array(PRED3[:2])])
    assert math.isnan(ce.get()[1])


def test_update_does_not_read_arrays_back(monkeypatch):
    acc = mx.metric.Accuracy()
    label, pred = mx.nd.array([0, 1, 1]), mx.nd.array(PRED3)

    def no_sync(self):
        raise AssertionError("update() must not copy to the host")

    monkeypatch.setattr(mx.nd.NDArray, "asnumpy", no_sync)
    acc.update([label], [pred])
    acc.update([label], [pred])
    monkeypatch.undo()
    assert acc.get()[1] == pytest.approx(2 / 3)


def test_compiled_update_is_shared_between_equal_configs():
    assert mx.metric.Accuracy()._jitted() is mx.metric.Accuracy()._jitted()
    assert mx.metric.Accuracy(axis=-1)._jitted() is not mx.metric.Accuracy()._jitted()


def test_mxnet_style_subclass_of_a_device_metric_runs_on_host():
    class Counting(mx.metric.Accuracy):
        def update(self, labels, preds):
            self.sum_metric += 1
            self.num_inst += 2
            self.global_sum_metric += 1
            self.global_num_inst += 2

    m = Counting()
    m.update(None, None)
    assert not m.device_capable
    assert m.get() == ("accuracy", 0.5) and m.get_global() == ("accuracy", 0.5)


# -- host metrics and composites -------------------------------------------------------
def test_custom_metric_gets_numpy_arrays_and_accepts_tuples():
    seen = []

    def feval(label, pred):
        seen.append((type(label), type(pred)))
        return float(np.abs(label - pred).sum()), label.size

    m = mx.metric.CustomMetric(feval)
    assert m.name == "feval" and not m.device_capable
    m.update([mx.nd.array(REG_LABEL)], [mx.nd.array(REG_PRED)])
    m.update(
        [mx.nd.array(REG_LABEL)],
        [mx.nd.array(REG_PRED)],
        mask=mx.nd.array([1, 1, 0, 0]),
    )
    assert seen == [(np.ndarray, np.ndarray)] * 2
    assert m.get() == ("feval", pytest.approx((2.0 + 1.0) / 6))
    with pytest.raises(MXNetError, match="runs on the host"):
        m.init_state()
    with pytest.raises(NotImplementedError):
        m.get_config()


def test_np_wraps_a_numpy_function():
    def my_mae(label, pred):
        return np.mean(np.abs(label - pred))

    m = mx.metric.np(my_mae)
    assert isinstance(m, mx.metric.CustomMetric) and m.name == "my_mae"
    m.update([mx.nd.array(REG_LABEL)], [mx.nd.array(REG_PRED)])
    assert m.get() == ("my_mae", 0.5)
    assert str(m) == "EvalMetric: {'my_mae': 0.5}"
    extra = mx.metric.np(my_mae, name="x", allow_extra_outputs=True)
    extra.update([mx.nd.array(REG_LABEL)], [mx.nd.array(REG_PRED), mx.nd.zeros((4, 1))])
    assert extra.get() == ("x", 0.5)


def test_composite_updates_children_and_runs_on_device():
    composite = mx.metric.CompositeEvalMetric([mx.metric.Accuracy(), mx.metric.F1()])
    composite.add("ce")
    composite.update([mx.nd.array([0, 1, 1])], [mx.nd.array(PRED3)])
    names, values = composite.get()
    assert names == ["accuracy", "f1", "cross-entropy"]
    np.testing.assert_allclose(values, [2 / 3, 0.8, 0.5715994834899902], rtol=1e-6)
    assert composite.get_metric(1).name == "f1"
    with pytest.raises(ParamError, match="out of range"):
        composite.get_metric(5)
    assert str(composite).startswith("EvalMetric: {'accuracy': 0.666")

    assert composite.device_capable
    state = composite.update_state(
        composite.init_state(), [jnp.asarray([0, 1, 1])], [jnp.asarray(PRED3)]
    )
    fresh = mx.metric.create(["acc", "f1", "ce"])
    fresh.set_state(state)
    np.testing.assert_allclose(fresh.get()[1], values, rtol=1e-6)

    composite.reset_local()
    assert all(math.isnan(v) for v in composite.get()[1])
    np.testing.assert_allclose(composite.get_global()[1], values, rtol=1e-6)
    composite.add(mx.metric.np(lambda label, pred: 0.0))
    assert not composite.device_capable


def test_update_dict_picks_named_outputs():
    acc = mx.metric.Accuracy(
        output_names=["softmax_output"], label_names=["softmax_label"]
    )
    acc.update_dict(
        {"softmax_label": mx.nd.array([0, 1, 1]), "other": mx.nd.zeros((3,))},
        {"softmax_output": mx.nd.array(PRED3), "aux": mx.nd.zeros((3, 2))},
    )
    assert acc.get()[1] == pytest.approx(2 / 3)


def test_speedometer_style_reset_local_keeps_global_on_device_state():
    acc = mx.metric.Accuracy()
    acc.update([mx.nd.array([0, 1, 1])], [mx.nd.array(PRED3)])
    state = acc.get_state()
    acc.reset_local()
    assert acc.get_state()["global"] is state["global"]
    acc.update([mx.nd.array([1])], [mx.nd.array([[0.0, 1.0]])])
    assert acc.get() == ("accuracy", 1.0)
    assert acc.get_global() == ("accuracy", 0.75)
    assert re.fullmatch(r"EvalMetric: \{'accuracy': 1\.0\}", str(acc))
