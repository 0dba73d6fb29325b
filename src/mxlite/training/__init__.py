"""The one training loop, driven by every front-end.

- :class:`TrainState` (``state.py``): parameters, aux, optimizer state, the
  one step counter, the random key, metric accumulators: one donated pytree.
- :class:`Program` (``program.py``): what a front-end hands the loop.
- :class:`TrainStep` (``step.py``): one compiled step, or a compiled
  stretch of steps, with schedules and random keys computed from the step.
- :class:`EpochLoop` (``loop.py``): an epoch, syncing only where the
  caller's callbacks ask.
"""

from __future__ import annotations

from .loop import EpochLoop, Holder, OnDevice, batch_sharding, chunk_bounds
from .program import GraphProgram, LabelCheck, Program, head_gradients
from .state import TrainState, replicated_specs
from .step import Stretch, TrainStep, guard_finding, non_finite_error

__all__ = [
    "EpochLoop",
    "GraphProgram",
    "Holder",
    "LabelCheck",
    "OnDevice",
    "Program",
    "Stretch",
    "TrainState",
    "TrainStep",
    "batch_sharding",
    "chunk_bounds",
    "guard_finding",
    "head_gradients",
    "non_finite_error",
    "replicated_specs",
]
