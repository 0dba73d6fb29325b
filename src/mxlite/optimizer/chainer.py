"""Chainer 7.8.1's optimizers: its update rules on the shared pure core.

Each rule is Chainer's NumPy path (``update_core_cpu`` in
``chainer/optimizers/*.py``) in the same order of float32 operations: a
Python-float hyper-parameter meets a float32 array as a float32 scalar, and
what Chainer computes on the host in double (``1 - beta1``, Adam's
``alpha_t``) is computed here in float64 (mxlite runs JAX with x64) and cast
once. Slot names are Chainer's (``m``, ``v``, ``vhat``, ``h``, ``ms``,
``msg``, ``msdx``): they become the keys Chainer's serializers write.

What differs from MXNet's optimizers beside the formulas: Chainer has no
``rescale_grad``, ``clip_gradient``, ``wd`` or per-parameter multipliers of its
own; weight decay and clipping are hooks (``chainer_hooks.py``), added with
:meth:`add_hook` and run on all gradients before the rule, inside ``apply``.
Chainer's per-parameter ``update_rule.hyperparam`` is not provided.

These classes are not in the ``mx.optimizer.create`` registry (``'sgd'`` and
``'adam'`` are MXNet's); the Chainer dialect wraps them as
``optimizers.SGD``, ``optimizers.Adam``...
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from ..base import ParamError
from ._rule import _is_number, hyper_dtype
from .chainer_hooks import HookedOptimizer
from .optimizer import Optimizer, check_hyper
from .policy import AllDecayPolicy

__all__ = [
    "ChainerAdaDelta",
    "ChainerAdaGrad",
    "ChainerAdam",
    "ChainerMomentumSGD",
    "ChainerRMSprop",
    "ChainerSGD",
]


class _ChainerOptimizer(HookedOptimizer, Optimizer):
    """Chainer's optimizer semantics on :class:`Optimizer`'s pure pair.

    ``lr`` (when the rule has one) reaches ``_rule`` as its ``lr`` argument;
    every other number in ``_hyper`` is traced in ``h``; booleans in ``_hyper``
    are structure. ``_args`` are the constructor's arguments, in order.
    """

    # No name-based exemptions; with wd = 0 nothing decays anyway: Chainer's
    # decay is the WeightDecay hook, which treats every parameter alike.
    _policy_class = AllDecayPolicy
    _chainer_name = ""
    _has_lr = True
    _args: tuple[str, ...] = ()

    def __init__(self, lr: float | None = None) -> None:
        super().__init__(learning_rate=lr if self._has_lr else None)
        if not self._has_lr:
            self.lr = None  # Chainer's Adam and AdaDelta have no lr

    @classmethod
    def _where(cls) -> str:
        return f"optimizers.{cls._chainer_name}"

    # -- the pure pair: hooks, then the rule --------------------------------------
    def rule_values(self) -> dict[str, float]:
        """The numeric hyper-parameters ``_rule`` reads from ``h``."""
        return {name: float(getattr(self, name)) for name in self._hyper
                if _is_number(getattr(self, name))}

    def hyper_values(self, names: Sequence[str]) -> dict:
        """The traced inputs of an update, as Python floats."""
        return {"lr": float(self.lr) if self._has_lr else 0.0, "schedule": {},
                "rule": self.rule_values(), "lr_mult": {}, "wd": {},
                "hooks": self._hook_values()}

    def structure(self, names: Sequence[str]) -> Hashable:
        """The rule's switches and slots, and the hooks' kinds in order."""
        return (self._structure(), self._hook_structure())

    def apply(self, params: dict[str, jax.Array], grads: dict[str, jax.Array],
              state: dict, hyper: dict, *, t: jax.Array,
              lr: jax.Array | None = None) -> tuple[dict, dict]:
        """Run the hooks on the gradients of ``params``, then the rule (pure)."""
        if all(name in grads for name in params):
            grads = self._run_hooks(params, {n: grads[n] for n in params}, hyper)
        return super().apply(params, grads, state, hyper, t=t, lr=lr)

    # -- what MXNet has and Chainer has not -----------------------------------------
    def set_lr_mult(self, args_lr_mult: dict) -> None:
        """Not in Chainer: raises ParamError."""
        raise ParamError(f"{self._where()}: Chainer's optimizers have no per-parameter "
                         "lr multipliers (set_lr_mult is MXNet's).")

    def set_wd_mult(self, args_wd_mult: dict) -> None:
        """Not in Chainer: raises ParamError."""
        raise ParamError(f"{self._where()}: Chainer's optimizers have no weight-decay "
                         "multipliers; add a WeightDecay hook instead.")

    def _config(self) -> dict:
        return {name: getattr(self, name) for name in self._args}


class ChainerSGD(_ChainerOptimizer):
    """Chainer's ``optimizers.SGD``: ``w -= lr * g``.

    Args:
        lr: learning rate, >= 0.

    Example:
        >>> import jax.numpy as jnp
        >>> opt = ChainerSGD(lr=0.5)
        >>> params, grads = {"W": jnp.ones(2)}, {"W": jnp.ones(2)}
        >>> new, _ = opt.apply(params, grads, opt.init_state(params),
        ...                    opt.hyper_tree(["W"]), t=jnp.int32(1))
        >>> new["W"].tolist()
        [0.5, 0.5]
    """

    _chainer_name = "SGD"
    _args = ("lr",)

    def __init__(self, lr: float = 0.01) -> None:
        check_hyper(self._where(), "lr", lr, 0.0)
        super().__init__(lr)

    def _rule(self, w: jax.Array, g: jax.Array, slots: dict, lr: jax.Array,
              wd: Any, *, t: jax.Array, h: dict) -> tuple[jax.Array, dict]:
        return w - lr * g, {}


class ChainerMomentumSGD(_ChainerOptimizer):
    """Chainer's ``optimizers.MomentumSGD``: ``v = momentum*v - lr*g; w += v``.

    Args:
        lr: learning rate, >= 0.
        momentum: decay of the velocity ``v``, >= 0.
    """

    _chainer_name = "MomentumSGD"
    _slots = ("v",)
    _hyper = ("momentum",)
    _args = ("lr", "momentum")

    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        check_hyper(self._where(), "lr", lr, 0.0)
        check_hyper(self._where(), "momentum", momentum, 0.0)
        super().__init__(lr)
        self.momentum = momentum

    def _rule(self, w: jax.Array, g: jax.Array, slots: dict, lr: jax.Array,
              wd: Any, *, t: jax.Array, h: dict) -> tuple[jax.Array, dict]:
        v = slots["v"] * h["momentum"].astype(w.dtype) - lr * g
        return w + v, {"v": v}


def _f(h: dict, name: str, dtype: Any) -> jax.Array:
    """Hyper-parameter ``name`` as Chainer's float32 kernels see a Python float."""
    return h[name].astype(dtype)


def _one_minus(h: dict, name: str, dtype: Any) -> jax.Array:
    """``1 - h[name]`` computed in double (Chainer does it on the host), then cast."""
    return (1.0 - h[name]).astype(dtype)


class ChainerAdam(_ChainerOptimizer):
    """Chainer's ``optimizers.Adam`` (with AdamW's ``eta``/``weight_decay_rate``,
    AMSGrad and AdaBound), its NumPy path::

        m += (1 - beta1) * (g - m)
        v += (1 - beta2) * (g*g - v)
        vhat = max(vhat, v) if amsgrad else v
        step = alpha_t / (sqrt(vhat) + eps)      # alpha_t: see alpha_at
        step = clip(step, lower_t, upper_t)      # adabound only
        w = (1 - eta*weight_decay_rate) * w - eta * (step * m)

    ``eps`` is added to ``sqrt(v)`` of the *uncorrected* ``v``; the bias
    correction is in ``alpha_t`` (optax divides by ``sqrt(v_hat) + eps``).

    Args:
        alpha: step size, >= 0.
        beta1, beta2: moment decay rates in [0, 1).
        eps: added to ``sqrt(vhat)``, >= 0.
        eta: schedule multiplier, >= 0.
        weight_decay_rate: decoupled weight decay (AdamW), >= 0.
        amsgrad: keep ``vhat``, the running maximum of ``v`` (AMSGrad).
        adabound: clip the step to AdaBound's bounds.
        final_lr, gamma: AdaBound's final rate and bound speed, >= 0.
            The bounds scale with ``alpha / initial_alpha``, where
            ``initial_alpha`` is ``alpha`` at construction (Chainer: at setup).
    """

    _chainer_name = "Adam"
    _has_lr = False
    _hyper = ("alpha", "beta1", "beta2", "eps", "eta", "weight_decay_rate", "amsgrad",
              "adabound", "final_lr", "gamma", "initial_alpha")
    _args = ("alpha", "beta1", "beta2", "eps", "eta", "weight_decay_rate", "amsgrad",
             "adabound", "final_lr", "gamma")

    def __init__(self, alpha: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, eta: float = 1.0, weight_decay_rate: float = 0,
                 amsgrad: bool = False, adabound: bool = False, final_lr: float = 0.1,
                 gamma: float = 1e-3) -> None:
        where = self._where()
        for name, value in (("alpha", alpha), ("eps", eps), ("eta", eta),
                            ("weight_decay_rate", weight_decay_rate),
                            ("final_lr", final_lr), ("gamma", gamma)):
            check_hyper(where, name, value, 0.0)
        check_hyper(where, "beta1", beta1, 0.0, 1.0, upper_open=True)
        check_hyper(where, "beta2", beta2, 0.0, 1.0, upper_open=True)
        super().__init__()
        self.alpha, self.beta1, self.beta2, self.eps = alpha, beta1, beta2, eps
        self.eta, self.weight_decay_rate = eta, weight_decay_rate
        self.amsgrad, self.adabound = bool(amsgrad), bool(adabound)
        self.final_lr, self.gamma = final_lr, gamma
        self.initial_alpha = alpha

    def alpha_at(self, t: int) -> float:
        """Chainer's ``alpha_t`` at update count ``t`` (>= 1), on the host:
        ``alpha * sqrt(1 - beta2**t) / (1 - beta1**t)``."""
        if t == 0:
            raise ParamError(f"{self._where()}: can't determine the learning rate of "
                             "Adam because the update steps have not been started "
                             "(t = 0).")
        fix1 = 1.0 - math.pow(self.beta1, t)
        fix2 = 1.0 - math.pow(self.beta2, t)
        return self.alpha * math.sqrt(fix2) / fix1

    def _slot_names(self) -> tuple[str, ...]:
        return ("m", "v", "vhat") if self.amsgrad else ("m", "v")

    def _rule(self, w: jax.Array, g: jax.Array, slots: dict, lr: jax.Array,
              wd: Any, *, t: jax.Array, h: dict) -> tuple[jax.Array, dict]:
        dt = w.dtype
        m = slots["m"] + _one_minus(h, "beta1", dt) * (g - slots["m"])
        v = slots["v"] + _one_minus(h, "beta2", dt) * (g * g - slots["v"])
        out = {"m": m, "v": v}
        vhat = v
        if self.amsgrad:
            vhat = out["vhat"] = jnp.maximum(slots["vhat"], v)
        tf = t.astype(hyper_dtype())
        step = _alpha_t(h, tf).astype(dt) / (jnp.sqrt(vhat) + _f(h, "eps", dt))
        if self.adabound:
            lower, upper = _bounds(h, tf)
            step = jnp.clip(step, lower.astype(dt), upper.astype(dt))
        # Chainer's _inplace_axpby(w, 1 - eta*wdr, -eta, step*m), a and b on the host.
        a = (1.0 - h["eta"] * h["weight_decay_rate"]).astype(dt)
        return a * w + (-h["eta"]).astype(dt) * (step * m), out


def _alpha_t(h: dict, tf: jax.Array) -> jax.Array:
    """Adam's ``alpha_t`` in the hyper dtype, in Chainer's order of operations."""
    fix1 = 1.0 - h["beta1"] ** tf
    fix2 = 1.0 - h["beta2"] ** tf
    return h["alpha"] * jnp.sqrt(fix2) / fix1


def _bounds(h: dict, tf: jax.Array) -> tuple[jax.Array, jax.Array]:
    """AdaBound's ``(lower, upper)`` at update ``tf``, as ``AdamRule.bounds``."""
    final_lr = h["final_lr"] * h["alpha"] / h["initial_alpha"]
    lower = final_lr * (1.0 - 1.0 / (h["gamma"] * tf + 1))
    upper = final_lr * (1.0 + 1.0 / (h["gamma"] * tf))
    return lower, upper


class ChainerAdaGrad(_ChainerOptimizer):
    """Chainer's ``optimizers.AdaGrad``::

        h += g*g;  w -= lr * g / (sqrt(h) + eps)

    Args:
        lr: learning rate, >= 0.
        eps: added to ``sqrt(h)``, >= 0.
    """

    _chainer_name = "AdaGrad"
    _slots = ("h",)
    _hyper = ("eps",)
    _args = ("lr", "eps")

    def __init__(self, lr: float = 0.001, eps: float = 1e-8) -> None:
        check_hyper(self._where(), "lr", lr, 0.0)
        check_hyper(self._where(), "eps", eps, 0.0)
        super().__init__(lr)
        self.eps = eps

    def _rule(self, w: jax.Array, g: jax.Array, slots: dict, lr: jax.Array,
              wd: Any, *, t: jax.Array, h: dict) -> tuple[jax.Array, dict]:
        acc = slots["h"] + g * g
        return w - lr * g / (jnp.sqrt(acc) + _f(h, "eps", w.dtype)), {"h": acc}


class ChainerRMSprop(_ChainerOptimizer):
    """Chainer's ``optimizers.RMSprop``::

        ms = alpha*ms + (1 - alpha)*g*g
        w -= lr * g / (sqrt(ms) + eps)        # eps_inside_sqrt: sqrt(ms + eps)

    Args:
        lr: learning rate, >= 0.
        alpha: decay of the mean square, in [0, 1].
        eps: >= 0.
        eps_inside_sqrt: add ``eps`` under the square root.
    """

    _chainer_name = "RMSprop"
    _slots = ("ms",)
    _hyper = ("alpha", "eps", "eps_inside_sqrt")
    _args = ("lr", "alpha", "eps", "eps_inside_sqrt")

    def __init__(self, lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8,
                 eps_inside_sqrt: bool = False) -> None:
        check_hyper(self._where(), "lr", lr, 0.0)
        check_hyper(self._where(), "alpha", alpha, 0.0, 1.0)
        check_hyper(self._where(), "eps", eps, 0.0)
        super().__init__(lr)
        self.alpha, self.eps = alpha, eps
        self.eps_inside_sqrt = bool(eps_inside_sqrt)

    def _rule(self, w: jax.Array, g: jax.Array, slots: dict, lr: jax.Array,
              wd: Any, *, t: jax.Array, h: dict) -> tuple[jax.Array, dict]:
        dt = w.dtype
        ms = slots["ms"] * _f(h, "alpha", dt) + _one_minus(h, "alpha", dt) * g * g
        eps = _f(h, "eps", dt)
        denom = jnp.sqrt(ms + eps) if self.eps_inside_sqrt else jnp.sqrt(ms) + eps
        return w - lr * g / denom, {"ms": ms}


class ChainerAdaDelta(_ChainerOptimizer):
    """Chainer's ``optimizers.AdaDelta`` (Zeiler's ADADELTA; no learning rate)::

        msg = rho*msg + (1 - rho)*g*g
        dx = sqrt((msdx + eps) / (msg + eps)) * g
        msdx = rho*msdx + (1 - rho)*dx*dx
        w -= dx

    Args:
        rho: decay of both averages, in [0, 1].
        eps: >= 0.
    """

    _chainer_name = "AdaDelta"
    _has_lr = False
    _slots = ("msg", "msdx")
    _hyper = ("rho", "eps")
    _args = ("rho", "eps")

    def __init__(self, rho: float = 0.95, eps: float = 1e-6) -> None:
        check_hyper(self._where(), "rho", rho, 0.0, 1.0)
        check_hyper(self._where(), "eps", eps, 0.0)
        super().__init__()
        self.rho, self.eps = rho, eps

    def _rule(self, w: jax.Array, g: jax.Array, slots: dict, lr: jax.Array,
              wd: Any, *, t: jax.Array, h: dict) -> tuple[jax.Array, dict]:
        dt = w.dtype
        rho, one_minus_rho = _f(h, "rho", dt), _one_minus(h, "rho", dt)
        eps = _f(h, "eps", dt)
        msg = slots["msg"] * rho + one_minus_rho * g * g
        dx = jnp.sqrt((slots["msdx"] + eps) / (msg + eps)) * g
        msdx = slots["msdx"] * rho + one_minus_rho * dx * dx
        return w - dx, {"msg": msg, "msdx": msdx}
