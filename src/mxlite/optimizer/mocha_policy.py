"""Mocha.jl's learning-rate and momentum policies as traced schedules.

Mocha (``src/solvers/policies.jl``) asks a policy for a value at the
solver's ``iter``, which is incremented *before* the update: the first update
asks for ``iter = 1``, the shared core's update count ``t``. Each policy here
answers on the host (``policy.at(iter)``, for logs and statistics) and inside
a compiled step (``policy.traced(values, t)``), with its numbers passed in as
traced values (``traced_values()``), so changing ``base_lr`` or ``gamma``
between calls never compiles a new program. What would change the program
(the kind of policy, a step size, the stages' lengths) is ``structure()``.

The learning-rate policies follow the ``mx.lr_scheduler.LRScheduler``
protocol, so the shared core evaluates them like any schedule: ``LRInv`` is
:class:`~mxlite.lr_scheduler.InvScheduler` and ``LRPoly`` is
:class:`~mxlite.lr_scheduler.PolyScheduler` (the same formulas), with Mocha's
argument order.

Mocha's semantics kept, and where they are surprising:

- ``Staged`` evaluates the policy of the current stage at the **global**
  iteration, not at the iteration counted from the start of the stage. The
  stage changes when ``iter`` reaches the accumulated length of the stages
  before it (``iter >= n1`` is already stage 2), and the last stage lasts
  forever. Mocha's ``Staged`` only moves forward (it keeps ``curr_stage``);
  here the stage is a pure function of ``iter`` (the same for the
  non-decreasing iterations of training).
- ``DecayOnValidation`` compares the latest validation statistic with the
  **previous** one (Mocha's listener: ``stats[end] < stats[end-1]``), not
  with the best so far, and stops decaying once the rate is below ``min_lr``
  (the check comes before the decay, so the rate can end one step below).
- Mocha has no ``Poly`` policy in the sources read; ``LRPoly`` is Caffe's
  ``poly`` (``base_lr * (1 - iter/max_iter)^power``), 0 after ``max_iter``.
- ``initial()`` is Mocha's ``get_learning_rate(policy)`` /
  ``get_momentum(policy)`` without a state: the value a solver state starts
  with (``base_lr``, ``base_mom``, the current rate of DecayOnValidation).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable
from typing import Any

import jax
import jax.numpy as jnp

from ..base import ParamError
from ..lr_scheduler import InvScheduler, LRScheduler, PolyScheduler

__all__ = [
    "DecayOnValidation",
    "LRExp",
    "LRFixed",
    "LRInv",
    "LRPolicy",
    "LRPoly",
    "LRStaged",
    "LRStep",
    "MomFixed",
    "MomLinear",
    "MomPolicy",
    "MomStaged",
    "MomStep",
]


def _number(where: str, name: str, value: Any, lower: float | None = None) -> float:
    ok = (isinstance(value, numbers.Real) and not isinstance(value, bool)
          and math.isfinite(value) and (lower is None or value >= lower))
    if not ok:
        bound = "a finite number" + ("" if lower is None else f" >= {lower:g}")
        raise ParamError(f"{where}: {name} must be {bound}; got {value!r}.")
    return float(value)


def _stepsize(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ParamError(f"{where}: stepsize must be an int >= 1; got {value!r}.")
    return int(value)


def _repr(policy: Any, names: tuple[str, ...]) -> str:
    return f"{policy._name}({', '.join(repr(getattr(policy, n)) for n in names)})"


def _floor_div(t: jax.Array, stepsize: int, dtype: Any) -> jax.Array:
    return (t // stepsize).astype(dtype)


class _LR(LRScheduler):
    """Base of the learning-rate policies: ``at(iter)`` on the host, the
    ``LRScheduler`` traced protocol inside a step (no warm-up)."""

    _name = "LRPolicy"
    _args: tuple[str, ...] = ("base_lr",)

    def __init__(self, base_lr: float) -> None:
        super().__init__(_number(self._name, "base_lr", base_lr, 0.0))

    def at(self, iteration: int) -> float:
        """The rate Mocha uses at solver iteration ``iteration`` (>= 0)."""
        return float(self(iteration))

    def initial(self) -> float:
        """Mocha's ``get_learning_rate(policy)``: a solver state's first rate."""
        return float(self.base_lr)

    def traced_initial(self, v: dict) -> jax.Array:
        """:meth:`initial` from the traced values."""
        return v["base_lr"]

    def __repr__(self) -> str:
        return _repr(self, self._args)


class LRFixed(_LR):
    """Mocha's ``LRPolicy.Fixed(base_lr)``: always ``base_lr``."""

    _name = "LRPolicy.Fixed"

    def __call__(self, num_update: int) -> float:
        return self.base_lr

    def traced(self, v: dict, t: jax.Array) -> jax.Array:
        return v["base_lr"]


class LRStep(_LR):
    """Mocha's ``LRPolicy.Step(base_lr, gamma, stepsize)``:
    ``base_lr * gamma^floor(iter/stepsize)``.

    Example:
        >>> p = LRStep(0.1, 0.5, 10)
        >>> p.at(9), p.at(10), p.at(25)
        (0.1, 0.05, 0.025)
    """

    _name = "LRPolicy.Step"
    _args = ("base_lr", "gamma", "stepsize")

    def __init__(self, base_lr: float, gamma: float, stepsize: int) -> None:
        super().__init__(base_lr)
        self.gamma = _number(self._name, "gamma", gamma, 0.0)
        self.stepsize = _stepsize(self._name, stepsize)

    def __call__(self, num_update: int) -> float:
        return self.base_lr * self.gamma ** float(num_update // self.stepsize)

    def traced_values(self) -> dict[str, float]:
        return {**super().traced_values(), "gamma": self.gamma}

    def structure(self) -> Hashable:
        return (*super().structure(), self.stepsize)

    def traced(self, v: dict, t: jax.Array) -> jax.Array:
        return v["base_lr"] * v["gamma"] ** _floor_div(t, self.stepsize,
                                                        v["base_lr"].dtype)


class LRExp(_LR):
    """Mocha's ``LRPolicy.Exp(base_lr, gamma)``: ``base_lr * gamma^iter``."""

    _name = "LRPolicy.Exp"
    _args = ("base_lr", "gamma")

    def __init__(self, base_lr: float, gamma: float) -> None:
        super().__init__(base_lr)
        self.gamma = _number(self._name, "gamma", gamma, 0.0)

    def __call__(self, num_update: int) -> float:
        return self.base_lr * self.gamma ** float(num_update)

    def traced_values(self) -> dict[str, float]:
        return {**super().traced_values(), "gamma": self.gamma}

    def traced(self, v: dict, t: jax.Array) -> jax.Array:
        return v["base_lr"] * v["gamma"] ** t.astype(v["base_lr"].dtype)


class LRInv(InvScheduler):
    """Mocha's ``LRPolicy.Inv(base_lr, gamma, power)``:
    ``base_lr * (1 + gamma*iter)^(-power)`` (``InvScheduler``, Mocha's order).

    Example:
        >>> round(LRInv(0.01, 0.0001, 0.75).at(10000), 8)
        0.00594604
    """

    _name = "LRPolicy.Inv"
    _args = ("base_lr", "gamma", "power")

    def __init__(self, base_lr: float, gamma: float, power: float) -> None:
        where = self._name
        super().__init__(_number(where, "gamma", gamma, 0.0),
                         _number(where, "power", power, 0.0),
                         _number(where, "base_lr", base_lr, 0.0))

    at, initial, traced_initial, __repr__ = (
        _LR.at, _LR.initial, _LR.traced_initial, _LR.__repr__)


class LRPoly(PolyScheduler):
    """``LRPolicy.Poly(base_lr, power, max_iter)``: Caffe's ``poly``,
    ``base_lr * (1 - iter/max_iter)^power``, and 0 after ``max_iter``
    (``PolyScheduler`` with ``final_lr = 0``). Not in Mocha's sources."""

    _name = "LRPolicy.Poly"
    _args = ("base_lr", "power", "max_update")

    def __init__(self, base_lr: float, power: float, max_iter: int) -> None:
        where = self._name
        if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or (
                max_iter < 1):
            raise ParamError(f"{where}: max_iter must be an int >= 1; got {max_iter!r}.")
        super().__init__(int(max_iter), _number(where, "base_lr", base_lr, 0.0),
                         _number(where, "power", power, 0.0))

    at, initial, traced_initial, __repr__ = (
        _LR.at, _LR.initial, _LR.traced_initial, _LR.__repr__)


class DecayOnValidation(_LR):
    """Mocha's ``LRPolicy.DecayOnValidation(base_lr, key, gamma=0.5, min_lr=1e-8;
    higher_better=true)``: a rate kept on the host, multiplied by ``gamma``
    each time the validation statistic ``key`` gets worse than the previous
    one.

    The current rate is a traced value (``curr_lr``): a decay never compiles a
    new program. The dialect calls :meth:`on_validation` with each new value
    of the statistic (and, after reverting to a snapshot, may pass the value
    to compare with as ``previous``); reverting to the snapshot is its job.
    :meth:`state_dict`/:meth:`load_state_dict` save and restore the policy.

    Example:
        >>> p = DecayOnValidation(0.1, "accuracy", 0.5)
        >>> p.on_validation(0.90), p.on_validation(0.95), p.on_validation(0.93)
        (False, False, True)
        >>> p.at(1000)
        0.05
    """

    _name = "LRPolicy.DecayOnValidation"

    def __init__(self, base_lr: float, key: str, gamma: float = 0.5,
                 min_lr: float = 1e-8, *, higher_better: bool = True) -> None:
        super().__init__(base_lr)
        if not isinstance(key, str) or not key:
            raise ParamError(f"{self._name}: key must be the name of a validation "
                             f"statistic (a non-empty str); got {key!r}.")
        self.key = key
        self.gamma = _number(self._name, "gamma", gamma, 0.0)
        self.min_lr = _number(self._name, "min_lr", min_lr, 0.0)
        self.higher_better = bool(higher_better)
        self.curr_lr = self.base_lr
        self.last: float | None = None

    def __call__(self, num_update: int) -> float:
        return self.curr_lr

    def initial(self) -> float:
        return float(self.curr_lr)

    def traced_values(self) -> dict[str, float]:
        return {"curr_lr": float(self.curr_lr)}

    def traced(self, v: dict, t: jax.Array) -> jax.Array:
        return v["curr_lr"]

    def traced_initial(self, v: dict) -> jax.Array:
        return v["curr_lr"]

    def on_validation(self, value: float, previous: float | None = None) -> bool:
        """Record a validation statistic; decay the rate if it got worse.

        Args:
            value: the new value of the statistic ``key``.
            previous: the value to compare with; the last value recorded here
                when None (none yet: no decay).

        Returns:
            Whether the rate decayed (the dialect then reverts to its snapshot).
        """
        value = float(value)
        previous = self.last if previous is None else float(previous)
        self.last = value
        if self.curr_lr < self.min_lr or previous is None:
            return False
        worse = value < previous if self.higher_better else value > previous
        if worse:
            self.curr_lr *= self.gamma
        return worse

    def state_dict(self) -> dict[str, float]:
        """The policy's host state as floats (``last`` is NaN before any value)."""
        return {"curr_lr": float(self.curr_lr),
                "last": math.nan if self.last is None else float(self.last)}

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned."""
        self.curr_lr = float(state["curr_lr"])
        last = float(state.get("last", math.nan))
        self.last = None if math.isnan(last) else last

    def __repr__(self) -> str:
        return (f"{self._name}({self.base_lr!r}, {self.key!r}, {self.gamma!r}, "
                f"{self.min_lr!r}; curr_lr={self.curr_lr!r})")


# -- momentum ------------------------------------------------------------------

class _Mom:
    """Base of the momentum policies (the same traced protocol as the rates)."""

    _name = "MomPolicy"
    _args: tuple[str, ...] = ("base_mom",)

    def __init__(self, base_mom: float) -> None:
        self.base_mom = _number(self._name, "base_mom", base_mom, 0.0)

    def __call__(self, iteration: int) -> float:
        raise NotImplementedError(f"{type(self).__name__} must define __call__")

    def at(self, iteration: int) -> float:
        """The momentum Mocha computes at solver iteration ``iteration``."""
        return float(self(iteration))

    def initial(self) -> float:
        """Mocha's ``get_momentum(policy)``: a solver state's first momentum."""
        return float(self.base_mom)

    def traceable(self) -> bool:
        return True

    def traced_values(self) -> dict[str, float]:
        return {"base_mom": float(self.base_mom)}

    def traced_initial(self, v: dict) -> jax.Array:
        return v["base_mom"]

    def structure(self) -> Hashable:
        return (type(self).__qualname__,)

    def traced(self, v: dict, t: jax.Array) -> jax.Array:
        raise NotImplementedError(f"{type(self).__name__} has no traced form")

    def __repr__(self) -> str:
        return _repr(self, self._args)


class MomFixed(_Mom):
    """Mocha's ``MomPolicy.Fixed(base_mom)``."""

    _name = "MomPolicy.Fixed"

    def __call__(self, iteration: int) -> float:
        return self.base_mom

    def traced(self, v: dict, t: jax.Array) -> jax.Array:
        return v["base_mom"]


class _MomSteps(_Mom):
    """Shared arguments of ``MomPolicy.Step`` and ``MomPolicy.Linear``."""

    _args = ("base_mom", "gamma", "stepsize", "max_mom")

    def __init__(self, base_mom: float, gamma: float, stepsize: int,
                 max_mom: float) -> None:
        super().__init__(base_mom)
        self.gamma = _number(self._name, "gamma", gamma, 0.0)
        self.stepsize = _stepsize(self._name, stepsize)
        self.max_mom = _number(self._name, "max_mom", max_mom, 0.0)

    def traced_values(self) -> dict[str, float]:
        return {**super().traced_values(), "gamma": self.gamma, "max_mom": self.max_mom}

    def structure(self) -> Hashable:
        return (*super().structure(), self.stepsize)


class MomStep(_MomSteps):
    """Mocha's ``MomPolicy.Step(base_mom, gamma, stepsize, max_mom)``:
    ``min(base_mom * gamma^floor(iter/stepsize), max_mom)``.

    Example:
        >>> p = MomStep(0.5, 1.5, 2, 0.9)
        >>> [p.at(i) for i in range(6)]
        [0.5, 0.5, 0.75, 0.75, 0.9, 0.9]
    """

    _name = "MomPolicy.Step"

    def __call__(self, iteration: int) -> float:
        return min(self.base_mom * self.gamma ** float(iteration // self.stepsize),
                   self.max_mom)

    def traced(self, v: dict, t: jax.Array) -> jax.Array:
        k = _floor_div(t, self.stepsize, v["base_mom"].dtype)
        return jnp.minimum(v["base_mom"] * v["gamma"] ** k, v["max_mom"])


class MomLinear(_MomSteps):
    """Mocha's ``MomPolicy.Linear(base_mom, gamma, stepsize, max_mom)``:
    ``min(base_mom + floor(iter/stepsize)*gamma, max_mom)``."""

    _name = "MomPolicy.Linear"

    def __call__(self, iteration: int) -> float:
        return min(self.base_mom + float(iteration // self.stepsize) * self.gamma,
                   self.max_mom)

    def traced(self, v: dict, t: jax.Array) -> jax.Array:
        k = _floor_div(t, self.stepsize, v["base_mom"].dtype)
        return jnp.minimum(v["base_mom"] + k * v["gamma"], v["max_mom"])


# -- stages --------------------------------------------------------------------

class _Stages:
    """Mocha's ``Staged((n1, p1), (n2, p2), ...)``: ``p1`` while ``iter < n1``,
    ``p2`` while ``iter < n1 + n2``, ..., the last one forever; each policy
    is evaluated at the global ``iter``."""

    _name = "Staged"
    _kinds: tuple[type, ...] = ()

    def _set_stages(self, stages: tuple) -> None:
        if not stages:
            raise ParamError(f"{self._name}: needs at least one (n_iter, policy) stage.")
        self.stages, self.lengths, self.ends, end = [], [], [], 0
        for stage in stages:
            ok = isinstance(stage, tuple) and len(stage) == 2
            if ok:
                n, policy = stage
                ok = (isinstance(n, numbers.Integral) and not isinstance(n, bool)
                      and n >= 0 and isinstance(policy, self._kinds))
            if not ok:
                raise ParamError(f"{self._name}: each stage must be (n_iter, policy) with "
                                 f"an int n_iter >= 0 and a {self._kind_names()} policy; "
                                 f"got {stage!r}.")
            end += int(n)
            self.lengths.append(int(n))
            self.stages.append(policy)
            self.ends.append(end)

    def _kind_names(self) -> str:
        return self._name.split(".")[0]

    def stage_at(self, iteration: int) -> int:
        """The index of the stage in use at ``iteration`` (0-based)."""
        return sum(1 for end in self.ends[:-1] if iteration >= end)

    def __call__(self, iteration: int) -> float:
        return self.stages[self.stage_at(iteration)].at(iteration)

    def at(self, iteration: int) -> float:
        return float(self(iteration))

    def initial(self) -> float:
        return self.stages[0].initial()

    def traced_values(self) -> dict:
        return {str(i): p.traced_values() for i, p in enumerate(self.stages)}

    def structure(self) -> Hashable:
        return (self._name, tuple(self.ends),
                tuple(p.structure() for p in self.stages))

    def traced(self, v: dict, t: jax.Array) -> jax.Array:
        values = [p.traced(v[str(i)], t) for i, p in enumerate(self.stages)]
        out = values[-1]
        for end, value in zip(reversed(self.ends[:-1]), reversed(values[:-1]),
                              strict=True):
            out = jnp.where(t < end, value, out)
        return out

    def traced_initial(self, v: dict) -> jax.Array:
        return self.stages[0].traced_initial(v["0"])

    def __repr__(self) -> str:
        inner = ", ".join(f"({n}, {p!r})" for n, p in zip(self.lengths, self.stages,
                                                           strict=True))
        return f"{self._name}({inner})"


class LRStaged(_Stages, _LR):
    """Mocha's ``LRPolicy.Staged((n_iter, policy), ...)``.

    Example:
        >>> p = LRStaged((2, LRFixed(0.1)), (3, LRExp(1.0, 0.5)))
        >>> [p.at(i) for i in range(1, 5)]
        [0.1, 0.25, 0.125, 0.0625]
    """

    _name = "LRPolicy.Staged"

    _kinds = (_LR, LRInv, LRPoly)

    def __init__(self, *stages: tuple) -> None:
        self._set_stages(stages)
        LRScheduler.__init__(self, 0.0)

    @property
    def base_lr(self) -> float:
        """The first stage's rate (what ``Optimizer`` reads of a schedule)."""
        return self.stages[0].base_lr

    @base_lr.setter
    def base_lr(self, value: float) -> None:
        if value != 0.0:
            raise ParamError(f"{self._name}: set base_lr on the stages' policies.")


class MomStaged(_Stages, _Mom):
    """Mocha's ``MomPolicy.Staged((n_iter, policy), ...)``."""

    _name = "MomPolicy.Staged"
    _kinds = (_Mom,)

    def __init__(self, *stages: tuple) -> None:
        self._set_stages(stages)


class LRPolicy:
    """Mocha's ``LRPolicy`` module: ``LRPolicy.Inv(0.01, 0.0001, 0.75)``."""

    Fixed, Step, Exp, Inv, Poly = LRFixed, LRStep, LRExp, LRInv, LRPoly
    Staged, DecayOnValidation = LRStaged, DecayOnValidation


class MomPolicy:
    """Mocha's ``MomPolicy`` module: ``MomPolicy.Fixed(0.9)``."""

    Fixed, Step, Linear, Staged = MomFixed, MomStep, MomLinear, MomStaged
