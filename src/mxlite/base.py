"""Errors and sentinels shared by every mxlite layer.

MXNet 1.x raised ``MXNetError`` (a ``RuntimeError``) for everything; mxlite keeps
that base so ``except mx.base.MXNetError`` still works, and adds subclasses that
also derive from the fitting built-in, so ``except ValueError`` works too.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable

__all__ = [
    "MXNetError",
    "ParamError",
    "ShapeError",
    "DTypeError",
    "FormatError",
    "MissingKeyError",
    "DataNotFoundError",
    "ContextError",
    "GraphError",
    "AutogradError",
    "OpError",
    "NonFiniteError",
    "check_rate",
    "_Null",
    "did_you_mean",
]


class MXNetError(RuntimeError):
    """Base class of every error mxlite raises on purpose."""


class ParamError(MXNetError, ValueError):
    """An operator or function got a parameter it cannot accept."""


class ShapeError(MXNetError, ValueError):
    """Shapes do not fit together."""


class DTypeError(MXNetError, TypeError):
    """A data type is not supported or does not match."""


class FormatError(MXNetError, ValueError):
    """A file or serialized string is malformed, truncated or hostile."""


class MissingKeyError(MXNetError, KeyError):
    """A file or mapping lacks a key that was asked for.

    A ``KeyError`` so code written for Chainer (``except KeyError`` around an
    optional key, as ``SerialIterator.serialize`` does) keeps working.
    """

    def __str__(self) -> str:
        # KeyError's own __str__ would print the message inside quotes.
        return str(self.args[0]) if self.args else ""


class DataNotFoundError(MXNetError, FileNotFoundError):
    """A data file or directory that was asked for does not exist.

    A ``FileNotFoundError`` too, so ``except FileNotFoundError`` (or
    ``OSError``) around a read keeps working.
    """


class ContextError(MXNetError, ValueError):
    """A device context was asked for that does not exist."""


class GraphError(MXNetError, ValueError):
    """A symbolic graph is malformed or used inconsistently."""


class AutogradError(MXNetError):
    """Autograd was used in a way it cannot follow."""


class OpError(MXNetError):
    """An operator failed while running; the message names the operator."""


class NonFiniteError(MXNetError, FloatingPointError):
    """Training produced NaN or Inf; ``epoch``, ``batch`` and ``param`` say where.

    A ``FloatingPointError`` too, so ``except FloatingPointError`` catches it.
    """

    def __init__(self, message: str, *, epoch: int | None = None,
                 batch: int | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.epoch, self.batch, self.param = epoch, batch, param


def check_rate(where: str, value: object, *, name: str = "learning_rate") -> None:
    """Raise ParamError unless ``value`` is a finite number >= 0 (or None).

    A NaN, infinite or negative learning rate trains on silently into NaN
    weights; it is refused where it is set, naming ``where`` and the value.
    """
    if value is None:
        return
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ParamError(f"{where}: {name} must be a number; got {value!r}.") from None
    if not math.isfinite(number) or number < 0:
        raise ParamError(f"{where}: {name} must be a finite number >= 0; got {value!r}.")


def did_you_mean(name: str, candidates: Iterable[str], *, cutoff: float = 0.6) -> str:
    """The hint an unknown-name error ends with: `` Did you mean 'x'?`` or ``""``.

    Every registry (operators, parameters, metrics, initializers, optimizers,
    iterator options) words its miss the same way through this function.

    Args:
        name: the name that was not found.
        candidates: the names that exist.
        cutoff: how similar (0 to 1, :func:`difflib.get_close_matches`) a
            candidate must be to be suggested.

    Returns:
        The sentence with a leading space, or an empty string if nothing is close.

    Example:
        >>> did_you_mean("sgdd", ["sgd", "adam"])
        " Did you mean 'sgd'?"
        >>> did_you_mean("xyz", ["sgd", "adam"])
        ''
    """
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=cutoff)
    return f" Did you mean {close[0]!r}?" if close else ""


class _NullType:
    """Placeholder for an argument that was not given (MXNet's ``_Null``)."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "_Null"

    def __bool__(self) -> bool:
        return False


_Null = _NullType()
