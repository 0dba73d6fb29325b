"""EvalMetric (MXNet 1.9.1's API), the device-side core, and the name registry.

Two kinds of metric share MXNet's interface:

* ``EvalMetric`` itself is MXNet's host metric: ``sum_metric`` and ``num_inst``
  are plain Python numbers. User subclasses written for MXNet (overriding
  ``update`` and adding to ``self.sum_metric``) keep working unchanged.
* ``DeviceMetric`` keeps its counters on the device as a small pytree of
  float64 scalars ``{"local": {...}, "global": {...}}``. Its pure
  ``update_state(state, labels, preds, mask)`` runs inside the compiled
  training step; ``update(labels, preds)`` runs the same function through a
  cached ``jax.jit``; nothing is read back until ``get()``.
"""

from __future__ import annotations

import copy
import json
import math
import warnings
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy

from ..base import MXNetError, ParamError, ShapeError, did_you_mean
from ..ndarray import NDArray

__all__ = [
    "DeviceMetric",
    "EvalMetric",
    "alias",
    "as_list",
    "check_mask",
    "create_registered",
    "register",
    "row_weights",
    "to_numpy",
]

_PARTS = ("local", "global")


# -- array helpers ---------------------------------------------------------------------
def as_list(value: Any) -> list:
    """MXNet accepts one array where it expects a list of them."""
    if value is None:
        return []
    if isinstance(value, (NDArray, jax.Array, numpy.ndarray)):
        return [value]
    return list(value)


def _to_jax(value: Any) -> jax.Array:
    if isinstance(value, NDArray):
        return value._data
    if isinstance(value, jax.Array):
        return value
    return jnp.asarray(numpy.asarray(value))


def to_numpy(value: Any) -> numpy.ndarray:
    """An NDArray, jax.Array or array-like as a NumPy array (a host sync)."""
    if isinstance(value, NDArray):
        return value.asnumpy()
    return numpy.asarray(value)


def _shape(value: Any) -> tuple[int, ...]:
    return tuple(numpy.shape(value) if not hasattr(value, "shape") else value.shape)


def _single_device(arrays: Sequence[jax.Array]) -> Any:
    for array in arrays:
        devices = array.devices()
        if len(devices) == 1:
            return next(iter(devices))
    return None


def row_weights(mask: jax.Array | None, shape: tuple[int, ...]) -> jax.Array | None:
    """The (batch,) row mask broadcast over ``shape`` (batch first), as float32."""
    if mask is None:
        return None
    column = mask.astype(jnp.float32).reshape((shape[0],) + (1,) * (len(shape) - 1))
    return jnp.broadcast_to(column, shape)


def _py(value: Any) -> Any:
    """NumPy scalars as Python numbers, so ``str(metric)`` prints ``0.97``."""
    return value.item() if isinstance(value, numpy.generic) else value


# -- the MXNet API ---------------------------------------------------------------------
class EvalMetric:
    """Base class of every evaluation metric (MXNet 1.9.1's ``mx.metric.EvalMetric``).

    Args:
        name: name shown in logs (``'accuracy'``).
        output_names: predictions used by ``update_dict`` (default: all).
        label_names: labels used by ``update_dict`` (default: all).

    This base class accumulates on the host, exactly as MXNet's did; subclass it
    and override ``update`` to write a metric the MXNet way. The built-in
    metrics derive from :class:`DeviceMetric` instead.

    Example:
        >>> import mxlite as mx
        >>> acc = mx.metric.Accuracy()
        >>> acc.update([mx.nd.array([0, 1, 1])],
        ...            [mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]])])
        >>> print(acc)
        EvalMetric: {'accuracy': 0.6666666666666666}
    """

    device_capable = False

    def __init__(
        self,
        name: str,
        output_names: Sequence[str] | None = None,
        label_names: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.name = str(name)
        self.output_names = output_names
        self.label_names = label_names
        self._has_global_stats = kwargs.pop("has_global_stats", False)
        self._kwargs = kwargs
        self.reset()

    def __str__(self) -> str:
        return f"EvalMetric: {dict(self.get_name_value())}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"

    def get_config(self) -> dict:
        """The configuration; ``mx.metric.create(**config)`` rebuilds the metric."""
        config = self._kwargs.copy()
        config.update(
            {
                "metric": self.__class__.__name__,
                "name": self.name,
                "output_names": self.output_names,
                "label_names": self.label_names,
            }
        )
        return config

    def update_dict(self, label: dict, pred: dict) -> None:
        """Update from name -> array dicts, picking ``label_names``/``output_names``.

        ``Module`` calls this (as MXNet's did) with its label and output names,
        so a metric named for one head of a multi-output net counts that head only.
        """
        self.update(*self.pick(label, pred))

    def pick(self, label: dict, pred: dict) -> tuple[list, list]:
        """The ``(labels, preds)`` lists this metric reads from name -> array dicts:
        those in ``label_names``/``output_names`` (in that order), else all."""
        return (_named(self, "label_names", label), _named(self, "output_names", pred))

    def update(self, labels: Any, preds: Any) -> None:
        """Accumulate one batch of ``labels`` and ``preds`` (lists of arrays)."""
        raise NotImplementedError()

    def reset(self) -> None:
        """Reset local and global results."""
        self.num_inst = 0
        self.sum_metric = 0.0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0

    def reset_local(self) -> None:
        """Reset the local results only (Speedometer does this after each line)."""
        self.num_inst = 0
        self.sum_metric = 0.0

    def get(self) -> tuple:
        """``(name, value)`` of the local results (value nan before any update)."""
        if self.num_inst == 0:
            return (self.name, float("nan"))
        return (self.name, _py(self.sum_metric / self.num_inst))

    def get_global(self) -> tuple:
        """``(name, value)`` since the last ``reset()`` (not ``reset_local()``)."""
        if not self._has_global_stats:
            return self.get()
        if self.global_num_inst == 0:
            return (self.name, float("nan"))
        return (self.name, _py(self.global_sum_metric / self.global_num_inst))

    def get_name_value(self) -> list[tuple[str, float]]:
        """``[(name, value), ...]`` of the local results."""
        return _zip_name_value(*self.get())

    def get_global_name_value(self) -> list[tuple[str, float]]:
        """``[(name, value), ...]`` of the global results."""
        if not self._has_global_stats:
            return self.get_name_value()
        return _zip_name_value(*self.get_global())

    # -- the device core (host metrics have none) ----------------------------------
    def _host_only(self) -> MXNetError:
        return MXNetError(
            f"{type(self).__name__}(name={self.name!r}) runs on the host "
            "(device_capable is False), so it has no device state. Call "
            "update(labels, preds) with the outputs instead."
        )

    def init_state(self) -> Any:
        """Zero device state (device-capable metrics only)."""
        raise self._host_only()

    def update_state(
        self, state: Any, labels: Sequence, preds: Sequence, mask: Any = None
    ) -> Any:
        """Pure device update (device-capable metrics only)."""
        raise self._host_only()

    def get_state(self) -> Any:
        """The accumulated device state (device-capable metrics only)."""
        raise self._host_only()

    def set_state(self, state: Any) -> None:
        """Load an accumulated device state (device-capable metrics only)."""
        raise self._host_only()


def _zip_name_value(name: Any, value: Any) -> list[tuple[str, float]]:
    if not isinstance(name, list):
        name = [name]
    if not isinstance(value, list):
        value = [value]
    return list(zip(name, value))


def _named(metric: EvalMetric, attr: str, arrays: dict) -> list:
    """The arrays ``metric.<attr>`` names, in that order (all when it is None)."""
    names = getattr(metric, attr)
    if names is None:
        return list(arrays.values())
    missing = [n for n in names if n not in arrays]
    if missing:
        kind = attr.partition("_")[0]
        raise ParamError(
            f"{type(metric).__name__}: {attr}={list(names)} asks for {missing}, which "
            f"the model does not have; its {kind}s are {list(arrays)}."
        )
    return [arrays[n] for n in names]


def names_key(names: Sequence[str] | None) -> tuple | None:
    """``output_names``/``label_names`` as a hashable part of a ``device_key``."""
    return None if names is None else tuple(names)


_JITTED: dict[tuple, Callable] = {}


class DeviceMetric(EvalMetric):
    """A metric whose counters live on the device (see the module docstring).

    A subclass declares ``_config_attrs`` (the attributes its math reads, part
    of the compile-cache key) and implements ``_batch_stats(labels, preds,
    mask) -> {field: scalar}``, pure JAX; the default ``_value`` is
    ``sum / num`` (nan when ``num`` is 0).

    State: ``{"local": {field: f64}, "global": {field: f64}}``. ``mask`` is a
    (batch,) array, nonzero for real rows: padded rows are not counted (MXNet
    counted them; see docs/semantics.md, "Metrics and padded last batches").
    """

    _config_attrs: tuple[str, ...] = ()

    # -- what a subclass provides ------------------------------------------------
    @property
    def _fields(self) -> tuple[str, ...]:
        return ("sum", "num")

    def _batch_stats(self, labels: list, preds: list, mask: jax.Array | None) -> dict:
        raise NotImplementedError

    def _check_pair(self, label_shape: tuple, pred_shape: tuple) -> None:
        """Raise ShapeError when one label/prediction pair cannot go together."""

    def _merge(self, acc: dict, batch: dict) -> dict:
        return {k: acc[k] + batch[k] for k in self._fields}

    def _value(self, stats: dict) -> float:
        return stats["sum"] / stats["num"] if stats["num"] else float("nan")

    def _sum_num(self, stats: dict) -> tuple[float, float]:
        return stats["sum"], stats["num"]

    # -- the pure device core ----------------------------------------------------
    @property
    def device_capable(self) -> bool:  # type: ignore[override]
        # A subclass that overrides update() (MXNet style) runs on the host.
        return type(self).update is DeviceMetric.update

    def _zeros(self) -> dict:
        # NOTE: one fresh buffer per leaf: the training step donates the state.
        return {f: jnp.zeros((), jnp.float64) for f in self._fields}

    def init_state(self) -> dict:
        """Zero state: ``{"local": {field: 0.}, "global": {field: 0.}}``."""
        return {part: self._zeros() for part in _PARTS}

    def update_state(
        self, state: dict, labels: Sequence, preds: Sequence, mask: Any = None
    ) -> dict:
        """Add one batch to both the local and the global counters (pure, jittable)."""
        labels = [jnp.asarray(x) for x in labels]
        preds = [jnp.asarray(x) for x in preds]
        keep = None if mask is None else jnp.asarray(mask) > 0
        batch = self._batch_stats(labels, preds, keep)
        batch = {k: jnp.asarray(v).astype(jnp.float64) for k, v in batch.items()}
        return {part: self._merge(state[part], batch) for part in _PARTS}

    def get_state(self) -> dict:
        """The accumulated state (device arrays; no host sync)."""
        if self._state is None:
            self._state = self.init_state()
        return self._state

    def set_state(self, state: dict) -> None:
        """Take ``state`` (e.g. from a compiled step) as the accumulated state."""
        self._state = state

    # -- the MXNet API on top ----------------------------------------------------
    def update(self, labels: Any, preds: Any, mask: Any = None) -> None:
        """Accumulate a batch on the device: one cached compiled call, no host sync.

        Args:
            labels: list of label arrays (NDArray, jax or NumPy).
            preds: list of prediction arrays, one per label.
            mask: optional (batch,) array, nonzero for the rows to count.
        """
        labels, preds = as_list(labels), as_list(preds)
        self._check_inputs(
            [_shape(x) for x in labels], [_shape(x) for x in preds], mask
        )
        labels, preds = [_to_jax(x) for x in labels], [_to_jax(x) for x in preds]
        mask = None if mask is None else _to_jax(mask)
        state = self.get_state()
        device = _single_device(preds)
        if device is not None:
            labels, state, mask = jax.device_put((labels, state, mask), device)
        self._state = self._jitted()(state, labels, preds, mask)

    def _check_inputs(self, label_shapes: list, pred_shapes: list, mask: Any) -> None:
        where = f"{type(self).__name__}.update"
        if len(label_shapes) != len(pred_shapes):
            raise ShapeError(
                f"{where}: got {len(label_shapes)} label array(s) but "
                f"{len(pred_shapes)} prediction array(s) (label shapes {label_shapes}, "
                f"prediction shapes {pred_shapes}). Pass one label per prediction."
            )
        for label_shape, pred_shape in zip(label_shapes, pred_shapes):
            self._check_pair(label_shape, pred_shape)
        check_mask(where, mask, pred_shapes)

    def _check_rows(self, label_shape: tuple, pred_shape: tuple, why: str) -> None:
        """Require (batch, k) predictions with one label per row."""
        if len(pred_shape) != 2 or math.prod(label_shape) != pred_shape[0]:
            raise self._mismatch(label_shape, pred_shape, why)

    def _mismatch(self, label_shape: tuple, pred_shape: tuple, why: str) -> ShapeError:
        return ShapeError(
            f"{type(self).__name__}.update: labels of shape {label_shape} do not fit "
            f"predictions of shape {pred_shape}; {why}."
        )

    @property
    def device_key(self) -> Hashable:
        """What the device update computes: metrics with equal keys compile the
        same update, so a compiled step made for one serves the other."""
        return (type(self), tuple(getattr(self, a) for a in self._config_attrs),
                names_key(self.output_names), names_key(self.label_names))

    def update_state_dict(self, state: dict, labels: dict, preds: dict,
                          mask: Any = None) -> dict:
        """:meth:`update_state` on the arrays :meth:`pick` selects (pure, jittable)."""
        return self.update_state(state, *self.pick(labels, preds), mask)

    def _jitted(self) -> Callable:
        key = self.device_key
        fn = _JITTED.get(key)
        if fn is None:
            snapshot = copy.copy(self)
            snapshot._state = None
            fn = _JITTED[key] = jax.jit(snapshot.update_state)
        return fn

    def reset(self) -> None:
        self._state = None

    def reset_local(self) -> None:
        if self._state is not None:
            self._state = {"local": self._zeros(), "global": self._state["global"]}

    def _host(self, part: str) -> dict:
        if self._state is None:
            return dict.fromkeys(self._fields, 0.0)
        return {k: float(v) for k, v in jax.device_get(self._state[part]).items()}

    def get(self) -> tuple:
        return (self.name, self._value(self._host("local")))

    def get_global(self) -> tuple:
        if not self._has_global_stats:
            return self.get()
        return (self.name, self._value(self._host("global")))

    # MXNet's counters, read from (and written to) the device state.
    def _counter(self, part: str, index: int) -> float:
        return self._sum_num(self._host(part))[index]

    def _set_counter(self, part: str, field: str, value: float) -> None:
        if field not in self._fields:
            raise AttributeError(
                f"{type(self).__name__} keeps {self._fields} on the device, not "
                f"'{field}'; use update()/reset() instead of assigning counters."
            )
        state = self.get_state()
        new = dict(state[part])
        new[field] = jnp.asarray(value, jnp.float64)
        self._state = {**state, part: new}

    sum_metric = property(
        lambda self: self._counter("local", 0),
        lambda self, v: self._set_counter("local", "sum", v),
    )
    num_inst = property(
        lambda self: self._counter("local", 1),
        lambda self, v: self._set_counter("local", "num", v),
    )
    global_sum_metric = property(
        lambda self: self._counter("global", 0),
        lambda self, v: self._set_counter("global", "sum", v),
    )
    global_num_inst = property(
        lambda self: self._counter("global", 1),
        lambda self, v: self._set_counter("global", "num", v),
    )


def check_mask(where: str, mask: Any, pred_shapes: list) -> None:
    if mask is None or not pred_shapes:
        return
    batch = pred_shapes[0][0] if pred_shapes[0] else None
    if _shape(mask) != (batch,):
        raise ShapeError(
            f"{where}: mask must have shape (batch,) = ({batch},) to match predictions "
            f"of shape {pred_shapes[0]}; got {_shape(mask)}."
        )


# -- the registry ----------------------------------------------------------------------
_REGISTRY: dict[str, type] = {}


def register(klass: type, name: str | None = None) -> type:
    """Register ``klass`` for ``mx.metric.create`` (default name: the class name)."""
    if not (isinstance(klass, type) and issubclass(klass, EvalMetric)):
        raise ParamError(
            f"mx.metric.register: only subclasses of EvalMetric can be "
            f"registered; got {klass!r}."
        )
    key = (klass.__name__ if name is None else name).lower()
    old = _REGISTRY.get(key)
    if old is not None and old is not klass:
        warnings.warn(
            f"mx.metric.register: {klass.__module__}.{klass.__name__} "
            f"registered as {key!r} overrides {old.__module__}.{old.__name__}.",
            UserWarning,
            stacklevel=2,
        )
    _REGISTRY[key] = klass
    return klass


def alias(*aliases: str) -> Callable[[type], type]:
    """Class decorator registering extra names (``@alias('acc')``)."""

    def reg(klass: type) -> type:
        for name in aliases:
            register(klass, name)
        return klass

    return reg


def create_registered(metric: Any, *args: Any, **kwargs: Any) -> EvalMetric:
    """MXNet's registry ``create``: a name, JSON string, config dict or instance."""
    if isinstance(metric, EvalMetric):
        if args or kwargs:
            raise ParamError(
                f"mx.metric.create: {metric!r} is already an instance; extra "
                f"arguments {args or ''}{kwargs or ''} cannot apply to it."
            )
        return metric
    if isinstance(metric, dict):
        config = dict(metric)
        return create_registered(config.pop("metric"), **config)
    if not isinstance(metric, str):
        raise ParamError(
            "mx.metric.create: metric must be a name, an EvalMetric, a "
            f"callable, a list or a config dict; got {metric!r}."
        )
    if metric.startswith("["):
        name, config = json.loads(metric)
        return create_registered(name, **config)
    if metric.startswith("{"):
        return create_registered(json.loads(metric))
    key = metric.lower()
    if key not in _REGISTRY:
        raise ParamError(_unknown(metric))
    return _REGISTRY[key](*args, **kwargs)


def _unknown(name: str) -> str:
    hint = did_you_mean(name.lower(), _REGISTRY)
    return (
        f"mx.metric.create: unknown metric {name!r}.{hint} Registered names: "
        f"{', '.join(sorted(_REGISTRY))}."
    )
