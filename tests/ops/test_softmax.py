import jax
import jax.numpy as jnp
import numpy as np
import pytest

from mxlite.base import DTypeError, ParamError, ShapeError
from mxlite.ops import get_op
from mxlite.testing import OpCase, case


def _run(name, params, *arrays):
    op = get_op(name)
    outs, _ = op.apply(op.parse(params), [jnp.asarray(a) for a in arrays])
    return outs[0]


def _np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


class TestSoftmax(OpCase):
    op = "softmax"
    cases = (
        case({"axis": 1, "temperature": 2.0}, data=(2, 3, 4)),
        case({"use_length": True, "axis": 0}, data=(4, 3)),
    )

    def make_input(self, name, shape, dtype, rng):
        if name == "length":
            return rng.integers(0, 5, size=shape).astype(np.int32)
        return rng.uniform(-3.0, 3.0, size=shape).astype(dtype)

    def reference(self, data, length=None, *, axis, temperature, dtype, use_length):
        x = data.astype(dtype or data.dtype) / (temperature or 1.0)
        if length is None:
            return _np_softmax(x, axis)
        out = np.zeros_like(x)
        moved, res = np.moveaxis(x, axis, -1), np.moveaxis(out, axis, -1)
        for pos in np.ndindex(moved.shape[:-1]):
            n = int(length[pos])
            if n:
                res[pos][:n] = _np_softmax(moved[pos][:n], -1)
        return out


class TestLogSoftmax(OpCase):
    op = "log_softmax"
    cases = (case({"axis": 0, "temperature": 0.5}, data=(3, 4), dtype="float64"),)

    def reference(self, data, *, axis, temperature, dtype, use_length):
        x = data / (temperature or 1.0)
        shifted = x - x.max(axis=axis, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


class TestSoftmaxActivation(OpCase):
    op = "SoftmaxActivation"
    cases = (case({"mode": "channel"}, data=(2, 3, 2)),)

    def reference(self, data, *, mode):
        return _np_softmax(data, 1 if mode == "channel" else -1)


EXTREME = np.array(
    [[1e4, -1e4, 0.0], [3e38, -3e38, 0.0], [-1e4, -1e4, -1e4], [-3e38, -3e38, 1.0]],
    np.float32,
)


class TestSoftmaxNumerics:
    def test_softmax_extreme_logits_finite(self):
        for data in (EXTREME, -EXTREME):
            out = np.asarray(_run("softmax", {}, data))
            assert np.isfinite(out).all()
            np.testing.assert_allclose(out.sum(axis=-1), 1.0, rtol=1e-6)
        np.testing.assert_allclose(_run("softmax", {}, EXTREME)[0], [1, 0, 0])

    def test_log_softmax_extreme_logits(self):
        out = np.asarray(_run("log_softmax", {}, EXTREME))
        assert not np.isnan(out).any()
        np.testing.assert_allclose(out[0], [0, -2e4, -1e4], rtol=1e-6)
        np.testing.assert_allclose(out[2], np.log([1 / 3] * 3), rtol=1e-6)

    @pytest.mark.slow
    def test_cross_entropy_from_log_softmax_is_finite(self):
        label = jnp.array(
            [1, 2, 0, 1], jnp.float32
        )  # each picked entry is representable
        pick = get_op("pick")

        def per_row_loss(x):
            logp = _run("log_softmax", {}, x)
            return -pick.apply(pick.parse({}), [logp, label])[0][0]

        value, vjp = jax.vjp(per_row_loss, jnp.asarray(EXTREME))
        (grad,) = vjp(jnp.ones(4, jnp.float32))
        assert (
            np.isfinite(np.asarray(value)).all() and np.isfinite(np.asarray(grad)).all()
        )
        np.testing.assert_allclose(value, [2e4, 3e38, np.log(3), 3e38], rtol=1e-6)
        np.testing.assert_allclose(grad[0], [1, -1, 0], atol=1e-6)

    def test_softmax_gradient_finite_at_extremes(self):
        weights = jnp.arange(3.0, dtype=jnp.float32).reshape(1, 3)
        grad = jax.grad(lambda x: (_run("softmax", {}, x) * weights).sum())(
            jnp.asarray(EXTREME)
        )
        assert np.isfinite(np.asarray(grad)).all()

    def test_all_neg_inf_row_is_nan_like_mxnet(self):
        out = np.asarray(_run("softmax", {}, np.full((1, 3), -np.inf, np.float32)))
        assert np.isnan(out).all()

    @pytest.mark.slow
    def test_length_zero_row_and_gradient(self):
        x, n = jnp.ones((2, 3)), jnp.array([0, 2], jnp.int32)
        out = _run("softmax", {"use_length": True}, x, n)
        np.testing.assert_allclose(out, [[0, 0, 0], [0.5, 0.5, 0]])
        grad = jax.grad(
            lambda v: (_run("softmax", {"use_length": True}, v, n) ** 2).sum()
        )(x)
        assert np.isfinite(np.asarray(grad)).all()

    def test_defaults_and_instance_mode(self):
        x = np.array([[[1.0, 2.0], [3.0, 5.0]]], np.float32)
        np.testing.assert_allclose(
            _run("softmax", {}, x), _np_softmax(x, -1), rtol=1e-6
        )
        np.testing.assert_allclose(
            _run("log_softmax", {}, x), np.log(_np_softmax(x, -1)), rtol=1e-6
        )
        np.testing.assert_allclose(
            _run("SoftmaxActivation", {}, x), _np_softmax(x, -1), rtol=1e-6
        )

    def test_dtype_param(self):
        out = _run("softmax", {"dtype": "float64"}, np.ones((1, 2), np.float32))
        assert out.dtype == np.float64
        assert get_op("softmax").arguments(
            get_op("softmax").parse({"use_length": 1})
        ) == ["data", "length"]


class TestSoftmaxErrors:
    def test_int_data(self):
        op = get_op("softmax")
        with pytest.raises(DTypeError, match="input 'data' has dtype int32"):
            op.run_infer_type(op.parse({}), ["int32"])

    def test_float_length(self):
        op = get_op("softmax")
        with pytest.raises(DTypeError, match="input 'length' has dtype float32"):
            op.run_infer_type(op.parse({"use_length": True}), ["float32", "float32"])

    def test_log_softmax_has_no_length(self):
        with pytest.raises(ParamError, match="log_softmax: use_length must be False"):
            get_op("log_softmax").parse({"use_length": True})

    def test_axis_range(self):
        op = get_op("softmax")
        with pytest.raises(ShapeError, match="axis=2 is out of range"):
            op.run_infer_shape(op.parse({"axis": 2}), [(2, 3)])

    def test_channel_mode_needs_3d(self):
        op = get_op("SoftmaxActivation")
        with pytest.raises(ShapeError, match="mode='channel' needs at least 3-D"):
            op.run_infer_shape(op.parse({"mode": "channel"}), [(2, 3)])
