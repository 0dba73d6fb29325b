"""Regression metrics: MAE, MSE, RMSE, PearsonCorrelation (MXNet 1.9.1 formulas).

NOTE: MXNet averages MAE/MSE/RMSE per ``update`` pair, not per element: each
(label, pred) pair adds its batch mean to ``sum_metric`` and 1 to ``num_inst``.
So RMSE is the mean of per-batch RMSEs, and a short last batch weighs as much
as a full one. mxlite keeps that, so values equal MXNet's.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy

from ..base import ParamError
from ._base import DeviceMetric, alias, register, row_weights

__all__ = ["MAE", "MSE", "RMSE", "PearsonCorrelation"]


def _as_2d(shape: tuple) -> tuple:
    return (shape[0], 1) if len(shape) == 1 else shape


class _BatchMeanMetric(DeviceMetric):
    """One batch mean of ``_error(label - pred)`` per (label, pred) pair."""

    def __init__(self, name: str, output_names: Any, label_names: Any) -> None:
        super().__init__(
            name,
            output_names=output_names,
            label_names=label_names,
            has_global_stats=True,
        )

    @staticmethod
    def _error(diff: jax.Array) -> jax.Array:
        raise NotImplementedError

    @staticmethod
    def _finish(mean: jax.Array) -> jax.Array:
        return mean

    def _check_pair(self, label_shape: tuple, pred_shape: tuple) -> None:
        try:
            numpy.broadcast_shapes(_as_2d(label_shape), _as_2d(pred_shape))
        except ValueError:
            raise self._mismatch(
                label_shape, pred_shape, "they do not broadcast together"
            ) from None

    def _batch_stats(self, labels: list, preds: list, mask: Any) -> dict:
        total = num = jnp.zeros((), jnp.float64)
        for label, pred in zip(labels, preds):
            label = label.reshape(_as_2d(label.shape))
            pred = pred.reshape(_as_2d(pred.shape))
            shape = jnp.broadcast_shapes(label.shape, pred.shape)
            err = self._error(
                jnp.broadcast_to(label, shape) - jnp.broadcast_to(pred, shape)
            )
            weights = row_weights(mask, shape)
            if weights is None:
                mean = self._finish(jnp.mean(err)).astype(jnp.float64)
                total, num = total + mean, num + 1.0
                continue
            # The batch mean in float32, or float64 for float64 input; sums in float64.
            dtype = jnp.float64 if err.dtype == jnp.float64 else jnp.float32
            count = jnp.sum(weights).astype(dtype)
            mean = jnp.sum(err * weights.astype(err.dtype)).astype(dtype)
            mean = mean / jnp.maximum(count, 1.0)
            seen = count > 0
            total = total + jnp.where(seen, self._finish(mean), 0.0).astype(jnp.float64)
            num = num + seen.astype(jnp.float64)
        return {"sum": total, "num": num}


@register
class MAE(_BatchMeanMetric):
    """Mean absolute error, averaged per batch as in MXNet.

    Example:
        >>> import mxlite as mx, numpy as np
        >>> m = mx.metric.MAE()
        >>> m.update([mx.nd.array(np.array([2.5, 0.0, 2, 8]).reshape(4, 1))],
        ...          [mx.nd.array(np.array([3, -0.5, 2, 7]).reshape(4, 1))])
        >>> m.get()
        ('mae', 0.5)
    """

    def __init__(
        self, name: str = "mae", output_names: Any = None, label_names: Any = None
    ) -> None:
        super().__init__(name, output_names, label_names)

    @staticmethod
    def _error(diff: jax.Array) -> jax.Array:
        return jnp.abs(diff)


@register
class MSE(_BatchMeanMetric):
    """Mean squared error, averaged per batch as in MXNet.

    Example:
        >>> import mxlite as mx, numpy as np
        >>> m = mx.metric.MSE()
        >>> m.update([mx.nd.array(np.array([2.5, 0.0, 2, 8]).reshape(4, 1))],
        ...          [mx.nd.array(np.array([3, -0.5, 2, 7]).reshape(4, 1))])
        >>> m.get()
        ('mse', 0.375)
    """

    def __init__(
        self, name: str = "mse", output_names: Any = None, label_names: Any = None
    ) -> None:
        super().__init__(name, output_names, label_names)

    @staticmethod
    def _error(diff: jax.Array) -> jax.Array:
        return diff * diff


@register
class RMSE(MSE):
    """Root mean squared error: the mean over batches of each batch's RMSE (MXNet).

    Example:
        >>> import mxlite as mx, numpy as np
        >>> m = mx.metric.RMSE()
        >>> m.update([mx.nd.array(np.array([2.5, 0.0, 2, 8]).reshape(4, 1))],
        ...          [mx.nd.array(np.array([3, -0.5, 2, 7]).reshape(4, 1))])
        >>> round(m.get()[1], 6)
        0.612372
    """

    def __init__(
        self, name: str = "rmse", output_names: Any = None, label_names: Any = None
    ) -> None:
        super().__init__(name, output_names, label_names)

    @staticmethod
    def _finish(mean: jax.Array) -> jax.Array:
        return jnp.sqrt(mean)


# -- Pearson correlation ---------------------------------------------------------------
_MOMENTS = ("n", "mean_l", "mean_p", "m2_l", "m2_p", "c")


def _moments(label: jax.Array, pred: jax.Array, weights: jax.Array) -> dict:
    n = jnp.sum(weights)
    safe = jnp.maximum(n, 1.0)
    mean_l, mean_p = jnp.sum(weights * label) / safe, jnp.sum(weights * pred) / safe
    dl, dp = label - mean_l, pred - mean_p
    return {
        "n": n,
        "mean_l": mean_l,
        "mean_p": mean_p,
        "m2_l": jnp.sum(weights * dl * dl),
        "m2_p": jnp.sum(weights * dp * dp),
        "c": jnp.sum(weights * dl * dp),
    }


def _combine(a: dict, b: dict) -> dict:
    """Merge two sets of co-moments (Chan et al.); exact, order-independent."""
    n = a["n"] + b["n"]
    w = a["n"] * b["n"] / jnp.maximum(n, 1.0)
    dl, dp = b["mean_l"] - a["mean_l"], b["mean_p"] - a["mean_p"]
    frac = b["n"] / jnp.maximum(n, 1.0)
    return {
        "n": n,
        "mean_l": a["mean_l"] + dl * frac,
        "mean_p": a["mean_p"] + dp * frac,
        "m2_l": a["m2_l"] + b["m2_l"] + dl * dl * w,
        "m2_p": a["m2_p"] + b["m2_p"] + dp * dp * w,
        "c": a["c"] + b["c"] + dl * dp * w,
    }


def _corrcoef(m: dict) -> jax.Array:
    # NumPy's corrcoef: cov / (n - 1), divided by each standard deviation, clipped.
    ddof = m["n"] - 1.0
    r = (m["c"] / ddof) / jnp.sqrt(m["m2_p"] / ddof) / jnp.sqrt(m["m2_l"] / ddof)
    return jnp.clip(r, -1.0, 1.0)


@register
@alias("pearsonr")
class PearsonCorrelation(DeviceMetric):
    """Pearson correlation of predictions and labels (flattened, in float64).

    Args:
        average: ``'macro'`` averages the correlation of each (label, pred)
            pair (MXNet's default); ``'micro'`` correlates all samples seen.
    """

    _config_attrs = ("average",)

    def __init__(
        self,
        name: str = "pearsonr",
        output_names: Any = None,
        label_names: Any = None,
        average: str = "macro",
    ) -> None:
        if average not in ("macro", "micro"):
            raise ParamError(
                "PearsonCorrelation: average must be 'macro' or 'micro'; "
                f"got {average!r}."
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
        return ("sum", "num") if self.average == "macro" else _MOMENTS

    def _check_pair(self, label_shape: tuple, pred_shape: tuple) -> None:
        if label_shape != pred_shape:
            raise self._mismatch(label_shape, pred_shape, "their shapes must be equal")

    def _pair_moments(self, label: jax.Array, pred: jax.Array, mask: Any) -> dict:
        weights = row_weights(mask, pred.shape)
        weights = jnp.ones(pred.size, jnp.float64) if weights is None else weights
        return _moments(
            label.reshape(-1).astype(jnp.float64),
            pred.reshape(-1).astype(jnp.float64),
            weights.reshape(-1).astype(jnp.float64),
        )

    def _batch_stats(self, labels: list, preds: list, mask: Any) -> dict:
        pairs = [
            self._pair_moments(lab, pred, mask) for lab, pred in zip(labels, preds)
        ]
        if self.average == "micro":
            total = {k: jnp.zeros((), jnp.float64) for k in _MOMENTS}
            for m in pairs:
                total = _combine(total, m)
            return total
        total = num = jnp.zeros((), jnp.float64)
        for m in pairs:
            seen = m["n"] > 0
            total = total + jnp.where(seen, _corrcoef(m), 0.0)
            num = num + seen.astype(jnp.float64)
        return {"sum": total, "num": num}

    def _merge(self, acc: dict, batch: dict) -> dict:
        if self.average == "micro":
            return _combine(acc, batch)
        return super()._merge(acc, batch)

    def _value(self, stats: dict) -> float:
        if self.average == "macro":
            return super()._value(stats)
        ddof = stats["n"] - 1
        if ddof <= 0:
            return float("nan")
        denom = ddof * math.sqrt(stats["m2_p"] / ddof) * math.sqrt(stats["m2_l"] / ddof)
        return stats["c"] / denom if denom else float("nan")

    def _sum_num(self, stats: dict) -> tuple[float, float]:
        if self.average == "macro":
            return stats["sum"], stats["num"]
        value = self._value(stats)
        return value * stats["n"], stats["n"]
