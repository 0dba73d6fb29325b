"""MXNet 1.x NDArray API (``mx.nd``) against NumPy references.

Split by aspect: creation, properties and conversion, arithmetic, in-place
updates, indexing, shape methods, operators, save/load, contexts and random
sampling. MXNet 1.x conventions checked throughout: NumPy input becomes
float32, a full reduction or an integer index of a 1-D array gives shape (1,),
comparisons return 0/1 in the input's dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import (
    AutogradError,
    DTypeError,
    ParamError,
    ShapeError,
)

from .ndarray_helpers import FIXTURES, _close, _data, _mxnet_index, _nd  # noqa: F401


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
