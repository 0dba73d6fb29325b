"""The fast epoch: compiled multi-batch steps between callback sync points.

With an in-memory iterator (``device_epoch()``), the whole epoch's batches
are gathered on the device inside ``lax.scan``; the host only wakes up where
a batch callback needs a value (every ``frequent`` batches for Speedometer)
or at the end of the epoch. Other iterators get one compiled call per batch.
With several device contexts, batches are split across the devices (data
parallel) and the parameters are replicated.
"""

from __future__ import annotations

from typing import Any, Protocol

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from ..base import ParamError, ShapeError
from ..callback import BatchEndParam
from ..context import Context
from .state import TrainState, fresh_guard
from .step import Stretch, TrainStep, non_finite_error

__all__ = ["EpochLoop", "Holder", "OnDevice", "batch_sharding", "chunk_bounds"]


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


def batch_sharding(contexts: list) -> Any:
    """A sharding splitting the batch over the distinct devices, or None."""
    devices = list(dict.fromkeys(ctx.jax_device for ctx in contexts))
    if len(devices) < 2:
        return None
    return NamedSharding(Mesh(np.array(devices), ("batch",)), PartitionSpec("batch"))


class Holder(Protocol):
    """What a front-end gives the epoch loop besides its Program."""

    def batch_inputs(self, batch: Any) -> dict:
        """A DataBatch's arrays as ``{input name: jax array}`` (shapes checked)."""

    def on_sync(self, state: TrainState) -> None:
        """Read the state at a sync point (e.g. write parameters back)."""

    def host_metric(self, metric: Any, outs: list, pad: int, batch: Any) -> None:
        """Accumulate a metric that cannot run on the device."""


class EpochLoop:
    """Runs training epochs through :class:`TrainStep`, syncing where asked.

    The caller owns the :class:`TrainState` (``loop.state``); the loop
    stops at the batches its callbacks need (their ``frequent``), calls
    ``holder.on_sync`` there, then the callbacks, and goes on.
    """

    def __init__(self, trainer: TrainStep, holder: Holder) -> None:
        self.trainer = trainer
        self.holder = holder
        self.state: TrainState | None = None
        self.step_count = 0  # state.step as the host knows it, without a sync

    def start(self, state: TrainState, step_count: int) -> None:
        """Hand the loop the state to train (``step_count`` = ``state.step``);
        its non-finite guard starts clear."""
        if state.guard is not None:
            state = state._replace(guard=fresh_guard())
        self.state, self.step_count = state, step_count
        self._first_step = step_count  # batch b of this epoch is update first + b + 1

    def run(self, epoch: int, train_data: Any, metric: Any, callbacks: list, *,
            fixed: dict, where: str = "fit") -> None:
        """Train one epoch, calling ``callbacks`` with MXNet's BatchEndParam.

        Raises NonFiniteError (at the first sync point after it, the epoch end
        at the latest) when a step's outputs or gradients held NaN or Inf."""
        self._epoch, self._where = epoch, where
        source = getattr(train_data, "device_epoch", None)
        device = source() if source is not None else None
        if device is None:
            self._run_batches(epoch, train_data, metric, callbacks, fixed)
        else:
            self._run_device(epoch, device, metric, callbacks, fixed)
        self._check_finite()
        bad = self.trainer.params_finite(self.state)
        if bad is not None:
            raise non_finite_error(where, (self.step_count, f"parameter {bad!r}", bad),
                                   f"the end of epoch {epoch}", epoch=epoch)

    def _check_batch(self, batch_size: int) -> None:
        sharding = self.trainer.batch_sharding
        if sharding is not None:
            n = len(sharding.mesh.devices)
            if batch_size % n:
                raise ShapeError(f"Module.fit: batch size {batch_size} does not split "
                                 f"evenly over {n} devices.")

    def _sync(self, metric: Any, callbacks: list) -> None:
        state = self.state
        if state.metric is not None:
            metric.set_state(state.metric)
        self.holder.on_sync(state)
        if callbacks:  # they are here because they read a value or a clock
            jax.block_until_ready(state)
            self._check_finite()

    def _check_finite(self) -> None:
        # A bad label is the cause when both are found: it is reported first.
        problem = self.trainer.bad_labels(self.state)
        if problem:
            raise ParamError(f"{self._where} (epoch {self._epoch}): {problem}")
        found = self.trainer.non_finite(self.state)
        if found is not None:
            batch = found[0] - self._first_step - 1
            raise non_finite_error(self._where, found, f"epoch {self._epoch}, batch "
                                   f"{batch}", epoch=self._epoch, batch=batch)

    def _run_device(self, epoch: int, device: Any, metric: Any, callbacks: list,
                    fixed: dict) -> None:
        trainer, names = self.trainer, set(self.trainer.program.data_names)
        self._check_batch(int(device.indices.shape[1]))
        names |= set(trainer.program.label_names)
        arrays = {**device.data, **device.label}
        sources = trainer.place({k: v for k, v in arrays.items() if k in names})
        n_batches = int(device.indices.shape[0])
        if not n_batches:
            raise _no_batches(epoch)
        lrs = np.zeros(n_batches, np.float32)
        for start, stop in chunk_bounds(n_batches, callbacks):
            # Asked chunk by chunk: a callback may change a hyper-parameter.
            host = self.trainer.optimizer.host_rates(self.step_count, stop - start)
            if host is not None:
                lrs[start:stop] = host
            stretch = Stretch(device.indices, device.pad, start, stop,
                              None if host is None else lrs.copy())
            self.state = trainer.steps(self._fresh(metric), sources, fixed, stretch)
            self.step_count += stop - start
            self._sync(metric, callbacks)
            for nbatch in range(start, stop):
                _callbacks(callbacks, epoch, nbatch, metric)

    def _fresh(self, metric: Any) -> TrainState:
        """The state with the metric's accumulators as they are now (a
        callback may have reset the metric since the last sync)."""
        if self.trainer.metric is None:
            return self.state
        return self.state._replace(metric=metric.get_state())

    def _run_batches(self, epoch: int, train_data: Any, metric: Any, callbacks: list,
                     fixed: dict) -> None:
        nbatch = -1
        for nbatch, batch in enumerate(train_data):
            inputs = self.holder.batch_inputs(batch)
            self._check_batch(next(iter(inputs.values())).shape[0])
            pad = int(batch.pad or 0)
            host = self.trainer.optimizer.host_rates(self.step_count, 1)
            self.state, outs = self.trainer.step(
                self._fresh(metric), inputs, fixed, pad=pad,
                lr=None if host is None else float(host[0]))
            self.step_count += 1
            self._sync(metric, [])
            if _syncs_at(callbacks, nbatch):
                self._check_finite()
            if self.trainer.metric is None:
                self.holder.host_metric(metric, outs, pad, batch)
            _callbacks(callbacks, epoch, nbatch, metric)
        if nbatch < 0:
            raise _no_batches(epoch)


def _syncs_at(callbacks: list, nbatch: int) -> bool:
    """Whether a callback reads a value after batch ``nbatch`` (as chunk_bounds)."""
    for cb in callbacks:
        freq = getattr(cb, "frequent", None)
        if not isinstance(freq, int) or freq <= 0:
            return True
        offset = getattr(cb, "sync_offset", 0)
        if nbatch >= offset and (nbatch - offset) % freq == 0:
            return True
    return False


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
