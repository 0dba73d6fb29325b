"""Typed operator parameters that parse MXNet's string attributes.

Each parameter turns a Python value or an MXNet JSON string (``"(5, 5)"``,
``"True"``, ``"0.5"``) into one canonical Python value, or raises
:class:`~mxlite.base.ParamError` in one format:
``FullyConnected(name='fc1'): num_hidden must be an int >= 1; got -3.``
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import numpy as np

from ..base import ParamError, did_you_mean

__all__ = [
    "DTYPE_NAMES",
    "REQUIRED",
    "Param",
    "Int",
    "Float",
    "Bool",
    "Shape",
    "Enum",
    "DType",
    "Str",
    "Params",
    "parse_literal",
    "parse_params",
]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED = _Required()


class _Invalid(Exception):
    """Internal: a value did not parse; the message says what was expected."""


class Param:
    """One typed, documented operator parameter."""

    kind = "value"

    def __init__(self, name: str, default: Any = REQUIRED, doc: str = "",
                 optional: bool = False) -> None:
        self.name = name
        self.default = default
        self.doc = doc
        self.optional = optional or default is None

    def parse(self, value: Any) -> Any:
        """Return the canonical value, or raise ``_Invalid``."""
        if self.optional and (value is None or value == "None"):
            return None
        return self._parse(value)

    def _parse(self, value: Any) -> Any:
        return value

    def describe(self) -> str:
        return self.kind


_MAX_LITERAL = 1000


def parse_literal(value: str) -> Any:
    """A Python literal from an attribute string; long or odd strings are invalid.

    Every string parameter goes through here, so none reaches the Python
    parser beyond ``_MAX_LITERAL`` characters (a deep or long one can exhaust
    its memory or recursion).
    """
    if len(value) > _MAX_LITERAL:
        raise _Invalid
    try:
        return ast.literal_eval(value.strip())
    except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError) as err:
        raise _Invalid from err


class Int(Param):
    def __init__(self, name: str, default: Any = REQUIRED, doc: str = "", *,
                 lower: int | None = None, upper: int | None = None,
                 optional: bool = False) -> None:
        super().__init__(name, default, doc, optional)
        self.lower, self.upper = lower, upper

    def describe(self) -> str:
        bounds = [f">= {self.lower}" if self.lower is not None else "",
                  f"<= {self.upper}" if self.upper is not None else ""]
        return " ".join(["an int"] + [b for b in bounds if b])

    def _parse(self, value: Any) -> int:
        if isinstance(value, str):
            value = parse_literal(value)
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise _Invalid
        value = int(value)
        if self.lower is not None and value < self.lower:
            raise _Invalid
        if self.upper is not None and value > self.upper:
            raise _Invalid
        return value


class Float(Param):
    kind = "a float"

    def __init__(self, name: str, default: Any = REQUIRED, doc: str = "", *,
                 lower: float | None = None, optional: bool = False,
                 upper: float | None = None) -> None:
        super().__init__(name, default, doc, optional)
        self.lower, self.upper = lower, upper

    def describe(self) -> str:
        if self.lower is not None and self.upper is not None:
            return f"a float in [{self.lower:g}, {self.upper:g}]"
        if self.upper is not None:
            return f"a float <= {self.upper:g}"
        return "a float" + (f" >= {self.lower}" if self.lower is not None else "")

    def _parse(self, value: Any) -> float:
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError as err:
                raise _Invalid from err
        if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, float, np.integer, np.floating)
        ):
            raise _Invalid
        value = float(value)
        if self.lower is not None and value < self.lower:
            raise _Invalid
        if self.upper is not None and value > self.upper:
            raise _Invalid
        return value


class Bool(Param):
    kind = "a bool (True/False, 1/0)"
    _STRINGS: ClassVar[dict[str, bool]] = {"true": True, "false": False, "1": True,
                                           "0": False}

    def _parse(self, value: Any) -> bool:
        if isinstance(value, str):
            if value.strip().lower() not in self._STRINGS:
                raise _Invalid
            return self._STRINGS[value.strip().lower()]
        if isinstance(value, (bool, np.bool_)) or value in (0, 1):
            return bool(value)
        raise _Invalid


class Shape(Param):
    """A tuple of ints (MXNet's TShape); a bare int means a 1-tuple."""

    def __init__(self, name: str, default: Any = REQUIRED, doc: str = "",
                 allow_negative: bool = False, optional: bool = False) -> None:
        super().__init__(name, default, doc, optional)
        self.allow_negative = allow_negative

    def describe(self) -> str:
        sign = "ints" if self.allow_negative else "ints >= 0"
        return f"a tuple of {sign}"

    def _parse(self, value: Any) -> tuple[int, ...]:
        if isinstance(value, str):
            value = parse_literal(value) if value.strip() not in ("()", "[]") else ()
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            value = (value,)
        if not isinstance(value, (tuple, list)):
            raise _Invalid
        out = []
        for item in value:
            if isinstance(item, (bool, np.bool_)) or not isinstance(item, (int, np.integer)):
                raise _Invalid
            if item < 0 and not self.allow_negative:
                raise _Invalid
            out.append(int(item))
        return tuple(out)


class Enum(Param):
    def __init__(self, name: str, choices: tuple[str, ...], default: Any = REQUIRED,
                 doc: str = "", optional: bool = False) -> None:
        super().__init__(name, default, doc, optional)
        self.choices = tuple(choices)

    def describe(self) -> str:
        return "one of " + ", ".join(repr(c) for c in self.choices)

    def _parse(self, value: Any) -> str:
        if not isinstance(value, str) or value not in self.choices:
            raise _Invalid
        return value


DTYPE_NAMES = ("float32", "float64", "float16", "bfloat16", "uint8", "int8", "int32",
           "int64", "bool", "int16", "uint16", "uint32", "uint64")


class DType(Param):
    """A dtype name; NumPy dtypes (``np.float32``) are accepted too."""

    def __init__(self, name: str, choices: tuple[str, ...] | None = None,
                 default: Any = REQUIRED, doc: str = "", optional: bool = False) -> None:
        super().__init__(name, default, doc, optional)
        self.choices = tuple(choices) if choices else DTYPE_NAMES

    def describe(self) -> str:
        return "a dtype name (" + ", ".join(self.choices) + ")"

    def _parse(self, value: Any) -> str:
        try:
            name = value if isinstance(value, str) else np.dtype(value).name
        except TypeError as err:
            raise _Invalid from err
        if name not in self.choices:
            raise _Invalid
        return name


class Str(Param):
    kind = "a string"

    def _parse(self, value: Any) -> str:
        if not isinstance(value, str):
            raise _Invalid
        return value


class Params(Mapping):
    """Parsed, immutable, hashable operator parameters with attribute access.

    ``given`` keeps the explicitly passed values as MXNet strings, which is
    what a symbol's JSON records.
    """

    __slots__ = ("_given", "_hash", "_values")

    def __init__(self, values: dict[str, Any], given: dict[str, str]) -> None:
        self._values = values
        self._given = given
        self._hash = hash(tuple(sorted((k, _hashable(v)) for k, v in values.items())))

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Params) and self._values == other._values

    def __repr__(self) -> str:
        return "Params(" + ", ".join(f"{k}={v!r}" for k, v in self._values.items()) + ")"

    @property
    def given(self) -> dict[str, str]:
        """Explicitly given parameters as MXNet attribute strings."""
        return dict(self._given)


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def to_attr_string(value: Any) -> str:
    """Format a value as MXNet's Python front end did: ``str(value)``."""
    if isinstance(value, np.dtype):
        return value.name
    if isinstance(value, type) and issubclass(value, np.generic):
        return np.dtype(value).name
    return str(value)


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


def parse_params(op_name: str, node: str | None, specs: tuple[Param, ...],
                 kwargs: Mapping[str, Any]) -> Params:
    """Validate ``kwargs`` against ``specs`` and return :class:`Params`."""
    where = f"{op_name}(name={node!r})" if node else op_name
    by_name = {p.name: p for p in specs}
    for key in kwargs:
        if key not in by_name:
            allowed = ", ".join(by_name) or "none"
            extra = did_you_mean(key, by_name) or f" Accepted: {allowed}."
            raise ParamError(f"{where}: unknown parameter {key!r}.{extra}")
    values: dict[str, Any] = {}
    given: dict[str, str] = {}
    for spec in specs:
        if spec.name not in kwargs:
            if spec.default is REQUIRED:
                raise ParamError(
                    f"{where}: required parameter {spec.name!r} is missing; "
                    f"it must be {spec.describe()}."
                )
            values[spec.name] = spec.default
            continue
        raw = kwargs[spec.name]
        try:
            values[spec.name] = spec.parse(raw)
        except _Invalid:
            limit = (f" Parameter strings over {_MAX_LITERAL} characters are refused "
                     "unparsed." if isinstance(raw, str) and len(raw) > _MAX_LITERAL
                     else "")
            raise ParamError(
                f"{where}: {spec.name} must be {spec.describe()}; got {_short(raw)}."
                + limit
            ) from None
        given[spec.name] = raw if isinstance(raw, str) else to_attr_string(raw)
    return Params(values, given)
