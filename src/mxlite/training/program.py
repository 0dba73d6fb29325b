"""What a front-end hands the training loop: a ``Program``.

The loop knows nothing of Symbols, Modules, Chains or Nets. A front-end
describes its model as a pure graph function plus names: which arguments are
learned, which come from batches, which outputs are losses, which inputs are
class labels to range-check. ``Module`` builds one from a Symbol
(``module/program.py``); a Chainer link or a Mocha net builds its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import jax
import jax.numpy as jnp

__all__ = ["GraphProgram", "LabelCheck", "Program", "head_gradients"]


class LabelCheck(NamedTuple):
    """A class-label input: its name, class count, ignored value (or None),
    and the operator and node that read it (for the error message)."""

    name: str
    classes: int
    ignore: float | None
    node: str
    op: str = "the loss"


class Program(Protocol):
    """The training loop's view of a model.

    Attributes:
        graph: ``f(args, aux, key, is_train) -> (outputs, new_aux)``, pure.
        param_names: arguments that are learned.
        data_names, label_names: arguments fed from batches.
        output_names: one name per output (metrics select by name).
        loss_outputs: indices of the outputs whose head gradient is 1 (the
            losses); the others get 0. None: every output, as MXNet's
            ``backward()`` without head gradients (SoftmaxOutput and the
            other loss operators ignore it and form their own gradient).
        label_checks: class-label inputs whose range is tracked.
        uses_key: whether the graph draws random numbers.
    """

    graph: Callable
    param_names: tuple[str, ...]
    data_names: tuple[str, ...]
    label_names: tuple[str, ...]
    output_names: tuple[str, ...]
    loss_outputs: tuple[int, ...] | None
    label_checks: tuple[LabelCheck, ...]
    uses_key: bool


@dataclass(frozen=True, eq=False)
class GraphProgram:
    """A plain :class:`Program` (see there for the fields)."""

    graph: Callable
    param_names: tuple[str, ...]
    data_names: tuple[str, ...]
    label_names: tuple[str, ...]
    output_names: tuple[str, ...]
    loss_outputs: tuple[int, ...] | None = None
    label_checks: tuple[LabelCheck, ...] = ()
    uses_key: bool = False


def head_gradients(program: Program, outs: Sequence[jax.Array]) -> list[jax.Array]:
    """The cotangent of each output: 1 for a loss, 0 for anything else."""
    losses = program.loss_outputs
    return [jnp.ones_like(o) if losses is None or i in losses else jnp.zeros_like(o)
            for i, o in enumerate(outs)]
