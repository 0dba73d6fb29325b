"""mx.init: MXNet's by-name dispatch, distributions, fans, registry, seeding."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import DTypeError, ParamError, ShapeError

InitDesc = mx.init.InitDesc
BIG = (400, 500)  # 200k values: moments to ~1%


@pytest.fixture(autouse=True)
def _seeded():
    mx.random.seed(0)


def _filled(init, name, shape=(3, 4), dtype="float32", attrs=None):
    arr = mx.nd.full(shape, 7.0, dtype=dtype)
    init(InitDesc(name, attrs), arr)
    return arr.asnumpy()


@pytest.mark.parametrize("name, value", [
    ("fc1_bias", 0.0), ("bn_gamma", 1.0), ("bn_beta", 0.0),
    ("bn_moving_mean", 0.0), ("bn_moving_var", 1.0), ("bn_running_mean", 0.0),
    ("bn_running_var", 1.0), ("bn_moving_inv_var", 0.0), ("q_min", 0.0), ("q_max", 1.0),
    ("fc1_bias_quantize", 0.0),
])
def test_dispatch_by_name_suffix(name, value):
    assert np.all(_filled(mx.init.Uniform(0.5), name) == value)


def test_weight_goes_to_init_weight_and_unknown_names_fail():
    w = _filled(mx.init.Uniform(0.5), "fc1_weight")
    assert np.all(np.abs(w) <= 0.5) and np.unique(w).size > 1
    with pytest.raises(ParamError, match="unknown initialization pattern for 'data'"):
        _filled(mx.init.Uniform(), "data")


def test_string_names_use_the_legacy_path_silently():
    arr = mx.nd.zeros((4,))
    mx.init.Xavier()("fc_gamma", arr)  # no DeprecationWarning (filterwarnings=error)
    assert np.all(arr.asnumpy() == 1)
    up = mx.nd.zeros((1, 1, 4, 4))
    mx.init.Uniform()("upsampling0_weight", up)
    assert np.allclose(up.asnumpy()[0, 0, 0], [0.0625, 0.1875, 0.1875, 0.0625])


def test_init_attribute_overrides_the_name_rule():
    attrs = {"__init__": mx.init.Constant(3.0).dumps()}
    assert np.all(_filled(mx.init.Uniform(), "fc1_bias", attrs=attrs) == 3.0)
    w = mx.sym.var("w", init=mx.init.One())
    desc = InitDesc("w", w.attr_dict()["w"])
    assert np.all(_filled(mx.init.Zero(), desc, attrs=desc.attrs) == 1.0)


def test_uniform_bounds_and_moments():
    w = _filled(mx.init.Uniform(0.5), "w_weight", BIG)
    assert w.min() >= -0.5 and w.max() < 0.5
    assert abs(w.mean()) < 0.005
    assert w.var() == pytest.approx(0.25 / 3, rel=0.02)


def test_default_uniform_scale_is_mxnet_class_default():
    assert mx.init.Uniform().scale == 0.07 and mx.init.Normal().sigma == 0.01


def test_normal_moments():
    w = _filled(mx.init.Normal(0.3), "w_weight", BIG)
    assert abs(w.mean()) < 0.003
    assert w.std() == pytest.approx(0.3, rel=0.01)


@pytest.mark.parametrize("shape, fan_in, fan_out", [
    ((300, 500), 500, 300),                # FullyConnected: (num_hidden, input)
    ((64, 32, 3, 3), 32 * 9, 64 * 9),      # Convolution: (out, in, kh, kw)
])
@pytest.mark.slow
@pytest.mark.parametrize("factor_type", ["avg", "in", "out"])
def test_xavier_fans_match_the_formula(shape, fan_in, fan_out, factor_type):
    factor = {"avg": (fan_in + fan_out) / 2, "in": fan_in, "out": fan_out}[factor_type]
    scale = np.sqrt(2.5 / factor)
    uni = _filled(mx.init.Xavier("uniform", factor_type, 2.5), "c_weight", shape)
    assert np.abs(uni).max() <= scale and np.abs(uni).max() > 0.99 * scale
    assert uni.std() == pytest.approx(scale / np.sqrt(3), rel=0.03)
    gau = _filled(mx.init.Xavier("gaussian", factor_type, 2.5), "c_weight", shape)
    assert gau.std() == pytest.approx(scale, rel=0.03)


@pytest.mark.slow
def test_msraprelu_is_gaussian_xavier_with_he_magnitude():
    w = _filled(mx.init.MSRAPrelu("in", slope=0.0), "conv_weight", (128, 64, 3, 3))
    assert w.std() == pytest.approx(np.sqrt(2.0 / (64 * 9)), rel=0.02)
    assert mx.init.MSRAPrelu().dumps() == '["msraprelu", {"factor_type": "avg", "slope": 0.25}]'


def test_xavier_rejects_vectors_and_bad_options():
    with pytest.raises(ShapeError, match="'fc_weight' has shape \\(5,\\)"):
        _filled(mx.init.Xavier(), "fc_weight", (5,))
    with pytest.raises(ParamError, match="rnd_type"):
        mx.init.Xavier(rnd_type="normal")
    with pytest.raises(ParamError, match="factor_type"):
        mx.init.Xavier(factor_type="mean")


@pytest.mark.slow
@pytest.mark.parametrize("shape", [(20, 50), (50, 20), (8, 2, 3, 3)])
@pytest.mark.parametrize("rand_type", ["uniform", "normal"])
def test_orthogonal_rows_or_columns_orthonormal(shape, rand_type):
    w = _filled(mx.init.Orthogonal(scale=1.5, rand_type=rand_type), "r_weight", shape)
    m = w.reshape(shape[0], -1)
    gram = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
    np.testing.assert_allclose(gram, 2.25 * np.eye(gram.shape[0]), atol=1e-5)


def test_zero_one_constant():
    assert np.all(_filled(mx.init.Zero(), "a_weight") == 0)
    assert np.all(_filled(mx.init.One(), "a_weight") == 1)
    assert np.all(_filled(mx.init.Constant(2.5), "a_weight") == 2.5)
    row = _filled(mx.init.Constant(np.arange(4.0)), "a_weight")
    assert np.all(row == np.arange(4.0))
    assert json.loads(mx.init.Constant(np.eye(2)).dumps()) == [
        "constant", {"value": [[1.0, 0.0], [0.0, 1.0]]}]


def test_mixed_patterns_first_match_wins():
    init = mx.init.Mixed(["fc1_.*", "fc2_.*", ".*"],
                         [mx.init.Constant(2.0), mx.init.Zero(), mx.init.One()])
    assert np.all(_filled(init, "fc1_weight") == 2.0)
    assert np.all(_filled(init, "fc1_bias") == 0.0)  # the name rule still applies
    assert np.all(_filled(init, "fc2_weight") == 0.0)
    assert np.all(_filled(init, "fc3_weight") == 1.0)
    strict = mx.init.Mixed(["fc1_.*"], [mx.init.One()])
    with pytest.raises(ParamError, match="matches none of the patterns"):
        _filled(strict, "fc2_weight")
    with pytest.raises(ParamError, match="2 patterns but 1 initializers"):
        mx.init.Mixed(["a", "b"], [mx.init.One()])


def test_load_strips_prefixes_checks_shapes_and_falls_back(tmp_path):
    params = {"arg:fc_weight": mx.nd.full((2, 3), 4.0), "aux:bn_moving_mean": np.ones(3)}
    init = mx.init.Load(params, default_init=mx.init.Zero())
    assert np.all(_filled(init, "fc_weight", (2, 3)) == 4.0)
    assert np.all(_filled(init, "bn_moving_mean", (3,)) == 1.0)
    assert np.all(_filled(init, "other_bias", (2,)) == 0.0)
    with pytest.raises(ShapeError, match=r"has shape \(3, 3\) but the loaded array"):
        _filled(init, "fc_weight", (3, 3))
    with pytest.raises(ParamError, match="no default_init"):
        _filled(mx.init.Load(params), "other_bias", (2,))
    path = str(tmp_path / "p.params")
    mx.nd.save(path, {"arg:fc_weight": mx.nd.full((2, 3), 5.0)})
    assert np.all(_filled(mx.init.Load(path), "fc_weight", (2, 3)) == 5.0)


def test_dumps_and_create_round_trip():
    assert mx.init.Normal(0.5).dumps() == '["normal", {"sigma": 0.5}]'
    xav = mx.init.Xavier(factor_type="in", magnitude=2.34)
    assert json.loads(xav.dumps()) == ["xavier", {"rnd_type": "uniform",
                                                  "factor_type": "in", "magnitude": 2.34}]
    for init in (xav, mx.init.Uniform(0.2), mx.init.Orthogonal(), mx.init.MSRAPrelu(),
                 mx.init.One()):
        again = mx.init.create(init.dumps())
        assert type(again) is type(init) and again.dumps() == init.dumps()
    assert isinstance(mx.init.create("zeros"), mx.init.Zero)
    assert mx.init.create("Uniform", scale=0.3).scale == 0.3
    assert mx.init.create({"initializer": "normal", "sigma": 2.0}).sigma == 2.0


def test_unknown_name_suggests_the_closest():
    with pytest.raises(ParamError, match=r"unknown initializer 'unifrom'\. "
                                         r"Did you mean 'uniform'\?"):
        mx.init.create("unifrom")
    with pytest.raises(ParamError, match="not valid JSON"):
        mx.init.create("[not json")


def test_register_custom_initializer():
    @mx.init.register
    @mx.init.alias("mytestinit")
    class CustomTestInit(mx.init.Initializer):
        def _init_weight(self, _, arr):
            arr[:] = 0.25

    assert np.all(_filled(mx.init.create("mytestinit"), "x_weight") == 0.25)
    assert isinstance(mx.init.create("customtestinit"), CustomTestInit)


def test_verbose_lines_go_to_the_mxlite_initializer_logger(caplog):
    init = mx.init.Uniform().set_verbosity(True)
    with caplog.at_level(logging.INFO, logger="mxlite"):
        _filled(init, "a_weight", (2, 3))
    assert [r.name for r in caplog.records] == ["mxlite.initializer"]
    assert caplog.records[0].getMessage().startswith("Initialized a_weight as ")


@pytest.mark.slow
def test_seed_makes_draws_reproducible():
    def draw():
        inits = (mx.init.Uniform(), mx.init.Normal(), mx.init.Xavier(),
                 mx.init.Orthogonal())
        return [_filled(init, "a_weight", (6, 5)) for init in inits]

    mx.random.seed(123)
    first = draw()
    mx.random.seed(123)
    second = draw()
    mx.random.seed(124)
    third = draw()
    for a, b, c in zip(first, second, third):
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)
    assert not np.array_equal(first[0], first[1])  # each array its own key


def test_dtype_and_device_are_kept():
    arr = mx.nd.zeros((50, 40), dtype="float16")
    mx.init.Xavier()(InitDesc("h_weight"), arr)
    assert arr.dtype == np.float16 and np.abs(arr.asnumpy()).max() > 0
    assert arr._data.devices() == {arr.context.jax_device}


def test_non_ndarray_target_is_a_clear_error():
    with pytest.raises(DTypeError, match="arr must be an NDArray"):
        mx.init.One()(InitDesc("a_weight"), np.zeros(3))
