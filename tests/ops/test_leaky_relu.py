import math

import jax
import numpy as np
import pytest

from mxlite import random
from mxlite.base import ParamError, ShapeError
from mxlite.ops import get_op
from mxlite.testing import OpCase, case

OP = get_op("LeakyReLU")
_erf = np.frompyfunc(math.erf, 1, 1)


@pytest.fixture(autouse=True)
def _seeded():
    random.seed(0)


def leaky_reference(data, gamma=None, *, act_type, slope, lower_bound, upper_bound):
    x = data.astype(np.float64)
    if act_type == "leaky":
        y = np.where(x > 0, x, slope * x)
    elif act_type == "prelu":
        g = gamma.reshape((1, -1) + (1,) * (x.ndim - 2))
        y = np.where(x > 0, x, g * x)
    elif act_type == "elu":
        y = np.where(x > 0, x, slope * (np.exp(x) - 1))
    elif act_type == "selu":
        y = 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * (np.exp(x) - 1))
    elif act_type == "gelu":
        y = 0.5 * x * (1 + _erf(x / math.sqrt(2)).astype(np.float64))
    else:  # rrelu in inference, and its (unwritten) mask
        y = np.where(x > 0, x, (lower_bound + upper_bound) / 2 * x)
        return y.astype(data.dtype), np.zeros_like(data)
    return y.astype(data.dtype)


class TestLeakyReLU(OpCase):
    op = "LeakyReLU"
    cases = (
        case({"slope": 0.1}, data=(3, 4)),
        case({"act_type": "elu", "slope": 0.7}, data=(2, 5)),
        case({"act_type": "selu"}, data=(4, 3)),
        case({"act_type": "gelu"}, data=(3, 3, 2), dtype="float64"),
        case({"act_type": "prelu"}, data=(2, 3, 2, 2)),
        case({"act_type": "prelu"}, data=(4, 5)),
        case({"act_type": "prelu"}, data=(2, 3, 4), gamma=(1,)),
        case({"act_type": "rrelu"}, data=(3, 4)),
    )

    def make_input(self, name, shape, dtype, rng):
        if name == "gamma":
            return rng.uniform(0.05, 0.5, size=shape).astype(dtype)
        return rng.uniform(-2.0, 2.0, size=shape).astype(dtype)

    def reference(self, *args, **params):
        return leaky_reference(*args, **params)



class TestLeakyReLUBehaviour:
    def apply(self, params, *args, is_train=False, key=0):
        p = OP.parse(params)
        outs, _ = OP.apply(p, list(args), is_train=is_train, key=jax.random.PRNGKey(key))
        return [np.asarray(o) for o in outs]

    def test_mxnet_values(self):
        z = np.array([-2.0, -0.5, 0.0, 0.5, 2.0], np.float32)
        # Printed by MXNet 1.9.1's mx.nd.LeakyReLU.
        expect = {
            "leaky": [-0.5, -0.125, 0.0, 0.5, 2.0],
            "elu": [-0.2161661833524704, -0.0983673483133316, 0.0, 0.5, 2.0],
            "selu": [-1.5201665163040161, -0.6917582154273987, 0.0, 0.5253505110740662,
                     2.1014020442962646],
            "gelu": [-0.045500095933675766, -0.1542687714099884, 0.0, 0.3457311987876892,
                     1.9544998407363892],
            "rrelu": [-0.45899999141693115, -0.11474999785423279, 0.0, 0.5, 2.0],
        }
        for act, want in expect.items():
            got = self.apply({"act_type": act}, z)[0]
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=act)

    def test_rrelu_training_draws_slopes_in_bounds(self):
        x = -np.ones((40, 50), np.float32)
        y, mask = self.apply({"act_type": "rrelu", "lower_bound": 0.1, "upper_bound": 0.3},
                             x, is_train=True)
        assert 0.1 <= mask.min() < 0.12 and 0.28 < mask.max() <= 0.3
        np.testing.assert_array_equal(y, -mask)
        y2, _ = self.apply({"act_type": "rrelu"}, np.abs(x), is_train=True)
        np.testing.assert_array_equal(y2, 1.0)
        again = self.apply({"act_type": "rrelu", "lower_bound": 0.1, "upper_bound": 0.3},
                           x, is_train=True)[1]
        np.testing.assert_array_equal(again, mask)

    def test_rrelu_training_gradient_is_the_mask(self):
        x = np.linspace(-1, 1, 12).reshape(3, 4)
        p = OP.parse({"act_type": "rrelu"})
        key = jax.random.PRNGKey(3)

        def run(v):
            return OP.apply(p, [v], is_train=True, key=key)[0]

        grad = jax.grad(lambda v: run(v)[0].sum())(x)
        mask = np.asarray(run(x)[1])
        np.testing.assert_allclose(np.asarray(grad), np.where(x > 0, 1.0, mask))

    def test_gradient_at_zero_is_the_slope(self):
        p = OP.parse({"slope": 0.3})
        g = jax.grad(lambda v: OP.apply(p, [v])[0][0].sum())(np.zeros(3))
        np.testing.assert_allclose(np.asarray(g), 0.3)

    def test_arguments_and_outputs_follow_act_type(self):
        assert list(OP.arguments(OP.parse({"act_type": "prelu"}))) == ["data", "gamma"]
        assert list(OP.arguments(OP.parse({}))) == ["data"]
        assert list(OP.outputs(OP.parse({"act_type": "rrelu"}))) == ["output", "mask"]
        assert list(OP.outputs(OP.parse({"act_type": "gelu"}))) == ["output"]

    def test_prelu_gamma_shape(self):
        p = OP.parse({"act_type": "prelu"})
        assert OP.run_infer_shape(p, [(2, 3, 4), None]) == ([(2, 3, 4), (3,)], [(2, 3, 4)], [])
        assert OP.run_infer_shape(p, [None, None]) == ([None, None], [None], [])
        with pytest.raises(ShapeError, match=r"LeakyReLU\(name='act1'\): input 'gamma' has "
                           r"shape \(4,\), but act_type='prelu' .* needs \(3,\)"):
            OP.run_infer_shape(p, [(2, 3, 4), (4,)], node="act1")
        with pytest.raises(ShapeError, match=r"input 'data' has shape \(5,\) \(1-D\)"):
            OP.run_infer_shape(p, [(5,), None])

    def test_bad_act_type(self):
        with pytest.raises(ParamError, match=r"act_type must be one of 'rrelu', 'leaky'"):
            OP.parse({"act_type": "relu"})
