"""THE compiled training step, shared by every front-end.

``TrainStep`` turns a :class:`~.program.Program` and an optimizer into pure
functions of a :class:`~.state.TrainState`::

    step(state, inputs, fixed, hyper, pad=)   -> (state, outputs)  (one batch)
    steps(state, sources, fixed, hyper, stretch) -> state  (a Stretch of batches,
                                                            rows gathered on device)

Forward, backward, optimizer update and metric accumulation happen inside
one XLA computation; the state is donated, so parameters are updated in
place; nothing is read back to the host. Everything that varies from step to
step is computed inside from the state's one step counter ``t``: the
learning rate (the schedule's traced form), Adam's bias correction, and the
random key of the step (``fold_in(state.key, t)``: a fresh Dropout mask in
every step of a compiled stretch, the same masks for the same seed).
``hyper`` carries the optimizer's current hyper-parameter values as traced
inputs, so a value changed between calls is never baked into a program.
``state.labels`` keeps the smallest and largest class label seen, so a label
outside ``[0, classes)`` is reported at the next sync point instead of
silently training on it, and whether a label was NaN or not a whole number.
``state.guard`` records the first step whose outputs held NaN or Inf and
which parameter's gradient or value did (one reduction of the outputs per
step, no host sync; see ``_guarded``); the host reads it at its sync points
(:meth:`TrainStep.non_finite`).

On CPU ``steps`` loops from ``start`` to ``stop`` given at run time, so one
compiled loop serves every stretch between callback sync points (MXNet's
Speedometer gives stretches of 1, 100 and 99 batches: three compiles with a
fixed-length scan). On GPU a loop with a run-time trip count would copy its
condition to the host every iteration, so there the stretch is a fixed-length
``lax.scan`` compiled per length.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.sharding import NamedSharding

from .._platform import platform_of
from ..base import NonFiniteError, ParamError
from ..executor import cache
from ..io.data_iter import take_rows
from ..optimizer._rule import PackedHyper
from .program import Program, head_gradients
from .state import TrainState, replicated_specs

__all__ = ["Stretch", "TrainStep", "guard_finding", "non_finite_error"]


class Stretch(NamedTuple):
    """Batches ``start..stop-1`` of an epoch: batch ``i`` takes rows ``idx[i]``
    of the device-resident sources and has ``pads[i]`` padded rows; ``lrs``
    holds host-computed rates (a schedule with no traced form) or is None."""

    idx: Any
    pads: Any
    start: Any
    stop: Any
    lrs: Any = None


def _unpacked(hyper: Any) -> Any:
    return hyper.unpack() if isinstance(hyper, PackedHyper) else hyper


class _Batch(NamedTuple):
    inputs: dict
    pad: Any
    lr: Any = None


class TrainStep:
    """Compiled training steps for one program, optimizer and metric.

    Args:
        program: what to train (see :class:`~.program.Program`).
        optimizer: an ``mxlite.optimizer.Optimizer`` (pure ``apply``).
        metric: an ``mxlite.metric.EvalMetric`` with ``update_state_dict``, or None.
        batch_sharding: a ``jax.sharding.NamedSharding`` splitting batches
            over devices (data parallel), or None for one device.
    """

    def __init__(self, program: Program, optimizer: Any, *, metric: Any = None,
                 batch_sharding: Any = None, nan_check: bool = True,
                 tag: int = 0) -> None:
        self.program = program
        self.optimizer = optimizer
        self.metric = metric
        self.batch_sharding = batch_sharding
        self.nan_check = nan_check  # keep the guard (a different compiled step)
        self.tag = tag  # written into the guard: which program stepped
        self._compiled: dict = {}

    def place(self, tree: Any) -> Any:
        """Replicate arrays over the data-parallel devices (no-op on one device)."""
        if self.batch_sharding is None:
            return tree
        mesh = self.batch_sharding.mesh
        if isinstance(tree, TrainState):
            specs = replicated_specs(tree)
            return jax.tree_util.tree_map(
                lambda x, s: jax.device_put(x, NamedSharding(mesh, s)), tree, specs)
        return jax.device_put(tree, NamedSharding(mesh, jax.sharding.PartitionSpec()))

    def new_state(self, params: dict, aux: dict, *, step: int = 0, key: Any = None,
                  metric_state: Any = None) -> TrainState:
        """A fresh state with a new optimizer state for ``params``."""
        return TrainState.create(params, aux, self.optimizer.init_state(params),
                                 step=step, key=key, metric=metric_state,
                                 label_checks=len(self.program.label_checks))

    def hyper(self) -> PackedHyper:
        """The optimizer's current hyper-parameters, as traced inputs (one
        vector, rebuilt only when a value changed)."""
        return self.optimizer.hyper_packed(self.program.param_names)

    # -- the pure core ------------------------------------------------------
    def _one(self, state: TrainState, batch: _Batch, fixed: dict, hyper: dict):
        prog, inputs = self.program, batch.inputs
        t = state.step + 1
        key = jax.random.fold_in(state.key, state.step) if prog.uses_key else None
        if self.batch_sharding is not None:
            inputs = {k: jax.lax.with_sharding_constraint(v, self.batch_sharding)
                      for k, v in inputs.items()}

        def forward(params):
            return prog.graph({**fixed, **inputs, **params}, state.aux, key, True)

        outs, pullback, new_aux = jax.vjp(forward, state.params, has_aux=True)
        (grads,) = pullback(head_gradients(prog, outs))
        params, opt = self.optimizer.apply(state.params, grads, state.opt,
                                           _unpacked(hyper), t=t, lr=batch.lr)
        guard = state.guard
        if self.nan_check and guard is not None:
            guard = self._guarded(guard, t, outs, grads, params)
        rows = inputs[prog.data_names[0]].shape[0]
        mask = jnp.arange(rows, dtype=jnp.int32) < rows - batch.pad
        metric_state = state.metric
        if self.metric is not None:
            labels = {n: inputs[n] for n in prog.label_names}
            metric_state = self.metric.update_state_dict(
                metric_state, labels, dict(zip(prog.output_names, outs, strict=True)),
                mask.astype(jnp.float32))
        new = state._replace(params=params, aux={**state.aux, **new_aux}, opt=opt,
                             step=t, metric=metric_state, guard=guard,
                             labels=self._label_bounds(state.labels, inputs, mask))
        return new, outs

    def _guarded(self, guard, t, outs, grads: dict, params: dict):
        """``guard`` with this step recorded if it is the first non-finite one.

        Per step only the outputs (the loss, small) are reduced; a NaN/Inf
        gradient reaches them through the updated weights one step later.
        Which parameter went bad is worked out only on the first bad step
        (``lax.cond``): one reduction per array in every step cost the MLP
        about 40 more fused kernels per step on the CPU. Without outputs
        (an update from given gradients) the gradients are checked directly.
        """
        names = self.program.param_names

        def detail(out_bad):
            grad_bad = jnp.stack([~_all_finite(grads[n]) for n in names] or [False])
            value_bad = jnp.stack([~_all_finite(params[n]) for n in names] or [False])
            now = jnp.stack([t.astype(jnp.int32), out_bad.astype(jnp.int32),
                             _first(grad_bad), _first(value_bad), jnp.int32(self.tag)])
            bad = out_bad | grad_bad.any() | value_bad.any()
            return jnp.where((guard[0] == 0) & bad, now, guard)

        if not outs:
            return detail(jnp.bool_(False))
        out_bad = ~_all_finite(outs)
        return jax.lax.cond((guard[0] == 0) & out_bad, detail, lambda _: guard, out_bad)

    def params_finite(self, state: TrainState) -> Any:
        """The name of the first parameter holding NaN/Inf, or None (syncs).

        The per-step guard sees a bad weight only when it reaches the
        outputs of the next step; the host asks this at the end of an epoch,
        before anything saves the weights."""
        names = self.program.param_names
        if not self.nan_check or state.guard is None or not names:
            return None
        # Shared between trainers: it depends on the names, shapes and placement.
        placement = tuple(x.sharding for x in jax.tree_util.tree_leaves(state.params))
        check = cache.compiled(("finite", names, placement),
                               lambda: functools.partial(_finite_mask, names=names),
                               state.params)
        first = int(jax.device_get(check(state.params)))
        return names[first - 1] if first else None

    def _label_bounds(self, bounds, inputs: dict, mask):
        rows = []
        for i, check in enumerate(self.program.label_checks):
            label = inputs[check.name].astype(jnp.float32).reshape(mask.shape[0], -1)
            keep = mask[:, None]
            if check.ignore is not None:
                keep = keep & (label != check.ignore)
            low = jnp.min(jnp.where(keep, label, jnp.inf))
            high = jnp.max(jnp.where(keep, label, -jnp.inf))
            # NaN != floor(NaN): a NaN label counts as not whole.
            broken = jnp.any(keep & (label != jnp.floor(label))).astype(jnp.float32)
            rows.append(jnp.stack([jnp.minimum(bounds[i, 0], low),
                                   jnp.maximum(bounds[i, 1], high),
                                   jnp.maximum(bounds[i, 2], broken)]))
        return jnp.stack(rows) if rows else bounds

    def _batch(self, sources: dict, stretch: Stretch, i) -> _Batch:
        lr = None if stretch.lrs is None else stretch.lrs[i]
        return _Batch({name: take_rows(array, stretch.idx[i])
                       for name, array in sources.items()}, stretch.pads[i], lr)

    def _scan(self, state, sources, fixed, hyper, stretch: Stretch):
        # The stretch's arrays hold exactly its batches (sliced on the host).
        def body(carry, i):
            batch = self._batch(sources, stretch, i)
            return self._one(carry, batch, fixed, hyper)[0], None

        state, _ = jax.lax.scan(body, state, jnp.arange(stretch.idx.shape[0]))
        return state

    def _loop(self, state, sources, fixed, hyper, stretch: Stretch):
        def body(i, carry):
            return self._one(carry, self._batch(sources, stretch, i), fixed, hyper)[0]

        return jax.lax.fori_loop(stretch.start, stretch.stop, body, state)

    # -- compiled entry points ----------------------------------------------
    def _exe(self, kind: str, fn: Any, *args: Any, donate: bool = True) -> Any:
        key = (kind, self.nan_check, self.optimizer.structure(self.program.param_names))
        donated = (0,) if donate else ()
        return cache.compiled(key, lambda: fn, *args, donate_argnums=donated,
                              store=self._compiled)

    def step(self, state: TrainState, inputs: dict, fixed: dict, *, pad: int = 0,
             lr: float | None = None) -> tuple[TrainState, list]:
        """One batch given as arrays; returns (new state, outputs); state is donated.

        ``lr`` is needed only for a schedule without a traced form."""
        batch = _Batch(inputs, jnp.int32(pad), None if lr is None else jnp.float32(lr))
        args = (self.place(state), *self.place((batch, fixed, self.hyper())))
        return self._exe("step", self._one, *args)(*args)

    def step_executable(self, state: TrainState, inputs: dict, fixed: dict) -> Any:
        """The compiled one-batch step for these arguments' shapes and this
        optimizer structure, as ``run(state, inputs, fixed, hyper) -> (state,
        outputs)`` with no per-call lookup (for a front-end that calls it every
        batch and keys it itself); the state is donated."""
        pad = jnp.int32(0)
        args = (state, _Batch(inputs, pad, None), fixed, self.hyper())
        exe = self._exe("step", self._one, *args)

        def run(state: TrainState, inputs: dict, fixed: dict, hyper: dict) -> Any:
            return exe(state, _Batch(inputs, pad, None), fixed, hyper)

        return run

    def steps(self, state: TrainState, sources: dict, fixed: dict,
              stretch: Stretch) -> TrainState:
        """The stretch's batches, rows gathered on the device; the state is donated."""
        n, (start, stop) = len(stretch.idx), (stretch.start, stretch.stop)
        if not 0 <= start <= stop <= n:
            raise ParamError(f"TrainStep.steps: need 0 <= start <= stop <= {n}; "
                             f"got start={start}, stop={stop}.")
        idx = jnp.asarray(stretch.idx, jnp.int32)
        pads = jnp.asarray(stretch.pads, jnp.int32)
        lrs = None if stretch.lrs is None else jnp.asarray(stretch.lrs, jnp.float32)
        hyper = self.hyper()
        if platform_of(next(iter(idx.devices()))) != "cpu":
            whole = Stretch(idx[start:stop], pads[start:stop], jnp.int32(0),
                            jnp.int32(stop - start),
                            None if lrs is None else lrs[start:stop])
            args = (self.place(state), *self.place((sources, fixed, hyper, whole)))
            return self._exe("scan", self._scan, *args)(*args)
        whole = Stretch(idx, pads, jnp.int32(start), jnp.int32(stop), lrs)
        args = (self.place(state), *self.place((sources, fixed, hyper, whole)))
        return self._exe("loop", self._loop, *args)(*args)

    def apply_gradients(self, state: TrainState, grads: dict, *,
                        lr: float | None = None) -> TrainState:
        """One optimizer update from given gradients (MXNet's ``Module.update``);
        nothing is donated (the caller's executor still holds the arrays)."""
        lr = None if lr is None else jnp.float32(lr)
        args = (state, grads, self.hyper(), lr)
        return self._exe("update", self._update, *args, donate=False)(*args)

    def _update(self, state: TrainState, grads: dict, hyper: dict,
                lr: Any) -> TrainState:
        t = state.step + 1
        params, opt = self.optimizer.apply(state.params, grads, state.opt,
                                           _unpacked(hyper), t=t, lr=lr)
        guard = state.guard
        if self.nan_check and guard is not None:
            guard = self._guarded(guard, t, [], grads, params)
        return state._replace(params=params, opt=opt, step=t, guard=guard)

    def bad_labels(self, state: TrainState) -> str | None:
        """A message if a tracked label fell outside ``[0, classes)`` (syncs)."""
        checks = self.program.label_checks
        if not checks:
            return None
        bounds = jax.device_get(state.labels)
        for check, (low, high, broken) in zip(checks, bounds, strict=True):
            if broken:
                return (f"labels in {check.name!r} include NaN or numbers that are not "
                        f"whole, but {check.op} {check.node!r} needs class numbers; "
                        f"labels must be whole numbers in [0, {check.classes}).")
            if low < 0 or high >= check.classes:
                return (f"labels in {check.name!r} range over [{low:g}, {high:g}] but "
                        f"{check.op} {check.node!r} has {check.classes} classes; "
                        f"labels must lie in [0, {check.classes}).")
        return None

    def non_finite(self, state: TrainState) -> Any:
        """Where training first went non-finite, or None (see :func:`guard_finding`)."""
        return guard_finding(state, {self.tag: self.program.param_names})


def guard_finding(state: TrainState, names: dict) -> Any:
    """Where training first went non-finite, or None (syncs on the guard).

    Returns ``(step, what, param)``: the update number (``state.step`` after
    it), words naming the parameter or the outputs, and the parameter's name
    (None if only the outputs went non-finite). ``names`` maps each program
    tag to its parameter names (several programs may share one state).
    """
    if state.guard is None:
        return None
    step, out_bad, grad, value, tag = (int(v) for v in jax.device_get(state.guard))
    if not step:
        return None
    params = names[tag]
    if grad:
        what = f"the gradient of parameter {params[grad - 1]!r}"
    elif out_bad:
        what = "the loss/outputs (before any gradient)"
    else:
        what = f"parameter {params[value - 1]!r} after its update"
    param = params[(grad or value) - 1] if grad or value else None
    return step, what, param


def non_finite_error(where: str, found: tuple, at: str, *, epoch: int | None = None,
                     batch: int | None = None) -> NonFiniteError:
    """The error for a guard's finding ``found`` (from :meth:`TrainStep.non_finite`);
    ``at`` says where in words ("epoch 2, batch 7")."""
    _, what, param = found
    return NonFiniteError(
        f"{where}: training went non-finite (NaN or Inf) at {at}: {what} first held "
        "NaN/Inf there. Training stopped before any later checkpoint was written. "
        "Lower the learning rate, look for NaN/Inf in the data, or pass "
        "nan_check=False to train on regardless.", epoch=epoch, batch=batch, param=param)


def _first(bad: jax.Array) -> jax.Array:
    """1 + the index of the first True in ``bad``, or 0."""
    return jnp.where(bad.any(), jnp.argmax(bad) + 1, 0).astype(jnp.int32)


def _finite_mask(params: dict, names: tuple) -> jax.Array:
    return _first(jnp.stack([~_all_finite(params[n]) for n in names]))


def _all_finite(tree: Any) -> jax.Array:
    """One boolean: every float element of ``tree`` is finite."""
    leaves = [x for x in jax.tree_util.tree_leaves(tree)
              if jnp.issubdtype(jnp.result_type(x), jnp.inexact)]
    return jnp.all(jnp.stack([jnp.isfinite(x).all() for x in leaves] or [True]))
