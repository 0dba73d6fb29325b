"""What every Mocha layer is: a name, the blobs it reads and writes, and a
lowering to registry operators.

A layer object is a description only: nets built from the same objects
lower them again, and share learned parameters through the backend's
registry (keyed by ``param_key`` or the name). Per-net values (the outputs
of the last forward, a data layer's position) live in the net's
:class:`LayerState`, which ``get_layer_state(net, name)`` returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ... import symbol as sym
from ...base import ParamError
from ..initializers import Initializer, Regularizer, check_kind

__all__ = ["Layer", "LayerState", "ParamSpec", "blob_names"]


def blob_names(where: str, what: str, names: Any, *, count: int | None = None,
               allow_empty: bool = False) -> tuple[str, ...]:
    """``names`` as a tuple of blob names, checked (Julia's ``[:data]`` is ``["data"]``)."""
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise ParamError(f"{where}: {what} must be a list of blob names such as "
                         f"['data']; got {names!r}.")
    out = tuple(names)
    bad = [n for n in out if not isinstance(n, str) or not n]
    if bad:
        raise ParamError(f"{where}: {what} must hold non-empty strings; got {bad!r}.")
    if not out and not allow_empty:
        raise ParamError(f"{where}: {what} is empty; name at least one blob.")
    if count is not None and len(out) != count:
        raise ParamError(f"{where}: {what} must name exactly {count} blob(s); got "
                         f"{list(out)}.")
    return out


def shape_pair(where: str, what: str, value: Any, *, lower: int) -> tuple[int, int]:
    """A (height, width) pair of ints >= ``lower``; one int means both."""
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool)
                                 and v >= lower for v in pair):
        raise ParamError(f"{where}: {what} must be a pair of integers >= {lower}; "
                         f"got {value!r}.")
    return pair


@dataclass(frozen=True)
class ParamSpec:
    """One learned array of a layer: its role (``filter``/``weight``/``bias``),
    initializer, lr multiplier and regularizer."""

    role: str
    init: Initializer
    lr_mult: float
    regularizer: Regularizer


@dataclass
class LayerState:
    """A layer inside one net: its outputs after the last ``forward``
    (``blobs``, NumPy-readable NDArrays in the order of ``tops``) and its
    learned parameters (``parameters``, :class:`~mxlite.mocha.backend.ParamBlob`)."""

    layer: Layer
    blobs: list = field(default_factory=list)
    parameters: list = field(default_factory=list)
    runtime: Any = None


class Layer:
    """Base of every layer. Subclasses set ``kind`` (Mocha's type name)."""

    kind = "Layer"
    is_data = False
    in_place = False

    def __init__(self, *, name: str, bottoms: Any = (), tops: Any = ()) -> None:
        if not isinstance(name, str) or not name:
            raise ParamError(f"{self.kind}: name must be a non-empty string; got {name!r}.")
        self.name = name
        self.bottoms: tuple[str, ...] = tuple(bottoms)
        self.tops: tuple[str, ...] = tuple(tops)

    @property
    def where(self) -> str:
        return f"{self.kind} {self.name!r}"

    @property
    def key(self) -> str:
        """The parameter-registry key (``param_key`` if set, else the name)."""
        return getattr(self, "param_key", "") or self.name

    def param_specs(self) -> list[ParamSpec]:
        """The layer's learned arrays, in Mocha's order (filter/weight, then bias)."""
        return []

    def param_names(self) -> list[str]:
        """The graph variable of each learned array (``conv1_weight``...)."""
        return [f"{self.key}_{'bias' if s.role == 'bias' else 'weight'}"
                for s in self.param_specs()]

    def lower(self, ins: list[sym.Symbol], shapes: list[tuple]) -> list[sym.Symbol]:
        """The layer's outputs (one per top) from its inputs (one per bottom)."""
        raise NotImplementedError(f"{self.kind}.lower")

    def check_specs(self, *, init: Any, regu: Any, lr: float, what: str) -> None:
        """Check one learned array's initializer, regularizer and lr multiplier."""
        check_kind(self.where, f"{what}_init", init, Initializer)
        check_kind(self.where, f"{what}_regu", regu, Regularizer)
        if not isinstance(lr, (int, float)) or lr < 0:
            raise ParamError(f"{self.where}: {what}_lr must be a number >= 0; got {lr!r}.")

    def __repr__(self) -> str:
        return (f"{self.kind}({self.name!r}, bottoms={list(self.bottoms)}, "
                f"tops={list(self.tops)})")
