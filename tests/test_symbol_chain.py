"""MXNet.jl partial symbols: mx.chain and >> equal the nested form."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import (
    GraphError,
)

from .test_symbol import run, small_mlp


# -- MXNet.jl partial symbols and chaining -------------------------------------
def nested() -> mx.sym.Symbol:
    data = mx.sym.Variable("data")
    fc1 = mx.sym.FullyConnected(data, name="fc1", num_hidden=128)
    act1 = mx.sym.Activation(fc1, name="relu1", act_type="relu")
    fc2 = mx.sym.FullyConnected(act1, name="fc2", num_hidden=10)
    return mx.sym.SoftmaxOutput(fc2, name="softmax")


def chained() -> mx.sym.Symbol:
    return mx.chain(
        mx.Variable("data"),
        mx.FullyConnected(name="fc1", num_hidden=128),
        mx.Activation(name="relu1", act_type="relu"),
        mx.FullyConnected(name="fc2", num_hidden=10),
        mx.SoftmaxOutput(name="softmax"),
    )


def shifted() -> mx.sym.Symbol:
    return (
        mx.Variable("data")
        >> mx.FullyConnected(name="fc1", num_hidden=128)
        >> mx.Activation(name="relu1", act_type="relu")
        >> mx.FullyConnected(name="fc2", num_hidden=10)
        >> mx.SoftmaxOutput(name="softmax")
    )


class TestChain:
    def test_partial_symbol_has_a_data_placeholder(self) -> None:
        fc = mx.FullyConnected(name="fc1", num_hidden=128)
        assert fc.list_arguments() == ["fc1_data", "fc1_weight", "fc1_bias"]
        composed = fc(mx.sym.var("x"))
        assert composed.list_arguments() == ["x", "fc1_weight", "fc1_bias"]
        assert fc.list_arguments() == [
            "fc1_data",
            "fc1_weight",
            "fc1_bias",
        ]  # unchanged

    @pytest.mark.parametrize("build", [chained, shifted], ids=["chain", "rshift"])
    def test_equals_nested_form(self, build: Callable) -> None:
        want, got = nested(), build()
        assert (
            got.list_arguments()
            == want.list_arguments()
            == [
                "data",
                "fc1_weight",
                "fc1_bias",
                "fc2_weight",
                "fc2_bias",
                "softmax_label",
            ]
        )
        assert got.list_outputs() == want.list_outputs()
        assert json.loads(got.tojson()) == json.loads(want.tojson())
        rng = np.random.default_rng(5)
        shapes = dict(zip(want.list_arguments(), want.infer_shape(data=(3, 20))[0]))
        arrays = {
            k: rng.uniform(-0.5, 0.5, s).astype(np.float32) for k, s in shapes.items()
        }
        arrays["softmax_label"] = np.array([0, 3, 9], np.float32)
        np.testing.assert_array_equal(run(got, arrays)[0], run(want, arrays)[0])

    def test_compose_by_keyword_and_name(self) -> None:
        act = mx.Activation(name="relu1", act_type="relu")
        out = act(relu1_data=mx.sym.var("x"), name="renamed")
        assert out.name == "renamed" and out.list_arguments() == ["x"]
        assert act.name == "relu1"

    def test_bad_stages(self) -> None:
        with pytest.raises(
            GraphError, match=r"chain: every stage must be a Symbol; got int"
        ):
            mx.chain(mx.Variable("data"), 5)
        with pytest.raises(TypeError):
            mx.Variable("data") >> 5
        with pytest.raises(GraphError, match=r"compose: 'nope' is not an argument"):
            mx.Activation(name="a", act_type="relu")(nope=mx.sym.var("x"))
        with pytest.raises(
            GraphError,
            match=r"compose: 'a_data' must be replaced by a "
            r"single-output Symbol",
        ):
            mx.Activation(name="a", act_type="relu")(small_mlp().get_internals())
