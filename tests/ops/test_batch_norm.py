import jax
import numpy as np
import pytest

from mxlite.base import ParamError, ShapeError
from mxlite.ops import get_op
from mxlite.testing import OpCase, case


def _stats_axes(x, axis):
    axis %= x.ndim
    return tuple(i for i in range(x.ndim) if i != axis), [
        x.shape[axis] if i == axis else 1 for i in range(x.ndim)]


def bn_reference(data, gamma, beta, moving_mean, moving_var, *, is_train, eps, fix_gamma,
                 use_global_stats, output_mean_var, axis, **_):
    red, bshape = _stats_axes(data, axis)
    x = data.astype(np.float64)
    if is_train and not use_global_stats:
        mean, var = x.mean(red), x.var(red)
    else:
        mean, var = moving_mean.astype(np.float64), moving_var.astype(np.float64)
    invstd = 1.0 / np.sqrt(var + eps)
    g = np.ones_like(gamma) if fix_gamma else gamma
    y = (x - mean.reshape(bshape)) * invstd.reshape(bshape) * g.reshape(bshape) \
        + beta.reshape(bshape)
    y = y.astype(data.dtype)
    if output_mean_var:
        return y, mean.astype(gamma.dtype), invstd.astype(gamma.dtype)
    return y


class _BatchNormCase(OpCase):
    op = "BatchNorm"
    rtol, atol = 1e-5, 1e-5
    is_train = False

    def make_input(self, name, shape, dtype, rng):
        if name == "moving_var":
            return rng.uniform(0.5, 1.5, size=shape).astype(dtype)
        if name == "gamma":
            return rng.uniform(0.5, 2.0, size=shape).astype(dtype)
        return rng.uniform(-1.0, 1.0, size=shape).astype(dtype) * 2 + 0.3

    def reference(self, *args, **params):
        return bn_reference(*args, is_train=self.is_train, **params)


class TestBatchNormInference(_BatchNormCase):
    """Moving statistics: gradients checked against finite differences."""

    cases = (
        case({}, data=(2, 3, 2, 2)),
        case({"fix_gamma": False, "axis": -1, "eps": 1e-5}, data=(2, 3, 4)),
        case({"fix_gamma": False, "output_mean_var": True}, data=(3, 4)),
        case({"fix_gamma": False, "use_global_stats": True}, data=(2, 2, 3), is_train=True,
             dtype="float64"),
    )

    def reference(self, *args, **params):
        return bn_reference(*args, is_train=False, **params)


class TestBatchNormTraining(_BatchNormCase):
    """Batch statistics: gradients checked against MXNet's backward formula,
    which reads only the gradient of 'output' (batch_norm.cc)."""

    is_train = True
    cases = (
        case({}, data=(4, 3, 2, 2), is_train=True),
        case({"fix_gamma": False, "axis": -1}, data=(3, 2, 3), is_train=True),
        case({"fix_gamma": False, "output_mean_var": True}, data=(5, 4), is_train=True),
    )

    def grad_reference(self, cotangents, data, gamma, beta, moving_mean, moving_var, *,
                       eps, fix_gamma, axis, **_):
        red, bshape = _stats_axes(data, axis)
        gy = cotangents[0]
        mean = data.mean(red).reshape(bshape)
        invstd = (1.0 / np.sqrt(data.var(red) + eps)).reshape(bshape)
        xhat = (data - mean) * invstd
        w = np.ones_like(gamma) if fix_gamma else gamma
        gx = (gy - gy.mean(red).reshape(bshape)
              - xhat * (gy * xhat).mean(red).reshape(bshape)) * invstd * w.reshape(bshape)
        ggamma = np.zeros_like(gamma) if fix_gamma else (gy * xhat).sum(red)
        return [gx, ggamma, gy.sum(red)]


class TestBatchNormBehaviour:
    op = get_op("BatchNorm")

    def run(self, params, x, gamma, beta, mm, mv, is_train):
        p = self.op.parse(params)
        outs, aux = self.op.apply(p, [x, gamma, beta], [mm, mv], is_train=is_train)
        return [np.asarray(o) for o in outs], [np.asarray(a) for a in aux]

    def inputs(self):
        rng = np.random.default_rng(3)
        x = rng.standard_normal((6, 3, 2, 2)).astype(np.float32)
        ones, zeros = np.ones(3, np.float32), np.zeros(3, np.float32)
        return x, ones * 2, zeros, zeros + 0.5, ones * 2

    def test_moving_stats_use_biased_variance(self):
        x, g, b, mm, mv = self.inputs()
        _, (new_mean, new_var) = self.run({"momentum": 0.8}, x, g, b, mm, mv, True)
        np.testing.assert_allclose(new_mean, 0.8 * 0.5 + 0.2 * x.mean((0, 2, 3)), rtol=1e-6)
        np.testing.assert_allclose(new_var, 0.8 * 2 + 0.2 * x.var((0, 2, 3)), rtol=1e-6)

    def test_inference_and_global_stats_keep_aux(self):
        x, g, b, mm, mv = self.inputs()
        for params, train in (({}, False), ({"use_global_stats": True}, True)):
            _, (new_mean, new_var) = self.run(params, x, g, b, mm, mv, train)
            np.testing.assert_array_equal(new_mean, mm)
            np.testing.assert_array_equal(new_var, mv)

    def test_fix_gamma_ignores_gamma(self):
        x, g, b, mm, mv = self.inputs()
        a, _ = self.run({}, x, g, b, mm, mv, True)
        c, _ = self.run({}, x, g * 7, b, mm, mv, True)
        np.testing.assert_array_equal(a[0], c[0])
        p = self.op.parse({})
        grad = jax.grad(lambda gm: self.op.apply(p, [x, gm, b], [mm, mv], is_train=True)[0][0]
                        .sum())(g)
        np.testing.assert_array_equal(np.asarray(grad), 0)

    def test_mean_var_outputs_are_mean_and_inverse_std(self):
        x, g, b, mm, mv = self.inputs()
        (_, mean, invstd), _ = self.run({"output_mean_var": True}, x, g, b, mm, mv, True)
        np.testing.assert_allclose(mean, x.mean((0, 2, 3)), rtol=1e-5)
        np.testing.assert_allclose(invstd, 1 / np.sqrt(x.var((0, 2, 3)) + 1e-3), rtol=1e-5)
        (_, mean, invstd), _ = self.run({"output_mean_var": True}, x, g, b, mm, mv, False)
        np.testing.assert_allclose(invstd, 1 / np.sqrt(mv + 1e-3), rtol=1e-6)

    def test_moving_stats_get_no_gradient(self):
        x, g, b, mm, mv = self.inputs()
        p = self.op.parse({"fix_gamma": False})

        def loss(mm, mv):
            _, (a, c) = self.op.apply(p, [x, g, b], [mm, mv], is_train=True)
            return (a * 3 + c).sum()

        gm, gv = jax.grad(loss, argnums=(0, 1))(mm, mv)
        np.testing.assert_allclose(np.asarray(gm), 0.9 * 3)  # only the momentum path
        np.testing.assert_allclose(np.asarray(gv), 0.9)

    def test_shapes_and_names(self):
        p = self.op.parse({"output_mean_var": True})
        ins, outs, aux = self.op.run_infer_shape(p, [(100, 20, 24, 24), None, None])
        assert ins == [(100, 20, 24, 24), (20,), (20,)]
        assert outs == [(100, 20, 24, 24), (20,), (20,)] and aux == [(20,), (20,)]
        assert list(self.op.outputs(p)) == ["output", "mean", "var"]
        assert list(self.op.outputs(self.op.parse({}))) == ["output"]
        assert list(self.op.aux(p)) == ["moving_mean", "moving_var"]
        assert self.op.run_infer_shape(p, [None, None, None]) == (
            [None, None, None], [None, None, None], [None, None])

    def test_float16_keeps_float32_parameters(self):
        p = self.op.parse({"output_mean_var": True})
        ins, outs, aux = self.op.run_infer_type(p, ["float16", None, None])
        assert ins == ["float16", "float32", "float32"]
        assert outs == ["float16", "float32", "float32"] and aux == ["float32", "float32"]

    def test_axis_out_of_range(self):
        with pytest.raises(ShapeError, match=r"BatchNorm\(name='bn1'\): axis=3 is out of "
                           r"range for input 'data' of shape \(2, 3, 4\)"):
            self.op.run_infer_shape(self.op.parse({"axis": 3}), [(2, 3, 4), None, None],
                                    node="bn1")

    def test_defaults_and_mxnet_attributes(self):
        p = self.op.parse({"eps": "2e-05", "momentum": "0.9", "fix_gamma": "False",
                           "min_calib_range": "None", "cudnn_off": "False"})
        assert p.eps == 2e-05 and not p.fix_gamma and p.min_calib_range is None
        d = self.op.parse({})
        assert (d.eps, d.momentum, d.fix_gamma, d.use_global_stats, d.axis) == (
            1e-3, 0.9, True, False, 1)
        with pytest.raises(ParamError, match=r"eps must be a float >= 0.0; got -1"):
            self.op.parse({"eps": -1})
