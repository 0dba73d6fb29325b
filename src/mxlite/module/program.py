"""A Symbol as the training loop's :class:`~mxlite.training.Program`."""

from __future__ import annotations

from collections.abc import Sequence
from math import prod
from typing import Any

from ..executor.compiler import needs_key
from ..symbol.graph import topo_order
from ..training import GraphProgram, LabelCheck

__all__ = ["label_checks", "symbol_program"]


def label_checks(symbol: Any, label_names: Sequence[str],
                 shapes: dict[str, tuple]) -> tuple[LabelCheck, ...]:
    """The class-label inputs of the symbol's loss operators.

    Each operator declares in the registry which of its inputs is a class
    label (``OpDef.label_input``); the class count is its output's size per
    example, inferred from ``shapes`` (the bound data and label shapes).
    """
    found = []
    for node in topo_order(symbol._heads):
        declared = node.op.label_input(node.params) if (
            node.op is not None and node.op.label_input is not None) else None
        if declared is None:
            continue
        index, ignore = declared
        source = node.inputs[index][0]
        if source.op is None and source.name in label_names:
            found.append((node, source.name, ignore))
    if not found:
        return ()
    internals = symbol.get_internals()
    _, out_shapes, _ = internals.infer_shape_partial(**shapes)
    outputs = dict(zip(internals.list_outputs(), out_shapes))
    checks = []
    for node, name, ignore in found:
        shape = outputs.get(f"{node.name}_output") or ()
        if len(shape) >= 2:
            checks.append(LabelCheck(name, prod(shape[1:]), ignore, node.name,
                                     node.op.name))
    return tuple(checks)


def symbol_program(symbol: Any, graph: Any, *, param_names: Sequence[str],
                   data_names: Sequence[str], label_names: Sequence[str],
                   shapes: dict[str, tuple]) -> GraphProgram:
    """MXNet's view: every output is a loss head (loss operators form their
    own gradient, as ``backward()`` without head gradients does)."""
    return GraphProgram(
        graph=graph, param_names=tuple(param_names), data_names=tuple(data_names),
        label_names=tuple(label_names), output_names=tuple(symbol.list_outputs()),
        loss_outputs=None, label_checks=label_checks(symbol, label_names, shapes),
        uses_key=needs_key(symbol._heads))
