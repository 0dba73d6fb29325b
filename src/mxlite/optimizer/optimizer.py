"""The optimizer base class (MXNet's API) and its registry.

An optimizer is three things, each in one place:

- its update rule, a pure JAX function of one tensor (``_rule`` in the
  subclass' module), run by the pure pair ``init_state``/``apply`` with
  traced hyper-parameters (``_rule.py``);
- a policy giving each parameter its learning-rate and weight-decay
  multipliers (``policy.py``: MXNet's name suffixes here, MXNet.jl's in
  ``julia.py``);
- MXNet's API on top: this class's constructor and attributes (``lr``,
  ``wd``, ``lr_scheduler``, ``set_lr_mult``...), and the imperative
  ``create_state``/``update`` on NDArrays (``_imperative.py``).

MXNet semantics kept: ``rescale_grad`` multiplies the raw gradient and clipping
comes after it; the k-th update of a parameter uses
``lr_scheduler(num_update)`` with ``num_update`` counting that update.

Differences from MXNet 1.9.1:

- ``clip_gradient`` is on when it is a number > 0, for every optimizer. (MXNet's
  fused kernels ignored 0 and negative values, but AdaGrad and AdaDelta, which
  were written in Python, clipped to [0, 0] for ``clip_gradient=0``.)
- The float16 warning without ``multi_precision`` is a log line, not a
  ``warnings.warn``; ``multi_precision=True`` keeps a float32 master copy for
  float16 and bfloat16 weights in every optimizer.
- The learning-rate override warning is logged, not printed.
- A hyper-parameter changed between steps (``opt.lr = ...``, ``opt.momentum
  = ...``, ``set_lr_mult``) takes effect at the next compiled call: values
  are traced inputs, never constants baked into a compiled step.
"""

from __future__ import annotations

import inspect
import logging
import math
import numbers
from typing import Any, ClassVar

from ..base import ParamError, check_rate, did_you_mean
from ._imperative import ImperativeAPI
from ._rule import RuleCore
from .policy import NamePolicy

__all__ = ["Optimizer", "create", "register"]

logger = logging.getLogger("mxlite.optimizer")


class Optimizer(RuleCore, ImperativeAPI):
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

    #: MXNet returns a tuple even for one state array (RMSProp does).
    _tuple_state = False
    #: The per-parameter multiplier policy (MXNet's name suffixes).
    _policy_class: ClassVar[type] = NamePolicy

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
            logger.warning("learning rate from ``lr_scheduler`` has been "
                           "overwritten by ``learning_rate`` in optimizer.")
            lr_scheduler.base_lr = learning_rate
        self.wd = wd
        self.clip_gradient = clip_gradient
        self.multi_precision = multi_precision
        self.begin_num_update = begin_num_update
        self.num_update = begin_num_update
        self._all_index_update_counts: dict = {0: {}}
        self._index_update_count: dict = self._all_index_update_counts[0]
        if param_idx2name is not None and not isinstance(param_idx2name, dict):
            raise ParamError(f"{type(self).__name__}: param_idx2name must be a dict of "
                             f"index -> name; got {type(param_idx2name).__name__}.")
        self.policy = self._policy_class(param_idx2name, sym, param_dict)
        self._jit_cache: dict = {}

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
    def __setattr__(self, name: str, value: Any) -> None:
        # The base learning rate is checked whenever it is set (lr, set_learning_rate).
        if name == "lr":
            check_rate(type(self).__name__, value)
        object.__setattr__(self, name, value)

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
        self.policy.set_lr_mult(args_lr_mult)

    def set_wd_mult(self, args_wd_mult: dict) -> None:
        """Set per-parameter weight-decay multipliers (by name or index).

        Names in ``param_idx2name`` not ending in ``_weight``/``_gamma`` get 0
        first; symbol ``__wd_mult__`` attributes override that; these override
        both.
        """
        self.policy.set_wd_mult(args_wd_mult)

    idx2name = property(lambda self: self.policy.idx2name,
                        lambda self, v: setattr(self.policy, "idx2name", dict(v)))
    lr_mult = property(lambda self: self.policy.lr_mult,
                       lambda self, v: setattr(self.policy, "lr_mult", dict(v)))
    wd_mult = property(lambda self: self.policy.wd_mult,
                       lambda self, v: setattr(self.policy, "wd_mult", dict(v)))
    param_dict = property(lambda self: self.policy.param_dict)

    def lr_mult_of(self, index: Any) -> float:
        """The learning-rate multiplier of a parameter name or index."""
        return self.policy.lr_mult_of(index)

    def wd_mult_of(self, index: Any) -> float:
        """The weight-decay multiplier of a parameter name or index."""
        return self.policy.wd_mult_of(index)

    def _get_lrs(self, indices: list) -> list[float]:
        lr = self.lr_at(self.num_update)
        return [lr * self.lr_mult_of(i) for i in indices]

    def _get_lr(self, index: Any) -> float:
        """The learning rate for ``index`` now (schedule times multiplier)."""
        return self._get_lrs([index])[0]

    def _get_wds(self, indices: list) -> list[float]:
        return [self.wd * self.wd_mult_of(i) for i in indices]

    def _get_wd(self, index: Any) -> float:
        """The weight decay for ``index`` (``wd`` times its multiplier)."""
        return self._get_wds([index])[0]

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
        state["_jit_cache"] = {}
        state.pop("_hyper_memo", None)
        return state


def register(klass: type) -> type:
    """Register an Optimizer subclass under its lower-cased class name."""
    if not (isinstance(klass, type) and issubclass(klass, Optimizer)):
        raise ParamError(f"mx.optimizer.register: expected an Optimizer subclass; got "
                         f"{klass!r}.")
    name = klass.__name__.lower()
    old = Optimizer.opt_registry.get(name)
    if old is not None and old is not klass:
        logger.warning("WARNING: New optimizer %s.%s is overriding existing optimizer "
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
        raise ParamError(f"mx.optimizer.create: unknown optimizer {name!r}."
                         f"{did_you_mean(key, registry)} "
                         f"Registered: {', '.join(sorted(registry))}.")
    cls = registry[key]
    accepted = _accepted_names(cls)
    unknown = [k for k in kwargs if accepted is not None and k not in accepted]
    if unknown:
        raise ParamError(f"mx.optimizer.create({name!r}): unknown parameter "
                         f"{unknown[0]!r}.{did_you_mean(unknown[0], accepted)}")
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


_RATES = frozenset({"lr", "alpha", "learning_rate"})


def check_hyper(where: str, name: str, value: Any, lower: float,
                upper: float | None = None, *, upper_open: bool = False) -> None:
    """Raise ParamError unless ``lower <= value`` (and ``value <(=) upper``).

    NaN fails every comparison, so it is refused; infinity is refused for a
    learning rate (``_RATES``), where it can only train into NaN, and kept
    where it means "no bound" (a clipping threshold)."""
    ok = (isinstance(value, numbers.Real) and not isinstance(value, bool)
          and value >= lower and (name not in _RATES or math.isfinite(value)))
    if ok and upper is not None:
        ok = value < upper if upper_open else value <= upper
    if not ok:
        bound = f">= {lower}" if upper is None else (
            f"in [{lower}, {upper}{')' if upper_open else ']'}")
        raise ParamError(f"{where}: {name} must be a number {bound}; got {value!r}.")
