"""Graph nodes and traversal shared by Symbol, inference and JSON.

A variable node has no operator; an operator node holds its parsed parameters
and its inputs as ``(node, index)`` entries, arguments first and auxiliary
states after (MXNet's order).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..base import ParamError
from ..ops.params import Params
from ..ops.registry import OpDef

__all__ = ["Node", "topo_order", "aux_variables", "entry_label", "dtype_flag",
           "FLAG_DTYPES"]


class Node:
    """One graph node: a variable (``op is None``) or an operator call."""

    __slots__ = ("op", "name", "params", "attrs", "inputs")

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
