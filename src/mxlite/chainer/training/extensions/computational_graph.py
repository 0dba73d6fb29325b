"""``dump_graph``: write the model's computational graph as Graphviz DOT.

The training step is compiled, so the reported loss carries no graph. At
its first call (after the first update) the extension replays the updater's
loss function once, eagerly, on the last batch with the autograd tape
recording, and draws the tape behind the reported ``root_name``: variables
(parameters named by their path, inputs, intermediate results) as octagons
labelled ``shape, dtype`` as Chainer labels them, and registry operators
(``FullyConnected``, ``Activation``, ``SoftmaxCrossEntropy``...) as boxes.
The replay keeps the parameters and restores persistent state (BatchNorm's
statistics), so training is unchanged.
"""

from __future__ import annotations

import os
from typing import Any

from .... import autograd
from ...._fileio import atomic_write_bytes
from ....base import MissingKeyError, MXNetError
from ... import configuration
from ...optimizer import chain_view
from ...variable import Variable
from .. import extension

__all__ = ["DumpGraph", "dump_graph"]

_VAR_STYLE = {"shape": "octagon", "fillcolor": "#E0E0E0", "style": "filled"}
_FUNC_STYLE = {"shape": "record", "fillcolor": "#6495ED", "style": "filled"}


def _label(shape: tuple, dtype: str) -> str:
    return dtype if shape == () else f"({', '.join(map(str, shape))}), {dtype}"


def _node(node_id: int, label: str, style: dict) -> str:
    attrs = ",".join(f'{k}="{v}"' for k, v in {"label": label, **style}.items())
    return f"{node_id} [{attrs}];"


def graph_to_dot(graph: autograd.TapeGraph, names: dict[int, str],
                 variable_style: dict, function_style: dict) -> str:
    """Chainer's DOT layout for a :class:`~mxlite.autograd.TapeGraph`;
    ``names`` maps ``id(handle)`` to a leaf's name."""
    nodes, edges = [], []
    leaf_ids = list(range(len(graph.leaves)))
    const_ids = [len(leaf_ids) + i for i in range(len(graph.consts))]
    next_id = len(leaf_ids) + len(const_ids)
    for i, (handle, shape, dtype) in enumerate(graph.leaves):
        name = names.get(id(handle)) or getattr(handle, "name", None)
        label = _label(shape, dtype)
        nodes.append(_node(leaf_ids[i], f"{name}: {label}" if name else label,
                           variable_style))
    out_ids: list[list[int]] = []
    used_consts: set[int] = set()
    for op, codes, outs in graph.calls:
        func_id, next_id = next_id, next_id + 1
        nodes.append(_node(func_id, op, function_style))
        for code in codes:
            if code[0] == "v":
                edges.append((leaf_ids[code[1]], func_id))
            elif code[0] == "o":
                edges.append((out_ids[code[1]][code[2]], func_id))
            elif graph.consts[code[1]][0]:  # arrays, not scalars or keys
                used_consts.add(code[1])
                edges.append((const_ids[code[1]], func_id))
        ids = list(range(next_id, next_id + len(outs)))
        next_id += len(outs)
        out_ids.append(ids)
        for out_id, (shape, dtype) in zip(ids, outs):
            nodes.append(_node(out_id, _label(shape, dtype), variable_style))
            edges.append((func_id, out_id))
    nodes.extend(_node(const_ids[i], _label(*graph.consts[i]), variable_style)
                 for i in sorted(used_consts))
    body = "".join(nodes) + "".join(f"{a} -> {b};" for a, b in edges)
    return "digraph graphname{rankdir=TB;" + body + "}"


class DumpGraph(extension.Extension):
    """Write ``out/<filename>`` (``cg.dot``) once, at the first iteration.

    Args:
        root_name: the observation key of the graph's root (``'main/loss'``).
        filename: the file name; ``out_name=`` is accepted too.
        variable_style, function_style: DOT attributes of the two node kinds.
    """

    default_name = "dump_graph"

    def __init__(self, root_name: str, filename: str | None = None,
                 variable_style: dict | None = None, function_style: dict | None = None,
                 *, out_name: str = "cg.dot") -> None:
        self._root_name = root_name
        self._filename = out_name if filename is None else filename
        self._variable_style = variable_style or _VAR_STYLE
        self._function_style = function_style or _FUNC_STYLE
        self._original_flag: bool | None = None
        self._flag_called = False

    def initialize(self, trainer: Any) -> None:
        if not self._flag_called:
            self._original_flag = configuration.config.keep_graph_on_report
            configuration.config.keep_graph_on_report = True

    def trigger(self, trainer: Any) -> bool:
        if self._flag_called:
            return False
        self._flag_called = True
        return True

    def __call__(self, trainer: Any) -> None:
        try:
            root = self._replayed_root(trainer)
            optimizer = trainer.updater.get_optimizer("main")
            names = {id(p): path.lstrip("/")
                     for path, p in optimizer.target.namedparams(include_uninit=False)}
            dot = graph_to_dot(autograd.tape_graph(root), names,
                               self._variable_style, self._function_style)
            atomic_write_bytes(os.path.join(trainer.out, self._filename), dot.encode())
        finally:
            configuration.config.keep_graph_on_report = self._original_flag

    def _replayed_root(self, trainer: Any) -> Variable:
        updater = trainer.updater
        in_arrays = getattr(updater, "last_in_arrays", None)
        if in_arrays is None:
            raise MXNetError("dump_graph: the updater keeps no last batch "
                             "(StandardUpdater does); cannot replay the loss.")
        optimizer = updater.get_optimizer("main")
        loss_func = getattr(updater, "loss_func", None) or optimizer.target
        view = chain_view(optimizer.target)
        saved_aux = view.aux()
        observation: dict = {}
        try:
            with trainer.reporter.scope(observation), \
                    configuration.using_config("enable_backprop", True):
                if isinstance(in_arrays, tuple):
                    loss_func(*in_arrays)
                elif isinstance(in_arrays, dict):
                    loss_func(**in_arrays)
                else:
                    loss_func(in_arrays)
        finally:
            view.set_aux(saved_aux)
        root = observation.get(self._root_name)
        if not isinstance(root, Variable):
            raise MissingKeyError(f"dump_graph: {self._root_name!r} was not reported as "
                                  f"a Variable; got keys {sorted(observation)}.")
        return root

    def serialize(self, serializer: Any) -> None:
        flag = serializer("_original_flag", self._original_flag)
        self._original_flag = None if flag is None else bool(flag)
        self._flag_called = bool(serializer("_flag_called", self._flag_called))


dump_graph = DumpGraph
