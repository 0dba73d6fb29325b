"""The fast epoch: compiled multi-batch steps between callback sync points.

With an in-memory iterator (``device_epoch()``), the whole epoch's batches
are gathered on the device inside ``lax.scan``; the host only wakes up where
a batch callback needs a value (every ``frequent`` batches for Speedometer)
or at the end of the epoch. Other iterators get one compiled call per batch.
With several device contexts, batches are split across the devices (data
parallel) and the parameters are replicated.
"""

from __future__ import annotations

from math import prod
from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from .. import random
from ..base import ParamError, ShapeError
from ..callback import BatchEndParam
from ..context import Context
from ..executor.compiler import needs_key
from ..symbol.graph import topo_order
from ..train_step import LabelCheck, Stretch, TrainStep

__all__ = ["EpochRunner", "OnDevice", "chunk_bounds", "label_checks"]


class OnDevice:
    """An in-memory iterator whose ``device_epoch()`` arrays are on ``ctx``.

    MXNet copied every batch into the executor's device. An NDArrayIter made
    outside ``with mx.gpu():`` keeps its data on the CPU, so a GPU module moves
    the whole data set to the GPU once (cached in ``placed``, per source array)
    and gathers batches there, as the fast path expects.
    """

    def __init__(self, source: Any, ctx: Context, placed: dict) -> None:
        self._source, self._device, self._placed = source, ctx.jax_device, placed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._source, name)

    def __iter__(self) -> Any:
        return iter(self._source)

    def _here(self, array: jax.Array, used: dict) -> jax.Array:
        if array.devices() == {self._device}:
            return array
        kept = self._placed.get(id(array))
        if kept is None or kept[0] is not array:
            kept = (array, jax.device_put(array, self._device))
        used[id(array)] = kept
        return kept[1]

    def device_epoch(self) -> Any:
        epoch = self._source.device_epoch()
        if epoch is None:
            return None
        used: dict = {}
        data = {k: self._here(v, used) for k, v in epoch.data.items()}
        label = {k: self._here(v, used) for k, v in epoch.label.items()}
        self._placed.clear()  # keep only this data set's copies
        self._placed.update(used)
        return epoch._replace(data=data, label=label,
                              indices=jax.device_put(epoch.indices, self._device))


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


def label_checks(module: Any) -> list[LabelCheck]:
    """The class-label inputs of the module's SoftmaxOutput heads."""
    symbol = module._symbol
    nodes = [n for n in topo_order(symbol._heads)
             if n.op is not None and n.op.name == "SoftmaxOutput"
             and not (n.params.multi_output or n.params.preserve_shape)
             and n.inputs[1][0].op is None and n.inputs[1][0].name in module._label_names]
    if not nodes:
        return []
    internals = symbol.get_internals()
    _, out_shapes, _ = internals.infer_shape_partial(**module._data_shapes,
                                                     **module._label_shapes)
    shapes = dict(zip(internals.list_outputs(), out_shapes))
    checks = []
    for node in nodes:
        shape = shapes.get(f"{node.name}_output") or ()
        if len(shape) >= 2:
            ignore = node.params.ignore_label if node.params.use_ignore else None
            checks.append(LabelCheck(node.inputs[1][0].name, prod(shape[1:]), ignore,
                                     node.name))
    return checks


def _shardings(contexts: list) -> Any:
    """A sharding splitting the batch over the distinct devices, or None."""
    devices = list(dict.fromkeys(ctx.jax_device for ctx in contexts))
    if len(devices) < 2:
        return None
    return NamedSharding(Mesh(np.array(devices), ("batch",)), PartitionSpec("batch"))


class EpochRunner:
    """Runs training epochs for a Module through :class:`TrainStep`."""

    def __init__(self, module: Any) -> None:
        self.module = module
        self._trainer: TrainStep | None = None
        self._built_for: tuple = ()

    def _trainer_for(self, metric: Any) -> TrainStep:
        m = self.module
        device_metric = metric if getattr(metric, "device_capable", False) else None
        # Keyed on the symbol, not the executor's graph function: validation
        # reshapes the executor, which must not recompile the training step. And
        # on what the metric computes, not the object: fit(eval_metric='acc')
        # makes a new Accuracy every call.
        metric_key = None if device_metric is None else device_metric.device_key
        owner = (m._optimizer, metric_key, m._symbol, m._context[0])
        if self._trainer is not None and owner == self._built_for:
            self._trainer.metric = device_metric
        else:
            batch_sharding = _shardings(m._context)
            self._trainer = TrainStep(
                m._exec._graph, m._trainable(), m._data_names, m._label_names,
                m._optimizer, metric=device_metric, uses_key=needs_key(m._symbol._heads),
                label_checks=label_checks(m), batch_sharding=batch_sharding,
                output_names=m.output_names)
            self._built_for = owner
        return self._trainer

    def _state(self, trainer: TrainStep, metric: Any, labels: Any) -> dict:
        m = self.module
        aux = {n: m._exec.aux_dict[n]._data for n in m._aux_names}
        metric_state = metric.get_state() if trainer.metric is not None else None
        state = trainer.init_state(m._param_arrays(), aux, m._opt_state, metric_state,
                                   m._num_update)
        if labels is not None:
            state["labels"] = labels
        return state

    def _sync(self, trainer: TrainStep, state: dict, metric: Any) -> Any:
        m = self.module
        params, aux = state["params"], state["aux"]
        if trainer.batch_sharding is not None:  # the executor runs on the first device
            params, aux = jax.device_put((params, aux), m._context[0].jax_device)
        m._write_params(params, aux)
        m._opt_state = state["opt"]
        if state["metric"] is not None:
            metric.set_state(state["metric"])
        return state["labels"]

    def _fixed(self) -> dict:
        m = self.module
        return {n: m._exec.arg_dict[n]._data for n in m._fixed_param_names}

    def run(self, epoch: int, train_data: Any, metric: Any, callbacks: list) -> None:
        """Train one epoch, calling ``callbacks`` with MXNet's BatchEndParam."""
        trainer = self._trainer_for(metric)
        source = getattr(train_data, "device_epoch", None)
        device = source() if source is not None else None
        if device is None:
            last = self._run_batches(trainer, epoch, train_data, metric, callbacks)
        else:
            last = self._run_device(trainer, epoch, device, metric, callbacks)
        if last is not None:
            problem = trainer.bad_labels({"labels": last})
            if problem:
                raise ParamError(f"Module.fit (epoch {epoch}): {problem}")

    def _check_batch(self, trainer: TrainStep, batch_size: int) -> None:
        if trainer.batch_sharding is not None:
            n = len(trainer.batch_sharding.mesh.devices)
            if batch_size % n:
                raise ShapeError(f"Module.fit: batch size {batch_size} does not split "
                                 f"evenly over {n} devices.")

    def _run_device(self, trainer: TrainStep, epoch: int, device: Any, metric: Any,
                    callbacks: list) -> Any:
        m = self.module
        self._check_batch(trainer, int(device.indices.shape[1]))
        names = set(m._data_names) | set(m._label_names)
        sources = trainer.place({k: v for k, v in {**device.data, **device.label}.items()
                                 if k in names})
        key = random.next_key() if trainer.uses_key else None
        fixed, labels = self._fixed(), None
        n_batches = int(device.indices.shape[0])
        if not n_batches:
            raise _no_batches(epoch)
        lrs = np.zeros(n_batches, np.float32)
        for start, stop in chunk_bounds(n_batches, callbacks):
            # Asked chunk by chunk: a callback may change the learning rate.
            lrs[start:stop] = [m.next_lr() for _ in range(stop - start)]
            stretch = Stretch(device.indices, lrs.copy(), device.pad, start, stop)
            state = trainer.steps(self._state(trainer, metric, labels), sources, fixed,
                                  stretch, key)
            labels = self._sync(trainer, state, metric)
            if callbacks:  # they are here because they read a value or a clock
                jax.block_until_ready(state)
            for nbatch in range(start, stop):
                self._callbacks(callbacks, epoch, nbatch, metric)
        return labels

    def _run_batches(self, trainer: TrainStep, epoch: int, train_data: Any, metric: Any,
                     callbacks: list) -> Any:
        m = self.module
        key = random.next_key() if trainer.uses_key else None
        fixed, labels, nbatch = self._fixed(), None, -1
        for nbatch, batch in enumerate(train_data):
            inputs = {k: v._data for k, v in m._batch_inputs(batch, True).items()}
            self._check_batch(trainer, next(iter(inputs.values())).shape[0])
            pad = int(batch.pad or 0)
            state, outs = trainer.step(self._state(trainer, metric, labels), inputs, fixed,
                                       m.next_lr(), pad=pad, key=key)
            labels = self._sync(trainer, state, metric)
            if trainer.metric is None:
                m._exec._set_outputs(outs)
                m._last_pad = pad
                m.update_metric(metric, batch.label)
            self._callbacks(callbacks, epoch, nbatch, metric)
        if nbatch < 0:
            raise _no_batches(epoch)
        return labels

    @staticmethod
    def _callbacks(callbacks: list, epoch: int, nbatch: int, metric: Any) -> None:
        for callback in callbacks:
            callback(BatchEndParam(epoch=epoch, nbatch=nbatch, eval_metric=metric,
                                   locals=None))


def _no_batches(epoch: int) -> ParamError:
    # MXNet raised a bare StopIteration here; training on nothing is never meant.
    return ParamError(
        f"Module.fit (epoch {epoch}): train_data gave no batches. It was read to its "
        "end (by score, predict or a loop of yours) and needs train_data.reset(), or "
        "it holds fewer examples than one batch.")
