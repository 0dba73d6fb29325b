"""Metrics named for one head of a multi-output net (MXNet's ``update_dict``)."""

from __future__ import annotations

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import ParamError

ROWS = 40


def _two_heads() -> tuple[mx.mod.Module, mx.io.NDArrayIter, dict]:
    """Heads 'a' (2 classes) and 'b' (3 classes), fitted with lr 0 (weights fixed)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((ROWS, 8)).astype(np.float32)
    labels = {"a_label": (x[:, 0] > 0).astype(np.float32),
              "b_label": rng.integers(0, 3, ROWS).astype(np.float32)}
    data = mx.sym.var("data")
    heads = [mx.sym.SoftmaxOutput(mx.sym.FullyConnected(data, num_hidden=k, name=f"f{h}"),
                                  label=mx.sym.var(f"{h}_label"), name=h)
             for h, k in (("a", 2), ("b", 3))]
    it = mx.io.NDArrayIter({"data": x}, labels, 10)
    mod = mx.mod.Module(mx.sym.Group(heads), label_names=["a_label", "b_label"],
                        context=mx.cpu())
    mx.random.seed(3)
    mod.fit(it, optimizer_params={"learning_rate": 0.0}, num_epoch=1,
            initializer=mx.init.Uniform(0.5))
    params = {k: v.asnumpy() for k, v in mod.get_params()[0].items()}
    expected = {}
    for h in ("a", "b"):
        logits = x @ params[f"f{h}_weight"].T + params[f"f{h}_bias"]
        expected[h] = float(np.mean(logits.argmax(1) == labels[f"{h}_label"]))
    return mod, it, expected


@pytest.mark.slow
def test_a_metric_named_for_one_head_counts_that_head_in_fit_and_score():
    mod, it, expected = _two_heads()
    assert expected["a"] != expected["b"]
    for head in ("a", "b"):
        fitted = mx.metric.Accuracy(output_names=[f"{head}_output"],
                                    label_names=[f"{head}_label"])
        it.reset()  # score read it to the end
        mod.fit(it, eval_metric=fitted, num_epoch=2, begin_epoch=1)  # the compiled loop
        assert fitted.get()[1] == pytest.approx(expected[head])
        scored = mod.score(it, mx.metric.Accuracy(output_names=[f"{head}_output"],
                                                  label_names=[f"{head}_label"]))
        assert scored[0][1] == pytest.approx(expected[head])
    both = mod.score(it, "acc")  # no names: every head, as in MXNet
    assert both[0][1] == pytest.approx((expected["a"] + expected["b"]) / 2)


def test_a_composite_passes_its_own_names_down_to_its_children():
    mod, it, expected = _two_heads()
    metric = mx.metric.CompositeEvalMetric(["acc"], output_names=["b_output"],
                                           label_names=["b_label"])
    mod.fit(it, eval_metric=metric, num_epoch=2, begin_epoch=1)
    assert metric.get()[1] == pytest.approx([expected["b"]])


def test_a_metric_naming_an_output_the_model_lacks_is_refused():
    mod, it, _ = _two_heads()
    metric = mx.metric.Accuracy(output_names=["c_output"], label_names=["a_label"])
    message = (r"Accuracy: output_names=\['c_output'\] asks for \['c_output'\], which "
               r"the model does not have; its outputs are \['a_output', 'b_output'\]")
    with pytest.raises(ParamError, match=message):
        mod.score(it, metric)
    it.reset()
    with pytest.raises(ParamError, match=message):
        mod.fit(it, eval_metric=metric, num_epoch=2, begin_epoch=1)
