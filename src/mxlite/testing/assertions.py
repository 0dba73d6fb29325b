"""MXNet's array comparisons of ``mx.test_utils``: assert_almost_equal and friends.

As MXNet 1.9.1 (``python/mxnet/test_utils.py``): NDArrays and NumPy arrays
(and scalars) are accepted; omitted tolerances come from the dtypes of both
inputs (the larger of the two defaults); the failure message names the largest
error, its location and both values.

Differences: the message also lists the largest errors (MXNet printed them to
standard output) and counts the mismatches exactly (MXNet stopped at
``mismatches[1]`` and wrote "at least"); NumPy's print options are set only
while the message is built (MXNet changed them for the rest of the process).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.testing as npt

from ..base import DTypeError

__all__ = ["almost_equal", "assert_allclose", "assert_almost_equal", "same"]

Tolerance = float | Mapping[Any, float] | None

_RTOLS = {np.dtype(np.float16): 1e-2, np.dtype(np.float32): 1e-4, np.dtype(np.float64): 1e-5}
_ATOLS = {np.dtype(np.float16): 1e-1, np.dtype(np.float32): 1e-3, np.dtype(np.float64): 1e-20}


def _as_numpy(x: Any) -> np.ndarray:
    """An NDArray, a JAX array, a scalar or a list as a NumPy array."""
    if hasattr(x, "asnumpy"):
        return x.asnumpy()
    return np.asarray(x)


def _tolerance(dtype: np.dtype, tol: Tolerance, defaults: dict, what: str) -> float:
    """MXNet's ``get_tolerance``: a number as given, else by dtype (a dict first)."""
    if isinstance(tol, (int, float, np.number)):
        return float(tol)
    if tol is not None and dtype in tol:
        return float(tol[dtype])
    if dtype in defaults:
        return defaults[dtype]
    if dtype.kind in "biu":
        return 0.0
    raise DTypeError(
        f"assert_almost_equal: no default {what} for dtype {dtype}; got "
        f"{what}={tol!r}. Pass {what}= as a number."
    )


def _tols(a: np.ndarray, b: np.ndarray, rtol: Tolerance, atol: Tolerance) -> tuple:
    """The larger default of the two inputs' dtypes (MXNet's ``get_tols``)."""
    rtol = max(_tolerance(x.dtype, rtol, _RTOLS, "rtol") for x in (a, b))
    atol = max(_tolerance(x.dtype, atol, _ATOLS, "atol") for x in (a, b))
    return rtol, atol


def _check_shapes(a: np.ndarray, b: np.ndarray, use_broadcast: bool) -> None:
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        shape = None
    if (not use_broadcast and a.shape != b.shape) or shape is None:
        raise AssertionError(
            npt.build_err_msg(
                [a, b], err_msg=f"a.shape = {a.shape} and b.shape = {b.shape} are not equal"
            )
        )


def same(a: Any, b: Any) -> bool:
    """Whether two arrays (NDArray or NumPy) have the same shape and elements."""
    return bool(np.array_equal(_as_numpy(a), _as_numpy(b)))


def almost_equal(
    a: Any,
    b: Any,
    rtol: float | None = None,
    atol: float | None = None,
    equal_nan: bool = False,
    use_broadcast: bool = True,
) -> bool:
    """``np.allclose`` with MXNet's defaults, which are float64's whatever the dtype.

    As MXNet 1.9.1: an omitted ``rtol`` is 1e-5 and an omitted ``atol`` 1e-20
    (``assert_almost_equal`` picks its defaults by dtype instead).

    Example:
        >>> almost_equal([1.0, 2.0], [1.0, 2.0 + 1e-6]), almost_equal(1.0, 1.1)
        (True, False)
    """
    a, b = _as_numpy(a), _as_numpy(b)
    _check_shapes(a, b, use_broadcast)
    rtol = 1e-5 if rtol is None else rtol
    atol = 1e-20 if atol is None else atol
    return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def _violations(a, b, *, rtol: float, atol: float, equal_nan: bool) -> np.ndarray:
    """How many tolerances each element is off (MXNet's ``_find_max_violation``).

    Equal elements (infinities included) are 0; a NaN against anything else
    is infinitely off, and against a NaN too unless ``equal_nan``.
    """
    dtype = np.result_type(a, b)
    if dtype.kind != "f":  # integers: no wrap-around in a - b
        dtype = np.dtype(np.float64)
    x, y = a.astype(dtype), b.astype(dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.where(np.equal(x, y), 0, np.abs(x - y))
        violation = diff / (atol + rtol * np.abs(y) + 1e-20)
    violation = np.where(np.isnan(violation), np.inf, violation)
    if equal_nan:
        violation = np.where(np.isnan(x) & np.isnan(y), 0, violation)
    return violation


def _location(a: np.ndarray, b: np.ndarray, index: tuple, names: tuple, label: str) -> str:
    where = tuple(int(i) for i in index)
    return (
        f"Location of {label}error: {where}, {names[0]}={float(a[index]):.8f}, "
        f"{names[1]}={float(b[index]):.8f}"
    )


def _failure(a, b, *, rtol: float, atol: float, names: tuple, equal_nan: bool,
             listed: int) -> str:
    """The message of a failed comparison: the largest error, then the next ones."""
    a, b = np.broadcast_arrays(a, b)
    violation = _violations(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    head = f"Error {violation.max():f} exceeds tolerance rtol={rtol:e}, atol={atol:e}"
    if violation.ndim == 0:
        return head + ".\n"
    mismatched = ~np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    count = int(mismatched.sum())
    order = np.argsort(-np.where(mismatched, violation, -1.0), axis=None, kind="stable")
    worst = [np.unravel_index(i, violation.shape) for i in order[: min(listed, count)]]
    lines = [
        f"{head} (mismatch {100 * count / violation.size:f}%).",
        _location(a, b, worst[0], names, "maximum "),
    ]
    if len(worst) > 1:
        lines.append(f"Largest errors ({len(worst)} of {count}):")
        lines += [
            f"{n:3d}: Error {violation[i]:f}  {_location(a, b, i, names, '')}"
            for n, i in enumerate(worst, 1)
        ]
    return "\n".join(lines)


def assert_almost_equal(
    a: Any,
    b: Any,
    rtol: Tolerance = None,
    atol: Tolerance = None,
    names: tuple[str, str] = ("a", "b"),
    equal_nan: bool = False,
    use_broadcast: bool = True,
    mismatches: tuple[int, int] = (10, 10),
) -> None:
    """Raise AssertionError unless ``|a - b| <= atol + rtol * |b|`` everywhere.

    Args:
        a: the computed array (NDArray, NumPy array or scalar).
        b: the expected array.
        rtol: relative tolerance: a number, or a dict of dtype to number; by
            default the larger of the two dtypes' defaults (float16 1e-2,
            float32 1e-4, float64 1e-5, integers and bool 0).
        atol: absolute tolerance, likewise (float16 1e-1, float32 1e-3,
            float64 1e-20, integers and bool 0).
        names: the names of ``a`` and ``b`` in the message.
        equal_nan: whether NaNs in the same place are equal.
        use_broadcast: compare arrays of broadcastable shapes; False requires
            equal shapes.
        mismatches: how many of the largest errors the message lists (the
            second number, MXNet's search limit, is accepted and unused).

    Raises:
        AssertionError: the arrays differ; the message shows the largest error
            (in tolerances), its location and both values.

    Example:
        >>> import mxlite as mx
        >>> assert_almost_equal(mx.nd.array([1, 2]), np.array([1, 2.0001]))
        >>> try:
        ...     assert_almost_equal(mx.nd.array([1, 2]), np.array([1, 2.5]), names=("x", "y"))
        ... except AssertionError as err:
        ...     print(str(err).splitlines()[3])
        Location of maximum error: (1,), x=2.00000000, y=2.50000000
    """
    a, b = _as_numpy(a), _as_numpy(b)
    _check_shapes(a, b, use_broadcast)
    if a.dtype == np.bool_ and b.dtype == np.bool_:
        np.testing.assert_equal(a, b)
        return
    rtol, atol = _tols(a, b, rtol, atol)
    if np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan):
        return
    message = _failure(a, b, rtol=rtol, atol=atol, names=tuple(names),
                       equal_nan=equal_nan, listed=max(1, mismatches[0]))
    with np.printoptions(threshold=4, suppress=True):
        raise AssertionError(npt.build_err_msg([a, b], err_msg=message))


def assert_allclose(a: Any, b: Any, rtol: float = 1e-07, atol: float = 0,
                    equal_nan: bool = True) -> None:
    """:func:`assert_almost_equal` with NumPy's ``assert_allclose`` defaults."""
    assert_almost_equal(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
