"""Symbol JSON: round trips, byte-level agreement with MXNet 1.9.1's files, the
legacy ``param``/``attr`` form, atomic saving and hostile input."""

from __future__ import annotations

import builtins
import copy
import json
import os
import pickle
import time
from pathlib import Path

import numpy as np
import pytest

import mxlite as mx
from mxlite import _fileio
from mxlite.base import FormatError, MXNetError

from .test_symbol import BUILDERS, mxnet_shapes, run

FIXTURES = Path(__file__).parent / "fixtures" / "mxnet"


def fixture_json(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}-symbol.json").read_text(encoding="utf-8"))


def random_arrays(sym: mx.sym.Symbol, seed: int = 0, **shapes: tuple) -> dict:
    """Deterministic float32 arrays for every argument of ``sym``."""
    rng = np.random.default_rng(seed)
    arg_shapes = sym.infer_shape(**shapes)[0]
    return {
        name: rng.uniform(-0.5, 0.5, shape).astype(np.float32)
        for name, shape in zip(sym.list_arguments(), arg_shapes)
    }


def without_row_ptr(graph: dict) -> dict:
    return {k: v for k, v in graph.items() if k != "node_row_ptr"}


# -- round trip ------------------------------------------------------------------
class TestRoundTrip:
    @pytest.mark.slow
    @pytest.mark.parametrize("name", ["mlp", "lenet"])
    def test_same_graph_and_outputs(self, name: str) -> None:
        sym = BUILDERS[name]()
        loaded = mx.sym.load_json(sym.tojson())
        assert loaded.tojson() == sym.tojson()
        assert loaded.list_arguments() == sym.list_arguments()
        assert loaded.list_outputs() == sym.list_outputs()
        arrays = random_arrays(sym, data=(2, 1, 28, 28))
        np.testing.assert_array_equal(run(loaded, arrays)[0], run(sym, arrays)[0])

    def test_attributes_and_aux_survive(self) -> None:
        data = mx.sym.var("data", shape=(2, 3, 4, 4), dtype="float32", lr_mult=0.5)
        bn = mx.sym.BatchNorm(
            data, eps=1e-4, fix_gamma=False, name="bn", attr={"ctx_group": "dev1"}
        )
        loaded = mx.sym.load_json(bn.tojson())
        assert loaded.attr_dict() == bn.attr_dict()
        assert loaded.list_auxiliary_states() == ["bn_moving_mean", "bn_moving_var"]
        assert loaded.attr("eps") == "0.0001" and loaded.attr("ctx_group") == "dev1"
        assert loaded.infer_shape() == bn.infer_shape()
        nodes = json.loads(bn.tojson())["nodes"]
        # aux inputs are written with version 1, as MXNet's mutated variables are
        assert nodes[-1]["inputs"] == [
            [0, 0, 0],
            [1, 0, 0],
            [2, 0, 0],
            [3, 0, 1],
            [4, 0, 1],
        ]

    def test_group_heads(self) -> None:
        sym = BUILDERS["mlp"]()
        group = mx.sym.Group([sym.get_internals()["fullyconnected0_output"], sym])
        graph = json.loads(group.tojson())
        assert graph["heads"] == [[4, 0, 0], [14, 0, 0]]
        assert mx.sym.load_json(group.tojson()).list_outputs() == [
            "fullyconnected0_output",
            "softmax_output",
        ]


# -- agreement with MXNet 1.9.1 -------------------------------------------------------
class TestMXNetFiles:
    def test_our_mlp_json_equals_mxnets(self) -> None:
        assert json.loads(BUILDERS["mlp"]().tojson()) == fixture_json("mlp")

    def test_our_lenet_json_equals_mxnets(self) -> None:
        # node_row_ptr differs: see test_node_row_ptr_counts_only_visible_outputs
        ours = json.loads(BUILDERS["lenet"]().tojson())
        assert without_row_ptr(ours) == without_row_ptr(fixture_json("lenet"))

    def test_our_bn_dropout_json_equals_mxnets(self) -> None:
        ours = json.loads(BUILDERS["bn_dropout"]().tojson())
        assert without_row_ptr(ours) == without_row_ptr(fixture_json("bn_dropout"))

    @pytest.mark.parametrize(
        "name,hidden",
        [
            ("lenet", {"pooling0": 1, "pooling1": 1}),
            ("bn_dropout", {"batchnorm0": 2, "dropout0": 1}),
        ],
    )
    def test_node_row_ptr_counts_only_visible_outputs(
        self, name: str, hidden: dict
    ) -> None:
        """MXNet's node_row_ptr also counts hidden outputs: BatchNorm's mean and
        var, Dropout's mask and, in MKL-DNN builds such as the 1.9.1 wheel, max
        Pooling's workspace (global avg pooling has none). mxlite's graph holds
        visible outputs only. MXNet's reader (nnvm LoadJSON) declares
        node_row_ptr optional and never uses it, so files load either way."""
        theirs = fixture_json(name)
        ours = json.loads(mx.sym.load(str(FIXTURES / f"{name}-symbol.json")).tojson())
        assert without_row_ptr(ours) == without_row_ptr(theirs)
        ours_n = np.diff(ours["node_row_ptr"])
        theirs_n = np.diff(theirs["node_row_ptr"])
        assert list(ours_n) == [1] * len(theirs["nodes"])
        assert {
            node["name"]: int(t - o)
            for node, o, t in zip(theirs["nodes"], ours_n, theirs_n)
            if t != o
        } == hidden

    @pytest.mark.parametrize("name", ["mlp", "lenet", "bn_dropout"])
    def test_mxnet_files_load_and_infer_like_mxnet(self, name: str) -> None:
        sym = mx.sym.load(str(FIXTURES / f"{name}-symbol.json"))
        want = mxnet_shapes(name)
        args, outs, aux = sym.infer_shape(
            **{k: tuple(v) for k, v in want["input"].items()}
        )
        assert dict(zip(sym.list_arguments(), args)) == {
            k: tuple(v) for k, v in want["arg"].items()
        }
        assert sym.list_outputs() == want["out_names"]
        assert outs == [tuple(s) for s in want["out"]]
        assert dict(zip(sym.list_auxiliary_states(), aux)) == {
            k: tuple(v) for k, v in want["aux"].items()
        }
        assert json.loads(sym.tojson())["nodes"] == fixture_json(name)["nodes"]

    def test_mxnet_checkpoint_predicts_like_mxnet(self) -> None:
        sym = mx.sym.load(str(FIXTURES / "mlp-symbol.json"))
        params = mx.nd.load(str(FIXTURES / "mlp-0001.params"))
        spec = json.loads((FIXTURES / "mlp_predict.json").read_text(encoding="utf-8"))
        arrays = {k.split(":", 1)[1]: v.asnumpy() for k, v in params.items()}
        arrays["data"] = np.asarray(spec["inputs"], np.float32)
        arrays["softmax_label"] = np.zeros(len(spec["inputs"]), np.float32)
        np.testing.assert_allclose(
            run(sym, arrays)[0], np.asarray(spec["outputs"]), rtol=1e-5, atol=1e-6
        )


# -- the legacy form (MXNet < 0.9, as in MXNet's tests/python/unittest/save_000800.json)
LEGACY = {
    "nodes": [
        {
            "op": "null",
            "param": {},
            "name": "data",
            "inputs": [],
            "backward_source_id": -1,
            "attr": {"ctx_group": "stage1", "lr_mult": "0.2"},
        },
        {
            "op": "null",
            "param": {},
            "name": "fc1_weight",
            "inputs": [],
            "backward_source_id": -1,
            "attr": {"ctx_group": "stage1", "wd_mult": "0.3", "weight_lr_mult": "1.2"},
        },
        {
            "op": "null",
            "param": {},
            "name": "fc1_bias",
            "inputs": [],
            "backward_source_id": -1,
            "attr": {"ctx_group": "stage1"},
        },
        {
            "op": "FullyConnected",
            "param": {"no_bias": "False", "num_hidden": "8"},
            "name": "fc1",
            "inputs": [[0, 0], [1, 0], [2, 0]],
            "backward_source_id": -1,
            "attr": {"ctx_group": "stage1", "wd_mult": "0.3", "weight_lr_mult": "1.2"},
        },
        {
            "op": "Activation",
            "param": {"act_type": "relu"},
            "name": "relu1",
            "inputs": [[3, 0]],
            "backward_source_id": -1,
            "attr": {"ctx_group": "stage2"},
        },
        {
            "op": "null",
            "param": {},
            "name": "batchnorm0_gamma",
            "inputs": [],
            "backward_source_id": -1,
            "attr": {"ctx_group": "stage2"},
        },
        {
            "op": "null",
            "param": {},
            "name": "batchnorm0_beta",
            "inputs": [],
            "backward_source_id": -1,
            "attr": {"ctx_group": "stage2"},
        },
        {
            "op": "BatchNorm",
            "param": {
                "eps": "0.001",
                "fix_gamma": "True",
                "momentum": "0.9",
                "use_global_stats": "False",
            },
            "name": "batchnorm0",
            "inputs": [[4, 0], [5, 0], [6, 0]],
            "backward_source_id": -1,
            "attr": {"ctx_group": "stage2"},
        },
        {
            "op": "null",
            "param": {},
            "name": "softmax_label",
            "inputs": [],
            "backward_source_id": -1,
            "attr": {"ctx_group": "stage2"},
        },
        {
            "op": "SoftmaxOutput",
            "param": {
                "grad_scale": "1",
                "ignore_label": "-1",
                "multi_output": "False",
                "normalization": "null",
                "out_grad": "False",
                "preserve_shape": "False",
                "use_ignore": "False",
            },
            "name": "softmax",
            "inputs": [[7, 0], [8, 0]],
            "backward_source_id": -1,
            "attr": {"ctx_group": "stage2"},
        },
    ],
    "arg_nodes": [0, 1, 2, 5, 6, 8],
    "heads": [[9, 0]],
}
BN_ATTRS = {
    "eps": "0.001",
    "fix_gamma": "True",
    "momentum": "0.9",
    "use_global_stats": "False",
    "__ctx_group__": "stage2",
}


class TestLegacyForm:
    def test_loads_and_is_upgraded_like_mxnet(self) -> None:
        sym = mx.sym.load_json(json.dumps(LEGACY))
        assert sym.list_arguments() == [
            "data",
            "fc1_weight",
            "fc1_bias",
            "batchnorm0_gamma",
            "batchnorm0_beta",
            "softmax_label",
        ]
        assert sym.list_auxiliary_states() == [
            "batchnorm0_moving_mean",
            "batchnorm0_moving_var",
        ]
        attrs = sym.attr_dict()
        assert attrs["data"] == {"__ctx_group__": "stage1", "__lr_mult__": "0.2"}
        # fc1's "weight_lr_mult" moves onto its weight variable (UpgradeJSON_FixParsing);
        # on a variable the key is kept as it is
        assert attrs["fc1_weight"] == {
            "__ctx_group__": "stage1",
            "__wd_mult__": "0.3",
            "weight_lr_mult": "1.2",
            "__lr_mult__": "1.2",
        }
        assert attrs["fc1"] == {
            "no_bias": "False",
            "num_hidden": "8",
            "__ctx_group__": "stage1",
            "__wd_mult__": "0.3",
        }
        # the missing aux inputs come back carrying the node's attributes
        for aux in ("batchnorm0_moving_mean", "batchnorm0_moving_var"):
            got = dict(attrs[aux])
            got.pop("__init__", None)  # checked by test_batchnorm_aux_init below
            assert got == BN_ATTRS
        args, outs, aux = sym.infer_shape(data=(4, 10))
        assert args == [(4, 10), (8, 10), (8,), (8,), (8,), (4,)]
        assert outs == [(4, 8)] and aux == [(8,), (8,)]

    def test_upgraded_graph_saves_in_the_attrs_form(self) -> None:
        sym = mx.sym.load_json(json.dumps(LEGACY))
        graph = json.loads(sym.tojson())
        assert all("param" not in n and "attr" not in n for n in graph["nodes"])
        assert graph["attrs"] == {"mxnet_version": ["int", 10901]}
        assert mx.sym.load_json(sym.tojson()).tojson() == sym.tojson()

    def test_computes_like_the_same_net_built_now(self) -> None:
        legacy = mx.sym.load_json(json.dumps(LEGACY))
        fc1 = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=8, name="fc1")
        act = mx.sym.Activation(fc1, act_type="relu", name="relu1")
        bn = mx.sym.BatchNorm(act, eps=0.001, name="batchnorm0")
        built = mx.sym.SoftmaxOutput(bn, name="softmax")
        arrays = random_arrays(built, seed=2, data=(4, 10))
        exes = [
            s.bind(
                mx.cpu(),
                {k: mx.nd.array(v) for k, v in arrays.items()},
                aux_states={
                    "batchnorm0_moving_mean": mx.nd.array(np.full(8, 0.1)),
                    "batchnorm0_moving_var": mx.nd.array(np.full(8, 2.0)),
                },
            )
            for s in (legacy, built)
        ]
        out = [e.forward(is_train=False)[0].asnumpy() for e in exes]
        np.testing.assert_array_equal(out[0], out[1])

    def test_batchnorm_aux_init(self) -> None:
        for sym in (
            mx.sym.load_json(json.dumps(LEGACY)),
            mx.sym.BatchNorm(mx.sym.var("x"), name="batchnorm0"),
        ):
            attrs = sym.attr_dict()
            assert attrs["batchnorm0_moving_mean"]["__init__"] == '["zero", {}]'
            assert attrs["batchnorm0_moving_var"]["__init__"] == '["one", {}]'

    def test_old_argmax_axis(self) -> None:
        graph = {
            "nodes": [
                {"op": "null", "name": "x", "inputs": []},
                {
                    "op": "argmax",
                    "name": "am",
                    "param": {"axis": "-1"},
                    "inputs": [[0, 0]],
                },
            ],
            "heads": [[1, 0]],
        }
        # before MXNet 0.9.5, axis=-1 meant "over all axes"
        assert mx.sym.load_json(json.dumps(graph)).list_attr() == {}
        graph["attrs"] = {"mxnet_version": ["int", 10901]}
        assert mx.sym.load_json(json.dumps(graph)).list_attr() == {"axis": "-1"}

    def test_per_input_key_for_a_missing_input(self) -> None:
        bad = copy.deepcopy(LEGACY)
        bad["nodes"][3]["attr"]["gamma_lr_mult"] = "2"
        with pytest.raises(
            FormatError,
            match=r"node 3 'fc1': attribute 'gamma_lr_mult' "
            r"names no variable input 'gamma'",
        ):
            mx.sym.load_json(json.dumps(bad))


# -- saving --------------------------------------------------------------------------
class TestSave:
    def test_save_and_load(self, tmp_path: Path) -> None:
        sym = BUILDERS["lenet"]()
        path = tmp_path / "lenet-symbol.json"
        path.write_text("old", encoding="utf-8")
        sym.save(str(path))
        assert path.read_text(encoding="utf-8") == sym.tojson()
        assert mx.sym.load(str(path)).tojson() == sym.tojson()
        assert os.listdir(tmp_path) == ["lenet-symbol.json"]

    def test_failed_save_keeps_the_old_file(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        path = tmp_path / "net-symbol.json"
        BUILDERS["mlp"]().save(str(path))
        before = path.read_bytes()

        def broken_replace(src: str, dst: str) -> None:
            raise OSError("disk full")

        monkeypatch.setattr(_fileio.os, "replace", broken_replace)
        with pytest.raises(OSError, match="disk full"):
            BUILDERS["lenet"]().save(str(path))
        assert path.read_bytes() == before
        assert os.listdir(tmp_path) == ["net-symbol.json"]  # no temporary left behind


# -- hostile and malformed input ---------------------------------------------------------
GOOD = fixture_json("mlp")


def edited(change) -> str:
    graph = copy.deepcopy(GOOD)
    change(graph)
    return json.dumps(graph)


def _set_input(node: int, entry: list):
    return lambda g: g["nodes"][node]["inputs"].__setitem__(0, entry)


HOSTILE = [
    (
        "truncated",
        json.dumps(GOOD)[:300],
        r"^symbol JSON: not valid JSON \(Unterminated",
    ),
    ("not_json", "hello", r"^symbol JSON: not valid JSON"),
    ("empty", "", r"^symbol JSON: not valid JSON"),
    ("a_list", "[1, 2]", r"^symbol JSON: the top level must be dict; got \[1, 2\]"),
    (
        "nodes_not_list",
        edited(lambda g: g.__setitem__("nodes", {})),
        r"'nodes' must be list; got \{\}",
    ),
    (
        "node_not_object",
        '{"nodes": ["x"], "heads": [[0, 0, 0]]}',
        r"node 0 must be dict; got 'x'",
    ),
    (
        "unknown_op",
        edited(lambda g: g["nodes"][1].__setitem__("op", "Frobnicate")),
        r"node 1 'flatten0': unknown operator 'Frobnicate'",
    ),
    (
        "bad_param_value",
        edited(lambda g: g["nodes"][4]["attrs"].__setitem__("num_hidden", "-3")),
        (
            r"node 4 'fullyconnected0': FullyConnected\(name='fullyconnected0'\): num_hidden "
            r"must be an int >= 1; got '-3'"
        ),
    ),
    (
        "unknown_param",
        edited(lambda g: g["nodes"][5]["attrs"].__setitem__("frob", "1")),
        r"node 5 'activation0': Activation\(name='activation0'\): unknown parameter 'frob'",
    ),
    (
        "bad_enum",
        edited(lambda g: g["nodes"][5]["attrs"].__setitem__("act_type", "foo")),
        r"node 5 'activation0': .*act_type must be one of",
    ),
    (
        "input_forward",
        edited(_set_input(4, [9, 0, 0])),
        (
            r"node 4 'fullyconnected0': input refers to node 9, but only nodes 0\.\.3 come "
            r"before it"
        ),
    ),
    ("input_self", edited(_set_input(4, [4, 0, 0])), r"input refers to node 4"),
    ("input_out_of_range", edited(_set_input(4, [99, 0, 0])), r"refers to node 99"),
    ("input_negative", edited(_set_input(4, [-1, 0, 0])), r"refers to node -1"),
    ("input_huge", edited(_set_input(4, [10**300, 0, 0])), r"refers to node 1000"),
    (
        "input_float",
        edited(_set_input(4, [1.0, 0, 0])),
        r"input \[1\.0, 0, 0\] must be \[node, output, version\]",
    ),
    ("input_short", edited(_set_input(4, [1])), r"must be \[node, output, version\]"),
    (
        "output_out_of_range",
        edited(_set_input(4, [1, 3, 0])),
        (
            r"node 4 'fullyconnected0': input refers to output 3 of node 1 'flatten0', which "
            r"has 1 output\(s\)"
        ),
    ),
    (
        "head_output_out_of_range",
        edited(lambda g: g.__setitem__("heads", [[14, 1, 0]])),
        r"heads: input refers to output 1 of node 14 'softmax'",
    ),
    (
        "head_node_out_of_range",
        edited(lambda g: g.__setitem__("heads", [[15, 0, 0]])),
        r"heads: input refers to node 15",
    ),
    (
        "empty_heads",
        edited(lambda g: g.__setitem__("heads", [])),
        r"'heads' is empty: the graph has no outputs",
    ),
    ("no_heads", edited(lambda g: g.pop("heads")), r"'heads' must be list; got None"),
    (
        "int_attr",
        edited(lambda g: g["nodes"][4]["attrs"].__setitem__("num_hidden", 128)),
        r"node 4 'fullyconnected0' attrs\['num_hidden'\] must be a string; got 128",
    ),
    (
        "nan_attr",
        json.dumps(GOOD).replace('"num_hidden": "128"', '"num_hidden": NaN', 1),
        r"attrs\['num_hidden'\] must be a string; got nan",
    ),
    (
        "attrs_not_object",
        edited(lambda g: g["nodes"][4].__setitem__("attrs", [1])),
        r"node 4 'fullyconnected0' attrs must be dict; got \[1\]",
    ),
    (
        "name_not_string",
        edited(lambda g: g["nodes"][4].__setitem__("name", 3)),
        r"node 4 'name' must be str; got 3",
    ),
    (
        "lone_surrogate",
        edited(lambda g: g["nodes"][0].__setitem__("name", "\ud800")),
        r"node 0: 'name' '\\ud800' is not valid Unicode",
    ),
    (
        "variable_with_inputs",
        edited(lambda g: g["nodes"][2].__setitem__("inputs", [[0, 0, 0]])),
        (
            r"node 2 'fullyconnected0_weight': a variable cannot "
            r"have inputs"
        ),
    ),
    (
        "too_many_inputs",
        edited(lambda g: g["nodes"][5]["inputs"].append([0, 0, 0])),
        r"node 5 'activation0': Activation takes 1 inputs \(data\); the file gives 2",
    ),
    (
        "duplicate_variable",
        edited(lambda g: g["nodes"][2].__setitem__("name", "data")),
        r"two variables are named 'data'",
    ),
    (
        "re_added_duplicate",
        edited(lambda g: g["nodes"][4].__setitem__("inputs", [[1, 0, 0]])),
        r"two variables are named 'fullyconnected0_weight'",
    ),
    (
        "bad_version",
        edited(lambda g: g["attrs"].__setitem__("mxnet_version", "1.9")),
        r"'attrs' 'mxnet_version' must be \[\"int\", version\]; got '1\.9'",
    ),
    (
        "top_attrs_not_object",
        edited(lambda g: g.__setitem__("attrs", 5)),
        r"'attrs' must be dict; got 5",
    ),
    ("deep_array", "[" * 100000, r"not valid JSON \(maximum recursion depth"),
    ("deep_in_nodes", '{"nodes": ' + "[" * 100000, r"not valid JSON"),
    ("huge_number", '{"nodes": [' + "9" * 5000 + "]}", r"not valid JSON"),
    (
        "code_in_shape",
        edited(
            lambda g: g["nodes"][0].__setitem__(
                "attrs", {"__shape__": "__import__('os').system('true')"}
            )
        ),
        r"node 0 'data': variable 'data': __shape__ must be a tuple of ints",
    ),
    (
        "nested_shape",
        edited(
            lambda g: g["nodes"][0].__setitem__("attrs", {"__shape__": "(" * 100000})
        ),
        r"__shape__ must be a tuple of ints",
    ),
    (
        "bad_dtype_flag",
        edited(lambda g: g["nodes"][0].__setitem__("attrs", {"__dtype__": "1e400"})),
        r"__dtype__ must be an MXNet type flag",
    ),
    (
        "code_in_param",
        edited(
            lambda g: g["nodes"][4]["attrs"].__setitem__(
                "num_hidden", "__import__('os').getpid()"
            )
        ),
        r"num_hidden must be an int >= 1; got \"__import__\('os'\)\.getpid\(\)\"",
    ),
    (
        "parser_bomb_param",
        edited(
            lambda g: g["nodes"][4]["attrs"].__setitem__("num_hidden", "-" * 9000 + "1")
        ),
        (
            r"node 4 'fullyconnected0': (cannot parse its parameters \['num_hidden'\]|"
            r".*num_hidden must be)"
        ),
    ),
    (
        "long_param",
        edited(
            lambda g: g["nodes"][4]["attrs"].__setitem__(
                "num_hidden", "(" + "1," * 100000 + ")"
            )
        ),
        r"parameter 'num_hidden' is 200002 characters long; at most 10000 are accepted",
    ),
    ("pickle_text", pickle.dumps([1, 2]).decode("latin-1"), r"not valid JSON"),
    ("bytes", b"{}", r"expected a JSON string; got bytes"),
]


class TestHostile:
    @pytest.mark.parametrize(
        "text,match", [c[1:] for c in HOSTILE], ids=[c[0] for c in HOSTILE]
    )
    def test_raises_format_error_naming_the_problem(
        self, text: str, match: str
    ) -> None:
        start = time.perf_counter()
        with pytest.raises(FormatError, match=match) as info:
            mx.sym.load_json(text)
        assert isinstance(info.value, MXNetError) and isinstance(info.value, ValueError)
        assert len(str(info.value)) < 600
        assert time.perf_counter() - start < 2.0

    def test_non_utf8_file(self, tmp_path: Path) -> None:
        path = tmp_path / "bad-symbol.json"
        path.write_bytes(b'{"nodes": [\xff\xfe]}')
        with pytest.raises(
            FormatError,
            match=r"bad-symbol\.json: not a UTF-8 symbol JSON "
            r"file",
        ):
            mx.sym.load(str(path))

    def test_file_errors_name_the_file(self, tmp_path: Path) -> None:
        path = tmp_path / "cut-symbol.json"
        path.write_text(BUILDERS["mlp"]().tojson()[:100], encoding="utf-8")
        with pytest.raises(
            FormatError,
            match=r"cut-symbol\.json: symbol JSON: not valid "
            r"JSON",
        ):
            mx.sym.load(str(path))

    def test_pickle_file_is_never_unpickled(self, tmp_path: Path) -> None:
        class Payload:
            def __reduce__(self):
                return exec, ("import builtins; builtins.MXLITE_PWNED = True",)

        path = tmp_path / "evil-symbol.json"
        path.write_bytes(pickle.dumps(Payload()))
        with pytest.raises(FormatError):
            mx.sym.load(str(path))
        assert not hasattr(builtins, "MXLITE_PWNED")

    def test_code_in_names_and_free_attributes_stays_text(self) -> None:
        code = "__import__('builtins').__setattr__('MXLITE_PWNED', True)"
        graph = {
            "nodes": [
                {
                    "op": "null",
                    "name": code,
                    "attrs": {"__init__": code, "mood": code},
                    "inputs": [],
                },
                {
                    "op": "Activation",
                    "name": code + "!",
                    "attrs": {"act_type": "relu", "__note__": code},
                    "inputs": [[0, 0, 0]],
                },
            ],
            "arg_nodes": [0],
            "heads": [[1, 0, 0]],
        }
        sym = mx.sym.load_json(json.dumps(graph))
        assert sym.list_arguments() == [code]
        assert sym.attr_dict()[code] == {"__init__": code, "mood": code}
        assert sym.infer_shape(**{code: (2, 3)})[1] == [(2, 3)]
        assert not hasattr(builtins, "MXLITE_PWNED")
