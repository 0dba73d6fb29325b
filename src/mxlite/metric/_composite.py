"""CompositeEvalMetric, CustomMetric, ``np`` and ``create``."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import numpy

from ..base import ParamError, ShapeError
from ._base import (
    EvalMetric,
    alias,
    as_list,
    create_registered,
    names_key,
    register,
    to_numpy,
)

__all__ = ["CompositeEvalMetric", "CustomMetric", "create", "np"]


def create(metric: Any, *args: Any, **kwargs: Any) -> EvalMetric:
    """Create a metric from a name, an instance, a callable or a list of these.

    Args:
        metric: a registered name (``'acc'``, ``'ce'``, ``'top_k_accuracy'``,
            ``'f1'``, ``'mse'``, ...), an :class:`EvalMetric` (returned as is),
            a function ``feval(label, pred)`` (wrapped in :class:`CustomMetric`),
            or a list of any of these (a :class:`CompositeEvalMetric`).
        *args, **kwargs: passed to the metric's constructor.

    Raises:
        ParamError: for an unknown name (with the closest registered name).

    Example:
        >>> import mxlite as mx
        >>> mx.metric.create('acc').get()
        ('accuracy', nan)
        >>> mx.metric.create(['acc', 'ce']).get()[0]
        ['accuracy', 'cross-entropy']
    """
    if isinstance(metric, type) and issubclass(metric, EvalMetric):
        return metric(*args, **kwargs)
    if callable(metric) and not isinstance(metric, EvalMetric):
        return CustomMetric(metric, *args, **kwargs)
    if isinstance(metric, list):
        composite = CompositeEvalMetric()
        for child in metric:
            composite.add(create(child, *args, **kwargs))
        return composite
    return create_registered(metric, *args, **kwargs)


@register
@alias("composite")
class CompositeEvalMetric(EvalMetric):
    """Several metrics updated together; ``get()`` returns ``(names, values)`` lists.

    On the device its state is the tuple of its children's states, so a
    composite of device metrics runs inside the compiled step as well.

    Example:
        >>> import mxlite as mx
        >>> m = mx.metric.CompositeEvalMetric([mx.metric.Accuracy(), mx.metric.F1()])
        >>> m.update([mx.nd.array([0, 1, 1])],
        ...          [mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]])])
        >>> m.get()
        (['accuracy', 'f1'], [0.6666666666666666, 0.8])
    """

    def __init__(
        self,
        metrics: Any = None,
        name: str = "composite",
        output_names: Any = None,
        label_names: Any = None,
    ) -> None:
        self.metrics: list[EvalMetric] = []
        super().__init__(
            name,
            output_names=output_names,
            label_names=label_names,
            has_global_stats=True,
        )
        self.metrics = [create(m) for m in (metrics or [])]

    def add(self, metric: Any) -> None:
        """Add a child metric (anything :func:`create` accepts)."""
        self.metrics.append(create(metric))

    def get_metric(self, index: int) -> EvalMetric:
        """The child metric at ``index``."""
        try:
            return self.metrics[index]
        except IndexError:
            raise ParamError(
                f"CompositeEvalMetric.get_metric: index {index} is out of "
                f"range; there are {len(self.metrics)} metrics."
            ) from None

    def update_dict(self, labels: dict, preds: dict) -> None:
        labels, preds = self._narrow(labels, preds)
        for metric in self.metrics:
            metric.update_dict(labels, preds)

    def _narrow(self, labels: dict, preds: dict) -> tuple[dict, dict]:
        """MXNet: the entries named in this composite's own names (all if None);
        each child then picks from those."""
        if self.label_names is not None:
            labels = OrderedDict([i for i in labels.items() if i[0] in self.label_names])
        if self.output_names is not None:
            preds = OrderedDict([i for i in preds.items() if i[0] in self.output_names])
        return labels, preds

    def update(self, labels: Any, preds: Any, mask: Any = None) -> None:
        for metric in self.metrics:
            if mask is None:
                metric.update(labels, preds)
            else:
                metric.update(labels, preds, mask=mask)

    def reset(self) -> None:
        for metric in self.metrics:
            metric.reset()

    def reset_local(self) -> None:
        for metric in self.metrics:
            metric.reset_local()

    def _collect(self, getter: str) -> tuple[list, list]:
        names, values = [], []
        for metric in self.metrics:
            name, value = getattr(metric, getter)()
            names.extend(name if isinstance(name, list) else [name])
            values.extend(value if isinstance(value, list) else [value])
        return names, values

    def get(self) -> tuple[list, list]:
        return self._collect("get")

    def get_global(self) -> tuple[list, list]:
        return self._collect("get_global")

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"metrics": [m.get_config() for m in self.metrics]})
        return config

    # -- the device core: a tuple of the children's states ------------------------
    @property
    def device_capable(self) -> bool:  # type: ignore[override]
        return all(m.device_capable for m in self.metrics)

    @property
    def device_key(self) -> Hashable:
        """Its names and the children's keys (see ``DeviceMetric.device_key``)."""
        return (type(self), names_key(self.output_names), names_key(self.label_names),
                tuple(m.device_key for m in self.metrics))

    def init_state(self) -> tuple:
        return tuple(m.init_state() for m in self.metrics)

    def update_state(
        self, state: tuple, labels: Any, preds: Any, mask: Any = None
    ) -> tuple:
        return tuple(
            m.update_state(s, labels, preds, mask)
            for m, s in zip(self.metrics, state, strict=True)
        )

    def update_state_dict(self, state: tuple, labels: dict, preds: dict,
                          mask: Any = None) -> tuple:
        labels, preds = self._narrow(labels, preds)
        return tuple(
            m.update_state_dict(s, labels, preds, mask)
            for m, s in zip(self.metrics, state, strict=True)
        )

    def get_state(self) -> tuple:
        return tuple(m.get_state() for m in self.metrics)

    def set_state(self, state: tuple) -> None:
        if len(state) != len(self.metrics):
            raise ParamError(
                f"CompositeEvalMetric.set_state: got {len(state)} states for "
                f"{len(self.metrics)} metrics."
            )
        for metric, child in zip(self.metrics, state):
            metric.set_state(child)


@register
class CustomMetric(EvalMetric):
    """A metric computed on the host by ``feval(label, pred)`` on NumPy arrays.

    ``feval`` returns a number (averaged over calls) or a ``(sum_metric,
    num_inst)`` tuple. It reads NumPy arrays, so it cannot run inside the
    compiled step: ``device_capable`` is False and each update syncs.

    Args:
        feval: the function.
        name: shown name; default ``feval.__name__`` (``custom(<lambda>)`` for lambdas).
        allow_extra_outputs: allow more predictions than labels (RNN states).

    Example:
        >>> import mxlite as mx, numpy as np
        >>> m = mx.metric.CustomMetric(lambda label, pred: (label + pred).mean())
        >>> m.update([mx.nd.array(np.array([2.5, 0.0, 2, 8]).reshape(4, 1))],
        ...          [mx.nd.array(np.array([3, -0.5, 2, 7]).reshape(4, 1))])
        >>> m.get()
        ('custom(<lambda>)', 6.0)
    """

    def __init__(
        self,
        feval: Callable,
        name: str | None = None,
        allow_extra_outputs: bool = False,
        output_names: Any = None,
        label_names: Any = None,
    ) -> None:
        if name is None:
            name = feval.__name__
            if name.find("<") != -1:
                name = f"custom({name})"
        super().__init__(
            name,
            feval=feval,
            allow_extra_outputs=allow_extra_outputs,
            output_names=output_names,
            label_names=label_names,
            has_global_stats=True,
        )
        self._feval = feval
        self._allow_extra_outputs = allow_extra_outputs

    def update(self, labels: Any, preds: Any, mask: Any = None) -> None:
        labels, preds = as_list(labels), as_list(preds)
        if not self._allow_extra_outputs and len(labels) != len(preds):
            raise ShapeError(
                f"CustomMetric.update: got {len(labels)} label array(s) but "
                f"{len(preds)} prediction array(s). Pass one label per "
                "prediction, or allow_extra_outputs=True."
            )
        keep = None if mask is None else to_numpy(mask) > 0
        for pred, label in zip(preds, labels):
            label, pred = to_numpy(label), to_numpy(pred)
            if keep is not None:
                label, pred = label[keep], pred[keep]
            self._add(self._feval(label, pred))

    def _add(self, reval: Any) -> None:
        if isinstance(reval, tuple):
            sum_metric, num_inst = reval
        else:
            sum_metric, num_inst = reval, 1
        self.sum_metric += sum_metric
        self.global_sum_metric += sum_metric
        self.num_inst += num_inst
        self.global_num_inst += num_inst

    def get_config(self) -> dict:
        raise NotImplementedError("CustomMetric cannot be serialized")


def np(
    numpy_feval: Callable, name: str | None = None, allow_extra_outputs: bool = False
) -> CustomMetric:
    """A :class:`CustomMetric` from a function of NumPy ``(label, pred)``.

    Example:
        >>> import mxlite as mx, numpy
        >>> def mae(label, pred):
        ...     return numpy.mean(numpy.abs(label - pred))
        >>> mx.metric.np(mae).name
        'mae'
    """

    def feval(label: numpy.ndarray, pred: numpy.ndarray) -> Any:
        return numpy_feval(label, pred)

    feval.__name__ = numpy_feval.__name__
    return CustomMetric(feval, name, allow_extra_outputs)
