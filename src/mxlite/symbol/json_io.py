"""MXNet's symbol JSON: write the ``attrs`` form, read it and the legacy form.

The reader treats its input as untrusted: it checks every field's type, that
every input refers to an earlier node (so no cycles), that output indices
exist and that operators and parameters are known. Anything else raises one
:class:`~mxlite.base.FormatError` naming the node; nothing is evaluated.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..base import FormatError, MXNetError
from ..ops import get_op, has_op
from .graph import Node, aux_variables, topo_order

__all__ = ["dumps", "loads"]

MXNET_VERSION = 10901
_LEGACY_HIDDEN = ("ctx_group", "lr_mult", "wd_mult", "force_mirroring", "mirror_stage")


def dumps(heads: Sequence[tuple[Node, int]]) -> str:
    """Serialize a graph (its output entries) to MXNet's JSON."""
    order = topo_order(heads)
    index = {id(n): i for i, n in enumerate(order)}
    aux = aux_variables(order)
    nodes, row_ptr = [], [0]
    for node in order:
        entry: dict[str, Any] = {"op": "null" if node.op is None else node.op.name,
                                 "name": node.name}
        attrs = dict(node.params.given) if node.params is not None else {}
        attrs.update(node.attrs)
        if attrs:
            entry["attrs"] = attrs
        entry["inputs"] = [[index[id(c)], i, int(id(c) in aux)] for c, i in node.inputs]
        nodes.append(entry)
        row_ptr.append(row_ptr[-1] + len(node.output_names()))
    graph = {
        "nodes": nodes,
        "arg_nodes": [i for i, n in enumerate(order) if n.op is None],
        "node_row_ptr": row_ptr,
        "heads": [[index[id(n)], i, 0] for n, i in heads],
        "attrs": {"mxnet_version": ["int", MXNET_VERSION]},
    }
    return json.dumps(graph, indent=2)


def _fail(message: str) -> FormatError:
    return FormatError(f"symbol JSON: {message}")


def _expect(value: Any, kind: type | tuple, what: str) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        raise _fail(f"{what} must be {getattr(kind, '__name__', kind)}; got {value!r:.80}.")
    return value


def _string_dict(value: Any, what: str) -> dict[str, str]:
    _expect(value, dict, what)
    for key, item in value.items():
        if not isinstance(item, str):
            raise _fail(f"{what}[{key!r}] must be a string; got {item!r:.80}.")
    return value


def _split_attrs(raw: dict, legacy: bool) -> tuple[dict, dict]:
    """Separate operator parameters from hidden ``__key__`` attributes."""
    params, hidden = {}, {}
    for key, value in raw.items():
        if key.startswith("__") and key.endswith("__"):
            hidden[key] = value
        elif legacy and key in _LEGACY_HIDDEN:
            hidden[f"__{key}__"] = value
        else:
            params[key] = value
    return params, hidden


def _read_inputs(raw: Any, nodes: list[Node], where: str) -> list[tuple[Node, int]]:
    entries = []
    for item in _expect(raw, list, f"{where} inputs"):
        _expect(item, list, f"{where} input")
        if len(item) not in (2, 3) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in item
        ):
            raise _fail(f"{where}: input {item!r:.80} must be [node, output, version].")
        nid, out = item[0], item[1]
        if not 0 <= nid < len(nodes):
            raise _fail(f"{where}: input refers to node {nid}, but only nodes "
                        f"0..{len(nodes) - 1} come before it.")
        if not 0 <= out < len(nodes[nid].output_names()):
            raise _fail(f"{where}: input refers to output {out} of node {nid} "
                        f"{nodes[nid].name!r}, which has "
                        f"{len(nodes[nid].output_names())} output(s).")
        entries.append((nodes[nid], out))
    return entries


def _read_node(raw: Any, nodes: list[Node], position: int) -> Node:
    _expect(raw, dict, f"node {position}")
    op_name = _expect(raw.get("op"), str, f"node {position} 'op'")
    name = _expect(raw.get("name"), str, f"node {position} 'name'")
    where = f"node {position} {name!r}"
    legacy = "param" in raw or "attr" in raw
    attrs = {**_string_dict(raw.get("param", {}), f"{where} param"),
             **_string_dict(raw.get("attr", {}), f"{where} attr"),
             **_string_dict(raw.get("attrs", {}), f"{where} attrs")}
    inputs = _read_inputs(raw.get("inputs", []), nodes, where)
    if op_name == "null":
        if inputs:
            raise _fail(f"{where}: a variable cannot have inputs.")
        return Node(None, name, attrs=attrs)
    if not has_op(op_name):
        raise _fail(f"{where}: unknown operator {op_name!r}.")
    opdef = get_op(op_name)
    params, hidden = _split_attrs(attrs, legacy)
    try:
        if opdef.variadic and opdef.variadic not in params:
            params[opdef.variadic] = str(len(inputs))
        p = opdef.parse(params, name)
    except MXNetError as err:
        raise _fail(f"{where}: {err}") from None
    names = list(opdef.arguments(p)) + list(opdef.aux(p))
    if len(inputs) > len(names):
        raise _fail(f"{where}: {op_name} takes {len(names)} inputs ({', '.join(names)}); "
                    f"the file gives {len(inputs)}.")
    # Files from before MXNet 0.9 omitted some inputs (aux states); re-add them
    # as variables named <node>_<input>, as MXNet's legacy upgrader did.
    for missing in names[len(inputs):]:
        inputs.append((Node(None, f"{name}_{missing}"), 0))
    return Node(opdef, name, p, hidden, inputs)


def _parse_text(text: Any) -> dict:
    if not isinstance(text, str):
        raise _fail(f"expected a JSON string; got {type(text).__name__}.")
    try:
        graph = json.loads(text)
    except (ValueError, RecursionError) as err:
        raise _fail(f"not valid JSON ({str(err)[:120]}).") from None
    return _expect(graph, dict, "the top level")


def loads(text: str) -> list[tuple[Node, int]]:
    """Parse MXNet symbol JSON into output entries; validate everything."""
    graph = _parse_text(text)
    raw_nodes = _expect(graph.get("nodes"), list, "'nodes'")
    nodes: list[Node] = []
    for position, raw in enumerate(raw_nodes):
        nodes.append(_read_node(raw, nodes, position))
    _check_unique_variables(nodes)
    heads_raw = _expect(graph.get("heads"), list, "'heads'")
    if not heads_raw:
        raise _fail("'heads' is empty: the graph has no outputs.")
    return _read_inputs(heads_raw, nodes, "heads")


def _check_unique_variables(nodes: list[Node]) -> None:
    seen: set[str] = set()
    for node in nodes:
        if node.op is None:
            if node.name in seen:
                raise _fail(f"two variables are named {node.name!r}.")
            seen.add(node.name)
