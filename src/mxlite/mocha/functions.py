"""Mocha's functions on a net: ``forward``, ``backward``, ``get_layer``,
``get_layer_state``, ``forward_epoch``, ``reset_statistics``, ``destroy``.

``forward(net)`` reads the next batch of every data layer and runs the
whole graph once (not training: dropout is off), leaving every layer's
outputs in ``get_layer_state(net, name).blobs`` and ``net.output_blobs``
and returning the objective (the sum of the loss layers; 0 without one).
Accuracy layers accumulate until ``reset_statistics(net)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..base import ParamError
from ..io.labels import check_class_labels
from .layers.base import Layer, LayerState
from .net import Net

__all__ = ["backward", "check_labels", "destroy", "forward", "forward_epoch",
           "get_layer", "get_layer_state", "reset_statistics", "sample_counts", "statistics"]


def _live(net: Any, where: str) -> Net:
    if not isinstance(net, Net):
        raise ParamError(f"{where}: expected a Net; got {net!r:.80}.")
    if net.destroyed:
        raise ParamError(f"{where}: Net {net.name!r} was destroyed.")
    return net


def check_labels(net: Net, inputs: dict[str, np.ndarray]) -> None:
    """Labels read by a loss or accuracy layer must be whole numbers in [0, classes)."""
    for blob, classes, where in net.label_checks():
        check_class_labels(inputs[blob], classes, f"{where}: blob {blob!r}")


def _run(net: Net, kind: str, inputs: dict) -> list:
    exe = net.executor(kind)
    feed = {n: inputs[n] for n in exe._symbol.list_arguments() if n in inputs}
    return exe.forward(is_train=False, **feed)


def _stat_layers(net: Net) -> list[Layer]:
    return [x for x in net.layers if getattr(x, "is_loss", None) is False]


def _accumulate(net: Net, outs: list, batch: int) -> None:
    for layer, out in zip(_stat_layers(net), outs):
        acc = net.states[layer.name].runtime
        acc[0], acc[1] = acc[0] + out, acc[1] + batch


def forward(net: Net, regu_coef: float = 0.0) -> float:
    """Run the net on the next batch of its data layers; the objective value."""
    _live(net, "forward")
    inputs = net.next_inputs()
    check_labels(net, inputs)
    net.last_inputs = inputs
    # A net of data layers only has no graph to run (Mocha reads the batch).
    outs = _run(net, "all", inputs) if not all(x.is_data for x in net.layers) else []
    pos = 0
    for layer in net.layers:
        if layer.is_data:
            net.states[layer.name].blobs = [inputs[t] for t in layer.tops]
        elif getattr(layer, "is_loss", None) is None:
            blobs = outs[pos:pos + len(layer.tops)]
            net.states[layer.name].blobs = blobs
            net.output_blobs.update(zip(layer.tops, blobs))
            pos += len(layer.tops)
    losses = [x for x in net.layers if getattr(x, "is_loss", None) is True]
    for layer, out in zip(losses, outs[pos:]):
        net.states[layer.name].blobs = [out]
    pos += len(losses)
    _accumulate(net, outs[pos:], next(iter(inputs.values())).shape[0] if inputs else 0)
    return float(sum(o.asnumpy().sum() for o in outs[pos - len(losses):pos]))


def backward(net: Net, regu_coef: float = 0.0) -> None:
    """Gradients of the objective on the last ``forward``'s batch, into each
    learned array's ``gradient`` (``get_layer_state(net, name).parameters``)."""
    _live(net, "backward")
    if regu_coef != 0.0:
        raise ParamError("backward: regu_coef != 0 is applied by the solver's rule "
                         "(solve); backward(net) gives the loss gradient only.")
    inputs = getattr(net, "last_inputs", None)
    if inputs is None:
        raise ParamError(f"backward: call forward(net) on Net {net.name!r} first.")
    exe = net.executor("loss")
    feed = {n: inputs[n] for n in exe._symbol.list_arguments() if n in inputs}
    exe.forward(is_train=True, **feed)
    exe.backward()
    for name, blob in net.params.items():
        if name in exe.grad_dict:
            blob.gradient = exe.grad_dict[name].copy()


def forward_epoch(net: Net) -> int:
    """Forward until the first data layer's epoch counter changes (one pass
    over its data); only the statistics layers are computed (the whole net
    when it has none, as Mocha's ``forward``). The batch count."""
    _live(net, "forward_epoch")
    data = net.data_layers()
    if not data:
        raise ParamError(f"forward_epoch: Net {net.name!r} has no data layer.")
    stream = net.states[data[0].name].runtime
    count = stream.batches_until_epoch_end()
    if not _stat_layers(net):
        for _ in range(count):
            forward(net)
        return count
    for _ in range(count):
        inputs = net.next_inputs()
        check_labels(net, inputs)
        outs = _run(net, "stat", inputs)
        _accumulate(net, outs, next(iter(inputs.values())).shape[0])
    return count


def reset_statistics(net: Net) -> None:
    """Zero every accuracy layer's running counts."""
    for layer in net.layers:
        if getattr(layer, "is_loss", None) is False:
            net.states[layer.name].runtime = [0.0, 0]


def statistics(net: Net) -> dict[str, float]:
    """Each accuracy layer's ``"<name>-accuracy"`` (and ``-error``) since the last reset."""
    out = {}
    for layer in net.layers:
        if getattr(layer, "is_loss", None) is False:
            correct, count = net.states[layer.name].runtime
            hits = correct.asnumpy() if hasattr(correct, "asnumpy") else correct
            acc = float(np.sum(hits)) / count if count else 0.0
            out[f"{layer.name}-accuracy"] = acc
            if layer.report_error:
                out[f"{layer.name}-error"] = 1.0 - acc
    return out


def sample_counts(net: Net) -> dict[str, int]:
    """Each accuracy layer's number of samples since the last reset."""
    return {x.name: net.states[x.name].runtime[1] for x in net.layers
            if getattr(x, "is_loss", None) is False}


def get_layer(net: Net, name: str) -> Layer:
    """The layer object called ``name`` (a ``MemoryDataLayer``'s ``data`` is writable)."""
    return _live(net, "get_layer").layer_state(name).layer


def get_layer_state(net: Net, name: str) -> LayerState:
    """The layer's state in this net: ``blobs`` (outputs of the last forward),
    ``parameters`` (learned arrays, shared through the backend)."""
    return _live(net, "get_layer_state").layer_state(name)


def destroy(net: Net) -> None:
    """Release the net's executors; its parameters stay registered on the
    backend for other nets until ``shutdown(backend)``."""
    net._executors.clear()
    net.destroyed = True
