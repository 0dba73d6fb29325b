"""Learning-rate schedules, MXNet 1.9.1's ``mx.lr_scheduler``.

A scheduler maps the update count to a learning rate: ``sched(num_update)``
on the host, and ``sched.traced(values, t)`` inside a compiled training step,
where the rate of update ``t`` is computed from the step counter (the
schedule's numbers are traced inputs, ``sched.traced_values()``, so changing
``base_lr`` never recompiles and never meets a stale program). A scheduler a
user writes with only ``__call__`` is asked on the host instead, once per
update, and its rates are passed down into the step.

Differences from MXNet 1.9.1 (each on purpose):

- Every scheduler here is a **pure function of** ``num_update``. MXNet's
  ``FactorScheduler`` and ``MultiFactorScheduler`` mutated ``base_lr`` as
  calls went by, and ``PolyScheduler``/``CosineScheduler`` returned "the last
  value computed". For the sequence of calls MXNet makes (``num_update``
  never decreasing) the values are the same; in addition a call for any
  ``num_update`` is answered correctly, in any order (``lr_at`` for a step
  that is still to come, resuming from a checkpoint, epoch-in-scan).
- ``base_lr`` is read at every call. MXNet's Optimizer overwrites
  ``scheduler.base_lr`` with its ``learning_rate``; MXNet's Poly and Cosine
  schedulers ignored that (they had copied it into ``base_lr_orig`` at
  construction) and the warm-up still ended at the old value. Here the new
  ``base_lr`` is used everywhere, warm-up target included.
- After ``max_update``, Poly and Cosine return ``final_lr`` (MXNet returned
  whatever it computed last, which is ``final_lr`` when it was called at
  ``max_update``, as training does).
- Bad arguments raise :class:`~mxlite.base.ParamError` (a ``ValueError``), not
  ``AssertionError``.

Example:
    >>> import mxlite as mx
    >>> sched = mx.lr_scheduler.FactorScheduler(step=2, factor=0.5, base_lr=1.0)
    >>> [sched(n) for n in range(1, 7)]
    [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
"""

from __future__ import annotations

import itertools
import logging
import math
import numbers
from collections.abc import Hashable

import jax
import jax.numpy as jnp

from . import _platform  # noqa: F401  (JAX config: x64 before any array)
from .base import ParamError, check_rate

__all__ = [
    "CosineScheduler",
    "FactorScheduler",
    "InvScheduler",
    "LRScheduler",
    "MultiFactorScheduler",
    "PolyScheduler",
]

_WARMUP_MODES = ("linear", "constant")

logger = logging.getLogger("mxlite.lr_scheduler")


def _check_int(where: str, name: str, value: object, lower: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ParamError(f"{where}: {name} must be an int; got {value!r}.")
    if value < lower:
        raise ParamError(f"{where}: {name} must be >= {lower}; got {value}.")
    return int(value)


class LRScheduler:
    """Base class of a learning-rate schedule, with optional warm-up.

    During the first ``warmup_steps`` updates the rate goes from
    ``warmup_begin_lr`` to ``base_lr`` (``'linear'``) or stays at
    ``warmup_begin_lr`` (``'constant'``); subclasses define what follows.

    Args:
        base_lr: the learning rate after warm-up.
        warmup_steps: number of warm-up updates (int >= 0).
        warmup_begin_lr: the rate warm-up starts from (<= ``base_lr``).
        warmup_mode: ``'linear'`` or ``'constant'``.
    """

    def __init__(self, base_lr: float = 0.01, warmup_steps: int = 0,
                 warmup_begin_lr: float = 0, warmup_mode: str = "linear") -> None:
        where = type(self).__name__
        self.base_lr = base_lr
        self.warmup_steps = _check_int(where, "warmup_steps", warmup_steps, 0)
        self.warmup_begin_lr = warmup_begin_lr
        if warmup_begin_lr > base_lr:
            raise ParamError(
                f"{where}: warmup_begin_lr must be <= base_lr; got warmup_begin_lr="
                f"{warmup_begin_lr} and base_lr={base_lr}."
            )
        if warmup_mode not in _WARMUP_MODES:
            raise ParamError(
                f"{where}: warmup_mode must be one of {list(_WARMUP_MODES)}; got "
                f"{warmup_mode!r}."
            )
        self.warmup_mode = warmup_mode
        self._logged_stage = 0

    def __setattr__(self, name: str, value: object) -> None:
        # base_lr is checked whenever it is set (Optimizer overwrites it too).
        if name == "base_lr":
            check_rate(type(self).__name__, value, name="base_lr")
        object.__setattr__(self, name, value)

    @property
    def warmup_final_lr(self) -> float:
        """Where warm-up ends: always the current ``base_lr``."""
        return self.base_lr

    def get_warmup_lr(self, num_update: int) -> float:
        """The warm-up rate for ``num_update < warmup_steps`` (MXNet's formula)."""
        if self.warmup_mode == "constant":
            return self.warmup_begin_lr
        increase = (self.warmup_final_lr - self.warmup_begin_lr) * float(
            num_update) / float(self.warmup_steps)
        return self.warmup_begin_lr + increase

    def __call__(self, num_update: int) -> float:
        """Return the learning rate for update number ``num_update``.

        ``num_update`` counts updates including the current one (the first
        update asks for ``num_update=1``), as MXNet's optimizers do.
        """
        raise NotImplementedError("LRScheduler subclasses must define __call__")

    # -- the traced form ------------------------------------------------------
    def traceable(self) -> bool:
        """Whether :meth:`traced` computes what ``__call__`` does (False for a
        subclass that overrides ``__call__`` only)."""
        owner = next(k for k in type(self).__mro__ if "traced" in k.__dict__)
        return owner is not LRScheduler and type(self).__call__ is owner.__call__

    def traced_values(self) -> dict[str, float]:
        """The schedule's numbers, passed into a compiled step as traced inputs."""
        return {"base_lr": float(self.base_lr),
                "warmup_begin_lr": float(self.warmup_begin_lr)}

    def structure(self) -> Hashable:
        """What a compiled step depends on beyond :meth:`traced_values`."""
        return (type(self).__qualname__, self.warmup_mode, self.warmup_steps)

    def traced(self, v: dict, t: jax.Array) -> jax.Array:
        """The rate of update ``t`` (int array) from ``v``, inside a trace."""
        raise NotImplementedError(f"{type(self).__name__} has no traced form")

    def _with_warmup(self, v: dict, t: jax.Array, after: jax.Array) -> jax.Array:
        """``after``, or MXNet's warm-up rate while ``t < warmup_steps``."""
        if not self.warmup_steps:
            return after
        if self.warmup_mode == "constant":
            warm = v["warmup_begin_lr"]
        else:
            warm = v["warmup_begin_lr"] + (v["base_lr"] - v["warmup_begin_lr"]) * t.astype(
                after.dtype) / float(self.warmup_steps)
        return jnp.where(t < self.warmup_steps, warm, after)

    def _log_stage(self, stage: int, num_update: int, lr: float, final: bool) -> None:
        """Log MXNet's 'Change learning rate' line once per new stage reached."""
        if stage <= self._logged_stage:
            return
        self._logged_stage = stage
        if final:
            logger.info("Update[%d]: now learning rate arrived at %0.5e, will not "
                         "change in the future", num_update, lr)
        else:
            logger.info("Update[%d]: Change learning rate to %0.5e", num_update, lr)


def _decay(lr: float, factor: float, times: int, floor: float | None) -> tuple[
        float, bool]:
    """``lr`` multiplied by ``factor`` ``times`` times, one at a time.

    Repeated multiplication (not ``factor ** times``) gives MXNet's exact
    floats. With ``floor``, a value below it becomes ``floor`` and stays there
    (MXNet's ``stop_factor_lr``). Returns the rate and whether it hit the floor.
    """
    for _ in range(times):
        lr *= factor
        if floor is not None and lr < floor:
            return floor, True
        if factor == 1:
            break
    return lr, False


class FactorScheduler(LRScheduler):
    """Multiply the rate by ``factor`` every ``step`` updates.

    ``lr = base_lr * factor ** k`` where ``k = max(0, ceil(num_update/step) - 1)``
    (the first change happens at update ``step + 1``, as in MXNet), never below
    ``stop_factor_lr``.

    Args:
        step: updates between changes (int >= 1).
        factor: multiplier, <= 1.
        stop_factor_lr: the rate never goes below this once decayed.
        base_lr, warmup_steps, warmup_begin_lr, warmup_mode: see LRScheduler.

    Example:
        >>> import mxlite as mx
        >>> s = mx.lr_scheduler.FactorScheduler(step=10, factor=0.9, base_lr=0.1)
        >>> round(s(25), 6)
        0.081
    """

    def __init__(self, step: int, factor: float = 1, stop_factor_lr: float = 1e-8,
                 base_lr: float = 0.01, warmup_steps: int = 0,
                 warmup_begin_lr: float = 0, warmup_mode: str = "linear") -> None:
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        self.step = _check_int("FactorScheduler", "step", step, 1)
        if factor > 1.0:
            raise ParamError(
                f"FactorScheduler: factor must be <= 1 so the rate decreases; got "
                f"{factor}."
            )
        self.factor = factor
        self.stop_factor_lr = stop_factor_lr
        self._memo: tuple | None = None

    def __call__(self, num_update: int) -> float:
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        times = max(0, math.ceil(num_update / self.step) - 1)
        lr, floored = self._decayed(times)
        if times:
            self._log_stage(times, num_update, lr, floored)
        return lr

    def traced_values(self) -> dict[str, float]:
        return {**super().traced_values(), "factor": float(self.factor),
                "stop_factor_lr": float(self.stop_factor_lr)}

    def structure(self) -> Hashable:
        return (*super().structure(), self.step)

    def traced(self, v: dict, t: jax.Array) -> jax.Array:
        times = jnp.maximum(0, (t + self.step - 1) // self.step - 1)
        lr = v["base_lr"] * v["factor"] ** times.astype(v["base_lr"].dtype)
        floored = jnp.where(lr < v["stop_factor_lr"], v["stop_factor_lr"], lr)
        return self._with_warmup(v, t, jnp.where(times > 0, floored, v["base_lr"]))

    def _decayed(self, times: int) -> tuple[float, bool]:
        """The rate after ``times`` decays, resuming from the last answer.

        Monotone calls (training) cost O(1) each, not O(times).
        """
        config = (self.base_lr, self.factor, self.stop_factor_lr)
        memo = self._memo
        if memo is None or memo[0] != config or memo[1] > times:
            memo = (config, 0, self.base_lr, False)
        _, done, lr, floored = memo
        if not floored:
            lr, floored = _decay(lr, self.factor, times - done, self.stop_factor_lr)
        self._memo = (config, times, lr, floored)
        return lr, floored


class MultiFactorScheduler(LRScheduler):
    """Multiply the rate by ``factor`` each time ``num_update`` passes a step.

    ``lr = base_lr * factor ** k`` with ``k`` the number of entries of ``step``
    strictly below ``num_update``.

    Args:
        step: increasing list of ints >= 1.
        factor: multiplier, <= 1.
        base_lr, warmup_steps, warmup_begin_lr, warmup_mode: see LRScheduler.

    Example:
        >>> import mxlite as mx
        >>> s = mx.lr_scheduler.MultiFactorScheduler([2, 4], factor=0.1, base_lr=1.0)
        >>> [s(n) for n in (2, 3, 5)]
        [1.0, 0.1, 0.010000000000000002]
    """

    def __init__(self, step: list, factor: float = 1, base_lr: float = 0.01,
                 warmup_steps: int = 0, warmup_begin_lr: float = 0,
                 warmup_mode: str = "linear") -> None:
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        if not isinstance(step, (list, tuple)) or not step:
            raise ParamError(
                f"MultiFactorScheduler: step must be a non-empty list of ints; got "
                f"{step!r}."
            )
        steps = [_check_int("MultiFactorScheduler", "step", s, 1) for s in step]
        if any(b <= a for a, b in itertools.pairwise(steps)):
            raise ParamError(
                f"MultiFactorScheduler: step must be strictly increasing; got {step!r}."
            )
        if factor > 1.0:
            raise ParamError(
                f"MultiFactorScheduler: factor must be <= 1 so the rate decreases; "
                f"got {factor}."
            )
        self.step = steps
        self.factor = factor

    def __call__(self, num_update: int) -> float:
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        times = sum(1 for s in self.step if num_update > s)
        lr, _ = _decay(self.base_lr, self.factor, times, None)
        if times:
            self._log_stage(times, num_update, lr, False)
        return lr

    def traced_values(self) -> dict[str, float]:
        return {**super().traced_values(), "factor": float(self.factor)}

    def structure(self) -> Hashable:
        return (*super().structure(), tuple(self.step))

    def traced(self, v: dict, t: jax.Array) -> jax.Array:
        times = sum((t > s).astype(jnp.int32) for s in self.step)
        lr = v["base_lr"] * v["factor"] ** times.astype(v["base_lr"].dtype)
        return self._with_warmup(v, t, lr)


class _DecayToFinal(LRScheduler):
    """Shared checks of the schedules that decay to ``final_lr`` at ``max_update``."""

    def __init__(self, max_update: int, base_lr: float, final_lr: float, *,
                 warmup_steps: int, warmup_begin_lr: float, warmup_mode: str) -> None:
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        where = type(self).__name__
        self.max_update = _check_int(where, "max_update", max_update, 1)
        if self.max_update <= self.warmup_steps:
            raise ParamError(
                f"{where}: max_update must be > warmup_steps; got max_update="
                f"{max_update} and warmup_steps={warmup_steps}."
            )
        self.final_lr = final_lr

    @property
    def base_lr_orig(self) -> float:
        """MXNet's name for the rate the decay starts from."""
        return self.base_lr

    @property
    def max_steps(self) -> int:
        return self.max_update - self.warmup_steps

    def traced_values(self) -> dict[str, float]:
        return {**super().traced_values(), "final_lr": float(self.final_lr)}

    def structure(self) -> Hashable:
        return (*super().structure(), self.max_update)

    def _progress(self, v: dict, t: jax.Array) -> jax.Array:
        return (t - self.warmup_steps).astype(v["base_lr"].dtype) / float(self.max_steps)

    def _decay_to_final(self, v: dict, t: jax.Array, decayed: jax.Array) -> jax.Array:
        lr = jnp.where(t > self.max_update, v["final_lr"], decayed)
        return self._with_warmup(v, t, lr)


class PolyScheduler(_DecayToFinal):
    """Polynomial decay: ``final_lr + (base_lr - final_lr) * (1 - p) ** pwr``.

    ``p = (num_update - warmup_steps) / (max_update - warmup_steps)``; after
    ``max_update`` the rate is ``final_lr``.

    Example:
        >>> import mxlite as mx
        >>> s = mx.lr_scheduler.PolyScheduler(max_update=10, base_lr=1.0, pwr=2)
        >>> s(5), s(10), s(11)
        (0.25, 0.0, 0)
    """

    def __init__(self, max_update: int, base_lr: float = 0.01, pwr: float = 2,
                 final_lr: float = 0, warmup_steps: int = 0,
                 warmup_begin_lr: float = 0, warmup_mode: str = "linear") -> None:
        super().__init__(max_update, base_lr, final_lr, warmup_steps=warmup_steps,
                         warmup_begin_lr=warmup_begin_lr, warmup_mode=warmup_mode)
        self.power = pwr

    def __call__(self, num_update: int) -> float:
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        if num_update > self.max_update:
            return self.final_lr
        progress = float(num_update - self.warmup_steps) / float(self.max_steps)
        return self.final_lr + (self.base_lr - self.final_lr) * pow(
            1 - progress, self.power)

    def traced_values(self) -> dict[str, float]:
        return {**super().traced_values(), "power": float(self.power)}

    def traced(self, v: dict, t: jax.Array) -> jax.Array:
        p = jnp.minimum(self._progress(v, t), 1.0)
        decayed = v["final_lr"] + (v["base_lr"] - v["final_lr"]) * (1 - p) ** v["power"]
        return self._decay_to_final(v, t, decayed)


class CosineScheduler(_DecayToFinal):
    """Cosine decay: ``final_lr + (base_lr - final_lr) * (1 + cos(pi * p)) / 2``.

    ``p`` as in :class:`PolyScheduler`; after ``max_update`` the rate is
    ``final_lr``.

    Example:
        >>> import mxlite as mx
        >>> s = mx.lr_scheduler.CosineScheduler(max_update=10, base_lr=1.0)
        >>> round(s(5), 6), s(11)
        (0.5, 0)
    """

    def __init__(self, max_update: int, base_lr: float = 0.01, final_lr: float = 0,
                 warmup_steps: int = 0, warmup_begin_lr: float = 0,
                 warmup_mode: str = "linear") -> None:
        super().__init__(max_update, base_lr, final_lr, warmup_steps=warmup_steps,
                         warmup_begin_lr=warmup_begin_lr, warmup_mode=warmup_mode)

    def __call__(self, num_update: int) -> float:
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        if num_update > self.max_update:
            return self.final_lr
        # MXNet's operation order, for MXNet's exact floats.
        return self.final_lr + (self.base_lr - self.final_lr) * (
            1 + math.cos(math.pi * (num_update - self.warmup_steps) / self.max_steps)) / 2

    def traced(self, v: dict, t: jax.Array) -> jax.Array:
        angle = math.pi * (t - self.warmup_steps).astype(v["base_lr"].dtype)
        decayed = v["final_lr"] + (v["base_lr"] - v["final_lr"]) * (
            1 + jnp.cos(angle / float(self.max_steps))) / 2
        return self._decay_to_final(v, t, decayed)


class InvScheduler(LRScheduler):
    """Inverse decay, Mocha's ``LRPolicy.Inv`` (and Caffe's ``inv``):
    ``base_lr * (1 + gamma * num_update) ** -power``.

    MXNet has no such schedule; Mocha.jl's LeNet tutorial uses
    ``Inv(0.01, 0.0001, 0.75)``. Mocha counts iterations from 1 at the first
    update, as ``num_update`` does here.

    Example:
        >>> import mxlite as mx
        >>> s = mx.lr_scheduler.InvScheduler(gamma=0.0001, power=0.75, base_lr=0.01)
        >>> round(s(1), 8), round(s(10000), 8)
        (0.00999925, 0.00594604)
    """

    def __init__(self, gamma: float, power: float, base_lr: float = 0.01,
                 warmup_steps: int = 0, warmup_begin_lr: float = 0,
                 warmup_mode: str = "linear") -> None:
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        for name, value in (("gamma", gamma), ("power", power)):
            if not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
                raise ParamError(f"InvScheduler: {name} must be a finite number >= 0; "
                                 f"got {value!r}.")
        self.gamma, self.power = float(gamma), float(power)

    def __call__(self, num_update: int) -> float:
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        return self.base_lr * (1.0 + self.gamma * num_update) ** (-self.power)

    def traced_values(self) -> dict[str, float]:
        return {**super().traced_values(), "gamma": self.gamma, "power": self.power}

    def traced(self, v: dict, t: jax.Array) -> jax.Array:
        n = t.astype(v["base_lr"].dtype)
        return self._with_warmup(v, t, v["base_lr"] * (1.0 + v["gamma"] * n) ** (-v["power"]))
