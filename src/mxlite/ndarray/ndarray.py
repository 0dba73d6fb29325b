"""NDArray: MXNet's mutable imperative array, as a handle over a jax.Array.

Operations return at once (JAX dispatches asynchronously); ``asnumpy()``,
``wait_to_read()`` and ``mx.nd.waitall()`` are the synchronisation points.
Every arithmetic operator and method is a registry operator, so ``x + y`` and
``mx.nd.broadcast_add(x, y)`` are the same code.
"""

from __future__ import annotations

import numbers
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import autograd
from ..base import AutogradError, DTypeError, MXNetError, ShapeError
from ..context import Context, current_context
from ..ops import get_op, has_op
from ._frontend import make_function
from ._indexing import NDArrayIndexError, gather, plan_index, scatter
from ._invoke import cached_jit, invoke, invoke_fn

__all__ = ["NDArray", "NDArrayIndexError", "to_jax", "as_context"]


def as_context(ctx: Context | None) -> Context:
    """The given context, or the current one."""
    return ctx if ctx is not None else current_context()


def to_jax(value: Any, ctx: Context, dtype: Any = None) -> jax.Array:
    """Place a NumPy array, list, scalar, jax.Array or NDArray on ``ctx``."""
    if isinstance(value, NDArray):
        value = value._data
    if not isinstance(value, jax.Array):
        # NOTE: np.array copies on purpose. On the CPU, device_put may alias an
        # aligned NumPy buffer, and the caller's later writes to it would then
        # change this array; MXNet always copied.
        value = np.array(value, dtype=dtype)
    elif dtype is not None:
        value = value.astype(dtype)
    return jax.device_put(value, ctx.jax_device)


def _op(name: str, *inputs: NDArray, **params: Any) -> NDArray:
    opdef = get_op(name)
    return invoke(opdef, opdef.parse(params), inputs)[0]


def _is_scalar(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def _operand(other: Any, like: NDArray, op: str) -> NDArray:
    """The other operand of a binary operator as an NDArray like ``like``."""
    if isinstance(other, NDArray):
        return other
    if isinstance(other, (np.ndarray, jax.Array)):
        return NDArray._wrap(to_jax(other, like._ctx, like.dtype), like._ctx)
    raise DTypeError(
        f"NDArray {op}: the other operand must be an NDArray, a NumPy array or a "
        f"number; got {type(other).__name__}."
    )


def _binary(lhs: NDArray, rhs: Any, op: str, scalar_op: str) -> NDArray:
    if _is_scalar(rhs):
        return _op(scalar_op, lhs, scalar=float(rhs))
    return _op(f"broadcast_{op}", lhs, _operand(rhs, lhs, op))


class NDArray:
    """A mutable n-dimensional array on a device context.

    Example:
        >>> import mxlite as mx
        >>> x = mx.nd.ones((2, 3))
        >>> float((x * 2).sum())
        12.0
    """

    __slots__ = ("__weakref__", "_ag", "_ctx", "_data", "_grad", "_grad_req")
    __array_priority__ = 1000.0

    def __init__(self, data: jax.Array, ctx: Context | None = None) -> None:
        self._data = data
        self._ctx = as_context(ctx)
        self._ag = None
        self._grad = None
        self._grad_req = "null"

    @classmethod
    def _wrap(cls, data: jax.Array, ctx: Context) -> NDArray:
        return cls(data, ctx)

    # -- properties -------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._data.shape)

    @property
    def dtype(self) -> type:
        """NumPy scalar type, as MXNet returns (``numpy.float32``)."""
        return np.dtype(self._data.dtype).type

    @property
    def context(self) -> Context:
        return self._ctx

    ctx = context

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def stype(self) -> str:
        return "default"

    @property
    def T(self) -> NDArray:
        return self.transpose()

    @property
    def grad(self) -> NDArray | None:
        """The gradient buffer set up by :meth:`attach_grad`."""
        return self._grad

    # -- conversion and synchronisation -----------------------------------
    def asnumpy(self) -> np.ndarray:
        """Copy to a NumPy array (waits for pending work)."""
        try:
            return np.array(self._data)
        except Exception as err:  # a deferred device error surfaces here
            raise MXNetError(f"NDArray.asnumpy: {err}") from err

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self.asnumpy()
        return out if dtype is None else out.astype(dtype)

    def asscalar(self) -> Any:
        """The value of a one-element array as a NumPy scalar."""
        if self.size != 1:
            raise ShapeError(
                f"NDArray.asscalar: the array has shape {self.shape}; only one-element "
                "arrays convert to a scalar."
            )
        return self.asnumpy().reshape(())[()]

    def item(self) -> Any:
        return self.asscalar().item()

    def wait_to_read(self) -> None:
        """Block until this array's value is computed."""
        jax.block_until_ready(self._data)

    def copy(self) -> NDArray:
        return _op("_copy", self)

    def copyto(self, other: NDArray | Context) -> NDArray:
        """Copy into another NDArray (same shape) or onto a context."""
        if isinstance(other, Context):
            return NDArray(to_jax(self._data, other), other)
        if not isinstance(other, NDArray):
            raise DTypeError(
                f"copyto: expected an NDArray or Context; got {type(other).__name__}."
            )
        if other.shape != self.shape:
            raise ShapeError(f"copyto: shapes differ: {self.shape} vs {other.shape}.")
        other._data = to_jax(self._data.astype(other._data.dtype), other._ctx)
        return other

    def as_in_context(self, context: Context) -> NDArray:
        """This array on ``context`` (itself when already there)."""
        return self if context == self._ctx else self.copyto(context)

    def astype(self, dtype: Any, copy: bool = True) -> NDArray:
        """A copy cast to ``dtype`` (``self`` when ``copy=False`` and it matches)."""
        if not copy and _same_dtype(dtype, self._data.dtype):
            return self
        return _op("Cast", self, dtype=dtype)

    def detach(self) -> NDArray:
        """The same value, cut from the autograd graph."""
        return NDArray(self._data, self._ctx)

    # -- autograd ---------------------------------------------------------
    def attach_grad(self, grad_req: str = "write", stype: Any = None) -> None:
        """Allocate a gradient buffer and mark this array as a leaf."""
        grad = NDArray(jnp.zeros(self._data.shape, self._data.dtype), self._ctx)
        autograd.mark_variables([self], [grad], grad_req)

    def backward(self, out_grad: NDArray | None = None, retain_graph: bool = False,
                 train_mode: bool = True) -> None:
        """Compute gradients of this array into the leaves' ``.grad``."""
        autograd.backward([self], None if out_grad is None else [out_grad],
                          retain_graph, train_mode)

    # -- shape helpers ----------------------------------------------------
    def reshape(self, *shape: Any, **kwargs: Any) -> NDArray:
        """Reshape with MXNet's codes (0 copies an axis, -1 infers one, ...)."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        shape = kwargs.pop("shape", shape)
        return _op("Reshape", self, shape=tuple(shape), **kwargs)

    def transpose(self, *axes: Any) -> NDArray:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _op("transpose", self, axes=tuple(axes))

    def __len__(self) -> int:
        if not self.shape:
            raise ShapeError("len() of a 0-d NDArray")
        return self.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __bool__(self) -> bool:
        if self.size == 0:
            return False
        if self.size != 1:
            raise ShapeError(
                f"The truth value of an NDArray with {self.size} elements is "
                "ambiguous; reduce it first (x.sum(), (x > 0).min())."
            )
        return bool(self.asscalar())

    def __float__(self) -> float:
        return float(self._scalar("float"))

    def __int__(self) -> int:
        return int(self._scalar("int"))

    def _scalar(self, what: str) -> Any:
        if self.size != 1:
            raise DTypeError(
                f"{what}() of an NDArray of shape {self.shape}: only one-element "
                "arrays convert to Python scalars."
            )
        return self.asscalar()

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        shape = "x".join(str(d) for d in self.shape)
        return f"\n{self.asnumpy()}\n<{type(self).__name__} {shape} @{self._ctx}>"

    # -- indexing ---------------------------------------------------------
    def __getitem__(self, key: Any) -> NDArray:
        """Index like NumPy; a 0-d result has shape (1,) as in MXNet 1.x."""
        plan, dyn = plan_index(_unwrap_key(key), self.shape)
        return invoke_fn(("getitem", plan), partial(gather, plan), [self], dyn)

    def __setitem__(self, key: Any, value: Any) -> None:
        """Assign into the selection in place (``x[:] = 0``, ``x[1, :2] = y``)."""
        self._check_inplace("item assignment")
        plan, dyn = plan_index(_unwrap_key(key), self.shape)
        if isinstance(value, NDArray):
            value = value._data
        elif not isinstance(value, (numbers.Number, jax.Array)):
            value = _as_numpy(value, f"NDArray.__setitem__[{key!r}]")
        try:
            self._data = cached_jit(("setitem", plan), partial(scatter, plan))(
                self._data, value, *dyn)
        except ShapeError as err:
            raise ShapeError(f"NDArray.__setitem__[{key!r}]: {err}.") from None

    def _check_inplace(self, what: str) -> None:
        if autograd.is_recording() and self._ag is not None:
            raise AutogradError(
                f"NDArray {what} is not supported on an array recorded by autograd; "
                "compute a new array instead (y = x + 1, not x += 1)."
            )

    def _inplace(self, result: NDArray) -> NDArray:
        self._check_inplace("in-place arithmetic")
        if result.shape != self.shape:
            raise ShapeError(
                f"NDArray in-place arithmetic: the result has shape {result.shape} but "
                f"the array has shape {self.shape}; an in-place update cannot change "
                "the shape (use y = x + other instead)."
            )
        self._data = result._data.astype(self._data.dtype)
        return self

    # -- arithmetic -------------------------------------------------------
    def __add__(self, o): return _binary(self, o, "add", "_plus_scalar")
    def __radd__(self, o): return _binary(self, o, "add", "_plus_scalar")
    def __sub__(self, o): return _binary(self, o, "sub", "_minus_scalar")
    def __rsub__(self, o): return _rbinary(self, o, "sub", "_rminus_scalar")
    def __mul__(self, o): return _binary(self, o, "mul", "_mul_scalar")
    def __rmul__(self, o): return _binary(self, o, "mul", "_mul_scalar")
    def __truediv__(self, o): return _binary(self, o, "div", "_div_scalar")
    def __rtruediv__(self, o): return _rbinary(self, o, "div", "_rdiv_scalar")
    def __pow__(self, o): return _binary(self, o, "power", "_power_scalar")
    def __rpow__(self, o): return _rbinary(self, o, "power", "_rpower_scalar")
    def __eq__(self, o): return _binary(self, o, "equal", "_equal_scalar")
    def __ne__(self, o): return _binary(self, o, "not_equal", "_not_equal_scalar")
    def __gt__(self, o): return _binary(self, o, "greater", "_greater_scalar")
    def __ge__(self, o): return _binary(self, o, "greater_equal", "_greater_equal_scalar")
    def __lt__(self, o): return _binary(self, o, "lesser", "_lesser_scalar")
    def __le__(self, o): return _binary(self, o, "lesser_equal", "_lesser_equal_scalar")
    def __neg__(self): return _op("negative", self)
    def __abs__(self): return _op("abs", self)
    def __iadd__(self, o): return self._inplace(self + o)
    def __isub__(self, o): return self._inplace(self - o)
    def __imul__(self, o): return self._inplace(self * o)
    def __itruediv__(self, o): return self._inplace(self / o)

    __div__, __rdiv__, __idiv__ = __truediv__, __rtruediv__, __itruediv__


def _rbinary(lhs: NDArray, rhs: Any, op: str, scalar_op: str) -> NDArray:
    if _is_scalar(rhs):
        return _op(scalar_op, lhs, scalar=float(rhs))
    return _op(f"broadcast_{op}", _operand(rhs, lhs, op), lhs)


def _unwrap_key(key: Any) -> Any:
    """The index with NDArrays replaced by their jax arrays."""
    if isinstance(key, NDArray):
        return key._data
    if isinstance(key, tuple):
        return tuple(p._data if isinstance(p, NDArray) else p for p in key)
    return key


def _as_numpy(value: Any, where: str) -> np.ndarray:
    """A numeric NumPy array from an array-like value, or a DTypeError."""
    try:
        out = np.asarray(value)
    except (TypeError, ValueError) as err:
        raise DTypeError(f"{where}: cannot convert {type(value).__name__} to an "
                         f"array: {err}") from None
    if out.dtype.kind not in "biuf":
        raise DTypeError(f"{where}: the value must be numeric; got {value!r}.")
    return out


def _same_dtype(dtype: Any, current: Any) -> bool:
    try:
        return np.dtype(dtype) == np.dtype(current)
    except TypeError:
        return False


# Fluent methods: x.sum(axis=1) is mx.nd.sum(x, axis=1), one registry operator.
_FLUENT = {
    "sum": "sum", "mean": "mean", "max": "max", "min": "min", "prod": "prod",
    "nansum": "nansum", "norm": "norm", "argmax": "argmax", "argmin": "argmin",
    "exp": "exp", "log": "log", "sqrt": "sqrt", "square": "square", "abs": "abs",
    "sign": "sign", "clip": "clip", "relu": "relu", "sigmoid": "sigmoid",
    "tanh": "tanh", "softmax": "softmax", "log_softmax": "log_softmax",
    "one_hot": "one_hot", "take": "take", "pick": "pick", "topk": "topk",
    "flatten": "Flatten", "expand_dims": "expand_dims", "squeeze": "squeeze",
    "swapaxes": "SwapAxis", "tile": "tile", "repeat": "repeat",
    "slice_axis": "slice_axis", "zeros_like": "zeros_like", "ones_like": "ones_like",
    "reciprocal": "reciprocal", "floor": "floor", "ceil": "ceil", "round": "round",
    "log1p": "log1p", "expm1": "expm1", "rsqrt": "rsqrt", "sin": "sin", "cos": "cos",
}


def _fluent(op_name: str):
    function = make_function(op_name, NDArray)

    def method(self, *args, **kwargs):
        return function(self, *args, **kwargs)

    method.__name__ = op_name
    method.__doc__ = f"Same as ``mx.nd.{op_name}(self, ...)``."
    return method


def _install_fluent() -> None:
    """Attach the fluent methods whose operators are registered."""
    for name, op_name in _FLUENT.items():
        if has_op(op_name):
            setattr(NDArray, name, _fluent(op_name))


_install_fluent()
