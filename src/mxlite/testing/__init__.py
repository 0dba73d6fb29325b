"""Test helpers shipped with mxlite (also ``mx.test_utils``)."""

from .assertions import almost_equal, assert_allclose, assert_almost_equal, same
from .defaults import default_context, default_dtype, rand_ndarray, set_default_context
from .mnist import get_mnist, get_mnist_iterator, get_mnist_ubyte
from .op_case import OpCase, case

__all__ = [
    "OpCase",
    "case",
    "get_mnist",
    "get_mnist_iterator",
    "get_mnist_ubyte",
    "almost_equal",
    "assert_allclose",
    "assert_almost_equal",
    "same",
    "default_context",
    "default_dtype",
    "rand_ndarray",
    "set_default_context",
]
