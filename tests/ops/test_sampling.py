import jax
import numpy as np
import pytest

import mxlite
from mxlite.base import ParamError
from mxlite.ops import get_op
from mxlite.testing import OpCase, case


@pytest.fixture(autouse=True, scope="module")
def _seeded():
    # The nd/sym front ends draw keys from mx.random's stream: seed it so runs repeat.
    mxlite.random.seed(0)


def _sample(name, params, seed=0):
    op = get_op(name)
    outs, _ = op.apply(op.parse(params), [], key=jax.random.PRNGKey(seed))
    return np.asarray(outs[0])


class _Moments(OpCase):
    """Random ops: the forward check compares moments of a large sample.

    Cases use is_train=True: the front ends draw their own keys, so the harness
    compares only their shapes, not their values.
    """

    check_grad = False
    check_grad_reason = "a sampler has no inputs, so no gradient exists"

    def expected_moments(self, params):
        raise NotImplementedError

    def test_forward(self, case):
        outs, _ = self.run(case, [], [])
        x = np.asarray(outs[0], np.float64)
        mean, std = self.expected_moments(dict(self.parsed(case)))
        assert abs(x.mean() - mean) < 4 * std / np.sqrt(x.size) + 1e-3
        assert abs(x.std() - std) < 0.02 * std + 1e-3


class TestUniform(_Moments):
    op = "_random_uniform"
    cases = (
        case(
            {"low": -2.0, "high": 4.0, "shape": (20000,), "dtype": "float64"},
            is_train=True,
        ),
        case({"shape": "(100, 50)", "dtype": "float16"}, is_train=True),
    )

    def expected_moments(self, p):
        return (p["low"] + p["high"]) / 2, (p["high"] - p["low"]) / np.sqrt(12)


class TestNormal(_Moments):
    op = "normal"
    cases = (
        case(
            {"loc": 3.0, "scale": 0.5, "shape": (20000,), "dtype": "float64"},
            is_train=True,
        ),
    )

    def expected_moments(self, p):
        return p["loc"], p["scale"]


class TestSamplingBehaviour:
    def test_same_key_same_values(self):
        for name in ("uniform", "random_normal"):
            a = _sample(name, {"shape": (3, 4)}, seed=7)
            np.testing.assert_array_equal(a, _sample(name, {"shape": (3, 4)}, seed=7))
            assert not np.array_equal(a, _sample(name, {"shape": (3, 4)}, seed=8))

    def test_uniform_range_and_default_dtype(self):
        x = _sample("random_uniform", {"low": 2.0, "high": 3.0, "shape": (1000,)})
        assert x.dtype == np.float32 and x.min() >= 2.0 and x.max() < 3.0
        x = _sample("_random_normal", {"shape": (100, 100)})
        assert (
            x.dtype == np.float32 and abs(x.mean()) < 0.04 and abs(x.std() - 1) < 0.03
        )

    def test_declaration(self):
        op = get_op("uniform")
        assert op.name == "_random_uniform" and op.needs_key
        p = op.parse({"shape": (2, 3), "dtype": "float64", "ctx": "cpu(0)"})
        assert op.arguments(p) == [] and op.run_infer_shape(p, []) == ([], [(2, 3)], [])
        assert op.run_infer_type(p, []) == ([], ["float64"], [])

    def test_unknown_shape_is_partial(self):
        op = get_op("_random_normal")
        assert op.run_infer_shape(op.parse({}), []) == ([], [None], [])


class TestSamplingErrors:
    def test_low_above_high(self):
        op = get_op("_random_uniform")
        with pytest.raises(
            ParamError, match=r"low must be <= high; got low=2\.0, high=1\.0"
        ):
            op.run_infer_shape(op.parse({"low": 2, "high": 1, "shape": (3,)}), [])

    def test_scale_positive(self):
        with pytest.raises(ParamError, match=r"scale must be > 0; got -1\.0"):
            _sample("normal", {"scale": -1, "shape": (3,)})

    def test_shape_needed_to_sample(self):
        with pytest.raises(ParamError, match="shape must be given"):
            _sample("normal", {})

    def test_bad_dtype(self):
        with pytest.raises(ParamError, match="dtype must be a dtype name"):
            get_op("normal").parse({"dtype": "int32"})
