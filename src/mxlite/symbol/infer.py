"""Shape and dtype inference over a graph, from the operators' own rules.

Every operator node's rule runs in graph order and fills what follows from
what is known (a FullyConnected's weight from its data); a second pass fills
variables that only later nodes determine. A mismatch names the node, the
inputs as the user called them, and what was expected.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from ..base import DTypeError, GraphError, ShapeError
from .graph import Node, dtype_attr, entry_label, shape_attr, topo_order

__all__ = ["infer_shapes", "infer_types"]

Entry = tuple[int, int]


def _propagate(symbol, known: dict, var_default: Callable, rule: Callable,
               strict: bool = False) -> dict[Entry, object]:
    """Fixed point of ``rule`` over the graph; returns entry -> value."""
    order = topo_order(symbol._heads)
    values: dict[Entry, object] = {}
    for node in order:
        if node.op is None:
            value = known.get(node.name)
            values[(id(node), 0)] = value if value is not None else var_default(node)
    # Every pass only fills unknowns, so this reaches a fixed point.
    for _ in range(len(order) + 1):
        changed = False
        for node in order:
            if node.op is None:
                continue
            ins = [values.get((id(c), i)) for c, i in node.inputs]
            labels = [entry_label(e) for e in node.inputs]
            new_ins, outs = rule(node, ins, labels)
            for (child, index), old, new in zip(node.inputs, ins, new_ins):
                if old is None and new is not None:
                    values[(id(child), index)] = new
                    changed = True
            for i, out in enumerate(outs):
                old = values.get((id(node), i))
                if old is None and out is not None:
                    values[(id(node), i)] = out
                    changed = True
                elif strict and old is not None and out is not None and (
                        tuple(old) != tuple(out)):
                    raise ShapeError(
                        f"{node.op.where(node.name)}: output "
                        f"{node.output_names()[i]!r} has shape {tuple(out)} from its "
                        f"inputs, but {tuple(old)} where it is used."
                    )
        if not changed:
            break
    return values


def _shape_rule(node: Node, ins: list, labels: list):
    n_args = node.num_args()
    ins_done, outs, aux = node.op.infer_and_check(
        node.params, ins[:n_args], labels[:n_args], node.name)
    aux_given = ins[n_args:]
    for label, given, want in zip(labels[n_args:], aux_given, aux):
        if given is not None and want is not None and tuple(given) != tuple(want):
            raise ShapeError(
                f"{node.op.where(node.name)}: auxiliary state {label!r} was given "
                f"{tuple(given)}; it must be {tuple(want)}."
            )
    return list(ins_done) + list(aux), outs


def _type_rule(node: Node, ins: list, labels: list):
    n_args = node.num_args()
    try:
        ins_done, outs, aux = node.op.run_infer_type(node.params, ins[:n_args])
    except DTypeError as err:
        raise DTypeError(f"{node.op.where(node.name)}: {err}") from None
    return list(ins_done) + list(aux), outs


def _collect(symbol, values: dict) -> tuple[dict, list, dict]:
    order = topo_order(symbol._heads)
    by_name = {n.name: values.get((id(n), 0)) for n in order if n.op is None}
    args = {name: by_name[name] for name in symbol.list_arguments()}
    aux = {name: by_name[name] for name in symbol.list_auxiliary_states()}
    outs = [values.get((id(node), i)) for node, i in symbol._heads]
    return args, outs, aux


def _check_known(symbol, known: dict, error: type) -> None:
    inputs = symbol.list_inputs()
    what = "shape" if error is ShapeError else "type"
    for name in known:
        if name not in inputs:
            raise error(
                f"infer_{what}: {name!r} is not an input of the symbol; inputs are "
                f"{inputs}."
            )


def _as_shape(name: str, value: Any) -> tuple[int, ...]:
    dims = (value,) if isinstance(value, numbers.Integral) else value
    try:
        ok = all(isinstance(d, numbers.Integral) and not isinstance(d, bool)
                 and d >= 0 for d in dims)
    except TypeError:
        ok = False
    if not ok or isinstance(value, (str, bytes, bool)):
        raise ShapeError(f"infer_shape: the shape of {name!r} must be a tuple of ints "
                         f">= 0; got {value!r:.80}.")
    return tuple(int(d) for d in dims)


def _as_type(name: str, value: Any) -> str:
    try:
        return np.dtype(value).name
    except TypeError:
        raise DTypeError(f"infer_type: the dtype of {name!r} must be a NumPy dtype "
                         f"like 'float32'; got {value!r:.80}.") from None


def infer_shapes(symbol, known: dict) -> tuple[dict, list, dict]:
    """Infer every argument, output and aux shape (None where unknown)."""
    _check_known(symbol, known, ShapeError)
    known = {k: _as_shape(k, v) for k, v in known.items() if v is not None}
    return _collect(symbol, _propagate(symbol, known, shape_attr, _shape_rule,
                                           strict=True))


def infer_types(symbol, known: dict) -> tuple[dict, list, dict]:
    """Infer every argument, output and aux dtype name (None where unknown)."""
    _check_known(symbol, known, GraphError)
    known = {k: _as_type(k, v) for k, v in known.items() if v is not None}
    return _collect(symbol, _propagate(symbol, known, dtype_attr, _type_rule))
