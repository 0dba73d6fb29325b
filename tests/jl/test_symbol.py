"""MXNet.jl partial symbols (``import mxlite.jl as mx``): mx.chain and >> equal
the nested form."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pytest

import mxlite
import mxlite.jl as mx
from mxlite.base import GraphError

from ..test_symbol import run, small_mlp


# -- MXNet.jl partial symbols and chaining -------------------------------------
def nested() -> mxlite.sym.Symbol:
    data = mxlite.sym.Variable("data")
    fc1 = mxlite.sym.FullyConnected(data, name="fc1", num_hidden=128)
    act1 = mxlite.sym.Activation(fc1, name="relu1", act_type="relu")
    fc2 = mxlite.sym.FullyConnected(act1, name="fc2", num_hidden=10)
    return mxlite.sym.SoftmaxOutput(fc2, name="softmax")


def chained() -> mxlite.sym.Symbol:
    return mx.chain(
        mx.Variable("data"),
        mx.FullyConnected(name="fc1", num_hidden=128),
        mx.Activation(name="relu1", act_type="relu"),
        mx.FullyConnected(name="fc2", num_hidden=10),
        mx.SoftmaxOutput(name="softmax"),
    )


def shifted() -> mxlite.sym.Symbol:
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
        composed = fc(mxlite.sym.var("x"))
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
        out = act(relu1_data=mxlite.sym.var("x"), name="renamed")
        assert out.name == "renamed" and out.list_arguments() == ["x"]
        assert act.name == "relu1"

    def test_bad_stages(self) -> None:
        with pytest.raises(
            GraphError,
            match=r"chain: every stage must be a Symbol; got int 5 as stage 1\.",
        ):
            mx.chain(mx.Variable("data"), 5)
        with pytest.raises(GraphError, match=r"got str 'data' as stage 0\."):
            mx.chain("data", mx.FullyConnected(name="fc1", num_hidden=2))
        with pytest.raises(TypeError):
            mx.Variable("data") >> 5
        with pytest.raises(GraphError, match=r"compose: 'nope' is not an argument"):
            mx.Activation(name="a", act_type="relu")(nope=mxlite.sym.var("x"))
        with pytest.raises(
            GraphError,
            match=r"compose: 'a_data' must be replaced by a "
            r"single-output Symbol",
        ):
            mx.Activation(name="a", act_type="relu")(small_mlp().get_internals())


class TestShift:
    def test_either_side_from_the_dialect_is_enough(self) -> None:
        want = nested()
        composed = mx.FullyConnected(name="fc1", num_hidden=128)(mxlite.sym.var("data"))
        assert type(composed) is mxlite.sym.Symbol  # compose gives a plain Symbol...
        got = (  # ...and the jl operator on the right still chains (__rrshift__)
            composed
            >> mx.Activation(name="relu1", act_type="relu")
            >> mxlite.sym.FullyConnected(name="fc2", num_hidden=10)  # jl on the left
            >> mx.SoftmaxOutput(name="softmax")
        )
        assert isinstance(got, mx.SymbolicNode)
        assert json.loads(got.tojson()) == json.loads(want.tojson())

    def test_mxnet_python_symbols_have_no_shift(self) -> None:
        # MXNet Python's Symbol has no >>: the dialect patches nothing global.
        assert not hasattr(mxlite.sym.Symbol, "__rshift__")
        with pytest.raises(TypeError):
            mxlite.sym.var("data") >> mxlite.sym.FullyConnected(num_hidden=2)

    def test_symbolic_node_shares_the_graph(self) -> None:
        plain = mxlite.sym.FullyConnected(mxlite.sym.var("x"), num_hidden=3, name="fc")
        node = mx.SymbolicNode.of(plain)
        assert isinstance(node, mxlite.sym.Symbol) and mx.SymbolicNode.of(node) is node
        assert node.tojson() == plain.tojson()
        assert node.infer_shape(x=(2, 5))[1] == [(2, 3)]


def test_every_registry_operator_is_a_dialect_function() -> None:
    public = [n for n in dir(mxlite.sym.op) if not n.startswith("_")]
    assert len(public) > 100
    for name in public:
        function = getattr(mx, name)
        assert function.__doc__ == getattr(mxlite.sym, name).__doc__, name
        assert name in mx.__all__
    fc = mx.FullyConnected(mx.Variable("x"), num_hidden=4, name="fc")
    assert isinstance(fc, mx.SymbolicNode)
    assert fc.list_arguments() == ["x", "fc_weight", "fc_bias"]


def test_the_dialect_namespace() -> None:
    assert mx.SGD is mxlite.optimizer.JuliaSGD and mx.ADAM is mxlite.optimizer.JuliaADAM
    assert mx.cpu is mxlite.cpu and mx.gpu is mxlite.gpu
    assert mx.save_checkpoint is mxlite.checkpoint.save_checkpoint
    assert mx.load_checkpoint is mxlite.checkpoint.load_checkpoint
    for name in ("FeedForward", "fit", "predict", "chain", "SGD", "ADAM",
                 "FullyConnected", "every_n_epoch", "speedometer"):
        assert hasattr(mx, name) and not hasattr(mxlite, name), name


@pytest.mark.slow
def test_get_mnist_providers() -> None:
    train, evaluation = mx.get_mnist_providers(100)
    assert [tuple(d.shape) for d in train.provide_data] == [(100, 784)]
    assert [d.name for d in evaluation.provide_label] == ["softmax_label"]
    first = next(iter(evaluation))
    want = mxlite.test_utils.get_mnist()["test_label"][:100]
    np.testing.assert_array_equal(first.label[0].asnumpy(), want)  # in file order
    shuffled = next(iter(train)).label[0].asnumpy()
    in_order = mxlite.test_utils.get_mnist()["train_label"][:100]
    assert not np.array_equal(shuffled, in_order)
    images, _ = mx.get_mnist_providers(50, data_name="img", label_name="y", flat=False)
    assert [(d.name, tuple(d.shape)) for d in images.provide_data] == [
        ("img", (50, 1, 28, 28))]
