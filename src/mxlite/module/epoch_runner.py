"""The fast epoch: compiled multi-batch steps between callback sync points.

With an in-memory iterator (``device_epoch()``), the whole epoch's batches
are gathered on the device inside ``lax.scan``; the host only wakes up where
a batch callback needs a value (every ``frequent`` batches for Speedometer)
or at the end of the epoch. Other iterators get one compiled call per batch.
"""

from __future__ import annotations

from typing import Any

import jax

from .. import random
from ..callback import BatchEndParam
from ..executor.compiler import needs_key
from ..train_step import TrainStep

__all__ = ["EpochRunner", "chunk_bounds"]


def chunk_bounds(n_batches: int, callbacks: list) -> list[tuple[int, int]]:
    """Split ``range(n_batches)`` so each chunk ends where a callback syncs.

    A callback with an int ``frequent`` (and optional ``sync_offset`` o)
    needs the state after batches o, o+f, o+2f, ... (MXNet's Speedometer:
    0, f, 2f); one without it needs every batch; none needs only the end.
    """
    if not callbacks:
        return [(0, n_batches)] if n_batches else []
    freqs = [getattr(cb, "frequent", None) for cb in callbacks]
    if any(not isinstance(f, int) or f <= 0 for f in freqs):
        return [(i, i + 1) for i in range(n_batches)]
    offsets = [getattr(cb, "sync_offset", 0) for cb in callbacks]
    ends = sorted({i for f, o in zip(freqs, offsets) for i in range(o, n_batches, f)}
                  | {n_batches - 1})
    bounds, start = [], 0
    for end in ends:
        bounds.append((start, end + 1))
        start = end + 1
    return bounds


class EpochRunner:
    """Runs training epochs for a Module through :class:`TrainStep`."""

    def __init__(self, module: Any) -> None:
        self.module = module
        self._trainer: TrainStep | None = None
        self._built_for: tuple = ()

    def _trainer_for(self, metric: Any) -> TrainStep:
        m = self.module
        device_metric = metric if getattr(metric, "device_capable", False) else None
        owner = (m._optimizer, device_metric, m._exec._graph)
        if self._trainer is None or any(a is not b for a, b in zip(owner, self._built_for)):
            self._trainer = TrainStep(
                m._exec._graph, m._trainable(), m._data_names, m._label_names,
                m._optimizer, device_metric, uses_key=needs_key(m._symbol._heads))
            self._built_for = owner
        return self._trainer

    def _state(self, trainer: TrainStep, metric: Any) -> dict:
        m = self.module
        aux = {n: m._exec.aux_dict[n]._data for n in m._aux_names}
        metric_state = metric.get_state() if trainer.metric is not None else None
        return trainer.init_state(m._param_arrays(), aux, m._opt_state, metric_state,
                                  m._num_update)

    def _sync(self, state: dict, metric: Any) -> None:
        m = self.module
        m._write_params(state["params"], state["aux"])
        m._opt_state = state["opt"]
        if state["metric"] is not None:
            metric.set_state(state["metric"])

    def _fixed(self) -> dict:
        m = self.module
        return {n: m._exec.arg_dict[n]._data for n in m._fixed_param_names}

    def run(self, epoch: int, train_data: Any, metric: Any, callbacks: list) -> None:
        """Train one epoch, calling ``callbacks`` with MXNet's BatchEndParam."""
        source = getattr(train_data, "device_epoch", None)
        device = source() if source is not None else None
        if device is None:
            self._run_batches(epoch, train_data, metric, callbacks)
        else:
            self._run_device(epoch, device, metric, callbacks)

    def _run_device(self, epoch: int, device: Any, metric: Any, callbacks: list) -> None:
        m = self.module
        trainer = self._trainer_for(metric)
        names = set(m._data_names) | set(m._label_names)
        sources = {k: v for k, v in {**device.data, **device.label}.items() if k in names}
        key = random.next_key() if trainer.uses_key else None
        fixed = self._fixed()
        for start, stop in chunk_bounds(int(device.indices.shape[0]), callbacks):
            lrs = [m.next_lr() for _ in range(stop - start)]
            state = self._state(trainer, metric)
            state = trainer.steps(state, sources, fixed, device.indices[start:stop], lrs,
                                  device.pad[start:stop], key)
            self._sync(state, metric)
            if callbacks:  # they are here because they read a value or a clock
                jax.block_until_ready(state)
            for nbatch in range(start, stop):
                self._callbacks(callbacks, epoch, nbatch, metric)

    def _run_batches(self, epoch: int, train_data: Any, metric: Any,
                     callbacks: list) -> None:
        m = self.module
        trainer = self._trainer_for(metric)
        key = random.next_key() if trainer.uses_key else None
        fixed = self._fixed()
        for nbatch, batch in enumerate(train_data):
            inputs = {k: v._data for k, v in m._batch_inputs(batch, True).items()}
            pad = int(batch.pad or 0)
            state, outs = trainer.step(self._state(trainer, metric), inputs, fixed,
                                       m.next_lr(), pad, key)
            self._sync(state, metric)
            if trainer.metric is None:
                m._exec._set_outputs(outs)
                m._last_pad = pad
                m.update_metric(metric, batch.label)
            self._callbacks(callbacks, epoch, nbatch, metric)

    @staticmethod
    def _callbacks(callbacks: list, epoch: int, nbatch: int, metric: Any) -> None:
        for callback in callbacks:
            callback(BatchEndParam(epoch=epoch, nbatch=nbatch, eval_metric=metric,
                                   locals=None))
