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


def _infer(name, params, *shapes):
    op = get_op(name)
    return op.run_infer_shape(op.parse(params), list(shapes))


class TestDot(OpCase):
    op = "dot"
    cases = (
        case({"transpose_a": True, "transpose_b": True}, lhs=(3, 2), rhs=(4, 3)),
        case({"transpose_a": True}, lhs=(4, 2, 3), rhs=(4, 2), dtype="float64"),
    )

    def reference(self, lhs, rhs, *, transpose_a, transpose_b, forward_stype):
        # MXNet: the contracted axis is lhs's last (first if transpose_a) and rhs's
        # first (last if transpose_b); everything else is kept in order.
        a = np.moveaxis(lhs, 0, -1) if transpose_a else lhs
        b = np.moveaxis(rhs, -1, 0) if transpose_b else rhs
        out = a.reshape(-1, a.shape[-1]) @ b.reshape(b.shape[0], -1)
        return out.reshape(a.shape[:-1] + b.shape[1:] or (1,))


class TestBatchDot(OpCase):
    op = "batch_dot"
    cases = (
        case({"transpose_a": True, "transpose_b": True}, lhs=(2, 4, 3), rhs=(2, 5, 4)),
    )

    def reference(self, lhs, rhs, *, transpose_a, transpose_b, forward_stype):
        a = lhs.transpose(0, 2, 1) if transpose_a else lhs
        b = rhs.transpose(0, 2, 1) if transpose_b else rhs
        return np.stack([x @ y for x, y in zip(a, b)])


class TestSwapAxis(OpCase):
    op = "swapaxes"
    cases = (case({"dim1": 0, "dim2": -1}, data=(2, 3, 4)),)

    def reference(self, data, *, dim1, dim2):
        return np.swapaxes(data, dim1, dim2)


class TestClip(OpCase):
    op = "clip"
    cases = (case({"a_min": -0.5, "a_max": 0.5}, data=(2, 3, 4)),)

    def reference(self, data, *, a_min, a_max):
        return np.minimum(np.maximum(data, a_min), a_max)


class TestTile(OpCase):
    op = "tile"
    cases = (case({"reps": (2, 1, 3)}, data=(2, 3)),)

    def reference(self, data, *, reps):
        return np.tile(data, reps)


class TestRepeat(OpCase):
    op = "repeat"
    cases = (case({"repeats": 3, "axis": -1}, data=(2, 3)),)

    def reference(self, data, *, repeats, axis):
        return np.repeat(data, repeats, axis)


class TestSliceAxis(OpCase):
    op = "slice_axis"
    cases = (case({"axis": -1, "begin": -3, "end": None}, data=(2, 3, 4)),)

    def reference(self, data, *, axis, begin, end):
        index = [slice(None)] * data.ndim
        index[axis] = slice(begin, end)
        return data[tuple(index)]


class TestSlice(OpCase):
    op = "slice"
    cases = (
        case(
            {"begin": (None, -1, 3), "end": (None, None, -5), "step": (None, -2, -1)},
            data=(2, 3, 4),
        ),
    )

    def reference(self, data, *, begin, end, step):
        step = step or (None,) * len(begin)
        return data[tuple(slice(b, e, s) for b, e, s in zip(begin, end, step))]


class TestCast(OpCase):
    op = "Cast"
    cases = (case({"dtype": "float64"}, data=(2, 3)),)

    def reference(self, data, *, dtype):
        return data.astype(dtype)


class TestBlockGrad(OpCase):
    op = "BlockGrad"
    cases = (case(data=(2, 3)),)

    def reference(self, data):
        return data

    def grad_reference(self, cotangents, data):
        return [np.zeros_like(data)]  # MXNet: BlockGrad's gradient is zero


class TestWhere(OpCase):
    op = "where"
    no_grad = ("condition",)
    cases = (case(condition=(2,), x=(2, 3)),)

    def make_input(self, name, shape, dtype, rng):
        if name == "condition":
            return rng.integers(0, 3, size=shape).astype(dtype)
        return super().make_input(name, shape, dtype, rng)

    def reference(self, condition, x, y):
        c = condition.reshape(condition.shape + (1,) * (x.ndim - condition.ndim))
        return np.where(np.broadcast_to(c != 0, x.shape), x, y)


class TestMatrixBehaviour:
    def test_dot_nd_shape(self):
        assert _infer("dot", {}, (2, 3, 4), (4, 5, 6))[1] == [(2, 3, 5, 6)]
        assert _infer("dot", {"transpose_b": True}, (2, 3, 4), (5, 6, 4))[1] == [
            (2, 3, 5, 6)
        ]
        assert _infer("dot", {}, (3,), (3, 2))[1] == [(2,)]

    def test_clip_bounds_included_and_mxnet_order(self):
        g = jax.grad(lambda v: _run("clip", {"a_min": -1, "a_max": 1}, v).sum())(
            jnp.array([-2.0, -1.0, 1.0, 3.0])
        )
        np.testing.assert_array_equal(g, [0, 1, 1, 0])
        # MXNet 1.9.1 allows a_min > a_max and tests x > a_max first (numbers from it).
        out = _run("clip", {"a_min": 2, "a_max": 1}, np.array([-2, 0.5, 3], np.float32))
        np.testing.assert_array_equal(out, [2, 2, 1])
        x = np.array([-0.5, 0.0, 0.5], np.float32)
        out = _run("clip", {"a_min": 0.3, "a_max": -0.2}, x)
        np.testing.assert_allclose(out, [0.3, -0.2, -0.2])

    def test_clip_int(self):
        out = _run(
            "clip", {"a_min": -1.5, "a_max": 1.5}, np.array([-2, 1, 3], np.int32)
        )
        assert out.dtype == np.int32 and out.tolist() == [-1, 1, 1]

    def test_cast_truncates_and_accepts_numpy_dtype(self):
        out = _run("cast", {"dtype": np.int32}, np.array([1.7, -1.7], np.float32))
        assert out.dtype == np.int32 and out.tolist() == [1, -1]
        assert _run("Cast", {"dtype": "bool"}, np.array([0.5, 0.0])).tolist() == [
            True,
            False,
        ]

    def test_stop_gradient_alias(self):
        g = jax.grad(lambda v: (_run("stop_gradient", {}, v) * 2 + v).sum())(
            jnp.ones(2)
        )
        np.testing.assert_array_equal(g, [1, 1])

    def test_slice_json_style_params(self):
        p = get_op("slice").parse(
            {"begin": "(None, 1)", "end": "(2, None)", "step": "()"}
        )
        assert p.begin == (None, 1) and p.end == (2, None) and p.step == ()

    def test_slice_reverse_and_empty(self):
        x = np.arange(10, dtype=np.float32)
        out = _run("slice", {"begin": (None,), "end": (None,), "step": (-1,)}, x)
        np.testing.assert_array_equal(out, x[::-1])
        assert _run("slice", {"begin": (5,), "end": (2,)}, x).shape == (0,)

    @pytest.mark.slow
    def test_simple_forwards(self):
        x = np.arange(6, dtype=np.float32).reshape(2, 3)
        np.testing.assert_array_equal(_run("dot", {}, x[0], x[1]), [x[0] @ x[1]])
        np.testing.assert_array_equal(_run("ones_like", {}, x), np.ones((2, 3)))
        np.testing.assert_array_equal(_run("identity", {}, x), x)
        np.testing.assert_array_equal(_run("_copy", {}, x), x)
        np.testing.assert_array_equal(_run("transpose", {}, x), x.T)
        np.testing.assert_array_equal(_run("zeros_like", {}, x), np.zeros((2, 3)))
        y = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
        np.testing.assert_array_equal(
            _run("dot", {}, y, y.transpose(2, 0, 1)),
            np.tensordot(y, y.transpose(2, 0, 1), (2, 0)),
        )
        np.testing.assert_array_equal(
            _run("transpose", {"axes": (1, 0, 2)}, y), y.transpose(1, 0, 2)
        )
        np.testing.assert_array_equal(_run("expand_dims", {"axis": -2}, x), x[:, None])
        np.testing.assert_array_equal(
            _run("squeeze", {"axis": (0, -2)}, x.reshape(1, 2, 1, 3)), x
        )
        np.testing.assert_array_equal(_run("squeeze", {}, x.reshape(1, 2, 1, 3)), x)
        np.testing.assert_array_equal(
            _run("slice", {"begin": "(None, 1)", "end": "(2, None)"}, y), y[:2, 1:]
        )
        np.testing.assert_array_equal(
            _run("repeat", {"repeats": 2}, x), np.repeat(x, 2)
        )
        np.testing.assert_array_equal(_run("tile", {"reps": (2,)}, x), np.tile(x, 2))
        np.testing.assert_array_equal(
            _run("where", {}, x > 2, x, -x), np.where(x > 2, x, -x)
        )

    def test_squeeze_everything_gives_1(self):
        assert _infer("squeeze", {}, (1, 1))[1] == [(1,)]


class TestMatrixErrors:
    def test_dot_mismatch_names_both_shapes(self):
        with pytest.raises(
            ShapeError,
            match=r"dot\(name='d'\): inputs 'lhs' \(2, 3\) and "
            r"'rhs' \(4, 5\) do not fit",
        ):
            get_op("dot").run_infer_shape(
                get_op("dot").parse({}), [(2, 3), (4, 5)], node="d"
            )

    def test_dot_transposed_vectors(self):
        with pytest.raises(ShapeError, match="cannot transpose vectors"):
            _infer("dot", {"transpose_a": True}, (3,), (3,))

    def test_batch_dot_batch_mismatch(self):
        with pytest.raises(
            ShapeError, match=r"'lhs' \(2, 3, 4\) and 'rhs' \(3, 4, 5\)"
        ):
            _infer("batch_dot", {}, (2, 3, 4), (3, 4, 5))

    def test_transpose_bad_axes(self):
        with pytest.raises(ShapeError, match="not a permutation"):
            _infer("transpose", {"axes": (0, 1)}, (2, 3, 4))

    def test_expand_dims_range(self):
        with pytest.raises(ShapeError, match="axis=4 is out of range"):
            _infer("expand_dims", {"axis": 4}, (2, 3, 4))

    def test_squeeze_non_unit_axis(self):
        with pytest.raises(ShapeError, match="cannot squeeze axis 1"):
            _infer("squeeze", {"axis": 1}, (1, 3))

    def test_slice_axis_empty_range(self):
        with pytest.raises(ShapeError, match="begin=5, end=2"):
            _infer("slice_axis", {"axis": 0, "begin": 5, "end": 2}, (10,))

    def test_slice_zero_step(self):
        with pytest.raises(ShapeError, match="must not contain 0"):
            _infer("slice", {"begin": (0,), "end": (4,), "step": (0,)}, (10,))

    def test_slice_length_mismatch(self):
        with pytest.raises(ShapeError, match="same length"):
            _infer("slice", {"begin": (0,), "end": (1, 2)}, (2, 3))

    def test_clip_requires_bounds(self):
        with pytest.raises(ParamError, match="required parameter 'a_max'"):
            get_op("clip").parse({"a_min": 0})

    def test_cast_bad_dtype(self):
        with pytest.raises(ParamError, match="dtype must be a dtype name"):
            get_op("Cast").parse({"dtype": "complex64"})

    def test_where_shapes_and_types(self):
        with pytest.raises(ShapeError, match="'condition' \\(3,\\)"):
            _infer("where", {}, (3,), (2, 3), (2, 3))
        op = get_op("where")
        with pytest.raises(DTypeError, match="'x' \\(int32\\) and 'y' \\(float32\\)"):
            op.run_infer_type(op.parse({}), ["float32", "int32", "float32"])

    def test_tile_zero_reps(self):
        with pytest.raises(ShapeError, match="reps=\\(0, 2\\)"):
            _infer("tile", {"reps": (0, 2)}, (2, 3))
