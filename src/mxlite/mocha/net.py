"""Mocha's ``Net``: layers wired by named blobs, lowered to one symbol graph.

``Net(name, backend, layers)`` sorts the layers (:mod:`.topology`), opens
the data layers' streams, lowers every other layer to registry operators
(:mod:`mxlite.symbol`) and infers each blob's shape, so a wrong wiring is
reported at construction with the layer and blobs involved. Learned arrays
are taken from the backend's registry when a net on the same backend
already made them (shared by ``param_key`` or layer name), else created
with the layer's initializers. ``forward``/``backward`` run the graph
through the core's :class:`~mxlite.executor.Executor`; training goes
through :func:`~mxlite.mocha.solvers.solve` and the shared compiled step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import symbol as sym
from ..base import MXNetError, ParamError, ShapeError, did_you_mean
from ..ndarray import NDArray
from .backend import Backend, ParamBlob
from .layers.base import Layer, LayerState
from .topology import sort_layers

__all__ = ["Net"]


class Net:
    """A network of Mocha layers on a backend.

    Attributes:
        name: the net's name (logs, errors).
        backend: where its arrays live; holds the shared parameter registry.
        layers: the layers in execution order.
        blob_shapes: every blob's shape (batch first).
        states: layer name -> :class:`LayerState`.
    """

    def __init__(self, name: str, backend: Backend, layers: Any) -> None:
        if not isinstance(backend, Backend):
            raise ParamError(f"Net {name!r}: backend must be CPUBackend() or GPUBackend(); "
                             f"got {backend!r:.80}.")
        self.name, self.backend = name, backend
        self.layers = sort_layers(layers, name)
        self.states = {x.name: LayerState(x) for x in self.layers}
        self.blob_shapes: dict[str, tuple] = {}
        self._blobs: dict[str, sym.Symbol] = {}
        self._inputs: dict[str, tuple] = {}
        self._params: dict[str, ParamBlob] = {}
        self._heads: dict[str, list[sym.Symbol]] = {}
        self._producer: dict[str, Layer] = {}
        for layer in self.layers:
            self._add(layer)
        self._executors: dict[str, Any] = {}
        self.output_blobs: dict[str, Any] = {}
        self.last_inputs: dict | None = None
        self.destroyed = False

    # -- construction ---------------------------------------------------------
    def _add(self, layer: Layer) -> None:
        state = self.states[layer.name]
        if layer.is_data:
            state.runtime = stream = layer.open()
            for top in layer.tops:
                if top not in stream.sample_shapes:
                    raise ParamError(f"{layer.where}: no dataset for top {top!r}.")
                shape = (layer.batch_size, *stream.sample_shapes[top])
                self._blobs[top] = sym.var(top)
                self._inputs[top] = self.blob_shapes[top] = shape
            return
        ins = [self._blobs[b] for b in layer.bottoms]
        shapes = [self.blob_shapes[b] for b in layer.bottoms]
        outs = layer.lower(ins, shapes)
        arg_shapes, out_shapes = self._infer(layer, outs, shapes)
        state.parameters = self._learned(layer, arg_shapes)
        if getattr(layer, "is_loss", None) is not None:
            self._heads.setdefault("loss" if layer.is_loss else "stat", []).append(outs[0])
            state.runtime = [0.0, 0]
            return
        for top in layer.tops:
            self._producer.setdefault(top, layer)
        for top, out, shape in zip(layer.tops, outs, out_shapes):
            self._blobs[top], self.blob_shapes[top] = out, tuple(shape)

    def _infer(self, layer: Layer, outs: list, shapes: list) -> tuple[dict, list]:
        group = sym.Group(outs)
        known = {n: s for n, s in self._inputs.items() if n in group.list_arguments()}
        try:
            arg_shapes, out_shapes, _ = group.infer_shape(**known)
        except MXNetError as err:
            got = ", ".join(f"{b!r} {s}" for b, s in zip(layer.bottoms, shapes))
            raise ShapeError(f"Net {self.name!r}: {layer.where} cannot take its bottoms "
                             f"({got}): {err}") from err
        return dict(zip(group.list_arguments(), arg_shapes)), out_shapes

    def _learned(self, layer: Layer, arg_shapes: dict) -> list[ParamBlob]:
        specs, names = layer.param_specs(), layer.param_names()
        if not specs:
            return []
        shapes = [tuple(arg_shapes[n]) for n in names]
        blobs = self.backend.lookup(layer.key, shapes, layer.name)
        if blobs is None:
            ctx = self.backend.context
            blobs = [ParamBlob(n, s.role, s.init.make(shape, ctx), s.lr_mult, s.regularizer)
                     for n, s, shape in zip(names, specs, shapes)]
            self.backend.params[layer.key] = blobs
        for blob in blobs:
            self._params[blob.name] = blob
        return blobs

    # -- what the solver and the coffee breaks read -----------------------------
    @property
    def params(self) -> dict[str, ParamBlob]:
        """Graph variable name -> its learned array (shared through the backend)."""
        return dict(self._params)

    def data_layers(self) -> list[Layer]:
        return [x for x in self.layers if x.is_data]

    def loss_symbol(self) -> sym.Symbol | None:
        """The losses as one graph (None for a net without a loss layer)."""
        heads = self._heads.get("loss")
        return sym.Group(heads) if heads else None

    def input_names(self, symbol: sym.Symbol) -> list[str]:
        """The data blobs ``symbol`` reads (its arguments that are not learned)."""
        return [n for n in symbol.list_arguments() if n in self._inputs]

    def label_checks(self) -> list[tuple[str, int, str]]:
        """(data blob, classes, layer) for each loss or accuracy layer whose
        labels come from a data layer, directly or through split layers."""
        out = []
        for layer in self.layers:
            if getattr(layer, "is_loss", None) is None:
                continue
            source = layer.bottoms[1]
            while source not in self._inputs and getattr(
                    self._producer.get(source), "kind", "") == "SplitLayer":
                source = self._producer[source].bottoms[0]
            if source in self._inputs:
                out.append((source, self.blob_shapes[layer.bottoms[0]][1], layer.where))
        return out

    def executor(self, kind: str) -> Any:
        """The bound graph for ``kind`` (``"all"`` blobs, ``"loss"``, ``"stat"``)."""
        exe = self._executors.get(kind)
        if exe is None:
            exe = self._executors[kind] = self._bind(kind)
        return exe

    def _bind(self, kind: str) -> Any:
        if kind == "all":
            outputs = [self._blobs[t] for x in self.layers if not x.is_data for t in x.tops]
            heads = outputs + self._heads.get("loss", []) + self._heads.get("stat", [])
        else:
            heads = self._heads.get(kind, [])
        if not heads:
            raise ParamError(f"Net {self.name!r}: it has no {kind} layer.")
        symbol = sym.Group(heads)
        ctx = self.backend.context
        args = {}
        for n in symbol.list_arguments():
            args[n] = (self._params[n].data if n in self._params
                       else NDArray(np.zeros(self._inputs[n], np.float32), ctx))
        grads = {n: NDArray(np.zeros(b.data.shape, np.float32), ctx)
                 for n, b in self._params.items() if n in args}
        return symbol.bind(ctx, args, args_grad=grads if kind == "loss" else None)

    def next_inputs(self) -> dict[str, np.ndarray]:
        """One batch from every data layer (advancing them), by blob name."""
        out = {}
        for layer in self.data_layers():
            out.update(self.states[layer.name].runtime.take(1))
        return {k: np.asarray(v, np.float32) for k, v in out.items()}

    def __str__(self) -> str:
        lines = [f"Net {self.name!r} on {self.backend!r}"]
        width = max(len(x.name) for x in self.layers)
        for layer in self.layers:
            outs = ", ".join(f"{t} {self.blob_shapes.get(t, ())}" for t in layer.tops)
            ins = ", ".join(layer.bottoms)
            arrow = f"{ins} -> {outs}" if ins else f"-> {outs}"
            if not layer.tops:
                arrow = f"{ins} (sink)"
            params = ", ".join(f"{b.role} {b.data.shape}"
                               for b in self.states[layer.name].parameters)
            lines.append(f"  {layer.name:<{width}}  {layer.kind:<18} {arrow}"
                         + (f"  [{params}]" if params else ""))
        return "\n".join(lines)

    __repr__ = __str__

    def layer_state(self, name: str) -> LayerState:
        if name not in self.states:
            raise ParamError(f"Net {self.name!r} has no layer {name!r}."
                             f"{did_you_mean(name, self.states)} Layers: {list(self.states)}.")
        return self.states[name]
