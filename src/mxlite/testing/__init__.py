"""Test helpers shipped with mxlite (also ``mx.test_utils``)."""

from .op_case import OpCase, case

__all__ = ["OpCase", "case"]
