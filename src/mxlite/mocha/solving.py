"""Mocha's ``solve(solver, net)``: compiled stretches between coffee breaks.

The training net's losses become a :class:`~mxlite.training.Program`; each
stretch of iterations up to the next coffee break (at most
:data:`MAX_STRETCH`) is ONE call of the shared
:meth:`~mxlite.training.TrainStep.steps`, with the stretch's batches read
from the data layers on the host and gathered on the device. Mocha's
timing is kept: breaks fire at iteration 0 and at every multiple of their
interval, the learning rate of the first update is the policy at iteration
1, and ``obj_val`` at iteration ``i`` is the loss of the NEXT minibatch with
the weights after ``i`` updates (computed only when a break reads it).
Before each round of coffee breaks (snapshots among them) the state's
non-finite guard is read: a NaN or Inf loss or gradient stops ``solve``
with NonFiniteError instead of being snapshotted.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import random
from ..base import ParamError
from ..module.program import symbol_program
from ..ndarray import NDArray
from ..training import Stretch, TrainState, TrainStep, non_finite_error
from .coffee import lounge_of
from .functions import check_labels
from .net import Net
from .snapshot import resume

__all__ = ["MAX_STRETCH", "SolverState", "solve"]

MAX_STRETCH = 100
"""Iterations in one compiled call at most (fewer when a batch is large)."""
_STRETCH_BYTES = 64 * 2**20


class SolverState:
    """What a coffee break sees (Mocha's ``SolverState``): ``iter``,
    ``obj_val``, ``learning_rate``, ``momentum``, the net and the solver."""

    def __init__(self, solver: Any, net: Net) -> None:
        if not isinstance(net, Net):
            raise ParamError(f"solve: expected a Net; got {net!r:.80}.")
        loss = net.loss_symbol()
        if loss is None:
            raise ParamError(f"solve: Net {net.name!r} has no loss layer (a "
                             "SoftmaxLossLayer), so there is nothing to minimize.")
        self.solver, self.net, self.iter = solver, net, 0
        self.data = net.data_layers()
        sizes = {x.batch_size for x in self.data}
        if len(sizes) != 1:
            raise ParamError(f"solve: the data layers of Net {net.name!r} must share one "
                             f"batch_size; got {[(x.name, x.batch_size) for x in self.data]}.")
        self.batch_size = sizes.pop()
        self._setup_rule()
        self.names = [n for n in loss.list_arguments() if n in net.params]
        self.inputs = net.input_names(loss)
        program = symbol_program(
            loss, net.executor("loss")._graph, param_names=self.names,
            data_names=self.inputs, label_names=(),
            shapes={n: net.blob_shapes[n] for n in self.inputs})
        self.step = TrainStep(program, solver.rule)
        self.state = self.step.new_state(self._current(), {}, key=random.next_key())
        row_bytes = sum(4 * math.prod(net.blob_shapes[n][1:]) for n in self.inputs)
        self.capacity = max(1, min(MAX_STRETCH, _STRETCH_BYTES // max(
            1, row_bytes * self.batch_size)))
        self._obj: float | None = None
        self._staged: tuple | None = None
        # Batch i of a stretch is rows i*batch .. (i+1)*batch of its sources.
        rows = self.capacity * self.batch_size
        self._idx = np.arange(rows, dtype=np.int32).reshape(self.capacity, self.batch_size)
        self._pads = np.zeros(self.capacity, np.int32)

    def _setup_rule(self) -> None:
        rule = self.solver.rule
        params = self.net.params
        rule.set_lr_mult({n: b.lr_mult for n, b in params.items()})
        rule.set_regularizers({n: b.regularizer.spec() for n, b in params.items()})

    def _current(self) -> dict:
        params = self.net.params
        return {n: params[n].data._data for n in self.names}

    # -- values the coffee breaks read -----------------------------------------------
    @property
    def obj_val(self) -> float:
        """The loss of the next minibatch with the current weights (Mocha's)."""
        if self._obj is None:
            inputs = self._next_batch()
            exe = self.net.executor("loss")
            outs = exe.forward(is_train=False, **{n: inputs[n] for n in self.inputs})
            self._obj = float(sum(o.asnumpy().sum() for o in outs))
        return self._obj

    def _next_batch(self) -> dict:
        """The next minibatch: the first of the staged stretch, if one is."""
        staged = self._staged
        if staged is not None and staged[0] == self.iter:
            ctx = self.net.backend.context
            return {n: NDArray(a, ctx)[:self.batch_size] for n, a in staged[2].items()}
        inputs = {}
        for layer in self.data:
            inputs.update(self.net.states[layer.name].runtime.peek(1))
        inputs = {k: np.asarray(v, np.float32) for k, v in inputs.items()}
        check_labels(self.net, inputs)
        return inputs

    @property
    def learning_rate(self) -> float | None:
        return self.solver.rule.learning_rate_at(self.iter)

    @property
    def momentum(self) -> float | None:
        return self.solver.rule.momentum_at(self.iter)

    @property
    def epoch(self) -> int:
        """Epochs completed by the (first) training data layer."""
        return self.net.states[self.data[0].name].runtime.epoch

    def batches_to_epoch_end(self) -> int:
        return self.net.states[self.data[0].name].runtime.batches_until_epoch_end()

    # -- training ------------------------------------------------------------------------
    def _batches(self, count: int, *, advance: bool) -> dict:
        """The next ``count`` batches of every data layer, checked and placed
        on the device, padded to the compiled capacity."""
        chunk: dict[str, np.ndarray] = {}
        for layer in self.data:
            stream = self.net.states[layer.name].runtime
            chunk.update(stream.take(count) if advance else stream.peek(count))
        chunk = {n: np.asarray(chunk[n], np.float32) for n in self.inputs}
        check_labels(self.net, chunk)
        rows, ctx = self.capacity * self.batch_size, self.net.backend.context
        sources = {}
        for name, values in chunk.items():
            if len(values) < rows:
                full = np.zeros((rows, *values.shape[1:]), np.float32)
                full[:len(values)] = values
                values = full
            sources[name] = NDArray(values, ctx)._data
        return sources

    def stage(self, count: int) -> None:
        """Read and place the next stretch's batches now, while the device is
        still busy with this one (the data layers do not move until
        :meth:`train`; a snapshot taken in between saves the right position)."""
        if count > 0:
            self._staged = (self.iter, count, self._batches(count, advance=False))

    def train(self, count: int) -> None:
        """Run ``count`` (<= capacity) iterations as one compiled call."""
        staged, self._staged = self._staged, None
        if staged is not None and staged[:2] == (self.iter, count):
            sources = staged[2]
            for layer in self.data:  # move past what was staged (read already)
                self.net.states[layer.name].runtime.take(count)
        else:
            sources = self._batches(count, advance=True)
        stretch = Stretch(self._idx, self._pads, 0, count)
        state = self.state._replace(params=self._current())
        self.state = self.step.steps(state, sources, {}, stretch)
        self.write_back()
        self.iter += count
        self._obj = None

    def check_finite(self) -> None:
        """Raise NonFiniteError if an update so far went NaN/Inf (syncs)."""
        found = self.step.non_finite(self.state)
        if found is not None:
            raise non_finite_error("solve", found, f"iteration {found[0]}")

    def reset_objective(self) -> None:
        """Forget the cached ``obj_val`` (the parameters were replaced)."""
        self._obj = None

    def write_back(self) -> None:
        """Point the net's (shared) parameter arrays at the state's."""
        params = self.net.params
        for name in self.names:
            params[name].data._data = self.state.params[name]

    def restore(self, iteration: int, opt: dict, key: np.ndarray) -> None:
        """Continue from a snapshot: the step counter, optimizer slots, key."""
        ctx = self.net.backend.context
        slots = self.state.opt["slots"]
        new = {n: {k: NDArray(opt[n][k], ctx)._data for k in slots[n]} for n in slots}
        self.state = TrainState.create(
            self._current(), {}, {"slots": new}, step=iteration,
            key=NDArray(key, ctx)._data, label_checks=0)
        self.iter, self._obj, self._staged = iteration, None, None


def solve(solver: Any, net: Net) -> SolverState:
    """Train ``net`` with ``solver`` until ``max_iter``, with its coffee breaks;
    resumes from ``load_from`` (the snapshot of highest iteration in a folder)."""
    run = SolverState(solver, net)
    resumed = resume(run, solver.load_from)
    lounge = lounge_of(solver)
    lounge.open(run)
    lounge.check(run, resumed=resumed)
    while run.iter < solver.max_iter:
        run.train(lounge.stretch(run))
        run.stage(lounge.stretch(run))
        run.check_finite()
        lounge.check(run)
    lounge.close(run)
    return run
