"""THE compiled training step, shared by every front end.

``TrainStep`` turns a graph function, an optimizer and a metric into pure
functions of an explicit state pytree::

    state = {"params", "aux", "opt", "metric", "step", "labels"}
    step(state, inputs, fixed, lr, pad=, key=)  -> (state, outputs)  (one batch)
    steps(state, sources, fixed, stretch, key)  -> state  (a Stretch of batches,
                                                           rows gathered on device)

Forward, backward, optimizer update and metric accumulation happen inside
one XLA computation; the state is donated, so parameters are updated in
place; nothing is read back to the host. ``state["labels"]`` keeps the
smallest and largest class label seen, so a label outside ``[0, classes)``
is reported at the next sync point instead of silently training on it.

On CPU ``steps`` loops from ``start`` to ``stop`` given at run time, so one
compiled loop serves every stretch between callback sync points (MXNet's
Speedometer gives stretches of 1, 100 and 99 batches: three compiles with a
fixed-length scan). On GPU a loop with a run-time trip count would copy its
condition to the host every iteration, so there the stretch is a fixed-length
``lax.scan`` compiled per length.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.sharding import NamedSharding, PartitionSpec

from ._platform import platform_of
from .executor import cache
from .io.data_iter import take_rows

__all__ = ["LabelCheck", "Stretch", "TrainStep"]


class LabelCheck(NamedTuple):
    """A class-label input: its name, class count and ignored value (or None)."""

    name: str
    classes: int
    ignore: float | None
    node: str


class Stretch(NamedTuple):
    """Batches ``start..stop-1`` of an epoch: batch ``i`` takes rows ``idx[i]``
    of the device-resident sources, learning rate ``lrs[i]``, padding ``pads[i]``."""

    idx: Any
    lrs: Any
    pads: Any
    start: Any
    stop: Any


class _Batch(NamedTuple):
    inputs: dict
    lr: Any
    pad: Any


class TrainStep:
    """Compiled training steps for one graph, optimizer and metric.

    Args:
        graph: ``f(args, aux, key, is_train) -> (outputs, new_aux)`` (see
            ``executor.compiler.graph_function``).
        param_names: arguments that are learned (gradients and updates).
        data_names, label_names: arguments fed from batches.
        optimizer: an ``mxlite.optimizer.Optimizer`` (pure ``apply``).
        metric: an ``mxlite.metric.EvalMetric`` with ``update_state_dict`` or None.
        uses_key: whether the graph draws random numbers.
        label_checks: class-label inputs whose range is tracked.
        batch_sharding: a ``jax.sharding.Sharding`` splitting batches over
            devices (data parallel), or None for one device.
    """

    def __init__(self, graph: Callable, param_names: Sequence[str],
                 data_names: Sequence[str], label_names: Sequence[str], optimizer: Any,
                 *, metric: Any = None, uses_key: bool = False,
                 label_checks: Sequence[LabelCheck] = (), batch_sharding: Any = None,
                 output_names: Sequence[str] | None = None) -> None:
        self.graph = graph
        self.param_names = tuple(param_names)
        self.data_names = tuple(data_names)
        self.label_names = tuple(label_names)
        self.optimizer = optimizer
        self.metric = metric
        self.uses_key = uses_key
        self.label_checks = tuple(label_checks)
        self.batch_sharding = batch_sharding
        self.output_names = None if output_names is None else tuple(output_names)
        self._replicated = (None if batch_sharding is None else
                            NamedSharding(batch_sharding.mesh, PartitionSpec()))
        self._compiled: dict = {}

    def place(self, tree: Any) -> Any:
        """Replicate arrays over the data-parallel devices (no-op on one device)."""
        return tree if self._replicated is None else jax.device_put(tree, self._replicated)

    def init_state(self, params: dict, aux: dict, opt_state: Any, metric_state: Any,
                   step: int = 0) -> dict:
        """Assemble the state pytree (arrays are used as they are)."""
        bounds = jnp.array([[jnp.inf, -jnp.inf]] * len(self.label_checks), jnp.float32)
        return {"params": dict(params), "aux": dict(aux), "opt": opt_state,
                "metric": metric_state, "step": jnp.asarray(step, jnp.int32),
                "labels": bounds.reshape(len(self.label_checks), 2)}

    # -- the pure core ------------------------------------------------------
    def _one(self, state: dict, batch: _Batch, fixed: dict, key):
        inputs, lr, pad = batch
        step_key = jax.random.fold_in(key, state["step"]) if self.uses_key else None
        if self.batch_sharding is not None:
            inputs = {k: jax.lax.with_sharding_constraint(v, self.batch_sharding)
                      for k, v in inputs.items()}

        def forward(params):
            return self.graph({**fixed, **inputs, **params}, state["aux"], step_key, True)

        outs, pullback, new_aux = jax.vjp(forward, state["params"], has_aux=True)
        (grads,) = pullback([jnp.ones_like(o) for o in outs])
        params, opt = self.optimizer.apply(state["params"], grads, state["opt"], lr)
        batch = outs[0].shape[0]
        mask = jnp.arange(batch) < batch - pad
        metric_state = state["metric"]
        if self.metric is not None:
            labels = {n: inputs[n] for n in self.label_names}
            names = self.output_names or [f"output{i}" for i in range(len(outs))]
            metric_state = self.metric.update_state_dict(
                metric_state, labels, dict(zip(names, outs, strict=True)),
                mask.astype(jnp.float32))
        return {"params": params, "aux": {**state["aux"], **new_aux}, "opt": opt,
                "metric": metric_state, "step": state["step"] + 1,
                "labels": self._label_bounds(state["labels"], inputs, mask)}, outs

    def _label_bounds(self, bounds, inputs: dict, mask):
        rows = []
        for i, check in enumerate(self.label_checks):
            label = inputs[check.name].astype(jnp.float32).reshape(mask.shape[0], -1)
            keep = mask[:, None]
            if check.ignore is not None:
                keep = keep & (label != check.ignore)
            low = jnp.min(jnp.where(keep, label, jnp.inf))
            high = jnp.max(jnp.where(keep, label, -jnp.inf))
            rows.append(jnp.stack([jnp.minimum(bounds[i, 0], low),
                                   jnp.maximum(bounds[i, 1], high)]))
        return jnp.stack(rows) if rows else bounds

    def _gathered(self, sources: dict, rows) -> dict:
        return {name: take_rows(array, rows) for name, array in sources.items()}

    def _scan(self, state, sources, fixed, stretch: Stretch, key):
        # The stretch's arrays hold exactly its batches (sliced on the host).
        def body(carry, xs):
            rows, lr, pad = xs
            batch = _Batch(self._gathered(sources, rows), lr, pad)
            return self._one(carry, batch, fixed, key)[0], None

        state, _ = jax.lax.scan(body, state, (stretch.idx, stretch.lrs, stretch.pads))
        return state

    def _loop(self, state, sources, fixed, stretch: Stretch, key):
        def body(i, carry):
            batch = _Batch(self._gathered(sources, stretch.idx[i]), stretch.lrs[i],
                           stretch.pads[i])
            return self._one(carry, batch, fixed, key)[0]

        return jax.lax.fori_loop(stretch.start, stretch.stop, body, state)

    # -- compiled entry points ----------------------------------------------
    def step(self, state: dict, inputs: dict, fixed: dict, lr: float, *, pad: int = 0,
             key: Any = None) -> tuple[dict, list]:
        """One batch given as arrays; returns (new state, outputs); state is donated."""
        args = self.place((state, _Batch(inputs, jnp.float32(lr), jnp.int32(pad)), fixed,
                           _key(key)))
        exe = cache.compiled(
            "step", lambda: self._one, *args, donate_argnums=(0,), store=self._compiled)
        return exe(*args)

    def steps(self, state: dict, sources: dict, fixed: dict, stretch: Stretch,
              key: Any = None) -> dict:
        """The stretch's batches, rows gathered on the device; the state is donated."""
        n, (start, stop) = len(stretch.idx), (stretch.start, stretch.stop)
        if not 0 <= start <= stop <= n:
            raise ValueError(f"TrainStep.steps: need 0 <= start <= stop <= {n}; "
                             f"got start={start}, stop={stop}.")
        idx = jnp.asarray(stretch.idx, jnp.int32)
        lrs = jnp.asarray(stretch.lrs, jnp.float32)
        pads = jnp.asarray(stretch.pads, jnp.int32)
        if platform_of(next(iter(idx.devices()))) != "cpu":
            whole = Stretch(idx[start:stop], lrs[start:stop], pads[start:stop],
                            jnp.int32(0), jnp.int32(stop - start))
            args = self.place((state, sources, fixed, whole, _key(key)))
            exe = cache.compiled("steps", lambda: self._scan, *args, donate_argnums=(0,),
                                 store=self._compiled)
            return exe(*args)
        args = self.place((state, sources, fixed,
                           Stretch(idx, lrs, pads, jnp.int32(start), jnp.int32(stop)),
                           _key(key)))
        exe = cache.compiled("loop", lambda: self._loop, *args, donate_argnums=(0,),
                             store=self._compiled)
        return exe(*args)

    def bad_labels(self, state: dict) -> str | None:
        """A message if a tracked label fell outside ``[0, classes)`` (syncs)."""
        if not self.label_checks:
            return None
        bounds = jax.device_get(state["labels"])
        for check, (low, high) in zip(self.label_checks, bounds):
            if low < 0 or high >= check.classes:
                return (f"labels in {check.name!r} range over [{low:g}, {high:g}] but "
                        f"SoftmaxOutput {check.node!r} has {check.classes} classes; "
                        f"labels must lie in [0, {check.classes}).")
        return None


def _key(key: Any) -> jax.Array:
    return jax.random.PRNGKey(0) if key is None else key
