"""Likelihood metrics: CrossEntropy, NegativeLogLikelihood, Perplexity, Loss."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from ._base import DeviceMetric, alias, check_mask, register, row_weights

__all__ = [
    "Caffe",
    "CrossEntropy",
    "Loss",
    "NegativeLogLikelihood",
    "Perplexity",
    "Torch",
]


def _weighted_sum(values: jax.Array, weights: jax.Array | None) -> jax.Array:
    """The sum of the rows with nonzero weight, in the input dtype, as float64."""
    if weights is None:
        return jnp.sum(values).astype(jnp.float64)
    return jnp.sum(jnp.where(weights > 0, values, 0)).astype(jnp.float64)


def _rows(size: int, weights: jax.Array | None) -> jax.Array | int:
    """How many rows count: ``size``, or the sum of the row weights as float64."""
    return size if weights is None else jnp.sum(weights).astype(jnp.float64)


class _LogLoss(DeviceMetric):
    """``-log(pred[label] + eps)`` summed over rows, divided by the rows seen."""

    _config_attrs = ("eps",)

    def __init__(
        self, eps: float, name: str, output_names: Any, label_names: Any
    ) -> None:
        super().__init__(
            name,
            eps=eps,
            output_names=output_names,
            label_names=label_names,
            has_global_stats=True,
        )
        self.eps = eps

    def _check_pair(self, label_shape: tuple, pred_shape: tuple) -> None:
        self._check_rows(
            label_shape, pred_shape,
            "predictions must be (batch, classes) probabilities with one label per row",
        )

    def _batch_stats(self, labels: list, preds: list, mask: Any) -> dict:
        total = num = jnp.zeros((), jnp.float64)
        for label, pred in zip(labels, preds):
            index = label.reshape(-1, 1).astype(jnp.int64)
            # NOTE: MXNet indexed with NumPy, which raised for a label >= classes;
            # inside a compiled step nothing can raise, so such a row gives nan.
            prob = jnp.take_along_axis(
                pred, index, axis=1, mode="fill", fill_value=jnp.nan
            )[:, 0]
            weights = row_weights(mask, prob.shape)
            total = total + _weighted_sum(-jnp.log(prob + self.eps), weights)
            num = num + _rows(prob.shape[0], weights)
        return {"sum": total, "num": num}


@register
@alias("ce")
class CrossEntropy(_LogLoss):
    """Mean cross entropy ``-log(p[label] + eps)`` of probability predictions.

    Example:
        >>> import mxlite as mx
        >>> ce = mx.metric.CrossEntropy()
        >>> ce.update([mx.nd.array([0, 1, 1])],
        ...           [mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]])])
        >>> round(ce.get()[1], 6)
        0.571599
    """

    def __init__(
        self,
        eps: float = 1e-12,
        name: str = "cross-entropy",
        output_names: Any = None,
        label_names: Any = None,
    ) -> None:
        super().__init__(eps, name, output_names, label_names)


@register
@alias("nll_loss")
class NegativeLogLikelihood(_LogLoss):
    """Mean negative log-likelihood ``-log(p[label] + eps)`` (same math as ``ce``).

    Example:
        >>> import mxlite as mx
        >>> nll = mx.metric.NegativeLogLikelihood()
        >>> nll.update([mx.nd.array([0, 1, 1])],
        ...            [mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]])])
        >>> round(nll.get()[1], 6)
        0.571599
    """

    def __init__(
        self,
        eps: float = 1e-12,
        name: str = "nll-loss",
        output_names: Any = None,
        label_names: Any = None,
    ) -> None:
        super().__init__(eps, name, output_names, label_names)


@register
class Perplexity(DeviceMetric):
    """``exp`` of the mean negative log-probability of the labels.

    Args:
        ignore_label: label value not counted (e.g. padding tokens); None counts
            all. MXNet made this argument required; here it defaults to None.
        axis: the class axis of the predictions.

    Example:
        >>> import mxlite as mx
        >>> perp = mx.metric.Perplexity(ignore_label=None)
        >>> perp.update([mx.nd.array([0, 1, 1])],
        ...             [mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]])])
        >>> round(perp.get()[1], 6)
        1.771098
    """

    _config_attrs = ("ignore_label", "axis")

    def __init__(
        self,
        ignore_label: int | None = None,
        axis: int = -1,
        name: str = "perplexity",
        output_names: Any = None,
        label_names: Any = None,
    ) -> None:
        super().__init__(
            name,
            ignore_label=ignore_label,
            output_names=output_names,
            label_names=label_names,
            has_global_stats=True,
        )
        self.ignore_label = ignore_label
        self.axis = axis

    def _check_pair(self, label_shape: tuple, pred_shape: tuple) -> None:
        ndim = len(pred_shape)
        if not -ndim <= self.axis < ndim:
            raise self._mismatch(
                label_shape,
                pred_shape,
                f"axis={self.axis} is not an axis of the predictions",
            )
        if math.prod(label_shape) * pred_shape[self.axis] != math.prod(pred_shape):
            raise self._mismatch(
                label_shape,
                pred_shape,
                f"there must be one label per prediction along axis {self.axis}",
            )

    def _batch_stats(self, labels: list, preds: list, mask: Any) -> dict:
        total = num = jnp.zeros((), jnp.float64)
        for label, pred in zip(labels, preds):
            pred = jnp.moveaxis(pred, self.axis, -1)
            classes = pred.shape[-1]
            weights = row_weights(mask, pred.shape[:-1])
            label = label.reshape(-1)
            # MXNet's pick() clips out-of-range labels.
            index = jnp.clip(label.astype(jnp.int32), 0, classes - 1)
            prob = jnp.take_along_axis(
                pred.reshape(-1, classes), index[:, None], axis=1
            )[:, 0]
            keep = (
                jnp.ones(label.shape, bool)
                if weights is None
                else weights.reshape(-1) > 0
            )
            if self.ignore_label is not None:
                keep = keep & (label != self.ignore_label)
            log_p = jnp.log(jnp.maximum(jnp.asarray(1e-10, prob.dtype), prob))
            total = total - jnp.sum(jnp.where(keep, log_p, 0)).astype(jnp.float64)
            num = num + jnp.sum(keep, dtype=jnp.float64)
        return {"sum": total, "num": num}

    def _value(self, stats: dict) -> float:
        return math.exp(stats["sum"] / stats["num"]) if stats["num"] else float("nan")


@register
class Loss(DeviceMetric):
    """Mean of the predictions, for outputs that already are losses (labels unused).

    Example:
        >>> import mxlite as mx
        >>> loss = mx.metric.Loss()
        >>> loss.update(None, [mx.nd.array([1., 2., 3., 6.])])
        >>> loss.get()
        ('loss', 3.0)
    """

    def __init__(
        self, name: str = "loss", output_names: Any = None, label_names: Any = None
    ) -> None:
        super().__init__(
            name,
            output_names=output_names,
            label_names=label_names,
            has_global_stats=True,
        )

    def _check_inputs(self, label_shapes: list, pred_shapes: list, mask: Any) -> None:
        check_mask(f"{type(self).__name__}.update", mask, pred_shapes)

    def _batch_stats(self, labels: list, preds: list, mask: Any) -> dict:
        total = num = jnp.zeros((), jnp.float64)
        for pred in preds:
            weights = row_weights(mask, pred.shape)
            total = total + _weighted_sum(pred, weights)
            num = num + _rows(pred.size, weights)
        return {"sum": total, "num": num}


@register
class Torch(Loss):
    """Dummy metric for torch criterions (a :class:`Loss`)."""

    def __init__(
        self, name: str = "torch", output_names: Any = None, label_names: Any = None
    ) -> None:
        super().__init__(name, output_names, label_names)


@register
class Caffe(Loss):
    """Dummy metric for caffe criterions (a :class:`Loss`)."""

    def __init__(
        self, name: str = "caffe", output_names: Any = None, label_names: Any = None
    ) -> None:
        super().__init__(name, output_names, label_names)
