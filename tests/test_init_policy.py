"""mxlite.initializer.policy: MXNet's choice of initialization by name, alone."""

from __future__ import annotations

import pytest

from mxlite.initializer import policy


@pytest.mark.parametrize("name, role", [
    ("fc1_weight", "weight"), ("conv0_bias", "bias"), ("bn_gamma", "gamma"),
    ("bn_beta", "beta"), ("bn_moving_mean", "zero"), ("bn_running_mean", "zero"),
    ("bn_moving_var", "one"), ("bn_running_var", "one"), ("bn_moving_inv_var", "zero"),
    ("bn_moving_avg", "zero"), ("q_min", "zero"), ("q_max", "one"),
    ("fc_weight_quantize", "quantized_weight"), ("fc_bias_quantize", "quantized_bias"),
    ("data", "default"), ("weights", "default"), ("upsampling0_weight", "weight"),
])
def test_suffix_roles(name, role):
    choice = policy.choose(name)
    assert choice.role == role and choice.init == ""
    first = next((s for s, _ in policy.SUFFIX_ROLES if name.endswith(s)), "default")
    assert choice.pattern == first


def test_the_first_matching_suffix_wins_in_mxnet_order():
    suffixes = [s for s, _ in policy.SUFFIX_ROLES]
    assert suffixes.index("weight") < suffixes.index("weight_quantize")
    assert policy.choose("moving_max").role == "one"  # 'max', not a moving statistic


def test_an_init_attribute_wins_over_the_name():
    attrs = {"__init__": '["constant", {"value": 3.0}]', "lr_mult": "2"}
    assert policy.choose("fc1_bias", attrs) == policy.Choice(
        "weight", attrs["__init__"], attrs["__init__"])
    assert policy.choose("fc1_bias", {"__init__": ""}).role == "bias"
    assert policy.choose("fc1_bias", {"lr_mult": "2"}).role == "bias"


@pytest.mark.parametrize("name, role", [
    ("upsampling0_weight", "bilinear"), ("stn_loc_weight", "zero"),
    ("stn_loc_bias", "loc_bias"), ("stn_loc_gamma", "gamma"), ("fc_weight", "weight"),
])
def test_legacy_string_path_checks_prefixes_first(name, role):
    assert policy.choose(name, legacy=True).role == role


def test_legacy_path_ignores_attributes():
    attrs = {"__init__": '["one", {}]'}
    assert policy.choose("fc_bias", attrs, legacy=True).role == "bias"
