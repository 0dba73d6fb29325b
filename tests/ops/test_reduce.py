import jax
import jax.numpy as jnp
import numpy as np
import pytest

from mxlite.base import ParamError, ShapeError
from mxlite.ops import get_op
from mxlite.testing import OpCase, case


def _run(name, params, *arrays):
    op = get_op(name)
    outs, _ = op.apply(op.parse(params), [jnp.asarray(a) for a in arrays])
    return outs[0]


def _np_axes(axis, exclude, ndim):
    if axis is None or axis == ():
        return tuple(range(ndim))
    axes = tuple(a + ndim if a < 0 else a for a in axis)
    if exclude:
        axes = tuple(a for a in range(ndim) if a not in axes)
    return axes


def _np_reduce(fn, data, axis, keepdims, exclude=False):
    axes = _np_axes(axis, exclude, data.ndim)
    out = fn(data, axis=axes, keepdims=keepdims)
    return np.asarray(out, dtype=data.dtype).reshape(np.shape(out) or (1,))


REDUCE_CASES = (
    case({"axis": (0, 2), "keepdims": True}, data=(2, 3, 4)),
    case({"axis": -1}, data=(3, 4), dtype="float64"),
    case({"axis": "(0, -1)", "exclude": True}, data=(2, 3, 4)),
)


class TestSum(OpCase):
    op = "sum"
    cases = (
        REDUCE_CASES[2],
        case({"axis": (), "keepdims": True, "exclude": True}, data=(2, 3)),
    )

    def reference(self, data, *, axis, keepdims, exclude):
        return _np_reduce(np.sum, data, axis, keepdims, exclude)


class TestMean(OpCase):
    op = "mean"
    cases = REDUCE_CASES[2:]

    def reference(self, data, *, axis, keepdims, exclude):
        return _np_reduce(np.mean, data, axis, keepdims, exclude)


class TestProd(OpCase):
    op = "prod"
    cases = REDUCE_CASES[1:2]

    def reference(self, data, *, axis, keepdims, exclude):
        return _np_reduce(np.prod, data, axis, keepdims, exclude)


class TestMax(OpCase):
    op = "max"
    cases = REDUCE_CASES[:1]

    def reference(self, data, *, axis, keepdims, exclude):
        return _np_reduce(np.max, data, axis, keepdims, exclude)


class TestNorm(OpCase):
    op = "norm"
    cases = (
        case({"ord": 1, "axis": 1, "keepdims": True}, data=(2, 3, 4)),
        case({"axis": (0, 2), "out_dtype": "float64"}, data=(2, 3, 4)),
    )

    def reference(self, data, *, ord, axis, out_dtype, keepdims):
        axes = _np_axes(axis, False, data.ndim)
        if ord == 1:
            out = np.abs(data).sum(axis=axes, keepdims=keepdims)
        else:
            out = np.sqrt(
                (data.astype(np.float64) ** 2).sum(axis=axes, keepdims=keepdims)
            )
        return (
            np.asarray(out)
            .astype(out_dtype or data.dtype)
            .reshape(np.shape(out) or (1,))
        )


class TestArgmax(OpCase):
    op = "argmax"
    cases = (case({"keepdims": True}, data=(2, 3, 4)),)
    check_grad = False
    check_grad_reason = "the outputs are indices: no gradient exists"

    def reference(self, data, *, axis, keepdims):
        if axis is None:
            idx = np.array(np.argmax(data)).reshape(
                (1,) * data.ndim if keepdims else (1,)
            )
        else:
            idx = np.argmax(data, axis=axis)
            if keepdims:
                idx = np.expand_dims(idx, axis)
        return idx.astype(data.dtype)


class TestReduceBehaviour:
    def test_other_reductions_and_aliases(self):
        x = np.random.default_rng(0).uniform(-1, 1, (3, 4)).astype(np.float32)
        for name, fn in (
            ("nansum", np.nansum),
            ("min", np.min),
            ("min_axis", np.min),
            ("max_axis", np.max),
            ("sum_axis", np.sum),
        ):
            np.testing.assert_allclose(
                _run(name, {"axis": 1}, x), fn(x, axis=1), rtol=1e-6, err_msg=name
            )
        np.testing.assert_array_equal(
            _run("argmin", {"axis": -1}, x), np.argmin(x, axis=-1).astype(np.float32)
        )
        np.testing.assert_array_equal(_run("argmax", {}, x), [np.argmax(x)])
        g = jax.grad(lambda v: _run("min", {}, v)[0])(jnp.asarray(x))
        np.testing.assert_array_equal(g, (x == x.min()).astype(np.float32))

    def test_int_sum_stays_int(self):
        x = np.array([[1, 2], [3, 4]], np.int32)
        out = _run("sum", {}, x)
        assert out.dtype == np.int32 and out.shape == (1,) and int(out[0]) == 10
        assert _run("prod", {"axis": 0}, x).dtype == np.int32

    def test_int_mean_truncates_like_mxnet(self):
        x = np.array([[1, 2], [3, 4]], np.int32)
        np.testing.assert_array_equal(_run("mean", {}, x), [2])
        np.testing.assert_array_equal(_run("mean", {"axis": 0}, x), [2, 3])

    def test_nansum_skips_nan_and_its_gradient(self):
        x = np.array([[1.0, np.nan], [np.nan, np.nan]], np.float32)
        np.testing.assert_array_equal(_run("nansum", {"axis": 1}, x), [1.0, 0.0])
        g = jax.grad(lambda v: _run("nansum", {}, v)[0])(jnp.asarray(x))
        np.testing.assert_array_equal(g, [[1, 0], [0, 0]])

    def test_max_gradient_goes_to_every_tie(self):
        g = jax.grad(lambda v: _run("max", {"axis": 1}, v).sum())(
            jnp.array([[3.0, 3.0, 2.0]])
        )
        np.testing.assert_array_equal(g, [[1.0, 1.0, 0.0]])

    def test_argmax_returns_first_index_and_data_dtype(self):
        out = _run("argmax", {"axis": 1}, np.array([[1, 3, 3, 0]], np.float64))
        assert out.dtype == np.float64 and out.tolist() == [1.0]
        assert (
            _run("argmin", {"axis": 0}, np.array([2, 1, 1], np.int32)).dtype == np.int32
        )

    def test_norm_of_large_values_does_not_overflow(self):
        out = _run("norm", {}, np.array([3e30, 4e30], np.float32))
        np.testing.assert_allclose(out, [5e30], rtol=1e-6)

    def test_norm_int_keeps_dtype(self):
        x = np.array([1, 2, 3, 4], np.int32)
        assert _run("norm", {}, x).dtype == np.int32
        assert _run("norm", {"out_dtype": "float32"}, x).dtype == np.float32


class TestReduceErrors:
    def test_axis_out_of_range(self):
        op = get_op("sum")
        with pytest.raises(
            ShapeError, match=r"sum\(name='s'\): axis=\(3,\).*\(2, 3, 4\)"
        ):
            op.run_infer_shape(op.parse({"axis": 3}), [(2, 3, 4)], node="s")

    def test_duplicate_axes(self):
        op = get_op("mean")
        with pytest.raises(ShapeError, match="names the same axis twice"):
            op.run_infer_shape(op.parse({"axis": (0, -3)}), [(2, 3, 4)])

    def test_norm_ord(self):
        with pytest.raises(ParamError, match="ord must be 1 or 2; got 3"):
            get_op("norm").parse({"ord": 3})

    def test_argmax_axis_range(self):
        op = get_op("argmax")
        with pytest.raises(ShapeError, match="axis=2 is out of range"):
            op.run_infer_shape(op.parse({"axis": 2}), [(2, 3)])

    def test_unknown_shape_is_partial(self):
        op = get_op("sum")
        assert op.run_infer_shape(op.parse({}), [None]) == ([None], [None], [])
