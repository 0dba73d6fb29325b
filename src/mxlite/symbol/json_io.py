"""MXNet's symbol JSON: write the ``attrs`` form, read it and the legacy form.

The reader treats its input as untrusted: it checks every field's type, that
every input refers to an earlier node (so no cycles), that output indices
exist and that operators and parameters are known. Anything else raises one
:class:`~mxlite.base.FormatError` naming the node; nothing is evaluated.

Older files are upgraded as MXNet's ``legacy_json_util.cc`` did: bare hidden
keys become ``__key__``, ``<input>_lr_mult`` moves onto that input's variable,
missing inputs (aux states before 0.9) come back as ``<node>_<input>``
variables, and argmax's old ``axis=-1`` is dropped.

``node_row_ptr`` counts visible outputs only; MXNet's also counts hidden ones
(BatchNorm's mean/var, Dropout's mask). MXNet's reader ignores the field.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..base import FormatError, MXNetError
from ..ops import get_op, has_op
from ..ops.registry import OpDef
from .graph import (
    HIDDEN_KEYS,
    Node,
    aux_variables,
    dtype_attr,
    set_input_var_attrs,
    shape_attr,
    topo_order,
)

__all__ = ["dumps", "loads"]

MXNET_VERSION = 10901
_OLDEST_VERSION = 800  # files without "mxnet_version" are from MXNet 0.8
_MAX_PARAM_CHARS = 10_000  # longer operator parameters are refused, not parsed


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


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _expect(value: Any, kind: type | tuple, what: str) -> Any:
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise _fail(f"{what} must be {getattr(kind, '__name__', kind)}; "
                    f"got {_short(value)}.")
    return value


def _string_dict(value: Any, what: str) -> dict[str, str]:
    _expect(value, dict, what)
    for key, item in value.items():
        if not isinstance(item, str):
            raise _fail(f"{what}[{key!r}] must be a string; got {_short(item)}.")
    return value


def _split_attrs(raw: dict) -> tuple[dict, dict, dict]:
    """Split attributes into (parameters, hidden ``__key__``s, per-input ones).

    Older files wrote hidden keys bare (``lr_mult``) or for one input
    (``weight_lr_mult``); MXNet's legacy upgrader (UpgradeJSON_FixParsing)
    renames the first and moves the second onto that input's variable.
    """
    params, hidden, per_input = {}, {}, {}
    for key, value in raw.items():
        if key.startswith("__") and key.endswith("__"):
            hidden[key] = value
        elif key in HIDDEN_KEYS:
            hidden[f"__{key}__"] = value
        else:
            suffix = next((k for k in HIDDEN_KEYS if key.endswith("_" + k)), None)
            if suffix is None or len(key) == len(suffix) + 1:
                params[key] = value
            else:
                per_input[key] = (key[: -len(suffix) - 1], f"__{suffix}__", value)
    return params, hidden, per_input


def _read_inputs(raw: Any, nodes: list[Node], where: str) -> list[tuple[Node, int]]:
    entries = []
    for item in _expect(raw, list, f"{where} inputs"):
        _expect(item, list, f"{where} input")
        if len(item) not in (2, 3) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in item
        ):
            raise _fail(f"{where}: input {_short(item)} must be [node, output, version].")
        nid, out = item[0], item[1]
        if not 0 <= nid < len(nodes):
            raise _fail(f"{where}: input refers to node {_short(nid)}, but only nodes "
                        f"0..{len(nodes) - 1} come before it.")
        if not 0 <= out < len(nodes[nid].output_names()):
            raise _fail(f"{where}: input refers to output {_short(out)} of node {nid} "
                        f"{nodes[nid].name!r}, which has "
                        f"{len(nodes[nid].output_names())} output(s).")
        entries.append((nodes[nid], out))
    return entries


def _read_variable(name: str, attrs: dict, inputs: list, where: str) -> Node:
    if inputs:
        raise _fail(f"{where}: a variable cannot have inputs.")
    params, hidden, per_input = _split_attrs(attrs)
    # A variable keeps keys like "weight_lr_mult" as they are (as MXNet does).
    kept = {key: value for key, (_, _, value) in per_input.items()}
    node = Node(None, name, attrs={**params, **kept, **hidden})
    try:
        shape_attr(node)
        dtype_attr(node)
    except FormatError as err:
        raise _fail(f"{where}: {err}") from None
    return node


def _parse_params(opdef: OpDef, params: dict, name: str, where: str):
    for key, value in params.items():
        if len(value) > _MAX_PARAM_CHARS:
            raise _fail(f"{where}: parameter {key!r} is {len(value)} characters long; "
                        f"at most {_MAX_PARAM_CHARS} are accepted.")
    try:
        return opdef.parse(params, name)
    except MXNetError as err:
        message = str(err) if len(str(err)) <= 300 else str(err)[:297] + "..."
        raise _fail(f"{where}: {message}") from None
    except Exception as err:
        raise _fail(f"{where}: cannot parse its parameters {sorted(params)} "
                    f"({type(err).__name__}: {str(err)[:120]}).") from err


def _read_operator(op_name: str, name: str, attrs: dict, inputs: list, *,
                   where: str, version: int) -> Node:
    if not has_op(op_name):
        raise _fail(f"{where}: unknown operator {_short(op_name)}.")
    opdef = get_op(op_name)
    params, hidden, per_input = _split_attrs(attrs)
    if version < 905 and opdef.name in ("argmax", "argmin") and params.get("axis") == "-1":
        del params["axis"]  # MXNet < 0.9.5 wrote axis=-1 for "all axes"
    if opdef.variadic and opdef.variadic not in params:
        params[opdef.variadic] = str(len(inputs))
    p = _parse_params(opdef, params, name, where)
    names = list(opdef.arguments(p)) + list(opdef.aux(p))
    if len(inputs) > len(names):
        raise _fail(f"{where}: {op_name} takes {len(names)} inputs ({', '.join(names)}); "
                    f"the file gives {len(inputs)}.")
    # Files from before MXNet 0.9 omitted some inputs (aux states); re-add them
    # as variables named <node>_<input> carrying the node's attributes, as
    # MXNet's legacy upgrader (UpgradeJSON_000800_000900) did.
    inputs.extend((Node(None, f"{name}_{missing}", attrs={**p.given, **hidden}), 0)
                  for missing in names[len(inputs):])
    for key, (arg, hidden_key, value) in per_input.items():
        if arg in names and inputs[names.index(arg)][0].op is None:
            inputs[names.index(arg)][0].attrs[hidden_key] = value
        else:
            raise _fail(f"{where}: attribute {key!r} names no variable input "
                        f"{arg!r}; inputs are {', '.join(names)}.")
    node = Node(opdef, name, p, hidden, inputs)
    if version < 904:  # MXNet's UpgradeJSON_000903_000904 (e.g. BatchNorm's __init__)
        set_input_var_attrs(node)
    return node


def _read_node(raw: Any, nodes: list[Node], position: int, version: int) -> Node:
    _expect(raw, dict, f"node {position}")
    op_name = _expect(raw.get("op"), str, f"node {position} 'op'")
    name = _expect(raw.get("name"), str, f"node {position} 'name'")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise _fail(f"node {position}: 'name' {_short(name)} is not valid "
                    "Unicode.") from None
    where = f"node {position} {name!r}"
    attrs = {**_string_dict(raw.get("param", {}), f"{where} param"),
             **_string_dict(raw.get("attr", {}), f"{where} attr"),
             **_string_dict(raw.get("attrs", {}), f"{where} attrs")}
    inputs = _read_inputs(raw.get("inputs", []), nodes, where)
    if op_name == "null":
        return _read_variable(name, attrs, inputs, where)
    return _read_operator(op_name, name, attrs, inputs, where=where, version=version)


def _parse_text(text: Any) -> dict:
    if not isinstance(text, str):
        raise _fail(f"expected a JSON string; got {type(text).__name__}.")
    try:
        graph = json.loads(text)
    except (ValueError, RecursionError, MemoryError) as err:
        raise _fail(f"not valid JSON ({str(err)[:120]}).") from None
    return _expect(graph, dict, "the top level")


def _read_version(graph: dict) -> int:
    """The ``mxnet_version`` the file records (0.8.0 when it records none)."""
    attrs = _expect(graph.get("attrs", {}), dict, "'attrs'")
    if "mxnet_version" not in attrs:
        return _OLDEST_VERSION
    version = attrs["mxnet_version"]
    if (not isinstance(version, list) or len(version) != 2
            or not isinstance(version[1], int) or isinstance(version[1], bool)):
        raise _fail(f"'attrs' 'mxnet_version' must be [\"int\", version]; "
                    f"got {_short(version)}.")
    return version[1]


def loads(text: str) -> list[tuple[Node, int]]:
    """Parse MXNet symbol JSON into output entries; validate everything."""
    graph = _parse_text(text)
    version = _read_version(graph)
    raw_nodes = _expect(graph.get("nodes"), list, "'nodes'")
    nodes: list[Node] = []
    for position, raw in enumerate(raw_nodes):
        nodes.append(_read_node(raw, nodes, position, version))
    heads_raw = _expect(graph.get("heads"), list, "'heads'")
    if not heads_raw:
        raise _fail("'heads' is empty: the graph has no outputs.")
    heads = _read_inputs(heads_raw, nodes, "heads")
    _check_unique_variables(nodes, heads)
    return heads


def _check_unique_variables(nodes: list[Node], heads: list) -> None:
    seen: dict[str, int] = {}
    for node in [*nodes, *topo_order(heads)]:
        if node.op is None:
            if seen.get(node.name, id(node)) != id(node):
                raise _fail(f"two variables are named {node.name!r}.")
            seen[node.name] = id(node)
