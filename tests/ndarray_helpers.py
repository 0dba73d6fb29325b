"""Shared helpers of the NDArray tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import mxlite as mx

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
