"""NDArray indexing, shape methods, operators, files, contexts and randomness."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import (
    ContextError,
    DTypeError,
    MXNetError,
    ParamError,
    ShapeError,
)
from mxlite.ndarray import _invoke
from mxlite.ndarray.ndarray import NDArrayIndexError

from .ndarray_helpers import FIXTURES, _close, _data, _mxnet_index, _nd

_KEYS = [
    1,
    -1,
    (1, 2),
    (1, 2, 3),
    (-1, -2, -4),
    slice(None),
    slice(1, None),
    slice(-1, None),
    (slice(None), 1),
    (slice(None, None, -1),),
    (slice(None), slice(0, 4, 3)),
    (slice(None), slice(None, None, -2)),
    (Ellipsis, 1),
    (None, 0),
    (0, None),
    [1, 0],
    (slice(None), [2, 0, 1]),
    (1, [0, 2]),
    ([0, 1], [1, 2]),
    (slice(None), slice(None), [3, 0]),
    slice(5, None),
    (slice(0, 1), 2, slice(1, 3)),
]


class TestIndexing:
    @pytest.mark.parametrize("key", _KEYS, ids=[repr(k) for k in _KEYS])
    def test_getitem_matches_numpy(self, key: Any) -> None:
        values = _data(2, 3, 4)
        result = _nd(values)[key]
        np.testing.assert_array_equal(result.asnumpy(), _mxnet_index(values, key))

    def test_integer_index_of_1d_gives_shape_1(self) -> None:
        x = mx.nd.array([5, 6, 7])
        assert x[1].shape == (1,) and x[1].asscalar() == 6
        assert x[-1].asnumpy().tolist() == [7]

    def test_index_arrays(self) -> None:
        values = _data(4, 2)
        x = _nd(values)
        for index in (
            mx.nd.array([3, 0]),
            mx.nd.array([3, 0], dtype="int32"),
            np.array([3, 0]),
            [3, 0],
        ):
            np.testing.assert_array_equal(x[index].asnumpy(), values[[3, 0]])

    def test_one_compiled_function_for_every_integer_index(self) -> None:
        x = mx.nd.array(_data(5, 3))
        x[0]
        before = len(_invoke._CACHE)
        rows = [x[i].asnumpy() for i in range(5)] + [
            x[i : i + 2].asnumpy() for i in range(3)
        ]
        assert len(_invoke._CACHE) - before <= 1
        np.testing.assert_array_equal(rows[3], x.asnumpy()[3])

    def test_out_of_bounds(self) -> None:
        x = mx.nd.zeros((3, 2))
        with pytest.raises(
            NDArrayIndexError, match="index 3 is out of bounds for axis 0 with size 3"
        ):
            x[3]
        with pytest.raises(
            IndexError, match="index -3 is out of bounds for axis 1 with size 2"
        ):
            x[0, -3]
        assert issubclass(NDArrayIndexError, MXNetError)

    def test_too_many_indices(self) -> None:
        with pytest.raises(
            IndexError, match=r"too many indices for an array of 1 dimension"
        ):
            mx.nd.zeros(3)[0, 0]

    @pytest.mark.parametrize(
        "key, message",
        [
            (np.array([True, False, True]), "boolean masks are not supported"),
            (1.5, "unsupported index 1.5 of type float"),
            ("a", "unsupported index 'a' of type str"),
            (slice(0, 2, 0), "slice step cannot be zero"),
        ],
    )
    def test_unsupported_indices(self, key: Any, message: str) -> None:
        with pytest.raises(NDArrayIndexError, match=message):
            mx.nd.zeros(3)[key]

    def test_gradient_flows_through_indexing(self) -> None:
        x = mx.nd.array([1, 2, 3, 4])
        x.attach_grad()
        with mx.autograd.record():
            y = (x[1:3] * x[1:3]).sum() + x[[0, 0]].sum()
        y.backward()
        _close(x.grad, [2, 4, 6, 0])


# ------------------------------------------------------------ shape methods
_RESHAPES = [
    ((2, 3, 4), (4, 0, 2), (4, 3, 2)),
    ((2, 3, 4), (2, 0, 0), (2, 3, 4)),
    ((2, 3, 4), (6, 1, -1), (6, 1, 4)),
    ((2, 3, 4), (3, -1, 8), (3, 1, 8)),
    ((2, 3, 4), (-1,), (24,)),
    ((2, 3, 4), (-2,), (2, 3, 4)),
    ((2, 3, 4), (2, -2), (2, 3, 4)),
    ((2, 3, 4), (-2, 1, 1), (2, 3, 4, 1, 1)),
    ((2, 3, 4), (-3, 4), (6, 4)),
    ((2, 3, 4, 5), (-3, -3), (6, 20)),
    ((2, 3, 4), (0, -3), (2, 12)),
    ((2, 3, 4), (-3, -2), (6, 4)),
    ((2, 3, 4), (-4, 1, 2, -2), (1, 2, 3, 4)),
    ((2, 3, 4), (2, -4, -1, 3, -2), (2, 1, 3, 4)),
]


class TestShapeMethods:
    @pytest.mark.parametrize(
        "src, spec, expected", _RESHAPES, ids=[str(spec) for _, spec, _ in _RESHAPES]
    )
    def test_reshape_special_codes(
        self, src: tuple, spec: tuple, expected: tuple
    ) -> None:
        values = _data(*src)
        y = _nd(values).reshape(spec)
        assert y.shape == expected
        np.testing.assert_array_equal(y.asnumpy(), values.reshape(expected))

    def test_reshape_call_forms(self) -> None:
        x = mx.nd.zeros((2, 3, 4))
        for y in (
            x.reshape(4, 6),
            x.reshape((4, 6)),
            x.reshape([4, 6]),
            x.reshape(shape=(4, 6)),
            x.reshape(4, -1),
            x.reshape((4, -1)),
        ):
            assert y.shape == (4, 6)
        assert x.reshape(2, -1).shape == (2, 12) and x.reshape((2, -1)).shape == (2, 12)
        assert mx.nd.zeros((10, 5, 4)).reshape((-1, 0), reverse=True).shape == (50, 4)

    def test_reshape_error_names_reshape_and_shape(self) -> None:
        with pytest.raises(ShapeError, match=r"Reshape: .*\(4, -1\).*\(2, 3\)"):
            mx.nd.zeros((2, 3)).reshape((4, -1))

    def test_transpose_and_t(self) -> None:
        values = _data(2, 3, 4)
        x = _nd(values)
        np.testing.assert_array_equal(x.transpose().asnumpy(), values.transpose())
        np.testing.assert_array_equal(
            x.transpose((1, 0, 2)).asnumpy(), values.transpose(1, 0, 2)
        )
        np.testing.assert_array_equal(
            x.transpose(2, 0, 1).asnumpy(), values.transpose(2, 0, 1)
        )
        np.testing.assert_array_equal(
            mx.nd.transpose(x, axes=(0, 2, 1)).asnumpy(), values.transpose(0, 2, 1)
        )
        np.testing.assert_array_equal(_nd(values[0]).T.asnumpy(), values[0].T)

    def test_flatten_expand_dims_squeeze(self) -> None:
        values = _data(2, 3, 4)
        x = _nd(values)
        np.testing.assert_array_equal(x.flatten().asnumpy(), values.reshape(2, 12))
        for axis in (0, 1, 3, -1):
            assert x.expand_dims(axis=axis).shape == np.expand_dims(values, axis).shape
        assert mx.nd.expand_dims(x, 1).shape == (2, 1, 3, 4)
        y = mx.nd.zeros((1, 3, 1))
        assert y.squeeze().shape == (3,)
        assert y.squeeze(axis=2).shape == (1, 3)
        assert mx.nd.squeeze(y, axis=0).shape == (3, 1)


# ------------------------------------------------------------- linear algebra
class TestLinearAlgebra:
    def test_dot(self) -> None:
        a, b = _data(2, 3), _data(3, 4, low=-1)
        _close(mx.nd.dot(_nd(a), _nd(b)), a @ b, rtol=1e-5)
        _close(mx.nd.dot(_nd(a), _nd(a), transpose_a=True), a.T @ a, rtol=1e-5)
        _close(mx.nd.dot(_nd(a), _nd(a), transpose_b=True), a @ a.T, rtol=1e-5)
        _close(mx.nd.dot(_nd(a), _nd(a[0])), a @ a[0], rtol=1e-5)

    def test_dot_of_vectors_gives_shape_1(self) -> None:
        v = mx.nd.array([1, 2, 3])
        assert mx.nd.dot(v, v).shape == (1,) and mx.nd.dot(v, v).asscalar() == 14

    def test_dot_mismatch_names_dot_and_both_shapes(self) -> None:
        with pytest.raises(ShapeError, match=r"dot: .*\(2, 3\).*\(4, 5\)"):
            mx.nd.dot(mx.nd.ones((2, 3)), mx.nd.ones((4, 5)))

    def test_batch_dot(self) -> None:
        a, b = _data(2, 3, 4), _data(2, 4, 5, low=-2)
        _close(mx.nd.batch_dot(_nd(a), _nd(b)), np.matmul(a, b), rtol=1e-5)
        _close(
            mx.nd.batch_dot(_nd(a), _nd(a), transpose_b=True),
            np.matmul(a, a.transpose(0, 2, 1)),
            rtol=1e-5,
        )

    def test_batch_dot_mismatch(self) -> None:
        with pytest.raises(ShapeError, match=r"batch_dot: .*\(2, 3, 4\).*\(2, 3, 5\)"):
            mx.nd.batch_dot(mx.nd.ones((2, 3, 4)), mx.nd.ones((2, 3, 5)))


# --------------------------------------------------------------- reductions
class TestReductions:
    @pytest.mark.slow
    @pytest.mark.parametrize("name", ["sum", "mean", "max", "min"])
    @pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2)])
    @pytest.mark.parametrize("keepdims", [False, True])
    def test_reduce(self, name: str, axis: Any, keepdims: bool) -> None:
        values = _data(2, 3, 4)
        expected = getattr(np, name)(values, axis=axis, keepdims=keepdims)
        expected = expected.reshape(1) if expected.ndim == 0 else expected
        method = getattr(_nd(values), name)(axis=axis, keepdims=keepdims)
        function = getattr(mx.nd, name)(_nd(values), axis=axis, keepdims=keepdims)
        _close(method, expected, rtol=1e-5)
        _close(function, expected, rtol=1e-5)

    def test_full_reduction_has_shape_1(self) -> None:
        x = mx.nd.array([[1, 2], [3, 4]])
        for result, expected in (
            (x.sum(), 10),
            (x.mean(), 2.5),
            (x.max(), 4),
            (x.min(), 1),
        ):
            assert result.shape == (1,) and result.asscalar() == expected

    @pytest.mark.parametrize("name", ["argmax", "argmin"])
    @pytest.mark.parametrize("axis", [0, 1, -1])
    def test_argmax_argmin(self, name: str, axis: int) -> None:
        values = _data(3, 4)
        result = getattr(_nd(values), name)(axis=axis)
        assert result.dtype is np.float32
        _close(result, getattr(np, name)(values, axis=axis).astype(np.float32))

    def test_argmax_without_axis_flattens(self) -> None:
        values = _data(3, 4)
        result = mx.nd.argmax(_nd(values))
        assert result.shape == (1,) and result.asscalar() == np.argmax(values)

    def test_int32_sum_stays_int32(self) -> None:
        result = mx.nd.array([[1, 2], [3, 4]], dtype="int32").sum(axis=0)
        assert result.dtype is np.int32 and result.asnumpy().tolist() == [4, 6]


# ---------------------------------------------------------- elementwise math
_UNARY = {
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "square": np.square,
    "abs": np.abs,
    "sign": np.sign,
}


class TestElementwiseMath:
    @pytest.mark.parametrize("name", list(_UNARY))
    def test_unary(self, name: str) -> None:
        values = _data(2, 3)
        if name in ("log", "sqrt"):
            values = np.abs(values) + 0.25
        expected = _UNARY[name](values)
        _close(getattr(_nd(values), name)(), expected, rtol=1e-5)
        _close(getattr(mx.nd, name)(_nd(values)), expected, rtol=1e-5)

    def test_unary_keeps_float64(self) -> None:
        values = np.array([0.5, 1.5])
        result = mx.nd.exp(_nd(values, "float64"))
        assert result.dtype is np.float64
        np.testing.assert_allclose(result.asnumpy(), np.exp(values), rtol=1e-12)

    def test_clip(self) -> None:
        values = _data(3, 4)
        expected = np.clip(values, -1.0, 2.0)
        _close(_nd(values).clip(-1.0, 2.0), expected)
        _close(mx.nd.clip(_nd(values), a_min=-1.0, a_max=2.0), expected)
        ints = mx.nd.array([1, 5, 9], dtype="int32").clip(2, 6)
        assert ints.dtype is np.int32 and ints.asnumpy().tolist() == [2, 5, 6]


# ------------------------------------------------------- indexing operators
def _softmax(values: np.ndarray, axis: int) -> np.ndarray:
    shifted = np.exp(values - values.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


class TestIndexingOperators:
    def test_one_hot(self) -> None:
        indices = mx.nd.array([0, 2, 1])
        _close(mx.nd.one_hot(indices, 3), np.eye(3)[[0, 2, 1]])
        _close(
            indices.one_hot(4, on_value=5, off_value=-1),
            np.where(np.eye(4)[[0, 2, 1]] == 1, 5, -1),
        )
        assert mx.nd.one_hot(indices, 3, dtype="int32").dtype is np.int32

    @pytest.mark.parametrize("axis", [0, 1, -1])
    def test_take(self, axis: int) -> None:
        values = _data(3, 4)
        indices = np.array([[2, 0], [1, 1]])
        _close(
            mx.nd.take(_nd(values), mx.nd.array(indices), axis=axis),
            np.take(values, indices, axis=axis),
        )
        _close(
            _nd(values).take(mx.nd.array([1]), axis=axis),
            np.take(values, [1], axis=axis),
        )

    def test_take_clips_out_of_range_indices_by_default(self) -> None:
        values = _data(3, 2)
        _close(mx.nd.take(_nd(values), mx.nd.array([5, -4])), values[[2, 0]])
        _close(
            mx.nd.take(_nd(values), mx.nd.array([4, -1]), mode="wrap"), values[[1, 2]]
        )

    @pytest.mark.parametrize("axis", [0, 1, -1])
    def test_pick(self, axis: int) -> None:
        values = _data(3, 4)
        n = values.shape[1 - axis % 2]
        index = np.arange(n) % values.shape[axis]
        expected = np.take_along_axis(values, np.expand_dims(index, axis), axis=axis)
        _close(
            mx.nd.pick(_nd(values), mx.nd.array(index), axis=axis),
            expected.squeeze(axis),
        )
        _close(_nd(values).pick(mx.nd.array(index), axis=axis, keepdims=True), expected)

    @pytest.mark.parametrize("axis", [0, 1, -1])
    def test_softmax_and_log_softmax(self, axis: int) -> None:
        values = _data(3, 4)
        expected = _softmax(values, axis)
        _close(mx.nd.softmax(_nd(values), axis=axis), expected, rtol=1e-5)
        _close(_nd(values).log_softmax(axis=axis), np.log(expected), rtol=1e-5)

    def test_softmax_defaults_to_last_axis(self) -> None:
        values = _data(2, 5)
        _close(_nd(values).softmax(), _softmax(values, -1), rtol=1e-5)
        _close(
            mx.nd.softmax(_nd(values), temperature=2.0),
            _softmax(values / 2, -1),
            rtol=1e-5,
        )

    def test_topk(self) -> None:
        values = _data(3, 5)
        order = np.argsort(-values, axis=-1)
        x = _nd(values)
        top1 = x.topk()
        assert top1.dtype is np.float32
        _close(top1, order[:, :1])
        _close(mx.nd.topk(x, k=2), order[:, :2])
        _close(
            x.topk(k=2, ret_typ="value"), np.take_along_axis(values, order[:, :2], -1)
        )
        _close(x.topk(k=2, is_ascend=True), np.argsort(values, axis=-1)[:, :2])
        _close(x.topk(k=1, axis=0), np.argsort(-values, axis=0)[:1])
        value, index = x.topk(k=3, ret_typ="both")
        _close(value, np.take_along_axis(values, order[:, :3], -1))
        _close(index, order[:, :3])


# ------------------------------------------------------------- save / load
class TestSaveLoad:
    def _arrays(self) -> dict:
        return {
            "w": _nd(_data(3, 2)),
            "b": _nd(_data(4), "float64"),
            "n": mx.nd.array([1, 2, 3], dtype="int32"),
        }

    def test_dict_round_trip(self, tmp_path: Path) -> None:
        arrays = self._arrays()
        mx.nd.save(tmp_path / "d.params", arrays)
        loaded = mx.nd.load(str(tmp_path / "d.params"))
        assert isinstance(loaded, dict) and sorted(loaded) == sorted(arrays)
        for name, value in arrays.items():
            assert isinstance(loaded[name], mx.nd.NDArray)
            assert loaded[name].dtype is value.dtype
            np.testing.assert_array_equal(loaded[name].asnumpy(), value.asnumpy())

    def test_list_round_trip(self, tmp_path: Path) -> None:
        arrays = list(self._arrays().values())
        mx.nd.save(str(tmp_path / "l.params"), arrays)
        loaded = mx.nd.load(tmp_path / "l.params")
        assert isinstance(loaded, list) and len(loaded) == 3
        for got, value in zip(loaded, arrays):
            assert got.dtype is value.dtype
            np.testing.assert_array_equal(got.asnumpy(), value.asnumpy())

    def test_single_array_saves_as_a_list(self, tmp_path: Path) -> None:
        mx.nd.save(tmp_path / "one.params", mx.nd.ones((2, 2)))
        (loaded,) = mx.nd.load(tmp_path / "one.params")
        _close(loaded, np.ones((2, 2)))

    def test_load_mxnet_checkpoint(self) -> None:
        params = mx.nd.load(str(FIXTURES / "mlp-0001.params"))
        weight = params["arg:fullyconnected0_weight"]
        assert isinstance(weight, mx.nd.NDArray)
        assert weight.shape == (128, 784) and weight.dtype is np.float32
        assert np.isfinite(weight.asnumpy()).all()

    def test_save_rejects_non_ndarrays(self, tmp_path: Path) -> None:
        with pytest.raises(
            DTypeError, match=r"mx\.nd\.save\(.*\): entry 'b' is not an NDArray"
        ):
            mx.nd.save(tmp_path / "bad.params", {"a": mx.nd.ones(1), "b": np.ones(1)})


# ------------------------------------------------------------------ contexts
class TestContext:
    def test_missing_gpu_raises_context_error_never_falls_back(self) -> None:
        ctx = mx.gpu(mx.num_gpus())
        name = rf"gpu\({mx.num_gpus()}\)"
        x = mx.nd.ones(2)
        uses = [
            lambda: mx.nd.zeros((2,), ctx=ctx),
            lambda: mx.nd.array([1.0], ctx=ctx),
            lambda: x.as_in_context(ctx),
            lambda: x.copyto(ctx),
            lambda: mx.nd.arange(3, ctx=ctx),
        ]
        for use in uses:
            with pytest.raises(ContextError, match=name):
                use()
        with pytest.raises(MXNetError, match=name), ctx:
            mx.nd.ones(2)

    def test_current_context_is_used(self) -> None:
        with mx.cpu(0):
            assert mx.nd.ones(2).context == mx.cpu(0)


# ---------------------------------------------------------------- front end
class TestFrontend:
    def test_out_writes_into_an_existing_array(self) -> None:
        values = _data(2, 3)
        out = mx.nd.zeros((2, 3))
        assert mx.nd.exp(_nd(values), out=out) is out
        _close(out, np.exp(values), rtol=1e-5)

    def test_out_with_the_wrong_shape(self) -> None:
        with pytest.raises(
            ShapeError,
            match=r"exp: out= has shape \(3,\) but the result "
            r"has shape \(2, 3\)",
        ):
            mx.nd.exp(mx.nd.ones((2, 3)), out=mx.nd.zeros(3))

    def test_unknown_parameter_suggests_a_name(self) -> None:
        with pytest.raises(
            ParamError, match=r"sum: unknown parameter 'axs'\. Did you mean 'axis'"
        ):
            mx.nd.sum(mx.nd.ones(2), axs=0)


# ------------------------------------------------------------------- random
class TestRandom:
    def test_seed_makes_uniform_reproducible(self) -> None:
        mx.random.seed(42)
        first = mx.nd.random.uniform(shape=(3, 4)).asnumpy()
        mx.random.seed(42)
        again = mx.nd.random.uniform(shape=(3, 4)).asnumpy()
        mx.random.seed(43)
        other = mx.nd.random.uniform(shape=(3, 4)).asnumpy()
        np.testing.assert_array_equal(first, again)
        assert not np.array_equal(first, other)

    def test_successive_draws_differ(self) -> None:
        mx.random.seed(0)
        a, b = mx.nd.random.normal(shape=(4,)), mx.nd.random.normal(shape=(4,))
        assert not np.array_equal(a.asnumpy(), b.asnumpy())

    def test_uniform(self) -> None:
        mx.random.seed(1)
        x = mx.nd.random.uniform(2.0, 5.0, shape=(2000,))
        assert (x.shape, x.dtype) == ((2000,), np.float32)
        values = x.asnumpy()
        assert values.min() >= 2.0 and values.max() < 5.0
        assert abs(values.mean() - 3.5) < 0.1
        assert mx.nd.random.uniform(shape=3, dtype="float64").dtype is np.float64

    def test_normal(self) -> None:
        mx.random.seed(2)
        values = mx.nd.random.normal(1.0, 2.0, shape=(50, 40)).asnumpy()
        assert values.shape == (50, 40)
        assert abs(values.mean() - 1.0) < 0.15 and abs(values.std() - 2.0) < 0.15

    def test_out(self) -> None:
        out = mx.nd.zeros((3,))
        assert mx.nd.random.uniform(shape=(3,), out=out) is out
        assert (out.asnumpy() > 0).any()
