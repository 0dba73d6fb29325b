"""The training state: one pytree, donated into every compiled call.

``TrainState`` holds everything a step reads and writes: the learned
parameters, the auxiliary states (BatchNorm's moving statistics), the
optimizer's slots, the ONE step counter (updates done; the optimizer's
``t``, the schedules' ``num_update`` and the random stream all derive from
it), the random key, the metric accumulators and the range of class labels
seen, and the non-finite guard (see ``step.py``). Front-ends hold one and
read it at the sync points they choose.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.sharding import PartitionSpec

__all__ = ["TrainState", "fresh_guard", "replicated_specs"]


class TrainState(NamedTuple):
    """Parameters, aux, optimizer state, step, key, metric and label bounds."""

    params: dict
    aux: dict
    opt: Any
    step: jax.Array
    key: jax.Array
    metric: Any
    labels: jax.Array
    guard: Any = None

    #: ``guard``: [first step whose loss, outputs, gradients or updated
    #: parameters held NaN/Inf (0: none yet), outputs bad, 1 + index of the
    #: first parameter with a bad gradient, 1 + index of the first with a bad
    #: value after the update, the stepping program's tag].
    GUARD_SIZE = 5

    @classmethod
    def create(cls, params: dict, aux: dict, opt: Any, *, step: int = 0,
               key: jax.Array | None = None, metric: Any = None,
               label_checks: int = 0) -> TrainState:
        """A fresh state; ``labels`` starts as the empty range [inf, -inf]
        with no non-whole label seen; the guard as all finite."""
        bounds = jnp.tile(jnp.array([[jnp.inf, -jnp.inf, 0.0]], jnp.float32),
                          (label_checks, 1))
        return cls(dict(params), dict(aux), opt, jnp.asarray(step, jnp.int32),
                   jax.random.PRNGKey(0) if key is None else key, metric, bounds,
                   fresh_guard())


def fresh_guard() -> jax.Array:
    """A guard that has seen no non-finite step."""
    return jnp.zeros(TrainState.GUARD_SIZE, jnp.int32)


def replicated_specs(state: TrainState) -> TrainState:
    """The state's sharding annotation for data-parallel training: every leaf
    replicated over the mesh (batches carry ``PartitionSpec("batch")``). A
    model-parallel layout changes this one function."""
    return jax.tree_util.tree_map(lambda _: PartitionSpec(), state)
