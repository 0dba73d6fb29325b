"""Graph nodes and traversal shared by Symbol, inference and JSON.

A variable node has no operator; an operator node holds its parsed parameters
and its inputs as ``(node, index)`` entries, arguments first and auxiliary
states after (MXNet's order).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..base import FormatError, ParamError
from ..ops.params import Params
from ..ops.registry import OpDef

__all__ = [
    "FLAG_DTYPES",
    "HIDDEN_KEYS",
    "Node",
    "aux_variables",
    "dtype_attr",
    "dtype_flag",
    "entry_label",
    "hidden_key",
    "set_input_var_attrs",
    "shape_attr",
    "topo_order",
]

# MXNet's kHiddenKeys: attributes stored as ``__key__`` (c_api_common.h).
HIDDEN_KEYS = ("ctx_group", "lr_mult", "wd_mult", "force_mirroring", "mirror_stage")
# A shape attribute as MXNet writes it, "(100, 784)" or "[100, 784]"; -1 and 0
# mark unknown dimensions. Parsed by a regex, never evaluated.
_SHAPE_RE = re.compile(
    r"\s*[(\[]\s*(-?\d{1,18}\s*(,\s*-?\d{1,18}\s*)*,?)?\s*[)\]]\s*", re.ASCII)
_FLAG_RE = re.compile(r"\s*\d{1,3}\s*", re.ASCII)
_MAX_SHAPE_CHARS = 1024


class Node:
    """One graph node: a variable (``op is None``) or an operator call."""

    __slots__ = ("attrs", "inputs", "name", "op", "params")

    def __init__(self, op: OpDef | None, name: str, params: Params | None = None,
                 attrs: dict | None = None, inputs: list | None = None) -> None:
        self.op = op
        self.name = name
        self.params = params
        self.attrs = dict(attrs or {})
        self.inputs = list(inputs or [])

    @property
    def is_variable(self) -> bool:
        return self.op is None

    def output_names(self) -> list[str]:
        if self.op is None:
            return [self.name]
        outs = list(self.op.outputs(self.params))
        return [f"{self.name}_{o}" for o in outs]

    def num_args(self) -> int:
        return 0 if self.op is None else len(self.op.arguments(self.params))


def topo_order(heads: Sequence[tuple[Node, int]]) -> list[Node]:
    """Nodes in depth-first post-order from the heads (nnvm's DFSVisit)."""
    order: list[Node] = []
    seen: set[int] = set()
    for head, _ in heads:
        stack = [(head, False)]
        while stack:
            node, expanded = stack.pop()
            if id(node) in seen and not expanded:
                continue
            if expanded:
                if id(node) not in seen:
                    seen.add(id(node))
                    order.append(node)
                continue
            stack.append((node, True))
            for child, _ in reversed(node.inputs):
                if id(child) not in seen:
                    stack.append((child, False))
    return order


def aux_variables(order: list[Node]) -> set[int]:
    aux = set()
    for node in order:
        if node.op is not None:
            for child, _ in node.inputs[node.num_args():]:
                aux.add(id(child))
    return aux


def entry_label(entry: tuple[Node, int]) -> str:
    node, index = entry
    if node.op is None or len(node.output_names()) == 1:
        return node.name
    return node.output_names()[index]


_DTYPE_FLAGS = {"float32": 0, "float64": 1, "float16": 2, "uint8": 3, "int32": 4,
                "int8": 5, "int64": 6, "bool": 7, "int16": 8, "uint16": 9,
                "uint32": 10, "uint64": 11, "bfloat16": 12}
FLAG_DTYPES = {v: k for k, v in _DTYPE_FLAGS.items()}


def dtype_flag(dtype: Any) -> int:
    """MXNet's numeric type flag of a dtype (float32 -> 0)."""
    name = dtype if isinstance(dtype, str) else np.dtype(dtype).name
    if name not in _DTYPE_FLAGS:
        raise ParamError(f"unsupported dtype {dtype!r}.")
    return _DTYPE_FLAGS[name]


def hidden_key(key: str) -> str:
    """MXNet's spelling of a user attribute key: ``lr_mult`` -> ``__lr_mult__``."""
    return f"__{key}__" if key in HIDDEN_KEYS else key


def shape_attr(node: Node) -> tuple[int, ...] | None:
    """A variable's ``__shape__`` attribute, or None if absent or unknown.

    Raises:
        FormatError: the attribute is not a tuple of ints.
    """
    text = node.attrs.get("__shape__")
    if text is None:
        return None
    if len(text) > _MAX_SHAPE_CHARS or not _SHAPE_RE.fullmatch(text):
        raise FormatError(
            f"variable {node.name!r}: __shape__ must be a tuple of ints like "
            f"'(100, 784)'; got {text[:80]!r}."
        )
    dims = tuple(int(d) for d in re.findall(r"-?\d+", text, re.ASCII))
    if not dims or any(d <= 0 for d in dims):
        return None
    return dims


def dtype_attr(node: Node) -> str | None:
    """A variable's ``__dtype__`` type flag as a dtype name (None if absent).

    Raises:
        FormatError: the flag is not one of MXNet's type flags.
    """
    flag = node.attrs.get("__dtype__")
    if flag is None:
        return None
    if not _FLAG_RE.fullmatch(flag) or int(flag) not in FLAG_DTYPES:
        raise FormatError(
            f"variable {node.name!r}: __dtype__ must be an MXNet type flag "
            f"(0 float32, 1 float64, ... 12 bfloat16); got {flag[:40]!r}."
        )
    return FLAG_DTYPES[int(flag)]


def set_input_var_attrs(node: Node) -> None:
    """Give variable inputs the attributes the operator asks for (MXNet's
    FSetInputVarAttrOnCompose): BatchNorm's ``moving_mean`` gets
    ``__init__ = '["zero", {}]'`` unless it already has one.

    An operator declares them as ``extra={"input_var_attrs": {input: {key:
    value}}}``; an attribute the variable already has is kept.
    """
    wanted = node.op.extra.get("input_var_attrs") if node.op is not None else None
    if not wanted:
        return
    names = list(node.op.arguments(node.params)) + list(node.op.aux(node.params))
    for name, (child, _) in zip(names, node.inputs):
        if child.op is None:
            for key, value in wanted.get(name, {}).items():
                child.attrs.setdefault(key, value)
