"""THE compiled training step, shared by every front end.

``TrainStep`` turns a graph function, an optimizer and a metric into pure
functions of an explicit state pytree::

    state = {"params", "aux", "opt", "metric", "step"}
    step(state, inputs, lr, pad)            -> (state, outputs)   (one batch)
    steps(state, sources, idx, lrs, pads)   -> state   (k batches, lax.scan,
                                                        rows gathered on device)

Forward, backward, optimizer update and metric accumulation happen inside
one XLA computation; the state is donated, so parameters are updated in
place; nothing is read back to the host.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from .executor import cache

__all__ = ["TrainStep"]


class TrainStep:
    """Compiled training steps for one graph, optimizer and metric.

    Args:
        graph: ``f(args, aux, key, is_train) -> (outputs, new_aux)`` (see
            ``executor.compiler.graph_function``).
        param_names: arguments that are learned (gradients and updates).
        data_names, label_names: arguments fed from batches.
        optimizer: an ``mxlite.optimizer.Optimizer`` (pure ``apply``).
        metric: an ``mxlite.metric.EvalMetric`` with ``update_state`` or None.
        uses_key: whether the graph draws random numbers.
    """

    def __init__(self, graph: Callable, param_names: Sequence[str],
                 data_names: Sequence[str], label_names: Sequence[str], optimizer: Any,
                 metric: Any = None, uses_key: bool = False) -> None:
        self.graph = graph
        self.param_names = tuple(param_names)
        self.data_names = tuple(data_names)
        self.label_names = tuple(label_names)
        self.optimizer = optimizer
        self.metric = metric
        self.uses_key = uses_key
        self._compiled: dict = {}

    def init_state(self, params: dict, aux: dict, opt_state: Any, metric_state: Any,
                   step: int = 0) -> dict:
        """Assemble the state pytree (arrays are used as they are)."""
        return {"params": dict(params), "aux": dict(aux), "opt": opt_state,
                "metric": metric_state, "step": jnp.asarray(step, jnp.int32)}

    # -- the pure core ------------------------------------------------------
    def _one(self, state: dict, inputs: dict, fixed: dict, lr, pad, key) -> dict:
        step_key = jax.random.fold_in(key, state["step"]) if self.uses_key else None

        def forward(params):
            return self.graph({**fixed, **inputs, **params}, state["aux"], step_key, True)

        outs, pullback, new_aux = jax.vjp(forward, state["params"], has_aux=True)
        (grads,) = pullback([jnp.ones_like(o) for o in outs])
        params, opt = self.optimizer.apply(state["params"], grads, state["opt"], lr)
        metric_state = state["metric"]
        if self.metric is not None:
            batch = outs[0].shape[0]
            mask = (jnp.arange(batch) < batch - pad).astype(jnp.float32)
            labels = [inputs[n] for n in self.label_names]
            metric_state = self.metric.update_state(metric_state, labels, outs, mask)
        return {"params": params, "aux": {**state["aux"], **new_aux}, "opt": opt,
                "metric": metric_state, "step": state["step"] + 1}, outs

    def _gathered(self, sources: dict, rows) -> dict:
        return {name: jnp.take(array, rows, axis=0) for name, array in sources.items()}

    def _scan(self, state, sources, fixed, idx, lrs, pads, key):
        def body(carry, xs):
            rows, lr, pad = xs
            new, _ = self._one(carry, self._gathered(sources, rows), fixed, lr, pad, key)
            return new, None

        state, _ = jax.lax.scan(body, state, (idx, lrs, pads))
        return state

    # -- compiled entry points ----------------------------------------------
    def step(self, state: dict, inputs: dict, fixed: dict, lr: float, pad: int = 0,
             key: Any = None) -> tuple[dict, list]:
        """One batch given as arrays; returns (new state, outputs); state is donated."""
        args = (state, inputs, fixed, jnp.float32(lr), jnp.int32(pad), _key(key))
        exe = cache.compiled(
            "step", lambda: self._one, *args, donate_argnums=(0,), store=self._compiled)
        return exe(*args)

    def steps(self, state: dict, sources: dict, fixed: dict, idx: jax.Array,
              lrs: Sequence[float], pads: Sequence[int], key: Any = None) -> dict:
        """``len(idx)`` batches whose rows ``idx[i]`` are gathered on the device."""
        args = (state, sources, fixed, jnp.asarray(idx, jnp.int32),
                jnp.asarray(lrs, jnp.float32), jnp.asarray(pads, jnp.int32), _key(key))
        exe = cache.compiled(
            "steps", lambda: self._scan, *args, donate_argnums=(0,), store=self._compiled)
        return exe(*args)


def _key(key: Any) -> jax.Array:
    return jax.random.PRNGKey(0) if key is None else key
