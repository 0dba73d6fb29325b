import jax
import numpy as np
import pytest

from mxlite import random
from mxlite.base import ParamError, ShapeError
from mxlite.ops import get_op
from mxlite.testing import OpCase, case

OP = get_op("Dropout")


@pytest.fixture(autouse=True)
def _seeded():
    # Front-end calls draw keys from mx.random's stream; seed it so they repeat.
    random.seed(0)


def kept_scale(shape, dtype, key_seed, **params):
    """The op's multiplier (mask / (1 - p)), read off by dropping out ones."""
    p = OP.parse(params)
    ones = np.ones(shape, dtype)
    out, _ = OP.apply(p, [ones], is_train=True, key=jax.random.PRNGKey(key_seed))
    return np.asarray(out[0])


class TestDropoutInference(OpCase):
    """Inference (mode 'training') and p=0 are the identity."""

    op = "Dropout"
    cases = (
        case({}, data=(3, 4)),
        case({"p": 0.9, "axes": (0,)}, data=(2, 3, 2)),
        case({"p": 0.0, "mode": "always"}, data=(4, 2)),
        case({"p": 0.0}, data=(2, 5), is_train=True),
    )

    def reference(self, data, **params):
        return data


class TestDropoutTraining(OpCase):
    """Training (and mode='always'): out = x * m where every m is 0 or 1/(1-p)."""

    op = "Dropout"
    cases = (
        case({"p": 0.5}, data=(4, 5), is_train=True),
        case({"p": 0.25, "axes": (1,)}, data=(3, 4, 2), is_train=True),
        case({"p": 0.75, "mode": "always"}, data=(6, 3), is_train=True),
        case({"p": 0.4}, data=(3, 3), is_train=True, dtype="float64"),
    )

    def reference(self, data, *, p, axes, **params):
        scale = kept_scale(data.shape, data.dtype, self.key_seed, p=p, axes=axes, **params)
        assert (np.isclose(scale, 0) | np.isclose(scale, 1 / (1 - p), rtol=1e-6)).all()
        return data * scale

    def grad_reference(self, cotangents, data, *, p, axes, **params):
        return [cotangents[0] * kept_scale(data.shape, data.dtype, self.key_seed, p=p,
                                           axes=axes, **params)]


class TestDropoutBehaviour:
    def apply(self, x, key=0, is_train=True, **params):
        p = OP.parse(params)
        key = None if key is None else jax.random.PRNGKey(key)
        return np.asarray(OP.apply(p, [x], is_train=is_train, key=key)[0][0])

    def test_inference_is_identity_without_key(self):
        x = np.arange(6.0, dtype=np.float32).reshape(2, 3)
        np.testing.assert_array_equal(self.apply(x, key=None, is_train=False, p=0.9), x)

    def test_outputs_are_zero_or_scaled(self):
        x = np.random.default_rng(0).uniform(1, 2, (50, 40)).astype(np.float32)
        y = self.apply(x, p=0.3)
        kept = y != 0
        np.testing.assert_allclose(y[kept], x[kept] / np.float32(0.7), rtol=1e-6)
        assert 0 < kept.sum() < x.size

    def test_kept_fraction_is_one_minus_p(self):
        x = np.ones((200, 500), np.float32)
        for p in (0.2, 0.5, 0.9):
            frac = (self.apply(x, p=p, key=7) != 0).mean()
            assert abs(frac - (1 - p)) < 0.01, (p, frac)

    def test_same_key_same_mask_other_key_other_mask(self):
        x = np.ones((30, 30), np.float32)
        a, b, c = self.apply(x, key=1), self.apply(x, key=1), self.apply(x, key=2)
        np.testing.assert_array_equal(a, b)
        assert (a != c).any()

    def test_axes_share_the_mask(self):
        x = np.ones((5, 40, 3), np.float32)
        y = self.apply(x, p=0.5, axes=(0, 2))
        assert (y == y[:1, :, :1]).all() and 0 < (y[0, :, 0] != 0).sum() < 40

    def test_p_one_gives_zeros_not_nan(self):
        y = self.apply(np.ones((3, 3), np.float32), p=1.0, mode="always", key=None)
        np.testing.assert_array_equal(y, 0)

    def test_mode_always_drops_in_inference(self):
        y = self.apply(np.ones((20, 20), np.float32), is_train=False, p=0.5, mode="always")
        assert set(np.unique(y)) == {0.0, 2.0}

    def test_p_out_of_range(self):
        with pytest.raises(ParamError, match=r"Dropout: p must be a float in \[0, 1\]; "
                           r"got 1.5"):
            OP.parse({"p": 1.5})

    def test_axes_out_of_range(self):
        with pytest.raises(ShapeError, match=r"Dropout\(name='drop1'\): axes=\(2,\) names "
                           r"axis 2, out of range for input 'data' of shape \(3, 4\)"):
            OP.run_infer_shape(OP.parse({"axes": (2,)}), [(3, 4)], node="drop1")

    def test_declaration(self):
        p = OP.parse({"p": "0.5", "mode": "training", "axes": "()", "cudnn_off": "None"})
        assert p.p == 0.5 and p.axes == () and p.cudnn_off is None
        assert OP.needs_key and OP.needs_train and list(OP.outputs(p)) == ["output"]
