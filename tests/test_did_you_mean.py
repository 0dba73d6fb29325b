"""One "did you mean" for every registry (mxlite.base.did_you_mean)."""

import re

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import ParamError, did_you_mean
from mxlite.ops import get_op


def test_did_you_mean_suggests_the_closest_name():
    assert did_you_mean("acuracy", ["accuracy", "f1", "mse"]) == " Did you mean 'accuracy'?"


def test_did_you_mean_is_empty_when_nothing_is_close():
    assert did_you_mean("zzz", ["accuracy", "f1"]) == ""
    assert did_you_mean("sgd", []) == ""


def test_did_you_mean_cutoff_decides_what_is_close():
    assert did_you_mean("fc", ["fc1_weight"]) == ""
    assert did_you_mean("fc", ["fc1_weight"], cutoff=0.2) == " Did you mean 'fc1_weight'?"


def test_did_you_mean_takes_any_iterable_of_names():
    registry = {"uniform": 1, "normal": 2}
    assert did_you_mean("unifrom", registry) == " Did you mean 'uniform'?"
    assert did_you_mean("norml", (n for n in registry)) == " Did you mean 'normal'?"


MISSES = [
    ("operator", lambda: get_op("FullyConected"), "'FullyConnected'"),
    ("op parameter", lambda: mx.nd.FullyConnected(
        mx.nd.ones((2, 3)), num_hiden=4), "'num_hidden'"),
    ("metric", lambda: mx.metric.create("acuracy"), "'accuracy'"),
    ("initializer", lambda: mx.init.create("unifrom"), "'uniform'"),
    ("optimizer", lambda: mx.optimizer.create("sgdd"), "'sgd'"),
    ("NDArrayIter", lambda: mx.io.NDArrayIter(
        np.zeros((4, 2), np.float32), batch_size=2, last_batch_handle="padd"), "'pad'"),
]


@pytest.mark.parametrize("call, hint", [m[1:] for m in MISSES], ids=[m[0] for m in MISSES])
def test_every_registry_words_a_miss_the_same_way(call, hint):
    with pytest.raises(ParamError) as err:
        call()
    assert re.search(rf"\. Did you mean {hint}\?( |$)", str(err.value)), str(err.value)
