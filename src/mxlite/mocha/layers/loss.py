"""Mocha's loss and statistics layers: ``SoftmaxLossLayer``, ``AccuracyLayer``.

Labels are 0-based class indices stored as floats, (N,) or (N, 1), as in
Mocha's HDF5 files; a label that is not an integer in [0, classes) is an
error naming the layer (checked on the host for data read from files, and
on the device for the range inside a compiled step).
"""

from __future__ import annotations

from typing import Any

from ... import symbol as sym
from ...base import ParamError, ShapeError
from .base import Layer, blob_names

__all__ = ["AccuracyLayer", "SoftmaxLossLayer"]


def _labels(where: str, pred: tuple, label: tuple, label_name: str) -> None:
    """Check that ``label`` holds one class per sample of a (N, C) ``pred``."""
    if len(pred) != 2:
        raise ShapeError(f"{where}: the prediction must be (batch, classes); got shape "
                         f"{pred} (flatten it with an InnerProductLayer first).")
    if label not in ((pred[0],), (pred[0], 1)):
        raise ShapeError(f"{where}: labels {label_name!r} must have shape ({pred[0]},) or "
                         f"({pred[0]}, 1) for predictions of shape {pred}; got {label}.")


class _TwoBottoms(Layer):
    def _two(self, bottoms: Any) -> None:
        self.bottoms = blob_names(self.where, "bottoms", bottoms, count=2)

    def class_count(self, shapes: list[tuple]) -> int:
        """The number of classes, checking the label blob's shape."""
        _labels(self.where, shapes[0], shapes[1], self.bottoms[1])
        return shapes[0][1]

    def _flat_label(self, label: sym.Symbol) -> sym.Symbol:
        return sym.Reshape(label, shape=(-1,), name=f"{self.name}_label")


class SoftmaxLossLayer(_TwoBottoms):
    """Mean cross entropy of ``softmax(prediction)`` and the labels, times ``weight``.

    Its value is the net's objective (Mocha's ``obj_val``); it has no tops.
    """

    kind = "SoftmaxLossLayer"
    is_loss = True

    def __init__(self, *, name: str = "softmax-loss", bottoms: Any,
                 weight: float = 1.0) -> None:
        super().__init__(name=name)
        self._two(bottoms)
        if not isinstance(weight, (int, float)) or weight < 0:
            raise ParamError(f"{self.where}: weight must be a number >= 0; got {weight!r}.")
        self.weight = float(weight)

    def lower(self, ins: list[sym.Symbol], shapes: list[tuple]) -> list[sym.Symbol]:
        self.class_count(shapes)
        logp = sym.log_softmax(ins[0], axis=1, name=f"{self.name}_logp")
        picked = sym.pick(logp, self._flat_label(ins[1]), axis=1, name=f"{self.name}_pick")
        return [sym.mean(picked, name=f"{self.name}_mean") * (-self.weight)]


class AccuracyLayer(_TwoBottoms):
    """Counts correct predictions; the net averages them over every sample
    seen since ``reset_statistics`` (Mocha's ``"<name>-accuracy"`` statistic)."""

    kind = "AccuracyLayer"
    is_loss = False

    def __init__(self, *, name: str = "accuracy", bottoms: Any,
                 report_error: bool = False) -> None:
        super().__init__(name=name)
        self._two(bottoms)
        self.report_error = bool(report_error)

    def lower(self, ins: list[sym.Symbol], shapes: list[tuple]) -> list[sym.Symbol]:
        self.class_count(shapes)
        guess = sym.argmax(ins[0], axis=1, name=f"{self.name}_argmax")
        hits = sym.broadcast_equal(guess, self._flat_label(ins[1]), name=f"{self.name}_hit")
        return [sym.sum(hits, name=f"{self.name}_correct")]
