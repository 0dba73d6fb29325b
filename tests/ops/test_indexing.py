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
    return outs


def _infer(name, params, *shapes):
    op = get_op(name)
    return op.run_infer_shape(op.parse(params), list(shapes))


def _indices(shape, dtype, rng, low=-2, high=6):
    """Integer-valued indices, some out of range, plus a fractional part to truncate."""
    return (rng.integers(low, high, size=shape) + 0.25).astype(dtype)


class TestOneHot(OpCase):
    op = "one_hot"
    check_grad = False
    check_grad_reason = "integer indices in, constants out: no gradient exists"
    cases = (
        case({"depth": 4}, indices=(2, 3)),
        case(
            {"depth": 3, "on_value": 2.5, "off_value": -1, "dtype": "int32"},
            indices=(5,),
        ),
    )

    def make_input(self, name, shape, dtype, rng):
        return _indices(shape, dtype, rng)

    def reference(self, indices, *, depth, on_value, off_value, dtype):
        out = np.full(indices.shape + (depth,), off_value).astype(dtype)
        for pos in np.ndindex(indices.shape):
            i = int(indices[pos])
            if 0 <= i < depth:
                out[pos + (i,)] = np.array(on_value).astype(dtype)
        return out


class TestTake(OpCase):
    op = "take"
    no_grad = ("indices",)
    cases = (
        case(a=(4, 3), indices=(2, 3)),
        case({"axis": -1, "mode": "wrap"}, a=(2, 4), indices=(5,), dtype="float64"),
    )

    def make_input(self, name, shape, dtype, rng):
        if name == "indices":
            return _indices(shape, dtype, rng)
        return super().make_input(name, shape, dtype, rng)

    def reference(self, a, indices, *, axis, mode):
        mode = "wrap" if mode == "wrap" else "clip"
        return np.take(a, np.trunc(indices).astype(int), axis=axis, mode=mode)


class TestPick(OpCase):
    op = "pick"
    no_grad = ("index",)
    cases = (
        case(data=(3, 4)),
        case(
            {"axis": 1, "keepdims": True, "mode": "wrap"},
            data=(2, 4, 3),
            dtype="float64",
        ),
    )

    def make_input(self, name, shape, dtype, rng):
        if name == "index":
            return _indices(shape, dtype, rng)
        return super().make_input(name, shape, dtype, rng)

    def reference(self, data, index, *, axis, keepdims, mode):
        axis = axis % data.ndim
        n = data.shape[axis]
        moved = np.moveaxis(data, axis, -1)
        flat_index = index.reshape(moved.shape[:-1])
        out = np.empty(moved.shape[:-1], data.dtype)
        for pos in np.ndindex(out.shape):
            i = int(flat_index[pos])
            i = i % n if mode == "wrap" else min(max(i, 0), n - 1)
            out[pos] = moved[pos + (i,)]
        return np.expand_dims(out, axis) if keepdims else out


class TestTopk(OpCase):
    op = "topk"
    cases = (
        case({"k": 2, "ret_typ": "value", "axis": 0}, data=(4, 3)),
        case(
            {"k": 3, "ret_typ": "both", "is_ascend": True, "dtype": "int32"},
            data=(2, 5),
        ),
        case({"k": 2, "ret_typ": "mask", "axis": None}, data=(2, 3), dtype="float64"),
    )

    def reference(self, data, *, axis, k, ret_typ, is_ascend, dtype):
        x = data.reshape(-1) if axis is None else np.moveaxis(data, axis, -1)
        order = np.argsort(x if is_ascend else -x, axis=-1, kind="stable")
        k = x.shape[-1] if k < 1 else k
        idx = order[..., :k]
        values = np.take_along_axis(x, idx, axis=-1)
        if ret_typ == "mask":
            mask = np.zeros_like(x)
            np.put_along_axis(mask, idx, 1, axis=-1)
            return (
                mask.reshape(data.shape)
                if axis is None
                else np.moveaxis(mask, -1, axis)
            )
        if axis is not None:
            idx, values = np.moveaxis(idx, -1, axis), np.moveaxis(values, -1, axis)
        idx = idx.astype(dtype)
        return {"indices": idx, "value": values, "both": (values, idx)}[ret_typ]


class TestIndexingBehaviour:
    def test_take_gradient_accumulates_repeats(self):
        g = jax.grad(lambda a: _run("take", {}, a, np.array([0.0, 0.0, 2.0]))[0].sum())(
            jnp.ones((3, 2))
        )
        np.testing.assert_array_equal(g, [[2, 2], [0, 0], [1, 1]])

    def test_topk_ties_keep_lower_index(self):
        out = _run("topk", {"k": 2}, np.array([[5.0, 5.0, 1.0, 5.0]]))[0]
        np.testing.assert_array_equal(out, [[0, 1]])
        out = _run("topk", {"k": 3, "is_ascend": True}, np.array([[2.0, 1, 1, 3, 1]]))[
            0
        ]
        np.testing.assert_array_equal(out, [[1, 2, 4]])

    def test_topk_flattened_and_full_sort(self):
        x = np.array([[3.0, 1, 2], [6, 5, 4]])
        values, idx = _run("topk", {"axis": None, "k": 3, "ret_typ": "both"}, x)
        np.testing.assert_array_equal(values, [6, 5, 4])
        np.testing.assert_array_equal(idx, [3, 4, 5])
        np.testing.assert_array_equal(
            _run("topk", {"k": 0, "ret_typ": "value"}, x)[0], [[3, 2, 1], [6, 5, 4]]
        )

    def test_topk_outputs_follow_ret_typ(self):
        op = get_op("topk")
        names = {
            r: op.outputs(op.parse({"ret_typ": r}))
            for r in ("indices", "value", "mask", "both")
        }
        assert names == {
            "indices": ["output"],
            "value": ["output0"],
            "mask": ["output"],
            "both": ["output0", "output1"],
        }
        _, types, _ = op.run_infer_type(
            op.parse({"ret_typ": "both", "dtype": "int32"}), ["float64"]
        )
        assert types == ["float64", "int32"]

    def test_one_hot_depth_zero_is_empty(self):
        assert _run("one_hot", {"depth": 0}, np.array([1.0, 2.0]))[0].shape == (2, 0)

    def test_topk_default_returns_argmax_as_float(self):
        out = _run("topk", {}, np.array([[3.0, 1, 5], [6, 2, 4]]))[0]
        assert out.dtype == np.float32 and out.tolist() == [[2], [0]]

    def test_one_hot_default_dtype(self):
        out = _run("one_hot", {"depth": 3}, np.array([1, 7], np.int32))[0]
        assert out.dtype == np.float32 and out.tolist() == [[0, 1, 0], [0, 0, 0]]

    def test_index_dtype_defaults_to_float32(self):
        op = get_op("take")
        assert op.run_infer_type(op.parse({}), ["float64", None]) == (
            ["float64", "float32"],
            ["float64"],
            [],
        )

    def test_pick_accepts_keepdims_shaped_index(self):
        out = _run(
            "pick", {}, np.arange(12.0).reshape(3, 4), np.array([[0.0], [1], [2]])
        )[0]
        np.testing.assert_array_equal(out, [0, 5, 10])


class TestIndexingErrors:
    def test_one_hot_negative_depth(self):
        with pytest.raises(ParamError, match="depth must be an int >= 0; got -1"):
            get_op("one_hot").parse({"depth": -1})

    def test_one_hot_depth_required(self):
        with pytest.raises(ParamError, match="required parameter 'depth'"):
            get_op("one_hot").parse({})

    def test_take_axis_range(self):
        with pytest.raises(ShapeError, match="axis=2 is out of range"):
            _infer("take", {"axis": 2}, (3, 4), (2,))

    def test_pick_axis_none_rejected(self):
        with pytest.raises(ParamError, match="pick: axis must be an int"):
            get_op("pick").parse({"axis": "None"})

    def test_pick_index_shape(self):
        with pytest.raises(ShapeError, match=r"input 'index' has shape \(4,\)"):
            _infer("pick", {}, (3, 4), (4,))

    def test_take_bad_mode(self):
        with pytest.raises(
            ParamError, match="mode must be one of 'clip', 'raise', 'wrap'"
        ):
            get_op("take").parse({"mode": "fill"})

    def test_topk_k_too_large(self):
        with pytest.raises(ShapeError, match="k=5 is larger than the 4 elements"):
            _infer("topk", {"k": 5}, (2, 4))
