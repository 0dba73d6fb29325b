"""Order a net's layers by the blobs they read and write (Mocha's ``Net``).

The layers may be given in any order. A blob read by no one is allowed; a
blob read but never written, a blob written by two layers, and a cycle are
:class:`TopologyError`\\ s naming the blobs and layers involved. An in-place
layer (``DropoutLayer(bottoms=["ip1"])``) runs after the blob's producer and
before its readers, in the order given.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..base import GraphError, ParamError, did_you_mean
from .layers.base import Layer

__all__ = ["TopologyError", "sort_layers"]


class TopologyError(GraphError):
    """The layers do not form a net (Mocha's ``TopologyError``)."""


def _producers(layers: Sequence[Layer], net: str) -> tuple[dict, dict]:
    """blob -> the layer writing it, and blob -> in-place layers on it (in order)."""
    producer: dict[str, Layer] = {}
    in_place: dict[str, list[Layer]] = {}
    for layer in layers:
        if layer.in_place:
            for blob in layer.bottoms:
                in_place.setdefault(blob, []).append(layer)
            continue
        for blob in layer.tops:
            if blob in producer:
                raise TopologyError(
                    f"Net {net!r}: blob {blob!r} is written by two layers, "
                    f"{producer[blob].name!r} and {layer.name!r}; give one of them "
                    "another top.")
            producer[blob] = layer
    return producer, in_place


def _dependencies(layers: Sequence[Layer], net: str) -> dict[str, list[str]]:
    """layer name -> names of the layers it must follow."""
    producer, in_place = _producers(layers, net)
    deps: dict[str, list[str]] = {}
    for layer in layers:
        need = []
        for blob in layer.bottoms:
            if blob not in producer:
                # Never suggest the reader's own tops (reading one is a cycle).
                others = [b for b, x in producer.items() if x is not layer]
                raise TopologyError(
                    f"Net {net!r}: layer {layer.name!r} reads blob {blob!r}, which no "
                    f"layer writes.{did_you_mean(blob, others)} Blobs written: "
                    f"{sorted(producer)}.")
            need.append(producer[blob].name)
            chain = in_place.get(blob, [])
            before = chain[:chain.index(layer)] if layer in chain else chain
            need += [other.name for other in before]
        deps[layer.name] = need
    return deps


def sort_layers(layers: Sequence[Layer], net: str) -> list[Layer]:
    """The layers in an order where each runs after every layer it reads from."""
    if isinstance(layers, Layer) or not isinstance(layers, Sequence) or not layers:
        raise ParamError(f"Net {net!r}: layers must be a non-empty list of layers; "
                         f"got {layers!r:.80}.")
    bad = [x for x in layers if not isinstance(x, Layer)]
    if bad:
        raise ParamError(f"Net {net!r}: {bad[0]!r:.80} is not a Mocha layer.")
    names = [x.name for x in layers]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise TopologyError(f"Net {net!r}: layer names must be unique (they key "
                            f"parameters and snapshots); {twice} appear more than once.")
    deps = _dependencies(layers, net)
    by_name = {x.name: x for x in layers}
    done: list[Layer] = []
    placed: set[str] = set()
    while len(done) < len(layers):
        ready = [x for x in layers if x.name not in placed
                 and all(d in placed for d in deps[x.name])]
        if not ready:
            stuck = [n for n in names if n not in placed]
            raise TopologyError(f"Net {net!r}: the layers {stuck} read each other's "
                                "blobs in a cycle.")
        # In-place layers first, then the given order (Mocha's rule).
        first = next((x for x in ready if x.in_place), ready[0])
        done.append(by_name[first.name])
        placed.add(first.name)
    return done
