"""``chainer.Variable`` and ``chainer.Parameter`` as handles of mxlite's autograd.

A Variable holds a device array (``.array``, also ``.data``) and, once
``backward()`` has run, its gradient (``.grad``). Operations on Variables are
registry operators run through ``mxlite.ndarray``'s ``invoke`` and recorded
on the project's one tape (``mxlite.autograd``) while
``chainer.config.enable_backprop`` is on: there is no second autograd.

Differences from Chainer (docs/differences.md): ``.array`` is an immutable
JAX array, so write ``v.array = new`` (or ``v.copydata(other)``) instead of
``v.array[...] = new``; after a compiled ``optimizer.update`` the previous
parameter arrays are donated to the step, so read ``param.array`` again
instead of keeping an old reference.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import autograd, ndarray
from ..base import AutogradError, MXNetError, ShapeError
from ..context import Context, current_context
from ..ndarray.ndarray import to_jax
from ..training.traced import is_traced, untraceable
from .backend import array_module_for, context_of_device, device_of_context, gpu_context
from .initializers import _get_initializer

__all__ = ["Variable", "Parameter", "as_variable", "as_array", "array_of",
           "structure_version", "bump_structure"]

_VERSION = [0]


def structure_version() -> int:
    """A counter bumped whenever any link's parameters, children or persistent
    values change, or a parameter is created or changes shape (optimizers
    cache their view of a model on it)."""
    return _VERSION[0]


def bump_structure() -> None:
    _VERSION[0] += 1


def array_of(value: Any) -> Any:
    """The array inside a Variable, or the value itself."""
    return value._data if isinstance(value, Variable) else value


def _device_array(value: Any, ctx: Context, *, host_ok: bool = False) -> Any:
    """``value`` as an array on ``ctx``.

    With ``host_ok`` a NumPy array (or list, or number) for the CPU stays a
    NumPy array, copied: an input Variable then costs no device transfer of
    its own (the compiled step or the first operation takes it in), and,
    as in Chainer on the CPU, its ``.array`` is a NumPy array.
    """
    if is_traced(value):
        return value
    if isinstance(value, np.ndarray) or not hasattr(value, "dtype"):
        if host_ok and ctx.device_type != "gpu":
            return np.array(value)
        return to_jax(np.asarray(value), ctx)
    return to_jax(value, ctx)


def _context_of(value: Any) -> Context:
    devices = getattr(value, "devices", None)
    if callable(devices) and not is_traced(value):
        dev = next(iter(devices()))
        return Context("gpu" if dev.platform in ("gpu", "cuda", "rocm") else "cpu", dev.id)
    return current_context()


class Variable:
    """An array with a place in the computational graph.

    Args:
        data: the initial array (NumPy, JAX or a number), or None.
        name: a name for messages and graph drawings.
        grad: an initial gradient array.
        requires_grad: whether ``backward()`` computes this variable's gradient.
    """

    __array_priority__ = 200

    def __init__(self, data: Any = None, *, name: str | None = None, grad: Any = None,
                 requires_grad: bool = True) -> None:
        if isinstance(data, Variable):
            raise MXNetError("Variable: data must be an array, not a Variable; use "
                             "the Variable itself or its .array.")
        self._ctx = current_context() if data is None else _context_of(data)
        self._data = None if data is None else _device_array(data, self._ctx,
                                                              host_ok=True)
        self.name = name
        self._grad_array = None if grad is None else _device_array(grad, self._ctx)
        self._requires_grad = bool(requires_grad)
        self._ag = None
        self._grad = None
        self._grad_req = "null"
        if requires_grad and self._data is not None:
            autograd.mark_variables([self], [None], "write")

    @classmethod
    def _wrap(cls, data: Any, ctx: Context) -> Variable:
        """A result of an operation (no copy; its graph node is set by the caller)."""
        out = Variable.__new__(Variable)
        out._ctx, out._data, out.name = ctx, data, None
        out._grad_array, out._requires_grad = None, True
        out._ag, out._grad, out._grad_req = None, None, "null"
        return out

    # -- the array and its gradient -------------------------------------------
    @property
    def array(self) -> Any:
        """The data array (a JAX array; immutable: assign a new one)."""
        return self._data

    @array.setter
    def array(self, value: Any) -> None:
        old = self._data
        host_ok = not isinstance(self, Parameter)  # parameters live on the device
        self._data = None if value is None else _device_array(value, self._ctx,
                                                              host_ok=host_ok)
        if old is None or self._data is None or old.shape != self._data.shape or \
                old.dtype != self._data.dtype:
            bump_structure()
        if self._requires_grad and self._data is not None and self._ag is None:
            autograd.mark_variables([self], [None], "write")

    data = array

    @property
    def grad(self) -> Any:
        """The gradient array, or None before ``backward()`` / after ``cleargrad()``."""
        return self._grad_array

    @grad.setter
    def grad(self, value: Any) -> None:
        self._grad_array = None if value is None else _device_array(value, self._ctx)

    @property
    def grad_var(self) -> Variable | None:
        """The gradient as a Variable."""
        g = self._grad_array
        return None if g is None else Variable(g, requires_grad=False)

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._need_data("shape").shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self._need_data("dtype").dtype)

    @property
    def xp(self) -> Any:
        """The array module of this variable (``numpy`` on the CPU, ``cuda.cupy`` on a GPU)."""
        return array_module_for(self._ctx)

    @property
    def device(self) -> Any:
        return device_of_context(self._ctx)

    @property
    def T(self) -> Variable:
        from . import functions as F  # noqa: PLC0415  (functions import Variable)
        return F.transpose(self)

    @property
    def label(self) -> str:
        return f"{self.shape}, {self.dtype}" if self._data is not None else "None"

    @property
    def creator(self) -> None:
        """Graph nodes are the tape's; Chainer's function nodes are not exposed."""
        return None

    def _need_data(self, what: str) -> Any:
        if self._data is None:
            raise MXNetError(f"Variable{_named(self)}: has no data yet; {what} is unknown.")
        return self._data

    def __len__(self) -> int:
        shape = self.shape
        if not shape:
            raise TypeError("len() of a 0-d Variable")
        return shape[0]

    # -- graph ------------------------------------------------------------------------
    def backward(self, retain_grad: bool = False, enable_double_backprop: bool = False,
                 loss_scale: float | None = None) -> None:
        """Accumulate the gradients of this variable into every leaf's ``.grad``.

        A variable of one element starts from 1 (as Chainer); a larger one
        needs ``.grad`` set first. Gradients add up until ``cleargrad()``.
        """
        if isinstance(self._ag, autograd._Var) or self._ag is None:
            if self._ag is None:
                raise AutogradError(
                    f"Variable{_named(self)}.backward: this variable was not computed "
                    "from variables that require gradients (inside no_backprop_mode, "
                    "or from constants only); there is nothing to differentiate.")
            return
        head = self._grad_array
        if head is None:
            if self.size != 1:
                raise AutogradError(
                    f"Variable{_named(self)}.backward: the variable has shape "
                    f"{self.shape}; set its .grad first (only a variable of one "
                    "element starts from 1).")
            head = None
        elif loss_scale is not None:
            head = head * loss_scale
        if head is None and loss_scale is not None:
            head = ndarray.full(self.shape, loss_scale, dtype=self.dtype)._data
        for leaf, g in autograd.leaf_gradients([self], None if head is None else [head],
                                               retain_graph=True):
            if isinstance(leaf, Variable) and leaf._requires_grad:
                leaf._grad_array = g if leaf._grad_array is None else leaf._grad_array + g

    def cleargrad(self) -> None:
        """Forget the gradient (it becomes None)."""
        self._grad_array = None

    def zerograd(self) -> None:
        """Set the gradient to zeros."""
        self._grad_array = ndarray.zeros(self.shape, dtype=self.dtype, ctx=self._ctx)._data

    def addgrad(self, other: Variable) -> None:
        """Add ``other``'s gradient to this one's."""
        if other._grad_array is not None:
            g = other._grad_array
            self._grad_array = g if self._grad_array is None else self._grad_array + g

    def unchain(self) -> None:
        """Cut this variable from the graph that made it."""
        if not isinstance(self._ag, autograd._Var):
            self._ag = None

    def unchain_backward(self) -> None:
        """Cut the graph behind this variable (it becomes a constant)."""
        self.unchain()

    def copydata(self, var: Variable) -> None:
        """Copy ``var``'s data into this variable (a new buffer: a compiled
        update donates its parameters' buffers, so two links never share one)."""
        self.array = np.array(array_of(var))

    # -- devices ------------------------------------------------------------------------
    def to_cpu(self) -> Variable:
        return self._move(Context("cpu", 0))

    def to_gpu(self, device: Any = None) -> Variable:
        return self._move(gpu_context(device))

    def to_device(self, device: Any) -> Variable:
        return self._move(context_of_device(device))

    def _move(self, ctx: Context) -> Variable:
        self._ctx = ctx
        if self._data is not None:
            self._data = to_jax(self._data, ctx)
        if self._grad_array is not None:
            self._grad_array = to_jax(self._grad_array, ctx)
        return self

    # -- array-like behaviour -------------------------------------------------------------
    def reshape(self, *shape: Any) -> Variable:
        from . import functions as F  # noqa: PLC0415  (functions import Variable)
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return F.reshape(self, shape)

    def transpose(self, *axes: Any) -> Variable:
        from . import functions as F  # noqa: PLC0415  (functions import Variable)
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return F.transpose(self, axes or None)

    def __getitem__(self, index: Any) -> Variable:
        from . import functions as F  # noqa: PLC0415  (functions import Variable)
        return F.get_item(self, index)

    def item(self) -> Any:
        return self._concrete("item()").item()

    def _concrete(self, what: str) -> np.ndarray:
        data = self._need_data(what)
        if is_traced(data):
            untraceable(f"{what} of a Variable needs its value")
        return np.asarray(data)

    def __float__(self) -> float:
        return float(self._concrete("float()"))

    def __int__(self) -> int:
        return int(self._concrete("int()"))

    def __bool__(self) -> bool:
        return bool(self._concrete("bool()"))

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self._concrete("a NumPy conversion")
        return out if dtype is None else out.astype(dtype)

    def __repr__(self) -> str:
        if self._data is None:
            return f"variable{_named(self)}(None)"
        body = np.array2string(self._concrete("printing"), separator=" ",
                               prefix="variable(")
        return f"variable{_named(self)}({body})"

    def __str__(self) -> str:
        if self._data is None:
            return "None"
        return str(self._concrete("printing"))

    __hash__ = object.__hash__


def _named(var: Variable) -> str:
    return f" {var.name}" if var.name else ""


class Parameter(Variable):
    """A learned array of a Link, created now or on first use.

    Args:
        initializer: an initializer (``chainer.initializers``), an array
            (used as the value), a number (a constant) or None (NaN, as
            Chainer: a Link always passes its own default).
        shape: create the array now with this shape; None: wait for
            :meth:`initialize`.
        name: the attribute name, set when a Link registers it.
    """

    def __init__(self, initializer: Any = None, shape: Any = None,
                 name: str | None = None) -> None:
        super().__init__(None, name=name)
        if hasattr(initializer, "shape") and hasattr(initializer, "dtype") and not \
                isinstance(initializer, Variable):
            self.initializer = None
            self.array = initializer
            return
        self.initializer = _get_initializer(initializer, nan_if_none=True)
        self.update_rule: Any = None
        if shape is not None:
            self.initialize(shape)

    update_rule: Any = None

    @property
    def is_initialized(self) -> bool:
        return self._data is not None

    def initialize(self, shape: Any) -> None:
        """Create the array with ``shape`` from the initializer."""
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        if self.initializer is None:
            raise MXNetError(f"Parameter{_named(self)}: has no initializer to create "
                             f"an array of shape {shape} with.")
        self._data = self.initializer.generate(shape, self._ctx)
        bump_structure()
        self._grad_array = None
        if self._ag is None:
            autograd.mark_variables([self], [None], "write")

    def check_shape(self, shape: tuple[int, ...], where: str) -> None:
        """Raise a clear error when the array's shape is not ``shape``."""
        if self._data is not None and tuple(self._data.shape) != tuple(shape):
            raise ShapeError(f"{where}: parameter {self.name!r} has shape "
                             f"{tuple(self._data.shape)}; expected {tuple(shape)}.")

    def __repr__(self) -> str:
        if self._data is None:
            return f"parameter{_named(self)}(uninitialized)"
        return "parameter" + super().__repr__()[len("variable"):]


def as_variable(obj: Any) -> Variable:
    """A Variable as it is, or an array wrapped in a constant Variable."""
    if isinstance(obj, Variable):
        return obj
    return Variable(obj, requires_grad=False)


def as_array(obj: Any) -> Any:
    """The array of a Variable, or the array itself."""
    return array_of(obj)
