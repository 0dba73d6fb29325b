"""``F.batch_normalization`` and ``F.fixed_batch_normalization``.

Compositions of registry operators (mean, square, rsqrt, broadcast
arithmetic), because Chainer's normalization differs from the registry's
BatchNorm in two ways: ``gamma`` may span several axes (``axis`` names the
*reduced* axes, any number of them), and the running variance is updated
with the unbiased batch variance ``var * m / (m - 1)`` (MXNet uses the
biased one). Gradients are autodiff's of the composition, the same
function Chainer's hand-written backward computes.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ...base import DTypeError, ParamError, ShapeError
from ...training.traced import is_traced
from .._ops import call
from ..configuration import no_backprop_mode
from ..variable import Variable, array_of
from ._check import dtype_of, need_axis, need_float, need_shape, shape_of

__all__ = ["batch_normalization", "fixed_batch_normalization", "batch_norm_train"]


def bn_axes(where: str, x: Any, gamma: Any, axis: Any) -> tuple[tuple, tuple]:
    """(the reduced axes, gamma's shape broadcast against ``x``), checked."""
    xs, gs = shape_of(x), shape_of(gamma)
    ndim = len(xs)
    if axis is None:
        axis = (0,) + tuple(range(len(gs) + 1, ndim))
    else:
        axis = tuple(need_axis(where, a, ndim) for a in (
            (axis,) if isinstance(axis, (int, np.integer)) else axis))
        if list(axis) != sorted(set(axis)):
            raise ParamError(f"{where}: the numbers in axis must be distinct and in "
                             f"ascending order; got axis={axis}.")
    key = tuple(i for i in range(ndim) if i not in axis)
    expected = tuple(xs[i] for i in key)
    if gs != expected:
        raise ShapeError(f"{where}: gamma has shape {gs}; expected {expected}, the axes "
                         f"of x {xs} outside the normalized axes {axis}.")
    return axis, tuple(xs[i] if i in key else 1 for i in range(ndim))


def _check(where: str, x: Any, gamma: Any, beta: Any) -> None:
    need_float(where, "x", x)
    for name, value in (("gamma", gamma), ("beta", beta)):
        if dtype_of(value) != dtype_of(x):
            raise DTypeError(f"{where}: {name} is {dtype_of(value).name} but x is "
                             f"{dtype_of(x).name}; give them the same dtype.")
    need_shape(where, "beta", beta, shape_of(gamma), "(the shape of gamma)")


def _scale_shift(xc: Any, inv_std: Any, gamma: Any, beta: Any, bshape: tuple) -> Variable:
    """``gamma * (xc * inv_std) + beta``, gamma and beta broadcast."""
    y = call("broadcast_mul", xc, inv_std)
    y = call("broadcast_mul", y, call("Reshape", gamma, shape=bshape))
    return call("broadcast_add", y, call("Reshape", beta, shape=bshape))


def batch_norm_train(x: Any, gamma: Any, beta: Any, *, eps: float, axis: Any,
                     running: tuple | None = None, decay: float = 0.9) -> tuple:
    """``(y, new_running_mean, new_running_var)`` (arrays; None without
    ``running``, a ``(mean, var)`` pair of arrays)."""
    where = "batch_normalization"
    _check(where, x, gamma, beta)
    axis, bshape = bn_axes(where, x, gamma, axis)
    xs = shape_of(x)
    if all(xs[i] == 1 for i in axis):
        warnings.warn(f"{where}: every normalized axis {axis} of x {xs} has size 1 (a "
                      "batch of one sample?); the output is all zeros.", UserWarning,
                      stacklevel=3)
    mean = call("mean", x, axis=axis, keepdims=True)
    xc = call("broadcast_sub", x, mean)
    var = call("mean", call("square", xc), axis=axis, keepdims=True)
    inv_std = call("rsqrt", call("_plus_scalar", var, scalar=float(eps)))
    y = _scale_shift(xc, inv_std, gamma, beta, bshape)
    if running is None:
        return y, None, None
    m = int(np.prod(xs)) // max(int(np.prod(shape_of(gamma))), 1)
    adjust = m / max(m - 1.0, 1.0)
    with no_backprop_mode():
        new_mean = _decayed(running[0], mean, decay, 1.0)
        new_var = _decayed(running[1], var, decay, adjust)
    return y, new_mean, new_var


def _decayed(avg: Any, stat: Variable, decay: float, scale: float) -> Any:
    """``avg * decay + (1 - decay) * scale * stat`` as an array of avg's dtype."""
    stat = call("Reshape", Variable(stat.array, requires_grad=False), shape=shape_of(avg))
    if dtype_of(stat) != dtype_of(avg):
        stat = call("Cast", stat, dtype=dtype_of(avg).name)
    kept = call("_mul_scalar", avg, scalar=float(decay))
    return call("elemwise_add", kept, call("_mul_scalar", stat,
                                           scalar=float((1 - decay) * scale))).array


def batch_normalization(x: Any, gamma: Any, beta: Any, **kwargs: Any) -> Variable:
    """batch_normalization(x, gamma, beta, eps=2e-5, running_mean=None, running_var=None, decay=0.9, axis=None)

    Normalize ``x`` by its mean and (biased) variance over ``axis`` (default:
    every axis but those of ``gamma``, i.e. ``(0, 2, 3)`` for NCHW and a 1-d
    gamma), then scale by ``gamma`` and shift by ``beta``.

    ``running_mean``/``running_var`` are updated as in Chainer
    (``avg = decay * avg + (1 - decay) * stat``, the variance unbiased by
    ``m / (m - 1)``). JAX arrays are immutable, so they must be NumPy arrays
    (written in place) or Variables (their ``.array`` replaced);
    ``L.BatchNormalization`` keeps its statistics itself.
    """  # noqa: E501
    eps, running_mean, running_var, decay, axis = _options(kwargs)
    if (running_mean is None) != (running_var is None):
        raise ParamError("batch_normalization: give both running_mean and running_var, "
                         "or neither.")
    if running_mean is None:
        return batch_norm_train(x, gamma, beta, eps=eps, axis=axis)[0]
    for name, value in (("running_mean", running_mean), ("running_var", running_var)):
        _check_running(name, value, gamma)
    y, new_mean, new_var = batch_norm_train(
        x, gamma, beta, eps=eps, axis=axis, decay=decay,
        running=(array_of(running_mean), array_of(running_var)))
    _write(running_mean, new_mean)
    _write(running_var, new_var)
    return y


def _options(kwargs: dict) -> tuple:
    if "train" in kwargs:
        raise ParamError("batch_normalization: the train argument is not supported "
                         "anymore (as in Chainer v2+); use "
                         "chainer.using_config('train', ...).")
    names = ("eps", "running_mean", "running_var", "decay", "axis")
    unknown = set(kwargs) - set(names)
    if unknown:
        raise TypeError(f"batch_normalization() got unexpected keyword argument(s) "
                        f"{', '.join(sorted(unknown))}; accepted: {', '.join(names)}.")
    defaults = {"eps": 2e-5, "decay": 0.9}
    return tuple(kwargs.get(n, defaults.get(n)) for n in names)


def _check_running(name: str, value: Any, gamma: Any) -> None:
    need_shape("batch_normalization", name, value, shape_of(gamma), "(the shape of gamma)")
    if not isinstance(value, (Variable, np.ndarray)):
        raise ParamError(f"batch_normalization: {name} is a {type(value).__name__}, "
                         "which cannot be updated in place (JAX arrays are immutable); "
                         "pass a NumPy array or a Variable, or use L.BatchNormalization.")


def _write(target: Any, new: Any) -> None:
    if isinstance(target, Variable):
        target.array = new
    elif is_traced(new):
        raise ParamError("batch_normalization: a NumPy running_mean/running_var cannot "
                         "be updated inside a compiled step; pass Variables or use "
                         "L.BatchNormalization.")
    else:
        np.copyto(target, np.asarray(new), casting="same_kind")


def fixed_batch_normalization(x: Any, gamma: Any, beta: Any, mean: Any, var: Any,
                              eps: float = 2e-5, axis: Any = None) -> Variable:
    """Normalize ``x`` with the given statistics: ``gamma * (x - mean) /
    sqrt(var + eps) + beta`` (differentiable in all five inputs)."""
    where = "fixed_batch_normalization"
    _check(where, x, gamma, beta)
    axis, bshape = bn_axes(where, x, gamma, axis)
    for name, value in (("mean", mean), ("var", var)):
        need_shape(where, name, value, shape_of(gamma), "(the shape of gamma)")
    xc = call("broadcast_sub", x, call("Reshape", mean, shape=bshape))
    inv_std = call("rsqrt", call("_plus_scalar", call("Reshape", var, shape=bshape),
                                 scalar=float(eps)))
    return _scale_shift(xc, inv_std, gamma, beta, bshape)
