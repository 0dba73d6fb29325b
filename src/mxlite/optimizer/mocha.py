"""Mocha.jl's solvers: its update rules, regularizers and policies on the shared core.

Each rule is Mocha's CPU path (``src/solvers/*.jl``, ``update_parameters!``)
in the same order of float32 operations: Mocha's BLAS calls ``scal!`` and
``axpy!`` become ``a*x`` and ``y + a*x``, a coefficient Mocha computes in
Float64 on the host (``1 - beta1``, ``layer_lr * lr``, Adam's ``alpha_t``) is
computed here in float64 (mxlite runs JAX with x64) and cast once. The
dialect (``mxlite.mocha``) only translates names: ``SGD()`` plus its solver
parameters becomes ``MochaSGD(lr_policy=..., mom_policy=..., regu_coef=...)``.

What the shared core adds to a Mocha solver, inside ``apply``:

- **Regularizers**, per parameter (:meth:`set_regularizers`), added to the
  gradient before any rule as Mocha's ``backward(net, regu_coef)`` does:
  ``g += 2*coef*regu_coef * W`` (``L2Regu``) or ``g += coef*regu_coef *
  sign(W)`` (``L1Regu``). The kind is structure; ``coef`` and ``regu_coef``
  are traced.
- **Learning-rate multipliers** (a layer's ``weight_lr``/``bias_lr``):
  ``set_lr_mult({name: mult})``. SGD, Nesterov and RMSProp use them; Mocha's
  Adam, Adagrad and Adadelta ignore them (Adam says so in a comment).
- **Policies** evaluated from the step counter ``t`` (Mocha's ``iter``,
  incremented before the update). SGD and Nesterov use the momentum of the
  *previous* iteration (``last_momentum``): the update at ``t`` uses
  ``mom_policy`` at ``t - 1``, and ``mom_policy.initial()`` at ``t = 1``.

Mocha's formulas that look like mistakes are kept, because they are what
Mocha computed (see each class): Adam never decays its second moment and
scales the new term by ``beta2*(1-beta2)``; Adagrad's rate is one scalar per
parameter tensor, from the sum of its whole history. ``MochaRMSProp`` has no
Mocha source behind it (see there).

Not provided: ``rescale_grad``/``clip_gradient``/``wd`` (MXNet's; Mocha's
loss is already a batch mean and its decay is the regularizer), and the
imperative ``update`` (a Mocha solver runs in the compiled step).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Any, ClassVar

import jax
import jax.numpy as jnp

from ..base import ParamError, did_you_mean
from ._rule import _is_number, hyper_dtype
from .mocha_policy import LRFixed, LRInv, MomFixed
from .optimizer import Optimizer, check_hyper
from .policy import AllDecayPolicy

__all__ = [
    "MochaAdadelta",
    "MochaAdagrad",
    "MochaAdam",
    "MochaNesterov",
    "MochaRMSProp",
    "MochaSGD",
]

_REGULARIZERS = ("l2", "l1")
_MXNET_ARGS = {
    "learning_rate": "lr_policy=LRPolicy.Fixed(lr)", "lr": "lr_policy=LRPolicy.Fixed(lr)",
    "lr_scheduler": "lr_policy=LRPolicy....", "momentum": "mom_policy=MomPolicy.Fixed(m)",
    "wd": "regu_coef= and set_regularizers", "rescale_grad": "nothing (Mocha has none)",
    "clip_gradient": "nothing (Mocha has none)", "multi_precision": "nothing",
    "param_idx2name": "nothing", "sym": "nothing", "param_dict": "nothing",
    "begin_num_update": "nothing (the step counter is the training state's)",
}
_COMMON_DEFAULTS = {"max_iter": math.inf, "regu_coef": 0.0005, "load_from": ""}


def _is_policy(value: Any) -> bool:
    return all(hasattr(value, attr) for attr in
               ("at", "initial", "traced", "traced_initial", "traced_values",
                "structure"))


class _MochaSolver(Optimizer):
    """Mocha's solver parameters and regularizers on :class:`Optimizer`'s pure pair.

    Subclasses set ``_method`` (Mocha's name), whether they read the
    policies and the multipliers, ``_slots``, ``_hyper`` (their numeric
    solver parameters, traced) and ``_defaults`` (Mocha's
    ``make_solver_parameters`` for the method).
    """

    _policy_class = AllDecayPolicy
    _method = ""
    _uses_lr_policy = True
    _uses_mom_policy = False
    _uses_lr_mult = True
    _defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, *, lr_policy: Any = None, mom_policy: Any = None,
                 regu_coef: float = 0.0005, **kwargs: Any) -> None:
        where = self._where()
        _refuse(where, kwargs)
        check_hyper(where, "regu_coef", regu_coef, 0.0)
        lr_policy = self._checked_policy("lr_policy", lr_policy, self._uses_lr_policy)
        mom_policy = self._checked_policy("mom_policy", mom_policy,
                                          self._uses_mom_policy)
        super().__init__(lr_scheduler=lr_policy if self._uses_lr_policy else None)
        self.lr_policy, self.mom_policy = lr_policy, mom_policy
        self.regu_coef = regu_coef
        self._regularizers: dict[str, tuple[str, float]] = {}

    @classmethod
    def _where(cls) -> str:
        return cls.__name__

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Mocha's ``make_solver_parameters(method)`` defaults for this method
        (fresh policy objects at each call)."""
        out = dict(_COMMON_DEFAULTS)
        out.update({k: v() if callable(v) else v for k, v in cls._defaults.items()})
        return out

    def _checked_policy(self, name: str, policy: Any, required: bool) -> Any:
        if policy is None:
            if required:
                raise ParamError(f"{self._where()}: Must provide parameter {name} "
                                 f"(Mocha's default is {self.defaults()[name]!r}).")
            return None
        if not _is_policy(policy):
            kind = "LRPolicy" if name == "lr_policy" else "MomPolicy"
            raise ParamError(f"{self._where()}: {name} must be a {kind} policy (e.g. "
                             f"{self.defaults().get(name, kind + '.Fixed(...)')!r}); "
                             f"got {policy!r}.")
        return policy

    # -- per-parameter regularizers ----------------------------------------------
    def set_regularizers(self, regularizers: dict) -> None:
        """Set parameters' regularizers: ``{name: ("l2", coef) | ("l1", coef) | None}``.

        ``("l2", coef)`` is Mocha's ``L2Regu(coef)``, ``("l1", coef)``
        ``L1Regu(coef)``, None (or ``("none", coef)``) ``NoRegu()``. Names not
        given keep their regularizer (none at first).

        Raises:
            ParamError: an unknown kind, or a coefficient that is not a number >= 0.
        """
        where = f"{self._where()}.set_regularizers"
        for name, spec in dict(regularizers).items():
            if spec is None or (isinstance(spec, tuple) and spec[:1] == ("none",)):
                self._regularizers.pop(name, None)
                continue
            if not (isinstance(spec, tuple) and len(spec) == 2):
                raise ParamError(f"{where}: the regularizer of {name!r} must be "
                                 f"('l2', coef), ('l1', coef) or None; got {spec!r}.")
            kind, coef = spec
            if kind not in _REGULARIZERS:
                raise ParamError(f"{where}: unknown regularizer kind {kind!r} for "
                                 f"{name!r}.{did_you_mean(str(kind), _REGULARIZERS)} "
                                 "Use 'l2' (L2Regu), 'l1' (L1Regu) or None (NoRegu).")
            check_hyper(f"{where}({name!r})", "coef", coef, 0.0)
            self._regularizers[name] = (kind, float(coef))

    def regularizer_of(self, name: str) -> tuple[str, float] | None:
        """``(kind, coef)`` of a parameter's regularizer, or None."""
        return self._regularizers.get(name)

    def set_wd_mult(self, args_wd_mult: dict) -> None:
        """Not in Mocha: raises ParamError (use :meth:`set_regularizers`)."""
        raise ParamError(f"{self._where()}: Mocha has no weight-decay multipliers; "
                         "use set_regularizers({name: ('l2', coef)}) and regu_coef.")

    # -- host-side values, for logs, statistics and snapshots -------------------------
    def learning_rate_at(self, iteration: int) -> float | None:
        """The learning rate Mocha reports at ``iteration`` (its ``initial()``
        at 0); None for a method without a learning-rate policy."""
        return _policy_at(self.lr_policy if self._uses_lr_policy else None, iteration)

    def momentum_at(self, iteration: int) -> float | None:
        """The momentum Mocha reports at ``iteration`` (the update at
        ``iteration`` uses ``momentum_at(iteration - 1)``); None without one."""
        return _policy_at(self.mom_policy if self._uses_mom_policy else None, iteration)

    # -- what is traced and what is structure --------------------------------------------
    def rule_values(self) -> dict[str, float]:
        """The numeric solver parameters ``_rule`` reads from ``h``."""
        return {name: float(getattr(self, name)) for name in self._hyper
                if _is_number(getattr(self, name))}

    def structure(self, names: Sequence[str]) -> Hashable:
        """The rule, the policies' kinds, the regularizers' kinds, the multiplied names."""
        lr_policy = self.lr_policy if self._uses_lr_policy else None
        mom_policy = self.mom_policy if self._uses_mom_policy else None
        return (self._structure(),
                None if lr_policy is None else lr_policy.structure(),
                None if mom_policy is None else mom_policy.structure(),
                tuple((n, self._regularizers[n][0]) for n in names
                      if n in self._regularizers),
                frozenset(n for n in names if self._uses_lr_mult
                          and self.lr_mult_of(n) != 1.0))

    def hyper_values(self, names: Sequence[str]) -> dict:
        """The traced inputs of an update of ``names``, as Python floats."""
        uses_lr, uses_mom = self._uses_lr_policy, self._uses_mom_policy
        mults = {n: float(self.lr_mult_of(n)) for n in names} if self._uses_lr_mult else {}
        return {"lr": 0.0,
                "schedule": self.lr_policy.traced_values() if uses_lr else {},
                "mom": self.mom_policy.traced_values() if uses_mom else {},
                "rule": self.rule_values(),
                "lr_mult": {n: m for n, m in mults.items() if m != 1.0},
                "wd": {},
                "regu_coef": float(self.regu_coef),
                "regu": {n: self._regularizers[n][1] for n in names
                         if n in self._regularizers}}

    # -- the pure pair: regularizers, policies, then the rule ---------------------------
    def apply(self, params: dict[str, jax.Array], grads: dict[str, jax.Array],
              state: dict, hyper: dict, *, t: jax.Array,
              lr: jax.Array | None = None) -> tuple[dict, dict]:
        """Add the regularizers to the gradients, evaluate the policies at
        ``t``, then run the rule on every parameter (pure, traceable)."""
        grads = dict(grads)
        for name, w in params.items():
            if name in grads and name in self._regularizers:
                grads[name] = self._regularized(name, w, grads[name], hyper)
        rule = dict(hyper["rule"])
        if self._uses_lr_policy:
            base = self.learning_rate_traced(hyper, t) if lr is None else lr
            rule["base_lr"] = jnp.asarray(base, hyper_dtype())
        if self._uses_mom_policy:
            mom, v = self.mom_policy, hyper["mom"]
            rule["momentum"] = mom.traced(v, t)
            rule["last_momentum"] = jnp.where(t <= 1, mom.traced_initial(v),
                                              mom.traced(v, t - 1))
        return super().apply(params, grads, state, {**hyper, "rule": rule}, t=t, lr=lr)

    def _regularized(self, name: str, w: jax.Array, g: jax.Array,
                     hyper: dict) -> jax.Array:
        """Mocha's ``backward(backend, regu, global_regu, param, gradient)``."""
        kind = self._regularizers[name][0]
        coef, regu_coef = hyper["regu"][name], hyper["regu_coef"]
        if kind == "l2":  # axpy!(convert(T, 2*coef*global_regu), W, grad)
            return g + (2.0 * coef * regu_coef).astype(g.dtype) * w.astype(g.dtype)
        return g + (coef * regu_coef).astype(g.dtype) * jnp.sign(w).astype(g.dtype)

    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        """Not provided: a Mocha solver updates inside the compiled step."""
        raise ParamError(f"{self._where()}: Mocha's solvers run inside the compiled "
                         "training step (apply / mxlite.training.TrainStep); the "
                         "imperative update(index, weight, grad, state) is MXNet's.")

    update_multi_precision = update

    def _config(self) -> dict:
        out = {"lr_policy": self.lr_policy, "mom_policy": self.mom_policy,
               "regu_coef": self.regu_coef}
        out.update({name: getattr(self, name) for name in self._hyper})
        return out


def _refuse(where: str, kwargs: dict) -> None:
    for name in kwargs:
        if name in _MXNET_ARGS:
            raise ParamError(f"{where}: {name!r} is an MXNet optimizer argument; a "
                             f"Mocha solver takes {_MXNET_ARGS[name]} instead.")
        raise ParamError(f"{where}: unknown solver parameter {name!r}.")


def _policy_at(policy: Any, iteration: int) -> float | None:
    if policy is None:
        return None
    return policy.initial() if iteration == 0 else policy.at(iteration)


def _f(h: dict, name: str, dtype: Any) -> jax.Array:
    """A solver parameter as Mocha's ``convert(data_type, x)``."""
    return h[name].astype(dtype)


class MochaSGD(_MochaSolver):
    """Mocha's ``SGD()`` solver (``solvers/sgd.jl``), for each parameter::

        lr   = lr_mult * lr_policy(iter)                       # in Float64
        hist = last_momentum * hist;  hist = hist + (-lr) * grad
        w    = w + hist

    Args:
        lr_policy: an ``LRPolicy`` (required; Mocha's default ``Fixed(0.01)``).
        mom_policy: a ``MomPolicy`` (required; Mocha's default ``Fixed(0.)``).
        regu_coef: the global regularization coefficient, >= 0.

    Example:
        >>> import jax.numpy as jnp
        >>> from mxlite.optimizer.mocha_policy import LRPolicy, MomPolicy
        >>> opt = MochaSGD(lr_policy=LRPolicy.Fixed(0.5), mom_policy=MomPolicy.Fixed(0.9))
        >>> params, grads = {"w": jnp.ones(2)}, {"w": jnp.ones(2)}
        >>> new, _ = opt.apply(params, grads, opt.init_state(params),
        ...                    opt.hyper_tree(["w"]), t=jnp.int32(1))
        >>> new["w"].tolist()
        [0.5, 0.5]
    """

    _method = "SGD"
    _uses_mom_policy = True
    _slots = ("param_history",)
    _defaults: ClassVar[dict[str, Any]] = {"lr_policy": lambda: LRFixed(0.01),
                                           "mom_policy": lambda: MomFixed(0.0)}

    def __init__(self, *, lr_policy: Any = None, mom_policy: Any = None,
                 regu_coef: float = 0.0005, **kwargs: Any) -> None:
        super().__init__(lr_policy=lr_policy, mom_policy=mom_policy,
                         regu_coef=regu_coef, **kwargs)

    def _rule(self, w: jax.Array, g: jax.Array, slots: dict, lr: jax.Array,
              wd: Any, *, t: jax.Array, h: dict) -> tuple[jax.Array, dict]:
        hist = _f(h, "last_momentum", w.dtype) * slots["param_history"]
        hist = hist + (-lr) * g
        return w + hist, {"param_history": hist}


class MochaNesterov(MochaSGD):
    """Mocha's ``Nesterov()`` solver (``solvers/nesterov.jl``; Bengio et al.'s
    reformulation), with ``lr`` as in :class:`MochaSGD`, ``last`` the
    previous iteration's momentum and ``mom`` this iteration's::

        w    = w + (-last) * hist
        hist = last * hist;  hist = hist + (-lr) * grad
        w    = w + (1 + mom) * hist

    Args: as :class:`MochaSGD`.
    """

    _method = "Nesterov"

    def _rule(self, w: jax.Array, g: jax.Array, slots: dict, lr: jax.Array,
              wd: Any, *, t: jax.Array, h: dict) -> tuple[jax.Array, dict]:
        dt = w.dtype
        last = _f(h, "last_momentum", dt)
        hist = slots["param_history"]
        w = w + (-last) * hist
        hist = last * hist
        hist = hist + (-lr) * g
        return w + (1.0 + h["momentum"]).astype(dt) * hist, {"param_history": hist}


class MochaAdam(_MochaSolver):
    """Mocha's ``Adam()`` solver (``solvers/adam.jl``), its formulas exactly::

        m = beta1 * m;  m = m + (1 - beta1) * grad
        v = v + (1 - beta2) * (beta2 * grad^2)        # NOTE: not Adam's v
        alpha_t = lr_policy(iter) * sqrt(1 - beta2^t) / (1 - beta1^t)   # Float64
        w = w + (-alpha_t) * (m / (sqrt(v) + epsilon))

    # NOTE: Mocha scales the squared gradient in place by ``beta2`` and then
    # adds ``(1 - beta2)`` times it to ``v``, which it never decays: ``v`` is
    # ``beta2*(1-beta2)`` times the running *sum* of squared gradients, not
    # the paper's moving average. Kept, because it is what Mocha trained with.
    Layers' learning-rate multipliers are ignored, as in Mocha.

    Args:
        lr_policy: required (Mocha's default ``LRPolicy.Inv(0.003, 0.0001, 0.5)``).
        beta1, beta2: in [0, 1) (0.9, 0.999).
        epsilon: >= 0 (1e-8).
        regu_coef, mom_policy: as :class:`MochaSGD` (the momentum policy is unused).
    """

    _method = "Adam"
    _uses_lr_mult = False
    _slots = ("grad_1st_moment_est", "grad_2nd_moment_est")
    _hyper = ("beta1", "beta2", "epsilon")
    _defaults: ClassVar[dict[str, Any]] = {
        "lr_policy": lambda: LRInv(0.003, 0.0001, 0.5), "beta1": 0.9, "beta2": 0.999,
        "epsilon": 1e-8}

    def __init__(self, *, lr_policy: Any = None, beta1: float = 0.9,
                 beta2: float = 0.999, epsilon: float = 1e-8, **kwargs: Any) -> None:
        where = self._where()
        check_hyper(where, "beta1", beta1, 0.0, 1.0, upper_open=True)
        check_hyper(where, "beta2", beta2, 0.0, 1.0, upper_open=True)
        check_hyper(where, "epsilon", epsilon, 0.0)
        super().__init__(lr_policy=lr_policy, **kwargs)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon

    def _rule(self, w: jax.Array, g: jax.Array, slots: dict, lr: jax.Array,
              wd: Any, *, t: jax.Array, h: dict) -> tuple[jax.Array, dict]:
        dt = w.dtype
        b1, b2 = h["beta1"], h["beta2"]
        m = b1.astype(dt) * slots["grad_1st_moment_est"]
        m = m + (1.0 - b1).astype(dt) * g
        g2 = b2.astype(dt) * (g * g)
        v = slots["grad_2nd_moment_est"] + (1.0 - b2).astype(dt) * g2
        tf = t.astype(hyper_dtype())
        alpha_t = h["base_lr"] * jnp.sqrt(1.0 - b2 ** tf) / (1.0 - b1 ** tf)
        delta = m / (jnp.sqrt(v) + _f(h, "epsilon", dt))
        new = w + (-alpha_t).astype(dt) * delta
        return new, {"grad_1st_moment_est": m, "grad_2nd_moment_est": v}


class MochaAdagrad(_MochaSolver):
    """Mocha's ``Adagrad()`` solver (``solvers/adagrad.jl``)::

        hist = hist + grad^2
        rate = gamma / (epsilon + sqrt(sum(hist)))     # ONE number per tensor
        w    = w + (-rate) * grad

    # NOTE: Mocha sums the whole history blob of a parameter before the square
    # root, so each tensor gets one scalar rate (the paper's is per element).
    No learning-rate policy and no multipliers: ``gamma`` is the rate.

    Args:
        gamma: the rate, >= 0 (1.0).
        epsilon: >= 0 (1e-8).
        regu_coef: as :class:`MochaSGD`.
    """

    _method = "Adagrad"
    _uses_lr_policy = False
    _uses_lr_mult = False
    _slots = ("param_history",)
    _hyper = ("gamma", "epsilon")
    _defaults: ClassVar[dict[str, Any]] = {"gamma": 1.0, "epsilon": 1e-8}

    def __init__(self, *, gamma: float = 1.0, epsilon: float = 1e-8,
                 **kwargs: Any) -> None:
        check_hyper(self._where(), "gamma", gamma, 0.0)
        check_hyper(self._where(), "epsilon", epsilon, 0.0)
        super().__init__(**kwargs)
        self.gamma, self.epsilon = gamma, epsilon

    def _rule(self, w: jax.Array, g: jax.Array, slots: dict, lr: jax.Array,
              wd: Any, *, t: jax.Array, h: dict) -> tuple[jax.Array, dict]:
        hist = slots["param_history"] + g * g
        total = jnp.sqrt(jnp.sum(hist)).astype(hyper_dtype())
        rate = h["gamma"] / (h["epsilon"] + total)
        return w + (-rate).astype(w.dtype) * g, {"param_history": hist}


class MochaAdadelta(_MochaSolver):
    """Mocha's ``Adadelta()`` solver (``solvers/adadelta.jl``)::

        gradients_sq = rho * gradients_sq + (1 - rho) * grad^2
        delta = sqrt(deltas_sq + eps) / sqrt(gradients_sq + eps) * grad
        deltas_sq = rho * deltas_sq + (1 - rho) * delta^2
        w = w - delta

    No learning-rate policy and no multipliers.

    Args:
        rho: in [0, 1] (0.95).
        eps: >= 0 (1e-6).
        regu_coef: as :class:`MochaSGD`.
    """

    _method = "Adadelta"
    _uses_lr_policy = False
    _uses_lr_mult = False
    _slots = ("gradients_sq", "deltas_sq")
    _hyper = ("rho", "eps")
    _defaults: ClassVar[dict[str, Any]] = {"rho": 0.95, "eps": 1e-6}

    def __init__(self, *, rho: float = 0.95, eps: float = 1e-6, **kwargs: Any) -> None:
        check_hyper(self._where(), "rho", rho, 0.0, 1.0)
        check_hyper(self._where(), "eps", eps, 0.0)
        super().__init__(**kwargs)
        self.rho, self.eps = rho, eps

    def _rule(self, w: jax.Array, g: jax.Array, slots: dict, lr: jax.Array,
              wd: Any, *, t: jax.Array, h: dict) -> tuple[jax.Array, dict]:
        dt = w.dtype
        rho, one_minus, eps = _f(h, "rho", dt), (1.0 - h["rho"]).astype(dt), _f(h, "eps", dt)
        gsq = rho * slots["gradients_sq"]
        gsq = gsq + one_minus * (g * g)
        delta = (jnp.sqrt(slots["deltas_sq"] + eps) / jnp.sqrt(gsq + eps)) * g
        dsq = rho * slots["deltas_sq"]
        dsq = dsq + one_minus * (delta * delta)
        return w + (-1.0) * delta, {"gradients_sq": gsq, "deltas_sq": dsq}


class MochaRMSProp(_MochaSolver):
    """RMSProp in Mocha's style: ``lr`` as in :class:`MochaSGD` (policy times
    multiplier), then::

        mean_square = rho * mean_square + (1 - rho) * grad^2
        w = w + (-lr) * (grad / sqrt(mean_square + eps))

    # NOTE: no Mocha source for an RMSProp solver was found (Mocha.jl's
    # ``src/solvers/`` as indexed has SGD, Nesterov, Adam, Adagrad, Adadelta).
    # This is Tieleman and Hinton's rule with ``eps`` under the square root as
    # in Mocha's Adadelta; the defaults (rho 0.9, eps 1e-8, Fixed(0.001)) are
    # this project's choice, not Mocha's.

    Args:
        lr_policy: required.
        rho: in [0, 1] (0.9).
        eps: >= 0 (1e-8).
        regu_coef: as :class:`MochaSGD`.
    """

    _method = "RMSProp"
    _slots = ("mean_square",)
    _hyper = ("rho", "eps")
    _defaults: ClassVar[dict[str, Any]] = {"lr_policy": lambda: LRFixed(0.001),
                                           "rho": 0.9, "eps": 1e-8}

    def __init__(self, *, lr_policy: Any = None, rho: float = 0.9, eps: float = 1e-8,
                 **kwargs: Any) -> None:
        check_hyper(self._where(), "rho", rho, 0.0, 1.0)
        check_hyper(self._where(), "eps", eps, 0.0)
        super().__init__(lr_policy=lr_policy, **kwargs)
        self.rho, self.eps = rho, eps

    def _rule(self, w: jax.Array, g: jax.Array, slots: dict, lr: jax.Array,
              wd: Any, *, t: jax.Array, h: dict) -> tuple[jax.Array, dict]:
        dt = w.dtype
        ms = _f(h, "rho", dt) * slots["mean_square"]
        ms = ms + (1.0 - h["rho"]).astype(dt) * (g * g)
        return w + (-lr) * (g / jnp.sqrt(ms + _f(h, "eps", dt))), {"mean_square": ms}
