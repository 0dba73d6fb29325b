"""The pure update core of every optimizer: traced hyper-parameters.

An optimizer's rule is a pure pair, as optax's ``GradientTransformation``::

    state = opt.init_state(params)               # {"slots": {name: {slot: array}}}
    hyper = opt.hyper_tree(names)                # traced values, see below
    params, state = opt.apply(params, grads, state, hyper, t=t)

Everything a rule reads that may change between steps (the learning rate or
its schedule's parameters, momentum, betas, epsilon, ``rescale_grad``, the
clip bound, each parameter's multipliers) travels in ``hyper`` as 0-d arrays
(``optax.inject_hyperparams``'s idea), so changing ``opt.lr`` or calling
``set_lr_mult`` can never meet a stale trace. What changes the program's
*shape* (which slots exist, whether clipping is on, which weights have no
decay, the schedule's kind) is ``opt.structure(names)``: the compiled step is
keyed on it, so a change there compiles a new program instead of reusing one.

``apply`` returns new parameters, not optax "updates": MXNet's arithmetic
(``w + mom``, ``(1 - lr*wd)*w - lr*g``) is reproduced to the last float, and
``w + (w_new - w)`` would not round back to ``w_new``. The update count ``t``
(Adam's bias correction, the schedule) is the training state's one step
counter plus one, passed in by the caller.
"""

from __future__ import annotations

import logging
import numbers
from collections.abc import Hashable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..base import ParamError

__all__ = ["PackedHyper", "RuleCore"]

logger = logging.getLogger("mxlite.optimizer")

_LOW_PRECISION = (np.dtype(np.float16), np.dtype(jnp.bfloat16))
MASTER = "weight32"
_ZERO = np.zeros((), np.float64)


def _is_number(value: Any) -> bool:
    kind = type(value)
    if kind is float or kind is int:  # the common case, without the ABC check
        return True
    return isinstance(value, numbers.Real) and kind is not bool


def hyper_dtype() -> Any:
    """Hyper-parameters travel in float64 when JAX has x64 (mxlite turns it
    on): a Python float cast once to the weight's dtype, as MXNet's kernels got it."""
    return jnp.float64 if jax.config.jax_enable_x64 else jnp.float32


@jax.tree_util.register_pytree_node_class
class PackedHyper:
    """The hyper-parameters as ONE vector: a compiled step takes one argument
    for them instead of one per value (each argument costs dispatch time on
    every call), unpacked inside the trace. The tree structure is static."""

    __slots__ = ("treedef", "values")

    def __init__(self, values: Any, treedef: Any) -> None:
        self.values, self.treedef = values, treedef

    def tree_flatten(self) -> tuple:
        return (self.values,), self.treedef

    @classmethod
    def tree_unflatten(cls, treedef: Any, children: tuple) -> PackedHyper:
        return cls(children[0], treedef)

    def unpack(self) -> dict:
        """The hyper-parameter dict, each value a 0-d slice of the vector."""
        leaves = [self.values[i] for i in range(self.treedef.num_leaves)]
        return jax.tree_util.tree_unflatten(self.treedef, leaves)


class RuleCore:
    """Mixin: the pure ``init_state``/``apply`` of an optimizer's ``_rule``.

    Subclasses define ``_rule(w, g, slots, lr, wd, *, t, h)``, reading every
    hyper-parameter from ``h`` (a dict of 0-d arrays named as the
    constructor's arguments, plus ``rescale_grad`` and ``clip_gradient``).
    """

    _slots: tuple[str, ...] = ()
    _hyper: tuple[str, ...] = ()

    # -- what is traced and what is structure ---------------------------------
    def rule_values(self) -> dict[str, float]:
        """The numeric hyper-parameters ``_rule`` reads from ``h``."""
        names = ("rescale_grad", "clip_gradient", *self._hyper)
        out = {}
        for name in names:
            value = getattr(self, name)
            if value is None:
                value = 0.0
            if _is_number(value):
                out[name] = float(value)
        return out

    def _structure(self) -> tuple:
        """The rule's static configuration (subclasses add their switches)."""
        flags = tuple((n, getattr(self, n)) for n in self._hyper
                      if not _is_number(getattr(self, n)))
        return (type(self).__qualname__, self._slot_names(), self._clipping(),
                bool(self.multi_precision), flags)

    def _schedule(self) -> Any:
        """The traceable schedule, or None (a constant rate or a host-only one)."""
        sched = self.lr_scheduler
        return sched if sched is not None and sched.traceable() else None

    def structure(self, names: Sequence[str]) -> Hashable:
        """Everything a compiled update of ``names`` depends on beyond ``hyper``."""
        sched = self._schedule()
        return (self._structure(),
                frozenset(n for n in names if self.lr_mult_of(n) != 1.0),
                frozenset(n for n in names if self.wd * self.wd_mult_of(n) != 0.0),
                None if sched is None else sched.structure(),
                self.lr_scheduler is not None and sched is None)

    def hyper_values(self, names: Sequence[str]) -> dict:
        """The traced inputs of an update of ``names``, as Python floats."""
        sched = self._schedule()
        lr_mults = {n: float(self.lr_mult_of(n)) for n in names}
        wds = {n: float(self.wd * self.wd_mult_of(n)) for n in names}
        return {"lr": float(self.lr or 0.0),
                "schedule": {} if sched is None else sched.traced_values(),
                "rule": self.rule_values(),
                "lr_mult": {n: m for n, m in lr_mults.items() if m != 1.0},
                "wd": {n: w for n, w in wds.items() if w != 0.0}}

    def _hyper_memo_for(self, names: Sequence[str]) -> list:
        """``[repr, values, tree or None, packed or None]``, rebuilt only when
        a value changed (the device forms are made on first use)."""
        values = self.hyper_values(names)
        key = repr(values)
        memo = getattr(self, "_hyper_memo", None)
        if memo is None or memo[0] != key:
            memo = self._hyper_memo = [key, values, None, None]
        return memo

    def hyper_tree(self, names: Sequence[str]) -> dict:
        """:meth:`hyper_values` as device arrays (reused while values are unchanged)."""
        memo = self._hyper_memo_for(names)
        if memo[2] is None:
            dtype = hyper_dtype()
            memo[2] = jax.tree_util.tree_map(lambda v: jnp.asarray(v, dtype), memo[1])
        return memo[2]

    def hyper_packed(self, names: Sequence[str]) -> PackedHyper:
        """:meth:`hyper_values` as ONE device vector (see :class:`PackedHyper`)."""
        memo = self._hyper_memo_for(names)
        if memo[3] is None:
            leaves, treedef = jax.tree_util.tree_flatten(memo[1])
            memo[3] = PackedHyper(jnp.asarray(np.asarray(leaves, np.float64),
                                              hyper_dtype()), treedef)
        return memo[3]

    def learning_rate_traced(self, hyper: dict, t: jax.Array) -> jax.Array | None:
        """The base rate of update ``t`` inside a trace; None for a host-only
        schedule (the caller passes that rate in)."""
        sched = self._schedule()
        if sched is not None:
            return sched.traced(hyper["schedule"], t)
        if self.lr_scheduler is not None:
            return None
        return hyper["lr"]

    def host_rates(self, done: int, count: int) -> np.ndarray | None:
        """Ask the schedule on the host for updates ``done+1 .. done+count``.

        The answers print MXNet's ``Update[n]: Change learning rate`` lines,
        and are the rates themselves (float32) for a schedule with no traced
        form; None when the compiled step computes its own rate. Keeps
        MXNet's ``num_update`` attribute at ``done + count``.
        """
        self.num_update = done + count
        sched = self.lr_scheduler
        if sched is None:
            return None
        lrs = [sched(done + i) for i in range(1, count + 1)]
        return None if sched.traceable() else np.asarray(lrs, np.float32)

    # -- the pure pair ------------------------------------------------------------
    def init_state(self, params: dict[str, jax.Array]) -> dict:
        """``{"slots": {name: {slot: array}}}``: the optimizer state, a pytree."""
        slots = {name: self._init_weight_state(w) for name, w in params.items()}
        return {"slots": slots}

    def apply(self, params: dict[str, jax.Array], grads: dict[str, jax.Array],
              state: dict, hyper: dict, *, t: jax.Array,
              lr: jax.Array | None = None) -> tuple[dict, dict]:
        """One update of every parameter: pure, traceable under ``jax.jit``.

        Args:
            params, grads: dicts name -> array (same names).
            state: from :meth:`init_state` or a previous ``apply``.
            hyper: from :meth:`hyper_tree` for these names.
            t: the update count including this update (int32 0-d).
            lr: the base rate, when a host-only schedule gave it.
        """
        missing = [name for name in params if name not in grads]
        if missing:
            raise ParamError(f"{type(self).__name__}.apply: no gradient for "
                             f"{missing}; grads must have the same names as params.")
        base = self.learning_rate_traced(hyper, t) if lr is None else lr
        if base is None:
            raise ParamError(f"{type(self).__name__}.apply: the lr_scheduler "
                             f"{type(self.lr_scheduler).__name__} has no traced form; "
                             "pass the rate as lr=.")
        new_params, new_slots = {}, {}
        for name, w in params.items():
            mult = hyper["lr_mult"].get(name)
            lr_n = base if mult is None else base * mult
            wd_n = hyper["wd"].get(name, _ZERO)
            new_params[name], new_slots[name] = self._step(
                w, grads[name], state["slots"][name], lr_n, wd_n, t=t, h=hyper["rule"])
        return new_params, {"slots": new_slots}

    # -- per tensor -----------------------------------------------------------------
    def _slot_names(self) -> tuple[str, ...]:
        """The state arrays this configuration keeps per weight."""
        return self._slots

    def _init_slots(self, w: jax.Array) -> dict[str, jax.Array]:
        return {name: _zeros_like(w) for name in self._slot_names()}

    def _wants_master(self, dtype: Any) -> bool:
        return bool(self.multi_precision) and np.dtype(dtype) in _LOW_PRECISION

    def _init_weight_state(self, w: jax.Array) -> dict[str, jax.Array]:
        if self._wants_master(w.dtype):
            master = w.astype(jnp.float32)
            return {**self._init_slots(master), MASTER: master}
        if np.dtype(w.dtype) == np.float16:
            logger.warning("Accumulating with float16 in optimizer can lead to poor "
                           "accuracy or slow convergence. Consider using "
                           "multi_precision=True option of the %s optimizer",
                           type(self).__name__)
        return self._init_slots(w)

    def _rule(self, w: jax.Array, g: jax.Array, slots: dict, lr: jax.Array,
              wd: Any, *, t: jax.Array, h: dict) -> tuple[jax.Array, dict]:
        """One update of one tensor: pure JAX, in ``w``'s dtype.

        ``lr`` is a 0-d array of ``w``'s dtype (multiplier applied), ``wd``
        one too or a NumPy zero (a decay known to be 0), ``t`` the int32
        update count including this update, ``h`` the traced hyper-parameters.
        """
        raise NotImplementedError(f"{type(self).__name__} must define _rule")

    def _step(self, w: jax.Array, g: jax.Array, slots: dict, lr: Any, wd: Any, *,
              t: jax.Array, h: dict) -> tuple[jax.Array, dict]:
        """Run ``_rule`` on ``w`` (or its float32 master copy) and cast back."""
        if MASTER in slots:
            master = slots[MASTER]
            inner = {k: v for k, v in slots.items() if k != MASTER}
            new, inner = self._rule(master, g.astype(master.dtype), inner,
                                    _cast(lr, master.dtype), _cast(wd, master.dtype),
                                    t=t, h=h)
            return new.astype(w.dtype), {**inner, MASTER: new}
        new, out = self._rule(w, g.astype(w.dtype), slots, _cast(lr, w.dtype),
                              _cast(wd, w.dtype), t=t, h=h)
        out = {k: v.astype(slots[k].dtype) for k, v in out.items()}
        return new.astype(w.dtype), out

    # -- helpers the rules share ----------------------------------------------------
    def _clipping(self) -> bool:
        c = self.clip_gradient
        return c is not None and c > 0

    def _clip(self, h: dict, x: jax.Array) -> jax.Array:
        """MXNet's clip (after rescaling): to [-c, c] when clip_gradient > 0."""
        if not self._clipping():
            return x
        c = h["clip_gradient"].astype(x.dtype)
        return jnp.clip(x, -c, c)

    @staticmethod
    def _rescale(g: jax.Array, h: dict) -> jax.Array:
        return g * h["rescale_grad"].astype(g.dtype)

    @staticmethod
    def _plus_wd(x: jax.Array, w: jax.Array, wd: Any) -> jax.Array:
        """``x + wd*w``, or ``x`` itself when ``wd`` is a known zero.

        ``apply`` passes a weight's decay as a NumPy zero when it is 0 (part
        of :meth:`structure`). Skipping it saves a read of ``w`` in every
        loop that needs the decayed gradient: Adam's two moment updates run
        as separate loops on XLA:CPU, and on a 1000x1000 layer that read is
        about 8% of the training step. (A weight holding inf or NaN then
        keeps ``x`` instead of turning it into NaN.)
        """
        if isinstance(wd, np.ndarray) and not wd.any():
            return x
        return x + wd * w

    @staticmethod
    def _bias_corrected_lr(lr: jax.Array, t: jax.Array, beta1: jax.Array,
                           beta2: jax.Array) -> jax.Array:
        """``lr * sqrt(1 - beta2**t) / (1 - beta1**t)`` (Adam's step size).

        MXNet computes this factor on the host in double precision and casts
        the product to float32; here it is computed in float64 too when JAX
        has x64 enabled (mxlite enables it), else in float32.
        """
        hp = hyper_dtype()
        tf = t.astype(hp)
        coef = jnp.sqrt(1.0 - beta2.astype(hp) ** tf) / (1.0 - beta1.astype(hp) ** tf)
        return (lr.astype(hp) * coef).astype(lr.dtype)


def _zeros_like(w: Any) -> jax.Array:
    """Zeros like ``w``, placed from the host: a slot created outside a trace
    compiles nothing (``jnp.zeros_like`` compiles one program per shape)."""
    if isinstance(w, jax.core.Tracer) or not isinstance(w, jax.Array):
        return jnp.zeros_like(w)
    return jax.device_put(np.zeros(w.shape, w.dtype), w.sharding)


def _cast(x: Any, dtype: Any) -> Any:
    """``x`` in ``dtype``; a NumPy constant stays one (its value is known
    while tracing, see ``RuleCore._plus_wd``)."""
    if isinstance(x, np.ndarray):
        return x.astype(dtype)
    return jnp.asarray(x).astype(dtype)
