"""Mocha's solvers: ``SGD()``, ``make_solver_parameters``, ``Solver``.

A method (``SGD()``, ``Nesterov()``, ``Adam()``, ``Adagrad()``,
``Adadelta()``, ``RMSProp()``) names one of the shared rules in
:mod:`mxlite.optimizer.mocha`; ``make_solver_parameters`` merges Mocha's
defaults for it with the caller's keywords, and ``Solver(method, params)``
builds the rule. Training is :func:`~mxlite.mocha.solving.solve`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..base import ParamError, did_you_mean
from ..optimizer.mocha import (
    MochaAdadelta,
    MochaAdagrad,
    MochaAdam,
    MochaNesterov,
    MochaRMSProp,
    MochaSGD,
)

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "Nesterov", "RMSProp", "Solver",
           "SolverParameters", "make_solver_parameters"]

_LOOP = ("max_iter", "load_from")


class SolverMethod:
    """A Mocha solver method (``SGD()``...): names the shared rule behind it."""

    rule: ClassVar[type]

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class SGD(SolverMethod):
    """Stochastic gradient descent with momentum (``MomPolicy``)."""

    rule = MochaSGD


class Nesterov(SolverMethod):
    """Nesterov's accelerated gradient."""

    rule = MochaNesterov


class Adam(SolverMethod):
    """Mocha's Adam."""

    rule = MochaAdam


class Adagrad(SolverMethod):
    """Mocha's Adagrad."""

    rule = MochaAdagrad


class Adadelta(SolverMethod):
    """Mocha's Adadelta."""

    rule = MochaAdadelta


class RMSProp(SolverMethod):
    """RMSProp."""

    rule = MochaRMSProp


class SolverParameters(dict):
    """Mocha's ``SolverParameters``: a dict of the solver's settings."""


def _method(where: str, method: Any) -> SolverMethod:
    if not isinstance(method, SolverMethod):
        raise ParamError(f"{where}: method must be SGD(), Nesterov(), Adam(), Adagrad(), "
                         f"Adadelta() or RMSProp(); got {method!r:.80}.")
    return method


def make_solver_parameters(method: Any, **kwargs: Any) -> SolverParameters:
    """Mocha's defaults for ``method`` (``max_iter=inf``, ``regu_coef=0.0005``,
    ``load_from=""``, the method's policies and settings) updated by ``kwargs``."""
    method = _method("make_solver_parameters", method)
    params = SolverParameters(method.rule.defaults())
    for name, value in kwargs.items():
        if name not in params:
            raise ParamError(f"make_solver_parameters: {method!r} has no parameter "
                             f"{name!r}.{did_you_mean(name, params)} Parameters: "
                             f"{sorted(params)}.")
        params[name] = value
    return params


def _max_iter(value: Any) -> float:
    ok = (isinstance(value, int) and not isinstance(value, bool) and value >= 0) or (
        value == math.inf)
    if not ok:
        raise ParamError(f"Solver: max_iter must be an integer >= 0 (or inf); got {value!r}.")
    return value


@dataclass
class Solver:
    """Mocha's ``Solver(method, params)``: the rule, the loop's settings and
    the coffee lounge (``setup_coffee_lounge``, ``add_coffee_break``)."""

    method: Any
    params: Any
    rule: Any = field(init=False)
    lounge: Any = field(init=False, default=None)
    breaks: list = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.method = _method("Solver", self.method)
        if not isinstance(self.params, dict):
            raise ParamError("Solver: params must come from make_solver_parameters(...); "
                             f"got {self.params!r:.80}.")
        self.max_iter = _max_iter(self.params.get("max_iter", math.inf))
        self.load_from = self.params.get("load_from", "") or ""
        rule_args = {k: v for k, v in self.params.items() if k not in _LOOP}
        self.rule = self.method.rule(**rule_args)
