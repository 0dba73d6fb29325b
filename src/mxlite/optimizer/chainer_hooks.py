"""Chainer 7.8.1's optimizer hooks as pure gradient transforms.

Chainer's hooks (``chainer/optimizer_hooks/*.py``) mutate ``param.grad`` in
place before the update rules run, in the order they were added. Here each is
a pure function of all parameters and gradients at once, run by the Chainer
optimizers' ``apply`` (``chainer.py``) inside the compiled step:

- a hook's numbers (``rate``, ``threshold``, the bounds) travel in the
  optimizer's ``hyper_tree`` under ``"hooks"``, so ``hook.rate = 1e-3``
  between two steps reaches the next compiled call;
- a hook's kind and its place in the order are part of the optimizer's
  ``structure()``, so adding or removing one compiles a new step.

Only ``timing='pre'`` hooks exist (Chainer's four are all 'pre').
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import ClassVar

import jax
import jax.numpy as jnp

from ..base import ParamError, did_you_mean
from ._rule import hyper_dtype
from .optimizer import check_hyper

__all__ = [
    "GradientClipping",
    "GradientHardClipping",
    "GradientHook",
    "HookedOptimizer",
    "Lasso",
    "WeightDecay",
]


class GradientHook:
    """Base of the hooks: a pure transform of the gradients before the rule.

    Subclasses list their numeric attributes in ``_fields`` (they are traced)
    and define :meth:`transform`, or :meth:`_per_param` for a hook that
    treats each parameter alone (Chainer's ``call_for_each_param = True``).
    """

    name: ClassVar[str] = "GradientHook"
    timing: ClassVar[str] = "pre"
    call_for_each_param: ClassVar[bool] = True
    _fields: ClassVar[tuple[str, ...]] = ()

    def hyper_values(self) -> dict[str, float]:
        """The hook's traced numbers, as Python floats."""
        return {field: float(getattr(self, field)) for field in self._fields}

    def structure(self) -> Hashable:
        """What a compiled step depends on beyond :meth:`hyper_values`."""
        return type(self).__qualname__

    def transform(self, params: dict[str, jax.Array], grads: dict[str, jax.Array],
                  h: dict) -> dict[str, jax.Array]:
        """New gradients for every name in ``grads`` (pure, traceable).

        ``h`` holds this hook's :meth:`hyper_values` as 0-d arrays.
        """
        return {name: self._per_param(params[name], g, h) for name, g in grads.items()}

    def _per_param(self, w: jax.Array, g: jax.Array, h: dict) -> jax.Array:
        raise NotImplementedError(f"{type(self).__name__} must define transform "
                                  "or _per_param")

    def __repr__(self) -> str:
        args = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._fields)
        return f"{type(self).__name__}({args})"


class WeightDecay(GradientHook):
    """Chainer's ``optimizer_hooks.WeightDecay``: ``g += rate * w`` (L2).

    Args:
        rate: coefficient of the decay, >= 0.

    Example:
        >>> WeightDecay(5e-4).name, WeightDecay(5e-4).timing
        ('WeightDecay', 'pre')
    """

    name = "WeightDecay"
    _fields = ("rate",)

    def __init__(self, rate: float) -> None:
        check_hyper("optimizer_hooks.WeightDecay", "rate", rate, 0.0)
        self.rate = rate

    def _per_param(self, w: jax.Array, g: jax.Array, h: dict) -> jax.Array:
        return g + h["rate"].astype(g.dtype) * w


class Lasso(GradientHook):
    """Chainer's ``optimizer_hooks.Lasso``: ``g += rate * sign(w)`` (L1).

    Args:
        rate: coefficient of the decay, >= 0.
    """

    name = "Lasso"
    _fields = ("rate",)

    def __init__(self, rate: float) -> None:
        check_hyper("optimizer_hooks.Lasso", "rate", rate, 0.0)
        self.rate = rate

    def _per_param(self, w: jax.Array, g: jax.Array, h: dict) -> jax.Array:
        return g + h["rate"].astype(g.dtype) * jnp.sign(w)


class GradientHardClipping(GradientHook):
    """Chainer's ``optimizer_hooks.GradientHardClipping``: clip each element.

    Args:
        lower_bound, upper_bound: the gradient is clipped to this range
            (``lower_bound <= upper_bound``).
    """

    name = "GradientHardClipping"
    _fields = ("lower_bound", "upper_bound")

    def __init__(self, lower_bound: float, upper_bound: float) -> None:
        where = "optimizer_hooks.GradientHardClipping"
        check_hyper(where, "lower_bound", lower_bound, float("-inf"))
        check_hyper(where, "upper_bound", upper_bound, float("-inf"))
        if lower_bound > upper_bound:
            raise ParamError(f"{where}: lower_bound must be <= upper_bound; got "
                             f"lower_bound={lower_bound!r}, upper_bound={upper_bound!r}.")
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def _per_param(self, w: jax.Array, g: jax.Array, h: dict) -> jax.Array:
        return jnp.clip(g, h["lower_bound"].astype(g.dtype),
                        h["upper_bound"].astype(g.dtype))


class GradientClipping(GradientHook):
    """Chainer's ``optimizer_hooks.GradientClipping``: bound the global L2 norm.

    As Chainer's NumPy path computes it: each gradient's ``g.dot(g)`` in its
    own dtype, their sum and ``rate = threshold / sqrt(sum)`` in double
    precision (with x64), and every gradient multiplied by ``rate`` only when
    ``rate < 1`` (a zero norm gives ``rate = inf``: no change).

    Args:
        threshold: the largest L2 norm of all gradients together, >= 0.
    """

    name = "GradientClipping"
    call_for_each_param = False
    _fields = ("threshold",)

    def __init__(self, threshold: float) -> None:
        check_hyper("optimizer_hooks.GradientClipping", "threshold", threshold, 0.0)
        self.threshold = threshold

    def transform(self, params: dict[str, jax.Array], grads: dict[str, jax.Array],
                  h: dict) -> dict[str, jax.Array]:
        hp = hyper_dtype()
        sqnorm = jnp.zeros((), hp)
        for g in grads.values():
            flat = g.ravel()
            sqnorm = sqnorm + jnp.dot(flat, flat).astype(hp)
        rate = h["threshold"].astype(hp) / jnp.sqrt(sqnorm)
        rate = jnp.where(rate >= 1, jnp.ones((), hp), rate)
        return {name: g * rate.astype(g.dtype) for name, g in grads.items()}


class HookedOptimizer:
    """Mixin: Chainer's ``add_hook``/``remove_hook``, run as pure transforms.

    The optimizer's ``apply`` calls :meth:`_run_hooks` on the gradients
    before its rule; ``hyper_values`` adds :meth:`_hook_values` under
    ``"hooks"`` and ``structure`` adds :meth:`_hook_structure`.
    """

    def _where(self) -> str:
        return type(self).__name__

    @property
    def hooks(self) -> dict[str, GradientHook]:
        """The hooks by registered name, in the order they run (a copy)."""
        return dict(self.__dict__.get("_hooks", {}))

    def add_hook(self, hook: GradientHook, name: str | None = None,
                 timing: str = "auto") -> None:
        """Register ``hook`` to transform the gradients before every update.

        Hooks run in the order added. Their numbers (``hook.rate``...) are
        read at each ``hyper_tree``, never baked into a compiled step.

        Args:
            hook: a :class:`GradientHook` (``WeightDecay``, ``Lasso``,
                ``GradientClipping``, ``GradientHardClipping``).
            name: the registration name; ``hook.name`` when None.
            timing: 'auto' (the hook's own, 'pre') or 'pre'.

        Raises:
            ParamError: not a GradientHook, a 'post' timing, or the name is
                already registered (Chainer raises KeyError there).
        """
        where = f"{self._where()}.add_hook"
        if not isinstance(hook, GradientHook):
            raise ParamError(f"{where}: mxlite runs optimizer hooks inside the compiled "
                             f"step as pure gradient transforms; got {hook!r}. Use "
                             "WeightDecay, Lasso, GradientClipping or "
                             "GradientHardClipping, or subclass GradientHook.")
        if timing not in ("pre", "post", "auto"):
            raise ParamError(f"{where}: timing must be one of ('pre', 'post', 'auto'); "
                             f"got {timing!r}.")
        if (hook.timing if timing == "auto" else timing) != "pre":
            raise ParamError(f"{where}: only 'pre' hooks (before the update) are "
                             f"supported; got timing {timing!r} for {hook!r}.")
        name = hook.name if name is None else name
        hooks = self.__dict__.setdefault("_hooks", {})
        if name in hooks:
            raise ParamError(f"{where}: hook {name!r} already exists. Remove it first "
                             f"with remove_hook({name!r}), or pass another name=.")
        hooks[name] = hook

    def remove_hook(self, name: str) -> None:
        """Unregister the hook called ``name``."""
        hooks = self.__dict__.get("_hooks", {})
        if name not in hooks:
            known = ", ".join(map(repr, hooks)) or "none"
            raise ParamError(f"{self._where()}.remove_hook: no hook named {name!r}."
                             f"{did_you_mean(name, hooks)} Registered: {known}.")
        del hooks[name]

    def _hook_values(self) -> dict[str, dict[str, float]]:
        return {name: hook.hyper_values() for name, hook in self.hooks.items()}

    def _hook_structure(self) -> tuple:
        return tuple((name, hook.structure()) for name, hook in self.hooks.items())

    def _run_hooks(self, params: dict[str, jax.Array], grads: dict[str, jax.Array],
                   hyper: dict) -> dict[str, jax.Array]:
        """The hooks, in order, on ``grads`` with their traced values in ``hyper``."""
        values = hyper.get("hooks", {})
        for name, hook in self.hooks.items():
            if name not in values:
                raise ParamError(f"{self._where()}.apply: hyper has no values for hook "
                                 f"{name!r}; it was built before the hook was added. "
                                 "Call hyper_tree(names) again after add_hook.")
            grads = hook.transform(params, grads, values[name])
        return grads
