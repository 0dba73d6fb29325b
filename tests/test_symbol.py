"""mx.sym: variables, naming, arithmetic, groups, internals, attributes, shape
and type inference against MXNet 1.9.1's results, and MXNet.jl-style chaining."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import (
    DTypeError,
    FormatError,
    GraphError,
    MXNetError,
    ParamError,
    ShapeError,
)

FIXTURES = Path(__file__).parent / "fixtures" / "mxnet"


# -- the fixture networks, built exactly as make_fixtures.py built them --------
def build_mlp() -> mx.sym.Symbol:
    """Seed-002 MLP with MXNet's automatic names (``fullyconnected0`` ...)."""
    with mx.name.NameManager():
        data = mx.sym.flatten(data=mx.sym.var("data"))
        fc1 = mx.sym.FullyConnected(data=data, num_hidden=128)
        act1 = mx.sym.Activation(data=fc1, act_type="relu")
        fc2 = mx.sym.FullyConnected(data=act1, num_hidden=64)
        act2 = mx.sym.Activation(data=fc2, act_type="relu")
        fc3 = mx.sym.FullyConnected(data=act2, num_hidden=10)
        return mx.sym.SoftmaxOutput(data=fc3, name="softmax")


def build_lenet() -> mx.sym.Symbol:
    """Seed-002 LeNet with MXNet's automatic names."""
    with mx.name.NameManager():
        data = mx.sym.var("data")
        conv1 = mx.sym.Convolution(data=data, kernel=(5, 5), num_filter=20)
        tanh1 = mx.sym.Activation(data=conv1, act_type="tanh")
        pool1 = mx.sym.Pooling(
            data=tanh1, pool_type="max", kernel=(2, 2), stride=(2, 2)
        )
        conv2 = mx.sym.Convolution(data=pool1, kernel=(5, 5), num_filter=50)
        tanh2 = mx.sym.Activation(data=conv2, act_type="tanh")
        pool2 = mx.sym.Pooling(
            data=tanh2, pool_type="max", kernel=(2, 2), stride=(2, 2)
        )
        flat = mx.sym.flatten(data=pool2)
        fc1 = mx.symbol.FullyConnected(data=flat, num_hidden=500)
        tanh3 = mx.sym.Activation(data=fc1, act_type="tanh")
        fc2 = mx.sym.FullyConnected(data=tanh3, num_hidden=10)
        return mx.sym.SoftmaxOutput(data=fc2, name="softmax")


def build_bn_dropout() -> mx.sym.Symbol:
    """BatchNorm, LeakyReLU, global pooling, Dropout, Embedding, Reshape, Concat."""
    with mx.name.NameManager():
        data = mx.sym.var("data")
        tokens = mx.sym.var("tokens")
        img = mx.sym.BatchNorm(data=data)
        img = mx.sym.LeakyReLU(data=img, act_type="leaky", slope=0.1)
        img = mx.sym.Pooling(data=img, global_pool=True, pool_type="avg", kernel=(1, 1))
        img = mx.sym.flatten(data=img)
        img = mx.sym.Dropout(data=img, p=0.5)
        emb = mx.sym.Embedding(data=tokens, input_dim=20, output_dim=4)
        emb = mx.sym.Reshape(data=emb, shape=(0, -1))
        both = mx.sym.Concat(img, emb, dim=1)
        weight = mx.sym.var("fc_weight", lr_mult=0.5, wd_mult=0.0)
        fc = mx.sym.FullyConnected(data=both, weight=weight, num_hidden=4, name="fc")
        return mx.sym.SoftmaxOutput(data=fc, name="softmax")


BUILDERS = {"mlp": build_mlp, "lenet": build_lenet, "bn_dropout": build_bn_dropout}


def mxnet_shapes(name: str) -> dict:
    """What MXNet 1.9.1's infer_shape returned for a fixture network."""
    return json.loads((FIXTURES / f"{name}_shapes.json").read_text(encoding="utf-8"))


def run(sym: mx.sym.Symbol, arrays: dict[str, np.ndarray]) -> list[np.ndarray]:
    """Bind ``sym`` to ``arrays`` and run one inference forward pass."""
    exe = sym.bind(mx.cpu(), {k: mx.nd.array(v) for k, v in arrays.items()})
    return [o.asnumpy() for o in exe.forward(is_train=False)]


def small_mlp(prefix: str = "") -> mx.sym.Symbol:
    """data -> fc1(8) -> relu act1 -> fc2(4), all named."""
    data = mx.sym.var("data")
    fc1 = mx.sym.FullyConnected(data, num_hidden=8, name=prefix + "fc1")
    act1 = mx.sym.Activation(fc1, act_type="relu", name=prefix + "act1")
    return mx.sym.FullyConnected(act1, num_hidden=4, name=prefix + "fc2")


# -- variables -----------------------------------------------------------------
class _Init:
    """Stands in for an mx.init.Initializer: only dumps() is used."""

    def dumps(self) -> str:
        return '["uniform", {"scale": 0.07}]'


class TestVariable:
    def test_attributes_are_written_as_mxnet_writes_them(self) -> None:
        w = mx.sym.var(
            "w",
            shape=(3, 4),
            dtype="float16",
            lr_mult=2,
            wd_mult=0.5,
            init='["zero", {}]',
        )
        assert w.list_attr() == {
            "__shape__": "(3, 4)",
            "__dtype__": "2",
            "__lr_mult__": "2",
            "__wd_mult__": "0.5",
            "__init__": '["zero", {}]',
        }
        node = json.loads(w.tojson())["nodes"][0]
        assert node == {"op": "null", "name": "w", "attrs": w.list_attr(), "inputs": []}

    @pytest.mark.parametrize(
        "dtype,flag",
        [
            (np.float32, "0"),
            ("float64", "1"),
            (np.uint8, "3"),
            ("int32", "4"),
            (np.int64, "6"),
        ],
    )
    def test_dtype_is_stored_as_mxnet_type_flag(self, dtype, flag: str) -> None:
        assert mx.sym.Variable("x", dtype=dtype).attr("__dtype__") == flag

    def test_init_object_is_stored_through_dumps(self) -> None:
        assert (
            mx.sym.var("w", init=_Init()).attr("__init__")
            == '["uniform", {"scale": 0.07}]'
        )

    def test_hidden_keys_in_attr_become_dunder_keys(self) -> None:
        v = mx.sym.Variable("data", attr={"lr_mult": "3", "mood": "angry"})
        assert v.list_attr() == {"__lr_mult__": "3", "mood": "angry"}
        assert v.attr("lr_mult") == "3" and v.attr("__lr_mult__") == "3"
        assert v.attr("mood") == "angry"
        assert mx.sym.var("x", shape=(2,)).attr("shape") is None  # not a hidden key

    def test_aliases(self) -> None:
        assert mx.sym.var is mx.sym.Variable
        assert not hasattr(mx, "Variable")  # MXNet 1.x: mx.sym.Variable only
        assert mx.sym.var("x").list_arguments() == ["x"]
        assert mx.sym.var("x").list_outputs() == ["x"]

    @pytest.mark.parametrize(
        "kwargs,match",
        [
            ({"name": ""}, r"Variable: name must be a non-empty string; got ''"),
            ({"name": 3}, r"Variable: name must be a non-empty string; got 3"),
            (
                {"name": "x", "shape": "abc"},
                r"Variable\('x'\): shape must be a tuple of ints",
            ),
            (
                {"name": "x", "shape": (2, -1)},
                r"Variable\('x'\): shape must be a tuple of ints",
            ),
            ({"name": "x", "shape": 5}, r"Variable\('x'\): shape .* got 5\."),
            (
                {"name": "x", "dtype": "complex64"},
                r"Variable\('x'\): dtype must be one of",
            ),
            ({"name": "x", "init": 5}, r"Variable\('x'\): init must be an Initializer"),
        ],
    )
    def test_bad_arguments(self, kwargs: dict, match: str) -> None:
        with pytest.raises(ParamError, match=match):
            mx.sym.Variable(**kwargs)

    def test_shape_attribute_feeds_inference(self) -> None:
        fc = mx.sym.FullyConnected(
            mx.sym.var("data", shape=(4, 5)), num_hidden=3, name="fc"
        )
        assert fc.infer_shape() == ([(4, 5), (3, 5), (3,)], [(4, 3)], [])
        assert fc.infer_shape(data=(2, 7))[0] == [(2, 7), (3, 7), (3,)]  # given wins

    @pytest.mark.parametrize(
        "text",
        [
            "__import__('os').system('true')",
            "(" * 100000,
            "(1,)*10**9",
            "(1.5, 2)",
            "(" + "1," * 10000 + ")",
        ],
    )
    def test_hostile_shape_attribute_is_never_evaluated(self, text: str) -> None:
        x = mx.sym.var("x", attr={"__shape__": text})
        fc = mx.sym.FullyConnected(x, num_hidden=2, name="fc")
        with pytest.raises(
            FormatError, match=r"variable 'x': __shape__ must be a tuple"
        ):
            fc.infer_shape_partial()

    def test_bad_dtype_attribute(self) -> None:
        x = mx.sym.var("x", attr={"__dtype__": "99"})
        with pytest.raises(
            FormatError, match=r"variable 'x': __dtype__ must be an MXNet"
        ):
            x.infer_type()


# -- automatic names -----------------------------------------------------------
class TestNames:
    def test_counters_per_operator_in_a_name_manager(self) -> None:
        with mx.name.NameManager():
            x = mx.sym.var("x")
            a = mx.sym.FullyConnected(x, num_hidden=3)
            b = mx.sym.FullyConnected(a, num_hidden=3)
            c = mx.sym.Activation(b, act_type="relu")
            d = mx.sym.FullyConnected(c, num_hidden=3, name="head")
        assert [a.name, b.name, c.name, d.name] == [
            "fullyconnected0",
            "fullyconnected1",
            "activation0",
            "head",
        ]
        assert d.list_arguments() == [
            "x",
            "fullyconnected0_weight",
            "fullyconnected0_bias",
            "fullyconnected1_weight",
            "fullyconnected1_bias",
            "head_weight",
            "head_bias",
        ]
        with mx.name.NameManager():  # a fresh scope counts from 0 again
            assert mx.sym.FullyConnected(x, num_hidden=3).name == "fullyconnected0"

    def test_current_manager_and_prefix(self) -> None:
        with mx.name.NameManager() as manager:
            assert mx.name.NameManager.current is manager
            with mx.name.Prefix("mlp_"):
                fc = mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=2)
                named = mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=2, name="out")
            assert mx.name.NameManager.current is manager
        assert fc.list_arguments() == [
            "x",
            "mlp_fullyconnected0_weight",
            "mlp_fullyconnected0_bias",
        ]
        assert named.name == "mlp_out"  # as in MXNet, the prefix applies to given names

    def test_auto_created_variables(self) -> None:
        data = mx.sym.var("data")
        fc = mx.sym.FullyConnected(data, num_hidden=128, name="fc1")
        assert fc.list_arguments() == ["data", "fc1_weight", "fc1_bias"]
        assert mx.sym.FullyConnected(
            data, num_hidden=2, no_bias=True, name="nb"
        ).list_arguments() == ["data", "nb_weight"]
        assert (
            mx.sym.SoftmaxOutput(fc, name="softmax").list_arguments()[-1]
            == "softmax_label"
        )
        # MXNet copies the operator's attributes onto the variables it creates
        assert fc.attr_dict()["fc1_weight"] == {"num_hidden": "128"}

    def test_batchnorm_creates_aux_states(self) -> None:
        bn = mx.sym.BatchNorm(mx.sym.var("data"), name="bn1")
        assert bn.list_arguments() == ["data", "bn1_gamma", "bn1_beta"]
        assert bn.list_auxiliary_states() == ["bn1_moving_mean", "bn1_moving_var"]
        assert bn.list_inputs() == [
            "data",
            "bn1_gamma",
            "bn1_beta",
            "bn1_moving_mean",
            "bn1_moving_var",
        ]
        assert bn.list_outputs() == ["bn1_output"]

    def test_given_variable_replaces_the_automatic_one(self) -> None:
        w = mx.sym.var("shared_w")
        fc = mx.sym.FullyConnected(
            mx.sym.var("data"), weight=w, num_hidden=3, name="fc"
        )
        assert fc.list_arguments() == ["data", "shared_w", "fc_bias"]

    def test_name_must_be_a_string(self) -> None:
        with pytest.raises(
            ParamError,
            match=r"FullyConnected: name must be a string; "
            r"got 5\.",
        ):
            mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=2, name=5)

    def test_operator_errors_name_the_node(self) -> None:
        with pytest.raises(
            ParamError,
            match=r"FullyConnected\(name='fc1'\): num_hidden "
            r"must be an int >= 1; got -3\.",
        ):
            mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=-3, name="fc1")
        with pytest.raises(
            GraphError,
            match=r"FullyConnected\(name='fc1'\): 'gamma' is "
            r"not an input; inputs are data, weight, bias",
        ):
            mx.sym.FullyConnected(num_hidden=3, name="fc1", gamma=mx.sym.var("g"))


# -- arithmetic ----------------------------------------------------------------
X = np.random.default_rng(0).uniform(0.5, 1.5, (2, 3)).astype(np.float32)
Y = np.random.default_rng(1).uniform(0.5, 1.5, (2, 3)).astype(np.float32)

ARITH: list[tuple[str, Callable, Callable, str, str]] = [
    # id, symbolic expression, NumPy expression, auto name, JSON op
    ("add", lambda x, y: x + y, lambda x, y: x + y, "_plus0", "elemwise_add"),
    ("sub", lambda x, y: x - y, lambda x, y: x - y, "_minus0", "elemwise_sub"),
    ("mul", lambda x, y: x * y, lambda x, y: x * y, "_mul0", "elemwise_mul"),
    ("div", lambda x, y: x / y, lambda x, y: x / y, "_div0", "elemwise_div"),
    ("pow", lambda x, y: x**y, lambda x, y: x**y, "_power0", "_Power"),
    (
        "add_scalar",
        lambda x, y: x + 2,
        lambda x, y: x + 2,
        "_plusscalar0",
        "_plus_scalar",
    ),
    (
        "radd_scalar",
        lambda x, y: 2 + x,
        lambda x, y: 2 + x,
        "_plusscalar0",
        "_plus_scalar",
    ),
    (
        "sub_scalar",
        lambda x, y: x - 3,
        lambda x, y: x - 3,
        "_minusscalar0",
        "_minus_scalar",
    ),
    (
        "rsub_scalar",
        lambda x, y: 3 - x,
        lambda x, y: 3 - x,
        "_rminusscalar0",
        "_rminus_scalar",
    ),
    (
        "mul_scalar",
        lambda x, y: x * 1.5,
        lambda x, y: x * 1.5,
        "_mulscalar0",
        "_mul_scalar",
    ),
    (
        "rmul_scalar",
        lambda x, y: 4 * x,
        lambda x, y: 4 * x,
        "_mulscalar0",
        "_mul_scalar",
    ),
    (
        "div_scalar",
        lambda x, y: x / 2,
        lambda x, y: x / 2,
        "_divscalar0",
        "_div_scalar",
    ),
    (
        "rdiv_scalar",
        lambda x, y: 2 / x,
        lambda x, y: 2 / x,
        "_rdivscalar0",
        "_rdiv_scalar",
    ),
    (
        "pow_scalar",
        lambda x, y: x**2,
        lambda x, y: x**2,
        "_powerscalar0",
        "_power_scalar",
    ),
    (
        "rpow_scalar",
        lambda x, y: 2**x,
        lambda x, y: 2**x,
        "_rpowerscalar0",
        "_rpower_scalar",
    ),
    ("neg", lambda x, y: -x, lambda x, y: -x, "_mulscalar0", "_mul_scalar"),
    ("abs", lambda x, y: abs(-x), lambda x, y: x, "abs0", "abs"),
    (
        "mixed",
        lambda x, y: (x + y) * (x - 1) / (y**2) - 0.5 * x,
        lambda x, y: (x + y) * (x - 1) / (y**2) - 0.5 * x,
        "_minus0",
        "elemwise_sub",
    ),
]


class TestArithmetic:
    @pytest.mark.parametrize("case", ARITH, ids=[c[0] for c in ARITH])
    def test_matches_numpy(self, case: tuple) -> None:
        _, sym_fn, np_fn, auto_name, json_op = case
        with mx.name.NameManager():
            out = sym_fn(mx.sym.var("x"), mx.sym.var("y"))
        assert out.name == auto_name
        assert json.loads(out.tojson())["nodes"][-1]["op"] == json_op
        arrays = {
            k: v for k, v in {"x": X, "y": Y}.items() if k in out.list_arguments()
        }
        got = out.eval(mx.cpu(), **{k: mx.nd.array(v) for k, v in arrays.items()})
        np.testing.assert_allclose(got[0].asnumpy(), np_fn(X, Y), rtol=1e-6)

    def test_simple_bind_and_bind_give_the_same(self) -> None:
        expr = (mx.sym.var("x") * mx.sym.var("y") + 1) ** 2
        exe = expr.simple_bind(mx.cpu(), x=(2, 3), y=(2, 3))
        exe.arg_dict["x"][:] = X
        exe.arg_dict["y"][:] = Y
        got = exe.forward()[0].asnumpy()
        np.testing.assert_allclose(got, (X * Y + 1) ** 2, rtol=1e-6)
        np.testing.assert_allclose(run(expr, {"x": X, "y": Y})[0], got, rtol=1e-6)

    def test_scalar_is_recorded_as_a_parameter(self) -> None:
        out = mx.sym.var("x") * 2.5
        assert out.list_arguments() == ["x"]
        assert out.attr("scalar") == "2.5"

    def test_non_number_operand(self) -> None:
        with pytest.raises(
            ParamError,
            match=r"the other operand must be a Symbol or a "
            r"number; got str",
        ):
            mx.sym.var("x") + "1"

    def test_shape_mismatch_names_both_inputs(self) -> None:
        out = mx.sym.var("x") + mx.sym.var("y")
        with pytest.raises(ShapeError, match=r"_Plus|elemwise_add"):
            out.infer_shape(x=(2, 3), y=(3, 2))


# -- groups, outputs, internals, children, attributes --------------------------
class TestStructure:
    def test_group_and_lists(self) -> None:
        net = small_mlp()
        internals = net.get_internals()
        group = mx.sym.Group([internals["fc1_output"], net, mx.sym.var("extra")])
        assert group.list_outputs() == ["fc1_output", "fc2_output", "extra"]
        assert group.list_arguments() == [
            "data",
            "fc1_weight",
            "fc1_bias",
            "fc2_weight",
            "fc2_bias",
            "extra",
        ]
        assert group.list_auxiliary_states() == []
        assert group.list_inputs() == group.list_arguments()
        assert len(group) == 3 and group.name is None
        assert [s.name for s in group] == ["fc1", "fc2", "extra"]

    def test_group_rejects_non_symbols(self) -> None:
        with pytest.raises(GraphError, match=r"Group: expected Symbols; got int"):
            mx.sym.Group([mx.sym.var("x"), 3])
        with pytest.raises(
            GraphError,
            match=r"Group: expected a non-empty list of "
            r"Symbols; got \[\]",
        ):
            mx.sym.Group([])

    def test_group_outputs_through_executor(self) -> None:
        x, w = X, np.full((4, 3), 0.25, np.float32)
        fc = mx.sym.FullyConnected(
            mx.sym.var("x"), num_hidden=4, no_bias=True, name="fc"
        )
        group = mx.sym.Group([fc, mx.sym.Activation(fc, act_type="tanh", name="t")])
        out_fc, out_t = run(group, {"x": x, "fc_weight": w})
        np.testing.assert_allclose(out_fc, x @ w.T, rtol=1e-6)
        np.testing.assert_allclose(out_t, np.tanh(x @ w.T), rtol=1e-6)

    def test_internals_by_name(self) -> None:
        net = small_mlp()
        internals = net.get_internals()
        assert internals.list_outputs() == [
            "data",
            "fc1_weight",
            "fc1_bias",
            "fc1_output",
            "act1_output",
            "fc2_weight",
            "fc2_bias",
            "fc2_output",
        ]
        fc1 = internals["fc1_output"]
        assert fc1.list_arguments() == ["data", "fc1_weight", "fc1_bias"]
        assert fc1.list_outputs() == ["fc1_output"]
        rng = np.random.default_rng(3)
        arrays = {
            "data": rng.random((2, 5), dtype=np.float32),
            "fc1_weight": rng.random((8, 5), dtype=np.float32),
            "fc1_bias": rng.random(8, dtype=np.float32),
        }
        expect = arrays["data"] @ arrays["fc1_weight"].T + arrays["fc1_bias"]
        np.testing.assert_allclose(run(fc1, arrays)[0], expect, rtol=1e-5)

    def test_integer_indexing(self) -> None:
        internals = small_mlp().get_internals()
        assert internals[3].list_outputs() == ["fc1_output"]
        assert internals[-1].list_outputs() == ["fc2_output"]
        assert small_mlp()[0].name == "fc2"

    @pytest.mark.parametrize(
        "index,error,match",
        [
            (
                8,
                IndexError,
                r"Symbol\[8\]: index out of range; the symbol has 8 output",
            ),
            (-9, MXNetError, r"Symbol\[-9\]: index out of range"),
            (
                "fc9_output",
                GraphError,
                (
                    r"Symbol\['fc9_output'\]: no output has that name; "
                    r"outputs are \['data', 'fc1_weight'"
                ),
            ),
            (
                1.0,
                GraphError,
                (
                    r"Symbol\[1.0\]: an output is chosen by an int or a name; "
                    r"got float"
                ),
            ),
            (True, GraphError, r"got bool"),
        ],
    )
    def test_bad_index(self, index: object, error: type, match: str) -> None:
        with pytest.raises(error, match=match):
            small_mlp().get_internals()[index]

    def test_duplicate_output_names_are_ambiguous(self) -> None:
        x = mx.sym.var("x")
        with pytest.raises(GraphError, match=r"several outputs have that name"):
            mx.sym.Group([x, x])["x"]

    def test_get_children(self) -> None:
        net = small_mlp()
        assert net.get_children().list_outputs() == [
            "act1_output",
            "fc2_weight",
            "fc2_bias",
        ]
        assert net.get_children().get_children().list_outputs() == ["fc1_output"]
        assert mx.sym.var("x").get_children() is None

    def test_attr_list_attr_attr_dict(self) -> None:
        w = mx.sym.var("w", lr_mult=0.1)
        fc = mx.sym.FullyConnected(
            mx.sym.var("data"),
            weight=w,
            num_hidden=8,
            name="fc1",
            attr={"ctx_group": "dev1"},
        )
        assert fc.attr("num_hidden") == "8"
        assert fc.attr("ctx_group") == "dev1" and fc.attr("__ctx_group__") == "dev1"
        assert fc.attr("no_bias") is None  # defaults are not attributes, as in MXNet
        assert fc.attr("name") == "fc1" and fc.attr("op_name") == "FullyConnected"
        assert w.attr("op_name") == "null"
        assert fc.list_attr() == {"num_hidden": "8", "__ctx_group__": "dev1"}
        assert fc.attr_dict() == {
            "w": {"__lr_mult__": "0.1"},
            "fc1_bias": {"num_hidden": "8", "__ctx_group__": "dev1"},
            "fc1": {"num_hidden": "8", "__ctx_group__": "dev1"},
        }
        assert mx.sym.Group([fc, w]).attr("name") is None  # several nodes

    def test_set_attr(self) -> None:
        x = mx.sym.var("x")
        x._set_attr(lr_mult="2", mood="calm")
        assert x.list_attr() == {"__lr_mult__": "2", "mood": "calm"}
        with pytest.raises(
            ParamError, match=r"_set_attr: mood must be a string; got 3"
        ):
            x._set_attr(mood=3)

    def test_copy_is_independent(self) -> None:
        net = small_mlp()
        clone = copy.deepcopy(net)
        clone._set_attr(mood="x")
        assert net.attr("mood") is None and clone.attr("mood") == "x"
        assert clone.tojson() != net.tojson()


# -- shape and type inference ----------------------------------------------------
class TestInferShape:
    @pytest.mark.parametrize("name", ["mlp", "lenet", "bn_dropout"])
    def test_equals_mxnet(self, name: str) -> None:
        want = mxnet_shapes(name)
        sym = BUILDERS[name]()
        args, outs, aux = sym.infer_shape(
            **{k: tuple(v) for k, v in want["input"].items()}
        )
        assert dict(zip(sym.list_arguments(), args)) == {
            k: tuple(v) for k, v in want["arg"].items()
        }
        assert list(dict(zip(sym.list_arguments(), args))) == list(want["arg"])
        assert sym.list_outputs() == want["out_names"]
        assert outs == [tuple(s) for s in want["out"]]
        assert dict(zip(sym.list_auxiliary_states(), aux)) == {
            k: tuple(v) for k, v in want["aux"].items()
        }

    def test_seed_values(self) -> None:
        args = dict(
            zip(
                build_mlp().list_arguments(),
                build_mlp().infer_shape(data=(100, 1, 28, 28))[0],
            )
        )
        assert args["fullyconnected0_weight"] == (128, 784)
        lenet = build_lenet()
        args = dict(
            zip(lenet.list_arguments(), lenet.infer_shape(data=(100, 1, 28, 28))[0])
        )
        assert args["convolution0_weight"] == (20, 1, 5, 5)
        assert args["fullyconnected0_weight"] == (500, 800)

    def test_positional_shapes_follow_list_arguments(self) -> None:
        net = small_mlp()
        assert net.infer_shape((3, 5)) == net.infer_shape(data=(3, 5))
        with pytest.raises(
            ShapeError,
            match=r"infer_shape: 6 positional values for 5 "
            r"arguments",
        ):
            net.infer_shape(*[(1,)] * 6)

    def test_partial_returns_empty_tuples_for_unknowns(self) -> None:
        net = small_mlp()
        assert net.infer_shape_partial() == ([(), (), (), (), ()], [()], [])
        other = mx.sym.FullyConnected(mx.sym.var("other"), num_hidden=3, name="fc9")
        args, outs, aux = mx.sym.Group([net, other]).infer_shape_partial(data=(2, 5))
        assert args == [(2, 5), (8, 5), (8,), (4, 8), (4,), (), (), ()]
        assert outs == [(2, 4), ()] and aux == []

    def test_too_little_information_raises(self) -> None:
        # Documented difference: MXNet 1.9.1 returned (None, None, None).
        with pytest.raises(
            ShapeError,
            match=r"infer_shape: cannot decide the shapes of "
            r"\['data', 'fc1_weight', 'fc1_bias', "
            r"'fc2_weight'\] from \{'fc2_bias': \(4,\)\}; "
            r"give more input shapes, or call "
            r"infer_shape_partial\(\)",
        ):
            small_mlp().infer_shape(fc2_bias=(4,))

    @pytest.mark.parametrize(
        "kwargs,match",
        [
            (
                {"label": (2,)},
                (
                    r"infer_shape: 'label' is not an input of the symbol; inputs "
                    r"are \['data', 'fc1_weight'"
                ),
            ),
            (
                {"data": "2,5"},
                (
                    r"infer_shape: the shape of 'data' must be a tuple of ints "
                    r">= 0; got '2,5'"
                ),
            ),
            ({"data": (2, -5)}, r"the shape of 'data' must be a tuple of ints"),
            ({"data": (2.0, 5)}, r"the shape of 'data' must be a tuple of ints"),
        ],
    )
    def test_bad_requests(self, kwargs: dict, match: str) -> None:
        with pytest.raises(ShapeError, match=match):
            small_mlp().infer_shape(**kwargs)

    def test_mismatch_message_names_node_inputs_and_fix(self) -> None:
        data = mx.sym.var("data")
        fc1 = mx.sym.FullyConnected(data, num_hidden=128, name="fc1")
        act1 = mx.sym.Activation(fc1, act_type="relu", name="act1")
        fc2 = mx.sym.FullyConnected(act1, num_hidden=64, name="fc2")
        match = (
            r"FullyConnected\(name='fc2'\): input 'act1' has shape \(100, 128\) but "
            r"'fc2_weight' was given \(64, 100\); 'weight' must be \(64, 128\)"
        )
        with pytest.raises(ShapeError, match=match):
            fc2.simple_bind(mx.cpu(), data=(100, 784), fc2_weight=(64, 100))
        with pytest.raises(ShapeError, match=match):
            fc2.infer_shape(data=(100, 784), fc2_weight=(64, 100))
        arrays = {
            "data": np.zeros((100, 784), np.float32),
            "fc1_weight": np.zeros((128, 784), np.float32),
            "fc1_bias": np.zeros(128, np.float32),
            "fc2_weight": np.zeros((64, 100), np.float32),
            "fc2_bias": np.zeros(64, np.float32),
        }
        with pytest.raises(ShapeError, match=match):
            run(fc2, arrays)

    def test_late_conflict_with_a_consumer_is_reported(self) -> None:
        # fc's output is first filled from its consumer (a + y), and only on the
        # second pass does x (found from x + w) give fc's own, different, shape.
        x = mx.sym.var("x")
        fc = mx.sym.FullyConnected(x, num_hidden=3, name="fc")
        net = mx.sym.Group([fc + mx.sym.var("y"), x + mx.sym.var("w")])
        with pytest.raises(
            ShapeError,
            match=r"FullyConnected\(name='fc'\): output 'fc_output' has shape \(2, 3\) "
            r"from its inputs, but \(2, 4\) where it is used",
        ):
            net.infer_shape(y=(2, 4), w=(2, 5))

    def test_aux_mismatch_message(self) -> None:
        bn = mx.sym.BatchNorm(mx.sym.var("data"), name="bn")
        with pytest.raises(
            ShapeError,
            match=r"BatchNorm\(name='bn'\): auxiliary state "
            r"'bn_moving_mean' was given \(4,\); it must "
            r"be \(3,\)",
        ):
            bn.infer_shape(data=(2, 3, 5, 5), bn_moving_mean=(4,))


class TestInferType:
    def test_propagates_from_data(self) -> None:
        args, outs, aux = small_mlp().infer_type(data="float16")
        assert args == [np.float16] * 5 and outs == [np.float16] and aux == []
        assert small_mlp().infer_type(np.float64)[1] == [np.float64]

    def test_unknown_without_information(self) -> None:
        assert small_mlp().infer_type() == ([None] * 5, [None], [])

    def test_variable_dtype_attribute(self) -> None:
        x = mx.sym.var("x", dtype="float64")
        assert (x * 2).infer_type() == ([np.float64], [np.float64], [])

    def test_bad_requests(self) -> None:
        with pytest.raises(
            DTypeError,
            match=r"infer_type: the dtype of 'data' must be a "
            r"NumPy dtype like 'float32'; got 'nope'",
        ):
            small_mlp().infer_type(data="nope")
        with pytest.raises(GraphError, match=r"infer_type: 'label' is not an input"):
            small_mlp().infer_type(label="float32")

    def test_mismatch(self) -> None:
        out = mx.sym.var("x") + mx.sym.var("y")
        with pytest.raises(
            DTypeError,
            match=r"elemwise_add\(name='.*'\): inputs 'lhs' "
            r"\(float32\) and 'rhs' \(float16\) must have "
            r"the same dtype",
        ):
            out.infer_type(x="float32", y="float16")
