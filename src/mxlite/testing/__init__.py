"""Test helpers shipped with mxlite (also ``mx.test_utils``)."""

from .mnist import get_mnist, get_mnist_iterator
from .op_case import OpCase, case

__all__ = ["OpCase", "case", "get_mnist", "get_mnist_iterator"]
