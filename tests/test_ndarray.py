"""MXNet 1.x NDArray API (``mx.nd``) against NumPy references.

Split by aspect: creation, properties and conversion, arithmetic, in-place
updates, indexing, shape methods, operators, save/load, contexts and random
sampling. MXNet 1.x conventions checked throughout: NumPy input becomes
float32, a full reduction or an integer index of a 1-D array gives shape (1,),
comparisons return 0/1 in the input's dtype.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import (
    AutogradError,
    ContextError,
    DTypeError,
    MXNetError,
    ParamError,
    ShapeError,
)
from mxlite.ndarray import _invoke
from mxlite.ndarray.ndarray import NDArrayIndexError

FIXTURES = Path(__file__).parent / "fixtures" / "mxnet"


def _data(*shape: int, dtype: str = "float32", low: float = -3.0) -> np.ndarray:
    """Deterministic, distinct values (no ties, so argmax/topk are defined)."""
    n = int(np.prod(shape))
    values = low + np.random.default_rng(n).permutation(n) * 0.5
    return values.reshape(shape).astype(dtype)


def _nd(values: Any, dtype: str | None = None) -> mx.nd.NDArray:
    values = np.asarray(values)
    return mx.nd.array(values, dtype=dtype or values.dtype)


def _close(actual: mx.nd.NDArray, expected: Any, rtol: float = 1e-6) -> None:
    expected = np.asarray(expected)
    got = actual.asnumpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=1e-6)


def _mxnet_index(values: np.ndarray, key: Any) -> np.ndarray:
    """NumPy indexing with MXNet 1.x's rule that a 0-d result has shape (1,)."""
    out = np.asarray(values[key])
    return out.reshape(1) if out.ndim == 0 else out


# ----------------------------------------------------------------- creation
class TestCreation:
    def test_array_from_list_is_float32(self) -> None:
        x = mx.nd.array([[1, 2], [3, 4]])
        assert x.dtype is np.float32
        _close(x, [[1, 2], [3, 4]])

    @pytest.mark.parametrize("np_dtype", ["float64", "int64", "int32", "uint8"])
    def test_array_from_numpy_defaults_to_float32(self, np_dtype: str) -> None:
        x = mx.nd.array(np.arange(6, dtype=np_dtype).reshape(2, 3))
        assert x.dtype is np.float32
        _close(x, np.arange(6).reshape(2, 3))

    @pytest.mark.parametrize("dtype", ["float64", "int32", np.float16, np.int64])
    def test_array_keeps_a_given_dtype(self, dtype: Any) -> None:
        x = mx.nd.array([1.0, 2.0, 3.0], dtype=dtype)
        assert x.dtype is np.dtype(dtype).type
        _close(x, [1, 2, 3])

    def test_array_of_an_ndarray_keeps_its_dtype_and_copies(self) -> None:
        src = mx.nd.array([1, 2, 3], dtype="int32")
        copy = mx.nd.array(src)
        src[:] = 0
        assert copy.dtype is np.int32
        _close(copy, [1, 2, 3])

    def test_array_does_not_share_memory_with_numpy_input(self) -> None:
        # On the CPU device_put may alias aligned buffers; try enough sizes that
        # some are aligned.
        for n in range(60, 76):
            source = np.ones(n, dtype=np.float32)
            x = mx.nd.array(source)
            source[:] = 5
            np.testing.assert_array_equal(x.asnumpy(), np.ones(n))

    def test_ragged_list_raises(self) -> None:
        with pytest.raises(
            DTypeError, match=r"mx\.nd\.array: cannot convert list to float32"
        ):
            mx.nd.array([[1, 2], [3]])
        with pytest.raises(TypeError):
            mx.nd.array([[1, 2], [3]])

    @pytest.mark.parametrize(
        "make, fill", [(mx.nd.zeros, 0), (mx.nd.ones, 1), (mx.nd.empty, None)]
    )
    def test_zeros_ones_empty(self, make: Any, fill: Any) -> None:
        x = make((2, 3))
        assert (x.shape, x.dtype, x.context) == ((2, 3), np.float32, mx.cpu(0))
        if fill is not None:
            _close(x, np.full((2, 3), fill))
        assert make(4, dtype="int32").shape == (4,)
        assert make(4, dtype="int32").dtype is np.int32
        assert make((0, 3)).size == 0

    def test_full(self) -> None:
        _close(mx.nd.full((2, 2), 3.5), np.full((2, 2), 3.5))
        x = mx.nd.full(3, 7, dtype="int32")
        assert x.dtype is np.int32 and x.asnumpy().tolist() == [7, 7, 7]

    def test_full_writes_into_out(self) -> None:
        out = mx.nd.zeros((2, 3))
        assert mx.nd.full((2, 3), 4.0, out=out) is out
        _close(out, np.full((2, 3), 4.0))

    def test_dtype_none_means_float32(self) -> None:
        assert mx.nd.zeros((2,), dtype=None).dtype is np.float32
        assert mx.nd.ones((2,), dtype=None).dtype is np.float32
        assert mx.nd.arange(3, dtype=None).dtype is np.float32

    @pytest.mark.parametrize("make", ["zeros", "ones", "empty", "array", "arange"])
    def test_bad_dtype_names_the_function(self, make: str) -> None:
        args = {"array": ([1],), "arange": (3,)}.get(make, ((2,),))
        with pytest.raises(
            DTypeError, match=rf"mx\.nd\.{make}: dtype 'float31' is not"
        ):
            getattr(mx.nd, make)(*args, dtype="float31")

    def test_negative_shape_raises(self) -> None:
        with pytest.raises(
            ParamError, match=r"shape must be a tuple of ints >= 0; got \(2, -1\)"
        ):
            mx.nd.zeros((2, -1))

    @pytest.mark.parametrize(
        "args, kwargs, expected",
        [
            ((5,), {}, np.arange(5)),
            ((2, 6), {}, [2, 3, 4, 5]),
            ((2, 6), {"step": 2}, [2, 4]),
            ((5, 0, -1), {}, [5, 4, 3, 2, 1]),
            ((2, 6), {"step": 1.5, "repeat": 2}, [2, 2, 3.5, 3.5, 5, 5]),
            ((0, 1, 0.1), {}, np.arange(10, dtype=np.float32) * np.float32(0.1)),
        ],
    )
    def test_arange(self, args: tuple, kwargs: dict, expected: Any) -> None:
        x = mx.nd.arange(*args, **kwargs)
        assert x.dtype is np.float32
        _close(x, np.asarray(expected, dtype=np.float32))

    def test_arange_int32_casts_start_and_step_like_mxnet(self) -> None:
        x = mx.nd.arange(2, 6, step=2, repeat=3, dtype="int32")
        assert x.dtype is np.int32 and x.asnumpy().tolist() == [2, 2, 2, 4, 4, 4]
        assert mx.nd.arange(2, 6, 1.5, dtype="int32").asnumpy().tolist() == [2, 3, 4]

    def test_zeros_like_ones_like_keep_shape_and_dtype(self) -> None:
        x = mx.nd.array(_data(2, 3), dtype="int32")
        for fn, fill in ((mx.nd.zeros_like, 0), (mx.nd.ones_like, 1)):
            y = fn(x)
            assert y.dtype is np.int32
            _close(y, np.full((2, 3), fill))
        _close(x.zeros_like(), np.zeros((2, 3)))

    @pytest.mark.parametrize("dim", [0, 1, -1])
    def test_concat(self, dim: int) -> None:
        a, b, c = _data(2, 3), _data(2, 3, low=5), _data(2, 3, low=-9)
        _close(
            mx.nd.concat(_nd(a), _nd(b), _nd(c), dim=dim),
            np.concatenate([a, b, c], axis=dim),
        )

    def test_concat_defaults_to_dim_1(self) -> None:
        assert mx.nd.concat(mx.nd.ones((2, 3)), mx.nd.ones((2, 4))).shape == (2, 7)

    def test_concat_mismatch_names_concat(self) -> None:
        with pytest.raises(ShapeError, match=r"Concat: .*\(3, 3\).*\(2, 3\)"):
            mx.nd.concat(mx.nd.ones((2, 3)), mx.nd.ones((3, 3)), dim=1)

    @pytest.mark.parametrize("axis", [0, 1, 2, -1])
    def test_stack(self, axis: int) -> None:
        a, b = _data(2, 3), _data(2, 3, low=4)
        _close(mx.nd.stack(_nd(a), _nd(b), axis=axis), np.stack([a, b], axis=axis))

    def test_stack_mismatch_names_stack(self) -> None:
        with pytest.raises(ShapeError, match=r"stack: .*\(3, 3\).*\(2, 3\)"):
            mx.nd.stack(mx.nd.ones((2, 3)), mx.nd.ones((3, 3)))


# -------------------------------------------------- properties and conversion
class TestProperties:
    def test_shape_dtype_context_size_ndim(self) -> None:
        x = mx.nd.zeros((2, 3, 4))
        assert x.shape == (2, 3, 4) and isinstance(x.shape, tuple)
        assert x.dtype is np.float32
        assert x.context == mx.cpu(0) and x.ctx == mx.cpu(0)
        assert (x.size, x.ndim) == (24, 3)
        assert isinstance(x.size, int)

    def test_len_and_iteration(self) -> None:
        values = _data(3, 2)
        x = _nd(values)
        assert len(x) == 3
        rows = list(x)
        assert len(rows) == 3
        for row, expected in zip(rows, values):
            _close(row, expected)
        assert [item.shape for item in mx.nd.array([1, 2])] == [(1,), (1,)]

    def test_bool(self) -> None:
        assert bool(mx.nd.array([2.0])) is True
        assert bool(mx.nd.array([0.0])) is False
        assert bool(mx.nd.zeros((0,))) is False
        with pytest.raises(
            ValueError, match="truth value of an NDArray with 2 elements"
        ):
            bool(mx.nd.ones(2))

    def test_float_and_int(self) -> None:
        assert float(mx.nd.array([2.5])) == 2.5
        assert int(mx.nd.array([[3.7]])) == 3
        with pytest.raises(TypeError, match=r"float\(\) of an NDArray of shape \(2,\)"):
            float(mx.nd.ones(2))

    def test_asnumpy_and_np_asarray(self) -> None:
        values = _data(2, 3)
        x = _nd(values)
        for out in (x.asnumpy(), np.asarray(x), np.array(x)):
            assert isinstance(out, np.ndarray) and out.dtype == np.float32
            np.testing.assert_array_equal(out, values)
        assert np.asarray(x, dtype=np.float64).dtype == np.float64

    def test_asnumpy_is_a_copy(self) -> None:
        x = mx.nd.ones(3)
        out = x.asnumpy()
        out[:] = 7
        _close(x, [1, 1, 1])

    def test_asscalar(self) -> None:
        value = mx.nd.array([4.5]).asscalar()
        assert value == 4.5 and isinstance(value, np.float32)
        assert mx.nd.array([3], dtype="int32").asscalar().dtype == np.int32
        with pytest.raises(ShapeError, match=r"asscalar: the array has shape \(2, 2\)"):
            mx.nd.ones((2, 2)).asscalar()

    def test_hash_and_elementwise_eq(self) -> None:
        x, y = mx.nd.array([1, 2, 3]), mx.nd.array([1, 0, 3])
        assert hash(x) != hash(y)
        table = {x: "x", y: "y"}
        assert table[x] == "x" and len({x, y, x}) == 2
        eq = x == y
        assert isinstance(eq, mx.nd.NDArray) and eq.dtype is np.float32
        _close(eq, [1, 0, 1])

    def test_repr_is_mxnet_format(self) -> None:
        assert repr(mx.nd.array([[1, 2]])) == "\n[[1. 2.]]\n<NDArray 1x2 @cpu(0)>"
        assert (
            repr(mx.nd.array([1, 2, 3], dtype="int32"))
            == "\n[1 2 3]\n<NDArray 3 @cpu(0)>"
        )
        assert repr(mx.nd.zeros((2, 1, 2))).endswith("<NDArray 2x1x2 @cpu(0)>")

    def test_wait_to_read_and_waitall(self) -> None:
        x = mx.nd.ones((4, 4)) * 3
        assert x.wait_to_read() is None
        assert mx.nd.waitall() is None
        _close(x, np.full((4, 4), 3.0))


class TestConversion:
    @pytest.mark.parametrize(
        "dtype", ["int32", "float64", np.float16, np.int64, "uint8"]
    )
    def test_astype(self, dtype: Any) -> None:
        values = np.array([[0.5, 1.7], [2.2, 3.9]], dtype=np.float32)
        y = _nd(values).astype(dtype)
        assert y.dtype is np.dtype(dtype).type
        np.testing.assert_array_equal(y.asnumpy(), values.astype(dtype))

    def test_astype_copy_false_returns_self_when_same(self) -> None:
        x = mx.nd.ones(2)
        assert x.astype("float32", copy=False) is x
        assert x.astype("float32") is not x
        assert x.astype("int32", copy=False).dtype is np.int32

    def test_astype_bad_name_names_cast(self) -> None:
        with pytest.raises(
            ParamError, match=r"Cast: dtype must be a dtype name .*; got .float31."
        ):
            mx.nd.ones(2).astype("float31")

    def test_copy_is_independent(self) -> None:
        x = mx.nd.array([1, 2, 3])
        y = x.copy()
        y[0] = 9
        _close(x, [1, 2, 3])
        _close(y, [9, 2, 3])

    def test_copyto_ndarray_writes_and_casts(self) -> None:
        x = mx.nd.array([1.5, 2.5])
        target = mx.nd.zeros(2, dtype="float64")
        assert x.copyto(target) is target
        assert target.dtype is np.float64
        _close(target, [1.5, 2.5])

    def test_copyto_shape_mismatch(self) -> None:
        with pytest.raises(
            ShapeError, match=r"copyto: shapes differ: \(2,\) vs \(3,\)"
        ):
            mx.nd.ones(2).copyto(mx.nd.zeros(3))

    def test_copyto_context_and_as_in_context(self) -> None:
        x = mx.nd.array([1, 2])
        y = x.copyto(mx.cpu(0))
        assert y is not x and y.context == mx.cpu(0)
        _close(y, [1, 2])
        assert x.as_in_context(mx.cpu(0)) is x


# --------------------------------------------------------------- arithmetic
_BINARY = {
    "add": (lambda a, b: a + b),
    "sub": (lambda a, b: a - b),
    "mul": (lambda a, b: a * b),
    "div": (lambda a, b: a / b),
    "pow": (lambda a, b: a**b),
}
_COMPARE = {
    "eq": (lambda a, b: a == b),
    "ne": (lambda a, b: a != b),
    "gt": (lambda a, b: a > b),
    "ge": (lambda a, b: a >= b),
    "lt": (lambda a, b: a < b),
    "le": (lambda a, b: a <= b),
}


class TestArithmetic:
    @pytest.mark.parametrize("op", list(_BINARY))
    @pytest.mark.parametrize("rhs_shape", [(2, 3), (1, 3), (2, 1), (3,)])
    def test_ndarray_with_ndarray_broadcasts(self, op: str, rhs_shape: tuple) -> None:
        a = np.abs(_data(2, 3)) + 1
        b = np.abs(_data(*rhs_shape, low=0.5)) + 0.5
        fn = _BINARY[op]
        _close(fn(_nd(a), _nd(b)), fn(a, b), rtol=1e-5)

    @pytest.mark.parametrize("op", list(_BINARY))
    @pytest.mark.parametrize("scalar", [2, 0.5, np.float32(3.0)])
    def test_ndarray_with_scalar_both_sides(self, op: str, scalar: Any) -> None:
        a = np.abs(_data(2, 3)) + 1
        fn = _BINARY[op]
        _close(fn(_nd(a), scalar), fn(a, np.float32(scalar)), rtol=1e-5)
        reversed_result = fn(scalar, _nd(a))
        assert isinstance(reversed_result, mx.nd.NDArray)
        _close(reversed_result, fn(np.float32(scalar), a), rtol=1e-5)

    def test_reversed_scalar_examples(self) -> None:
        x = mx.nd.array([1, 2, 4])
        _close(1 - x, [0, -1, -3])
        _close(2 / x, [2, 1, 0.5])
        _close(2**x, [2, 4, 16])

    def test_with_numpy_array_on_either_side(self) -> None:
        x, other = mx.nd.array([[1, 2], [3, 4]]), np.array([10.0, 20.0])
        for result in (x + other, other + x):
            assert isinstance(result, mx.nd.NDArray) and result.dtype is np.float32
            _close(result, [[11, 22], [13, 24]])
        _close(other - x, [[9, 18], [7, 16]])

    @pytest.mark.parametrize("op", list(_COMPARE))
    def test_comparisons_return_zero_one_in_input_dtype(self, op: str) -> None:
        a, b = (
            np.array([[1, 2, 3]], dtype=np.float32),
            np.array([[3, 2, 1]], dtype=np.float32),
        )
        fn = _COMPARE[op]
        for result, expected in (
            (fn(_nd(a), _nd(b)), fn(a, b)),
            (fn(_nd(a), 2), fn(a, 2)),
            (fn(_nd(a), _nd(b[0])), fn(a, b[0])),
        ):
            assert result.dtype is np.float32
            _close(result, expected.astype(np.float32))
        ints = fn(_nd(a, "int32"), 2)
        assert ints.dtype is np.int32
        np.testing.assert_array_equal(ints.asnumpy(), fn(a, 2).astype(np.int32))

    def test_negative_and_abs(self) -> None:
        values = _data(2, 3)
        _close(-_nd(values), -values)
        _close(abs(_nd(values)), np.abs(values))

    def test_float64_stays_float64_with_python_scalars(self) -> None:
        values = np.array([1.0, 2.0, 3.0])
        x = _nd(values, "float64")
        for result, expected in (
            (x + 0.1, values + 0.1),
            (x * 0.1, values * 0.1),
            (1 - x, 1 - values),
            (x / 3, values / 3),
            (3 / x, 3 / values),
            (x**0.5, values**0.5),
        ):
            assert result.dtype is np.float64
            np.testing.assert_array_equal(result.asnumpy(), expected)

    def test_int32_stays_int32_with_int_scalars(self) -> None:
        x = mx.nd.array([1, 2, 7], dtype="int32")
        for result, expected in (
            (x + 3, [4, 5, 10]),
            (x - 1, [0, 1, 6]),
            (x * 2, [2, 4, 14]),
            (10 - x, [9, 8, 3]),
            (x / 2, [0, 1, 3]),
            (x**2, [1, 4, 49]),
        ):
            assert result.dtype is np.int32
            assert result.asnumpy().tolist() == expected

    def test_int32_division_truncates_toward_zero(self) -> None:
        x = mx.nd.array([-7, 7], dtype="int32")
        assert (x / 2).asnumpy().tolist() == [-3, 3]
        assert (7 / mx.nd.array([-2, 2], dtype="int32")).asnumpy().tolist() == [-3, 3]
        assert (x / mx.nd.array([2, -2], dtype="int32")).asnumpy().tolist() == [-3, -3]

    def test_mixed_dtypes_raise(self) -> None:
        with pytest.raises(DTypeError, match=r"broadcast_add: .*float32.*float64"):
            mx.nd.ones(2) + mx.nd.ones(2, dtype="float64")

    def test_incompatible_broadcast_names_the_op_and_shapes(self) -> None:
        with pytest.raises(
            ShapeError, match=r"broadcast_add: inputs 'lhs' \(2, 3\) and 'rhs' \(4,\)"
        ):
            mx.nd.broadcast_add(mx.nd.ones((2, 3)), mx.nd.ones(4))
        with pytest.raises(ShapeError, match=r"broadcast_mul: .*\(2, 3\).*\(2, 2\)"):
            mx.nd.ones((2, 3)) * mx.nd.ones((2, 2))

    def test_unsupported_operand_raises(self) -> None:
        with pytest.raises(
            DTypeError, match=r"NDArray add: the other operand .*; got str"
        ):
            mx.nd.ones(2) + "a"
        with pytest.raises(DTypeError, match=r"NDArray sub: .*; got list"):
            [1, 2] - mx.nd.ones(2)

    def test_inputs_are_not_mutated(self) -> None:
        a, b = _data(2, 3), _data(1, 3, low=2)
        x, y = _nd(a), _nd(b)
        for fn in list(_BINARY.values()) + list(_COMPARE.values()):
            fn(x, y)
            fn(x, 2.0)
            fn(2.0, x)
        for result in (-x, x.reshape(3, 2), x.sum(axis=0), x[0], x.astype("int32")):
            result.wait_to_read()
        np.testing.assert_array_equal(x.asnumpy(), a)
        np.testing.assert_array_equal(y.asnumpy(), b)

    @pytest.mark.parametrize("name", ["maximum", "minimum"])
    def test_maximum_minimum_functions(self, name: str) -> None:
        fn, ref = getattr(mx.nd, name), getattr(np, name)
        a, b = _data(2, 3), _data(1, 3, low=-1)
        _close(fn(_nd(a), _nd(b)), ref(a, b))
        _close(fn(_nd(a), 0.5), ref(a, np.float32(0.5)))
        _close(fn(0.5, _nd(a)), ref(a, np.float32(0.5)))
        assert fn(1, 3) == ref(1, 3)
        ints = fn(mx.nd.array([1, 5], dtype="int32"), 3)
        assert (
            ints.dtype is np.int32
            and ints.asnumpy().tolist() == ref([1, 5], 3).tolist()
        )

    def test_maximum_rejects_other_types(self) -> None:
        with pytest.raises(
            DTypeError, match=r"mx\.nd\.maximum: expected NDArrays or numbers"
        ):
            mx.nd.maximum(mx.nd.ones(2), "a")


# ----------------------------------------------------------------- in place
class TestInPlace:
    @pytest.mark.parametrize(
        "op, ref",
        [
            ("__iadd__", np.add),
            ("__isub__", np.subtract),
            ("__imul__", np.multiply),
            ("__itruediv__", np.divide),
        ],
    )
    @pytest.mark.parametrize("rhs", [2.0, "array", "row"])
    def test_augmented_assignment_updates_the_same_object(
        self, op: str, ref: Any, rhs: Any
    ) -> None:
        values = np.abs(_data(2, 3)) + 1
        other = {
            "array": np.abs(_data(2, 3, low=1)) + 1,
            "row": np.abs(_data(3, low=1)) + 1,
        }.get(rhs, rhs)
        x = _nd(values)
        alias = x
        operand = _nd(other) if isinstance(other, np.ndarray) else other
        result = getattr(x, op)(operand)
        assert result is x and alias is x
        _close(x, ref(values, np.float32(other)), rtol=1e-6)

    def test_augmented_assignment_keeps_dtype(self) -> None:
        x = mx.nd.array([1, 2], dtype="int32")
        x += 3
        x *= 2
        assert x.dtype is np.int32 and x.asnumpy().tolist() == [8, 10]

    def test_in_place_cannot_change_shape(self) -> None:
        x = mx.nd.ones(3)
        with pytest.raises(
            ShapeError, match=r"in-place .*\(2, 3\) but the array has shape \(3,\)"
        ):
            x += mx.nd.ones((2, 3))
        _close(x, [1, 1, 1])

    def test_assign_whole_array(self) -> None:
        x = mx.nd.zeros((2, 3))
        x[:] = 5
        _close(x, np.full((2, 3), 5))
        x[:] = mx.nd.array([[1, 2, 3], [4, 5, 6]])
        _close(x, [[1, 2, 3], [4, 5, 6]])
        x[:] = np.arange(6).reshape(2, 3)
        _close(x, np.arange(6).reshape(2, 3))
        x[:] = [7, 8, 9]
        _close(x, [[7, 8, 9], [7, 8, 9]])
        assert x.dtype is np.float32

    @pytest.mark.parametrize(
        "key, value",
        [
            (1, 3.0),
            (-1, 4.0),
            ((1, 2), 9.0),
            (slice(1, 3), np.arange(8.0).reshape(2, 4)),
            ((slice(None), 0), np.array([1.0, 2.0, 3.0])),
            ((slice(None, None, -1), slice(0, 2, 2)), [6.0]),
            ([0, 2], 7.0),
            ((slice(None), [3, 1]), np.array([[1.0, 2.0]])),
            ((Ellipsis, 1), -2.0),
            (0, np.arange(4.0).reshape(1, 4)),
        ],
        ids=repr,
    )
    def test_setitem_matches_numpy(self, key: Any, value: Any) -> None:
        expected = _data(3, 4)
        x = _nd(expected)
        expected[key] = value
        x[key] = _nd(value) if isinstance(value, np.ndarray) else value
        np.testing.assert_array_equal(x.asnumpy(), expected)

    def test_setitem_casts_to_the_array_dtype(self) -> None:
        x = mx.nd.zeros(3, dtype="int32")
        x[0] = 2.7
        x[1:] = mx.nd.array([5.9, -1.2])
        assert x.dtype is np.int32 and x.asnumpy().tolist() == [2, 5, -1]

    def test_setitem_shape_mismatch(self) -> None:
        x = mx.nd.zeros((2, 3))
        with pytest.raises(
            ShapeError,
            match=r"__setitem__\[0\]: cannot assign a value of "
            r"shape \(2,\) to a selection of shape \(3,\)",
        ):
            x[0] = mx.nd.ones(2)

    def test_setitem_rejects_non_numeric_values(self) -> None:
        x = mx.nd.zeros(3)
        with pytest.raises(DTypeError, match="the value must be numeric; got 'a'"):
            x[:] = "a"
        with pytest.raises(DTypeError, match="cannot convert list to an array"):
            x[:] = [[1], [2, 3]]

    def test_setitem_out_of_bounds(self) -> None:
        with pytest.raises(
            IndexError, match="index -4 is out of bounds for axis 0 with size 3"
        ):
            mx.nd.zeros(3)[-4] = 1

    def test_setitem_on_a_recorded_array_raises(self) -> None:
        x = mx.nd.ones(3)
        x.attach_grad()
        with mx.autograd.record():
            y = x * 2
            with pytest.raises(AutogradError, match="item assignment is not supported"):
                y[0] = 1


# ----------------------------------------------------------------- indexing
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
            ParamError, match="sum: unknown parameter 'axs'. Did you mean 'axis'"
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
