import jax
import jax.numpy as jnp
import numpy as np
import pytest

from mxlite.base import ShapeError
from mxlite.ops import get_op
from mxlite.testing import OpCase, case


def _apply(name, params, *arrays):
    op = get_op(name)
    return op.apply(op.parse(params), [jnp.asarray(a) for a in arrays])[0][0]


REGRESSION_CASES = (
    case(data=(4, 1)),
    case({"grad_scale": 2.0}, data=(2, 3)),
    case(data=(2, 2, 2), label=(2, 4), dtype="float64"),
)


def _num_output(label):
    return label.size // label.shape[0]


class TestLinearRegressionOutput(OpCase):
    op = "LinearRegressionOutput"
    no_grad = ("label",)
    cases = REGRESSION_CASES[:2]

    def reference(self, data, label, *, grad_scale):
        return data

    def grad_reference(self, cotangents, data, label, *, grad_scale):
        # MXNet: (out - label) * grad_scale / num_output; the head gradient is ignored.
        diff = data - label.reshape(data.shape)
        return [diff * grad_scale / _num_output(label), None]


class TestLogisticRegressionOutput(OpCase):
    op = "LogisticRegressionOutput"
    no_grad = ("label",)
    cases = REGRESSION_CASES[1:2]

    def make_input(self, name, shape, dtype, rng):
        if name == "label":
            return rng.integers(0, 2, size=shape).astype(dtype)
        return super().make_input(name, shape, dtype, rng)

    def reference(self, data, label, *, grad_scale):
        return 1.0 / (1.0 + np.exp(-data))

    def grad_reference(self, cotangents, data, label, *, grad_scale):
        out = 1.0 / (1.0 + np.exp(-data))
        return [
            (out - label.reshape(data.shape)) * grad_scale / _num_output(label),
            None,
        ]


class TestMAERegressionOutput(OpCase):
    op = "MAERegressionOutput"
    no_grad = ("label",)
    cases = REGRESSION_CASES[2:]

    def reference(self, data, label, *, grad_scale):
        return data

    def grad_reference(self, cotangents, data, label, *, grad_scale):
        sign = np.where(data - label.reshape(data.shape) > 0, 1.0, -1.0)
        return [sign * grad_scale / _num_output(label), None]


class TestMakeLoss(OpCase):
    op = "MakeLoss"
    cases = (
        case({"grad_scale": 2.0, "normalization": "batch"}, data=(2, 3)),
        case({"normalization": "valid", "valid_thresh": 0.1}, data=(2, 3)),
    )

    def reference(self, data, *, grad_scale, valid_thresh, normalization):
        return data

    def grad_reference(
        self, cotangents, data, *, grad_scale, valid_thresh, normalization
    ):
        scale = grad_scale
        if normalization == "batch":
            scale /= data.shape[0]
        elif normalization == "valid":
            scale /= max(int((data > valid_thresh).sum()), 1)
        return [np.full(data.shape, scale)]


class TestMakeLossNoParams(OpCase):
    op = "make_loss"
    cases = (case(data=(2, 3)),)

    def reference(self, data):
        return data

    def grad_reference(self, cotangents, data):
        return [np.ones_like(data)]


class TestRegressionBehaviour:
    def test_label_shape_inferred(self):
        op = get_op("LinearRegressionOutput")
        p = op.parse({})
        assert op.run_infer_shape(p, [(4, 1), None])[0] == [(4, 1), (4,)]
        assert op.run_infer_shape(p, [(4, 3), None])[0] == [(4, 3), (4, 3)]
        assert op.run_infer_shape(p, [(4, 3), (4, 3, 1)])[0] == [(4, 3), (4, 3, 1)]

    def test_mxnet_numbers(self):
        # Numbers from MXNet 1.9.1 (grad_scale=2, head gradient 5 ignored).
        data = jnp.array([[0.5, 1.0, -1.0], [2.0, 0.0, 1.0]])
        label = jnp.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
        _, vjp = jax.vjp(
            lambda x: _apply("LinearRegressionOutput", {"grad_scale": 2}, x, label),
            data,
        )
        np.testing.assert_allclose(
            vjp(jnp.full((2, 3), 5.0))[0],
            [[1 / 3, 2 / 3, -2 / 3], [2 / 3, -2 / 3, 0]],
            rtol=1e-6,
        )

    def test_mae_sign_is_minus_one_at_zero(self):
        grad = jax.grad(
            lambda x: _apply("MAERegressionOutput", {}, x, jnp.zeros(2)).sum()
        )(jnp.array([0.0, 1.0]))
        np.testing.assert_array_equal(grad, [-1.0, 1.0])

    def test_valid_normalization_without_valid_elements(self):
        grad = jax.grad(
            lambda x: _apply("MakeLoss", {"normalization": "valid"}, x).sum()
        )(jnp.zeros((1, 2)))
        np.testing.assert_array_equal(grad, [[1.0, 1.0]])


class TestRegressionErrors:
    def test_label_mismatch(self):
        op = get_op("LogisticRegressionOutput")
        with pytest.raises(
            ShapeError,
            match=r"LogisticRegressionOutput\(name='lro'\): input "
            r"'label' has shape \(4,\), but 'data' \(4, 3\)",
        ):
            op.run_infer_shape(op.parse({}), [(4, 3), (4,)], node="lro")

    def test_label_batch_mismatch(self):
        op = get_op("MAERegressionOutput")
        with pytest.raises(ShapeError, match="batch size 4"):
            op.run_infer_shape(op.parse({}), [(4, 3), (12,)])
