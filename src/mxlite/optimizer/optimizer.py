"""The optimizer base class, its registry, and the pure update core.

Every optimizer defines its update rule ONCE, as a pure JAX function of one
tensor (``_rule``). Two front ends call it:

- the pure core for compiled training steps::

      state = opt.init_state(params)                      # dict name -> array
      params, state = opt.apply(params, grads, state, lr)  # traceable under jit

  ``lr`` is the scheduled base rate (``opt.lr_at(num_update)``) passed as an
  argument, so a schedule never recompiles; per-name ``lr_mult``/``wd_mult``
  and every hyper-parameter are read when ``apply`` is traced (change them
  before compiling). The update count (Adam's bias correction) is
  ``state['count']``.
- MXNet's imperative API, ``opt.create_state(index, weight)`` and
  ``opt.update(index, weight, grad, state)`` on NDArrays (through
  ``mx.optimizer.get_updater``), which runs the same ``_rule`` under a cached
  ``jax.jit``.

MXNet semantics kept: ``rescale_grad`` multiplies the raw gradient and clipping
comes after it; weight decay is 0 for every name in ``param_idx2name`` that
does not end in ``_weight`` or ``_gamma``; the symbol attributes
``__lr_mult__``/``__wd_mult__`` and then ``set_lr_mult``/``set_wd_mult`` override
that; the k-th update of a parameter uses ``lr_scheduler(num_update)`` with
``num_update`` counting that update.

Differences from MXNet 1.9.1:

- ``clip_gradient`` is on when it is a number > 0, for every optimizer. (MXNet's
  fused kernels ignored 0 and negative values, but AdaGrad and AdaDelta, which
  were written in Python, clipped to [0, 0] for ``clip_gradient=0``.)
- The float16 warning without ``multi_precision`` is a log line, not a
  ``warnings.warn``; ``multi_precision=True`` keeps a float32 master copy for
  float16 and bfloat16 weights in every optimizer.
- The learning-rate override warning is logged, not printed.
"""

from __future__ import annotations

import difflib
import inspect
import logging
import numbers
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from ..base import DTypeError, ParamError, ShapeError
from ..ndarray import NDArray

__all__ = ["Optimizer", "create", "register"]

_LOW_PRECISION = (np.dtype(np.float16), np.dtype(jnp.bfloat16))
_MASTER = "weight32"


class Optimizer:
    """Base class of the optimizers (MXNet 1.9.1's ``mx.optimizer.Optimizer``).

    Args:
        rescale_grad: multiplies every gradient first (Module sets
            ``1/batch_size``).
        param_idx2name: dict index -> parameter name; names not ending in
            ``_weight``/``_gamma`` get no weight decay.
        wd: weight decay (L2) coefficient.
        clip_gradient: clip the rescaled gradient to [-c, c] when c > 0.
        learning_rate: base rate; overrides ``lr_scheduler.base_lr`` when both
            are given; 0.01 when neither is.
        lr_scheduler: an ``mx.lr_scheduler`` schedule of ``num_update``.
        sym: a Symbol whose variables' ``__lr_mult__``/``__wd_mult__`` apply.
        begin_num_update: the update count to start from (resuming).
        multi_precision: keep a float32 master copy of float16/bfloat16 weights.
        param_dict: dict index -> object with ``lr_mult``/``wd_mult``
            attributes (Gluon parameters); takes precedence over the rest.
    """

    #: Names of the per-weight state arrays, in MXNet's state-tuple order.
    _slots: tuple[str, ...] = ()
    #: MXNet returns a tuple even for one state array (RMSProp does).
    _tuple_state = False
    #: Constructor hyper-parameters of the subclass (for repr, config, caching).
    _hyper: tuple[str, ...] = ()

    def __init__(self, rescale_grad: float = 1.0, param_idx2name: dict | None = None,
                 wd: float = 0.0, clip_gradient: float | None = None,
                 learning_rate: float | None = None, lr_scheduler: Any = None,
                 sym: Any = None, begin_num_update: int = 0,
                 multi_precision: bool = False, param_dict: dict | None = None) -> None:
        self.rescale_grad = rescale_grad
        self.lr_scheduler = lr_scheduler
        if lr_scheduler is None and learning_rate is None:
            learning_rate = 0.01
        self.lr = learning_rate
        overrides = lr_scheduler is not None and learning_rate is not None
        if overrides and lr_scheduler.base_lr != learning_rate:
            logging.warning("learning rate from ``lr_scheduler`` has been "
                            "overwritten by ``learning_rate`` in optimizer.")
            lr_scheduler.base_lr = learning_rate
        self.wd = wd
        self.clip_gradient = clip_gradient
        self.multi_precision = multi_precision
        self.begin_num_update = begin_num_update
        self.num_update = begin_num_update
        self._all_index_update_counts: dict = {0: {}}
        self._index_update_count: dict = self._all_index_update_counts[0]
        if param_idx2name is None:
            param_idx2name = {}
        if not isinstance(param_idx2name, dict):
            raise ParamError(f"{type(self).__name__}: param_idx2name must be a dict of "
                             f"index -> name; got {type(param_idx2name).__name__}.")
        self.idx2name = dict(param_idx2name)
        self.sym_info = (sym.attr_dict(), sym.list_arguments()) if sym is not None else ()
        self.param_dict = param_dict if param_dict else {}
        self._jit_cache: dict = {}
        self.set_lr_mult({})
        self.set_wd_mult({})

    # -- registry -------------------------------------------------------------
    opt_registry: ClassVar[dict[str, type]] = {}

    @staticmethod
    def register(klass: type) -> type:
        """Register an Optimizer subclass under its lower-cased class name."""
        return register(klass)

    @staticmethod
    def create_optimizer(name: str, **kwargs: Any) -> Optimizer:
        """Instantiate a registered optimizer by (case-insensitive) name."""
        return create(name, **kwargs)

    # -- learning rate and multipliers -------------------------------------
    @property
    def learning_rate(self) -> float:
        """The current rate: the schedule at ``num_update``, or ``lr``."""
        return self.lr_at(self.num_update)

    def lr_at(self, num_update: int) -> float:
        """The scheduled base learning rate for update number ``num_update``.

        The k-th update after ``begin_num_update`` asks for
        ``lr_at(begin_num_update + k)`` (MXNet counts the update being made).
        """
        if self.lr_scheduler is not None:
            return self.lr_scheduler(num_update)
        return self.lr

    def set_learning_rate(self, lr: float) -> None:
        """Set the base rate (only without an lr_scheduler, as in MXNet)."""
        if self.lr_scheduler is not None:
            raise ParamError(
                f"{type(self).__name__}.set_learning_rate: this optimizer has an "
                "lr_scheduler, which decides the rate; change the scheduler's base_lr "
                "instead."
            )
        self.lr = lr

    def set_lr_mult(self, args_lr_mult: dict) -> None:
        """Set per-parameter learning-rate multipliers (by name or index).

        Symbol ``__lr_mult__`` attributes are applied first, then these.
        """
        self.lr_mult = self._sym_mults("__lr_mult__")
        self.lr_mult.update(args_lr_mult)

    def set_wd_mult(self, args_wd_mult: dict) -> None:
        """Set per-parameter weight-decay multipliers (by name or index).

        Names in ``param_idx2name`` not ending in ``_weight``/``_gamma`` get 0
        first; symbol ``__wd_mult__`` attributes override that; these override
        both.
        """
        self.wd_mult = {}
        for name in self.idx2name.values():
            if not name.endswith(("_weight", "_gamma")):
                self.wd_mult[name] = 0.0
        self.wd_mult.update(self._sym_mults("__wd_mult__"))
        self.wd_mult.update(args_wd_mult)

    def _sym_mults(self, attr_key: str) -> dict:
        out = {}
        if self.sym_info:
            attr, arg_names = self.sym_info
            for name in arg_names:
                if name in attr and attr_key in attr[name]:
                    out[name] = float(attr[name][attr_key])
        return out

    def _mult(self, index: Any, table: dict, attr: str) -> float:
        if index in self.param_dict:
            return getattr(self.param_dict[index], attr)
        if index in table:
            return table[index]
        if index in self.idx2name:
            return table.get(self.idx2name[index], 1.0)
        return 1.0

    def _get_lrs(self, indices: list) -> list[float]:
        lr = self.lr_at(self.num_update)
        return [lr * self._mult(i, self.lr_mult, "lr_mult") for i in indices]

    def _get_lr(self, index: Any) -> float:
        """The learning rate for ``index`` now (schedule times multiplier)."""
        return self._get_lrs([index])[0]

    def _get_wds(self, indices: list) -> list[float]:
        return [self.wd * self._mult(i, self.wd_mult, "wd_mult") for i in indices]

    def _get_wd(self, index: Any) -> float:
        """The weight decay for ``index`` (``wd`` times its multiplier)."""
        return self._get_wds([index])[0]

    def _set_current_context(self, device_id: int) -> None:
        if device_id not in self._all_index_update_counts:
            self._all_index_update_counts[device_id] = {}
        self._index_update_count = self._all_index_update_counts[device_id]

    def _update_count(self, index: Any) -> None:
        indices = index if isinstance(index, (list, tuple)) else [index]
        for idx in indices:
            count = self._index_update_count.get(idx, self.begin_num_update) + 1
            self._index_update_count[idx] = count
            self.num_update = max(count, self.num_update)

    # -- the rule (subclasses) -------------------------------------------------
    def _slot_names(self) -> tuple[str, ...]:
        """The state arrays this configuration keeps per weight."""
        return self._slots

    def _init_slots(self, w: jax.Array) -> dict[str, jax.Array]:
        return {name: jnp.zeros_like(w) for name in self._slot_names()}

    def _rule(self, w: jax.Array, g: jax.Array, slots: dict, lr: jax.Array,
              wd: jax.Array, *, t: jax.Array) -> tuple[jax.Array, dict]:
        """One update of one tensor: pure JAX, in ``w``'s dtype.

        ``lr`` and ``wd`` are 0-d arrays of ``w``'s dtype (multipliers
        applied), ``t`` the int32 update count including this update.
        """
        raise NotImplementedError(f"{type(self).__name__} must define _rule")

    def _clipping(self) -> bool:
        c = self.clip_gradient
        return c is not None and c > 0

    def _clip(self, x: jax.Array) -> jax.Array:
        """MXNet's clip (after rescaling): to [-c, c] when clip_gradient > 0."""
        if not self._clipping():
            return x
        c = jnp.asarray(self.clip_gradient, x.dtype)
        return jnp.clip(x, -c, c)

    def _rescale(self, g: jax.Array) -> jax.Array:
        return g * jnp.asarray(self.rescale_grad, g.dtype)

    @staticmethod
    def _plus_wd(x: jax.Array, w: jax.Array, wd: jax.Array) -> jax.Array:
        """``x + wd*w``, or ``x`` itself when ``wd`` is a known zero.

        ``apply`` passes each weight's decay as a NumPy constant. Skipping a zero one
        saves a read of ``w`` in every loop that needs the decayed gradient:
        Adam's two moment updates run as separate loops on XLA:CPU, and on a
        1000x1000 layer that read is about 8% of the training step. (A weight
        holding inf or NaN then keeps ``x`` instead of turning it into NaN.)
        """
        if isinstance(wd, np.ndarray) and not wd.any():
            return x
        return x + wd * w

    @staticmethod
    def _bias_corrected_lr(lr: jax.Array, t: jax.Array, beta1: float,
                           beta2: float) -> jax.Array:
        """``lr * sqrt(1 - beta2**t) / (1 - beta1**t)`` (Adam's step size).

        MXNet computes this factor on the host in double precision and casts
        the product to float32; it is computed in float64 here too when JAX
        has x64 enabled (mxlite enables it), else in float32.
        """
        hp = jnp.float64 if jax.config.jax_enable_x64 else jnp.float32
        tf = t.astype(hp)
        coef = jnp.sqrt(1.0 - jnp.asarray(beta2, hp) ** tf) / (
            1.0 - jnp.asarray(beta1, hp) ** tf)
        return (lr.astype(hp) * coef).astype(lr.dtype)

    # -- pure core -------------------------------------------------------------
    def _wants_master(self, dtype: Any) -> bool:
        return bool(self.multi_precision) and np.dtype(dtype) in _LOW_PRECISION

    def _init_weight_state(self, w: jax.Array) -> dict[str, jax.Array]:
        if self._wants_master(w.dtype):
            master = w.astype(jnp.float32)
            return {**self._init_slots(master), _MASTER: master}
        if np.dtype(w.dtype) == np.float16:
            logging.warning("Accumulating with float16 in optimizer can lead to poor "
                            "accuracy or slow convergence. Consider using "
                            "multi_precision=True option of the %s optimizer",
                            type(self).__name__)
        return self._init_slots(w)

    def _step(self, w: jax.Array, g: jax.Array, slots: dict, lr: Any, wd: Any, *,
              t: jax.Array) -> tuple[jax.Array, dict]:
        """Run ``_rule`` on ``w`` (or its float32 master copy) and cast back."""
        if _MASTER in slots:
            master = slots[_MASTER]
            inner = {k: v for k, v in slots.items() if k != _MASTER}
            new, inner = self._rule(master, g.astype(master.dtype), inner,
                                    jnp.asarray(lr, master.dtype),
                                    _as_constant(wd, master.dtype), t=t)
            return new.astype(w.dtype), {**inner, _MASTER: new}
        new, out = self._rule(w, g.astype(w.dtype), slots, jnp.asarray(lr, w.dtype),
                              _as_constant(wd, w.dtype), t=t)
        return new.astype(w.dtype), {k: v.astype(slots[k].dtype) for k, v in out.items()}

    def init_state(self, params: dict[str, jax.Array]) -> dict:
        """The optimizer state for ``params`` (dict name -> array), a pytree.

        ``{'count': int32 scalar (updates done, from begin_num_update),
        'slots': {name: {slot: array}}}``.
        """
        return {
            "count": jnp.asarray(self.begin_num_update, jnp.int32),
            "slots": {name: self._init_weight_state(w) for name, w in params.items()},
        }

    def apply(self, params: dict[str, jax.Array], grads: dict[str, jax.Array],
              state: dict, lr: Any) -> tuple[dict, dict]:
        """One update of every parameter: pure, traceable under ``jax.jit``.

        Args:
            params: dict name -> array.
            grads: dict name -> gradient (same names).
            state: from :meth:`init_state` or a previous ``apply``.
            lr: the scheduled base learning rate (float32 scalar), usually
                ``opt.lr_at(num_update)`` computed on the host.

        Returns:
            ``(new_params, new_state)``.
        """
        missing = [name for name in params if name not in grads]
        if missing:
            raise ParamError(f"{type(self).__name__}.apply: no gradient for "
                             f"{missing}; grads must have the same names as params.")
        t = state["count"] + 1
        lr = jnp.asarray(lr, jnp.float32)
        new_params, new_slots = {}, {}
        for name, w in params.items():
            lr_mult = self._mult(name, self.lr_mult, "lr_mult")
            wd_n = self.wd * self._mult(name, self.wd_mult, "wd_mult")
            lr_n = lr if lr_mult == 1.0 else lr * lr_mult
            new_params[name], new_slots[name] = self._step(
                w, grads[name], state["slots"][name], lr_n, wd_n, t=t)
        return new_params, {"count": t, "slots": new_slots}

    # -- imperative MXNet API ------------------------------------------------
    def create_state(self, index: Any, weight: NDArray) -> Any:
        """The state for one weight, shaped as MXNet's: None, an NDArray or a tuple."""
        slots = self._init_slots(weight._data)
        return self._pack({k: NDArray(v, weight.context) for k, v in slots.items()})

    def create_state_multi_precision(self, index: Any, weight: NDArray) -> Any:
        """Like ``create_state``; with multi_precision and a float16 weight,
        ``(state, float32 master copy)``."""
        slots = self._init_weight_state(weight._data)
        return self._pack({k: NDArray(v, weight.context) for k, v in slots.items()})

    def _pack(self, slots: dict[str, NDArray]) -> Any:
        """Named state arrays -> MXNet's state object."""
        if _MASTER in slots:
            inner = {k: v for k, v in slots.items() if k != _MASTER}
            return (self._pack(inner), slots[_MASTER])
        names = self._slot_names()
        if not names:
            return None
        if len(names) == 1 and not self._tuple_state:
            return slots[names[0]]
        return tuple(slots[name] for name in names)

    def _unpack(self, state: Any, master: bool) -> dict[str, NDArray]:
        """MXNet's state object -> named state arrays."""
        where = f"{type(self).__name__}.update"
        if master:
            if not (isinstance(state, tuple) and len(state) == 2):
                raise ParamError(f"{where}: a multi-precision state is (state, "
                                 f"weight32); got {type(state).__name__}.")
            return {**self._unpack(state[0], False), _MASTER: state[1]}
        names = self._slot_names()
        if not names:
            arrays = [] if state is None else None
        elif len(names) == 1 and not self._tuple_state:
            arrays = [state]
        else:
            arrays = list(state) if isinstance(state, (tuple, list)) else None
        if arrays is None or len(arrays) != len(names) or not all(
                isinstance(a, NDArray) for a in arrays):
            raise ParamError(f"{where}: the state does not fit {type(self).__name__} "
                             f"with these settings (expected arrays {list(names)}); "
                             f"got {state!r}. Create it with create_state.")
        return dict(zip(names, arrays))

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        """Update ``weight`` (and ``state``) in place from ``grad``, MXNet style."""
        if isinstance(index, (list, tuple)):
            for i, w, g, s in zip(index, weight, grad, state):
                self.update(i, w, g, s)
            return
        self._update_one(index, weight, grad, state, master=False)

    def update_multi_precision(self, index: Any, weight: NDArray, grad: NDArray,
                               state: Any) -> None:
        """``update``, using the float32 master copy when there is one."""
        if isinstance(index, (list, tuple)):
            for i, w, g, s in zip(index, weight, grad, state):
                self.update_multi_precision(i, w, g, s)
            return
        master = self._wants_master(weight._data.dtype)
        self._update_one(index, weight, grad, state, master=master)

    def _update_one(self, index: Any, weight: NDArray, grad: NDArray, state: Any,
                    master: bool) -> None:
        where = f"{type(self).__name__}.update(index={index!r})"
        if not isinstance(weight, NDArray) or not isinstance(grad, NDArray):
            raise DTypeError(f"{where}: weight and grad must be NDArrays; got "
                             f"{type(weight).__name__} and {type(grad).__name__}.")
        if weight.shape != grad.shape:
            raise ShapeError(f"{where}: weight has shape {weight.shape} but grad has "
                             f"shape {grad.shape}.")
        slots = self._unpack(state, master)
        self._update_count(index)
        lr = jnp.float32(self._get_lr(index))
        wd = jnp.float32(self._get_wd(index))
        t = jnp.int32(self._index_update_count[index])
        step = self._compiled_step()
        new_w, new_slots = step(weight._data, grad._data,
                                {k: v._data for k, v in slots.items()}, lr, wd, t=t)
        weight._data = new_w
        for name, arr in slots.items():
            arr._data = new_slots[name]

    def _config_key(self) -> tuple:
        """Everything ``_rule`` reads from ``self``: a new value means a new trace."""
        base = (self.rescale_grad, self.clip_gradient, self.multi_precision)
        return base + tuple(_hashable(getattr(self, n)) for n in self._hyper)

    def _compiled_step(self) -> Any:
        key = self._config_key()
        step = self._jit_cache.get(key)
        if step is None:
            step = self._jit_cache[key] = jax.jit(self._step)
        return step

    # -- description -----------------------------------------------------------
    def _config(self) -> dict:
        """The JSON-able constructor arguments (for ``dump_optimizer``)."""
        out = {"rescale_grad": self.rescale_grad, "wd": self.wd,
               "clip_gradient": self.clip_gradient, "learning_rate": self.lr,
               "begin_num_update": self.begin_num_update,
               "multi_precision": self.multi_precision}
        out.update({name: getattr(self, name) for name in self._hyper})
        return out

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._config().items())
        return f"{type(self).__name__}({args})"

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["param_dict"] = {}
        state["_jit_cache"] = {}
        return state


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def register(klass: type) -> type:
    """Register an Optimizer subclass under its lower-cased class name."""
    if not (isinstance(klass, type) and issubclass(klass, Optimizer)):
        raise ParamError(f"mx.optimizer.register: expected an Optimizer subclass; got "
                         f"{klass!r}.")
    name = klass.__name__.lower()
    old = Optimizer.opt_registry.get(name)
    if old is not None and old is not klass:
        logging.warning("WARNING: New optimizer %s.%s is overriding existing optimizer "
                        "%s.%s", klass.__module__, klass.__name__, old.__module__,
                        old.__name__)
    Optimizer.opt_registry[name] = klass
    return klass


def create(name: Any, **kwargs: Any) -> Optimizer:
    """Instantiate a registered optimizer by name (case-insensitive).

    Raises:
        ParamError: the name is not registered; the message suggests the
            closest registered name.

    Example:
        >>> import mxlite as mx
        >>> type(mx.optimizer.create('sgd', learning_rate=0.1, momentum=0.9)).__name__
        'SGD'
    """
    if isinstance(name, Optimizer):
        if kwargs:
            raise ParamError("mx.optimizer.create: keyword arguments cannot be given "
                             "with an Optimizer instance.")
        return name
    if not isinstance(name, str):
        raise ParamError(f"mx.optimizer.create: name must be a string; got "
                         f"{type(name).__name__}.")
    key = name.lower()
    registry = Optimizer.opt_registry
    if key not in registry:
        hint = difflib.get_close_matches(key, registry, n=1)
        fix = f"Did you mean {hint[0]!r}? " if hint else ""
        raise ParamError(f"mx.optimizer.create: unknown optimizer {name!r}. {fix}"
                         f"Registered: {', '.join(sorted(registry))}.")
    cls = registry[key]
    accepted = _accepted_names(cls)
    unknown = [k for k in kwargs if accepted is not None and k not in accepted]
    if unknown:
        hint = difflib.get_close_matches(unknown[0], accepted, n=1)
        fix = f" Did you mean {hint[0]!r}?" if hint else ""
        raise ParamError(f"mx.optimizer.create({name!r}): unknown parameter "
                         f"{unknown[0]!r}.{fix}")
    return cls(**kwargs)


def _accepted_names(cls: type) -> list[str] | None:
    """Keyword names the optimizer's constructors accept (None: any)."""
    names: list[str] = []
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = inspect.signature(init).parameters.values()
        names += [p.name for p in params if p.name != "self"
                  and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            return names
    return None


def check_hyper(where: str, name: str, value: Any, lower: float,
                upper: float | None = None, *, upper_open: bool = False) -> None:
    """Raise ParamError unless ``lower <= value`` (and ``value <(=) upper``)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and value >= lower
    if ok and upper is not None:
        ok = value < upper if upper_open else value <= upper
    if not ok:
        bound = f">= {lower}" if upper is None else (
            f"in [{lower}, {upper}{')' if upper_open else ']'}")
        raise ParamError(f"{where}: {name} must be a number {bound}; got {value!r}.")


def _as_constant(x: Any, dtype: Any) -> Any:
    """A Python number as a 0-d NumPy array (its value stays known while
    tracing, see ``Optimizer._plus_wd``); anything else as a JAX array."""
    if isinstance(x, numbers.Real):
        return np.asarray(x, dtype)
    return jnp.asarray(x, dtype)
