"""Classification metrics: Accuracy, TopKAccuracy, F1, MCC (MXNet 1.9.1 formulas)."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from ..base import ParamError
from ._base import DeviceMetric, alias, register, row_weights

__all__ = ["F1", "MCC", "Accuracy", "TopKAccuracy"]


def _count(hit: jax.Array, weights: jax.Array | None) -> tuple[jax.Array, jax.Array]:
    """(number of hits, number of rows counted), padded rows excluded."""
    if weights is None:
        return jnp.sum(hit, dtype=jnp.float64), jnp.asarray(hit.size, jnp.float64)
    weights = weights.astype(jnp.float64)
    return jnp.sum(jnp.where(hit, weights, 0.0)), jnp.sum(weights)


@register
@alias("acc")
class Accuracy(DeviceMetric):
    """Fraction of predictions equal to the label.

    If a prediction's shape differs from its label's, its argmax along ``axis``
    is the predicted class; otherwise the prediction already holds class ids.
    Both sides are cast to int32 and flattened, as in MXNet.

    Args:
        axis: the class axis of the predictions.
        name, output_names, label_names: as in :class:`EvalMetric`.

    Example:
        >>> import mxlite as mx
        >>> acc = mx.metric.Accuracy()
        >>> acc.update([mx.nd.array([0, 1, 1])],
        ...            [mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]])])
        >>> acc.get()
        ('accuracy', 0.6666666666666666)
    """

    _config_attrs = ("axis",)

    def __init__(
        self,
        axis: int = 1,
        name: str = "accuracy",
        output_names: Any = None,
        label_names: Any = None,
    ) -> None:
        super().__init__(
            name,
            axis=axis,
            output_names=output_names,
            label_names=label_names,
            has_global_stats=True,
        )
        self.axis = axis

    def _class_id_shape(self, label_shape: tuple, pred_shape: tuple) -> tuple:
        if pred_shape == label_shape:
            return pred_shape
        ndim = len(pred_shape)
        if not -ndim <= self.axis < ndim:
            raise self._mismatch(
                label_shape,
                pred_shape,
                f"axis={self.axis} is not an axis of the predictions",
            )
        axis = self.axis % ndim
        return pred_shape[:axis] + pred_shape[axis + 1 :]

    def _check_pair(self, label_shape: tuple, pred_shape: tuple) -> None:
        ids = self._class_id_shape(label_shape, pred_shape)
        if math.prod(ids) != math.prod(label_shape):
            raise self._mismatch(
                label_shape,
                pred_shape,
                f"the argmax over axis {self.axis} gives {math.prod(ids)} class ids "
                f"(shape {ids}) for {math.prod(label_shape)} labels. Pass one label "
                f"per prediction row, e.g. labels of shape {ids}",
            )

    def _batch_stats(self, labels: list, preds: list, mask: Any) -> dict:
        correct = num = jnp.zeros((), jnp.float64)
        for label, pred in zip(labels, preds):
            if pred.shape != label.shape:
                pred = jnp.argmax(pred, axis=self.axis)
            weights = row_weights(mask, pred.shape)
            hit = pred.astype(jnp.int32).reshape(-1) == label.astype(jnp.int32).reshape(
                -1
            )
            c, n = _count(hit, None if weights is None else weights.reshape(-1))
            correct, num = correct + c, num + n
        return {"sum": correct, "num": num}


@register
@alias("top_k_accuracy", "top_k_acc")
class TopKAccuracy(DeviceMetric):
    """Fraction of rows whose label is among the ``top_k`` highest predictions.

    Args:
        top_k: how many of the highest-scoring classes count as a hit. MXNet
            refused ``top_k=1`` (its default) with an assertion; here it equals
            :class:`Accuracy`.
        name: the shown name is ``name + '_%d' % top_k`` (``top_k_accuracy_5``).

    Example:
        >>> import mxlite as mx
        >>> m = mx.metric.TopKAccuracy(top_k=2)
        >>> m.update([mx.nd.array([2, 0])],
        ...          [mx.nd.array([[0.1, 0.5, 0.4], [0.2, 0.3, 0.5]])])
        >>> m.get()
        ('top_k_accuracy_2', 0.5)
    """

    _config_attrs = ("top_k",)

    def __init__(
        self,
        top_k: int = 1,
        name: str = "top_k_accuracy",
        output_names: Any = None,
        label_names: Any = None,
    ) -> None:
        if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
            raise ParamError(f"TopKAccuracy: top_k must be an int >= 1; got {top_k!r}.")
        super().__init__(
            name,
            top_k=top_k,
            output_names=output_names,
            label_names=label_names,
            has_global_stats=True,
        )
        self.top_k = top_k
        self.name += f"_{self.top_k}"

    def _check_pair(self, label_shape: tuple, pred_shape: tuple) -> None:
        if len(pred_shape) > 2:
            raise self._mismatch(
                label_shape,
                pred_shape,
                "predictions must be (batch, classes) or (batch,)",
            )
        if math.prod(label_shape) != (pred_shape[0] if pred_shape else 1):
            raise self._mismatch(
                label_shape, pred_shape, "there must be one label per prediction row"
            )

    def _batch_stats(self, labels: list, preds: list, mask: Any) -> dict:
        correct = num = jnp.zeros((), jnp.float64)
        for label, pred in zip(labels, preds):
            label = label.reshape(-1).astype(jnp.int32)
            if pred.ndim == 1:
                hit = pred.astype(jnp.int32) == label
            else:
                k = min(pred.shape[1], self.top_k)
                _, top = jax.lax.top_k(pred.astype(jnp.float32), k)
                hit = jnp.any(top == label.reshape(-1, 1), axis=1)
            c, n = _count(hit, row_weights(mask, hit.shape))
            correct, num = correct + c, num + n
        return {"sum": correct, "num": num}


# -- binary classification: F1 and MCC -------------------------------------------------
_COUNTS = ("tp", "fp", "fn", "tn")


def _binary_counts(labels: list, preds: list, mask: Any) -> dict:
    """True/false positive/negative counts over every (label, pred) pair."""
    totals = {k: jnp.zeros((), jnp.float64) for k in _COUNTS}
    for label, pred in zip(labels, preds):
        pred_true = jnp.argmax(pred, axis=1) == 1
        label_true = label.reshape(-1).astype(jnp.int32) == 1
        weights = row_weights(mask, pred_true.shape)
        for key, hit in (
            ("tp", pred_true & label_true),
            ("fp", pred_true & ~label_true),
            ("fn", ~pred_true & label_true),
            ("tn", ~pred_true & ~label_true),
        ):
            totals[key] = totals[key] + _count(hit, weights)[0]
    return totals


def _safe_div(num: Any, den: Any) -> Any:
    return jnp.where(den != 0, num / jnp.where(den != 0, den, 1.0), 0.0)


def _fscore_device(c: dict) -> jax.Array:
    precision = _safe_div(c["tp"], c["tp"] + c["fp"])
    recall = _safe_div(c["tp"], c["tp"] + c["fn"])
    return _safe_div(2 * precision * recall, precision + recall)


def _fscore_host(c: dict) -> float:
    tp, fp, fn = c["tp"], c["fp"], c["fn"]
    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    recall = tp / (tp + fn) if tp + fn > 0 else 0.0
    if precision + recall > 0:
        return 2 * precision * recall / (precision + recall)
    return 0.0


def _mcc(c: dict, sqrt: Any, nonzero: Any) -> Any:
    # MXNet: zero terms of the denominator are replaced by 1.
    tp, fp, fn, tn = c["tp"], c["fp"], c["fn"], c["tn"]
    denom = 1.0
    for term in (tp + fp, tp + fn, tn + fp, tn + fn):
        denom = denom * nonzero(term)
    return (tp * tn - fp * fn) / sqrt(denom)


def _mcc_device(c: dict) -> jax.Array:
    return _mcc(c, jnp.sqrt, lambda t: jnp.where(t != 0, t, 1.0))


def _mcc_host(c: dict) -> float:
    return _mcc(c, math.sqrt, lambda t: t if t != 0 else 1.0)


class _BinaryMetric(DeviceMetric):
    """F1/MCC: 'macro' averages per-update scores, 'micro' scores all counts."""

    _config_attrs = ("average",)
    _score_device = staticmethod(_fscore_device)
    _score_host = staticmethod(_fscore_host)

    def __init__(
        self, name: str, output_names: Any, label_names: Any, average: str
    ) -> None:
        if average not in ("macro", "micro"):
            raise ParamError(
                f"{type(self).__name__}: average must be 'macro' or "
                f"'micro'; got {average!r}."
            )
        self.average = average
        super().__init__(
            name,
            output_names=output_names,
            label_names=label_names,
            average=average,
            has_global_stats=True,
        )

    @property
    def _fields(self) -> tuple[str, ...]:
        return ("sum", "num") if self.average == "macro" else _COUNTS

    def _check_pair(self, label_shape: tuple, pred_shape: tuple) -> None:
        self._check_rows(
            label_shape, pred_shape,
            "binary metrics need predictions of shape (batch, 2) and one label per row",
        )

    def _batch_stats(self, labels: list, preds: list, mask: Any) -> dict:
        counts = _binary_counts(labels, preds, mask)
        if self.average == "micro":
            return counts
        seen = sum(counts.values()) > 0
        return {
            "sum": jnp.where(seen, self._score_device(counts), 0.0),
            "num": seen.astype(jnp.float64),
        }

    def _value(self, stats: dict) -> float:
        if self.average == "macro":
            return super()._value(stats)
        total = sum(stats[k] for k in _COUNTS)
        return self._score_host(stats) if total else float("nan")

    def _sum_num(self, stats: dict) -> tuple[float, float]:
        if self.average == "macro":
            return stats["sum"], stats["num"]
        total = sum(stats[k] for k in _COUNTS)
        return (self._score_host(stats) * total if total else 0.0), total


@register
class F1(_BinaryMetric):
    """F1 score of a binary classification (class 1 is positive).

    Args:
        average: ``'macro'`` averages the F1 of each ``update`` call (MXNet's
            default); ``'micro'`` computes one F1 over all counts.

    Example:
        >>> import mxlite as mx
        >>> f1 = mx.metric.F1()
        >>> f1.update([mx.nd.array([0., 1., 1.])],
        ...           [mx.nd.array([[0.3, 0.7], [0., 1.], [0.4, 0.6]])])
        >>> f1.get()
        ('f1', 0.8)
    """

    def __init__(
        self,
        name: str = "f1",
        output_names: Any = None,
        label_names: Any = None,
        average: str = "macro",
    ) -> None:
        super().__init__(name, output_names, label_names, average)


@register
class MCC(_BinaryMetric):
    """Matthews correlation coefficient of a binary classification.

    Args:
        average: ``'macro'`` (per update call, MXNet's default) or ``'micro'``.
    """

    _score_device = staticmethod(_mcc_device)
    _score_host = staticmethod(_mcc_host)

    def __init__(
        self,
        name: str = "mcc",
        output_names: Any = None,
        label_names: Any = None,
        average: str = "macro",
    ) -> None:
        super().__init__(name, output_names, label_names, average)
        self._average = average
