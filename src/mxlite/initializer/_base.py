"""MXNet's Initializer base class, InitDesc, and the name registry behind create()."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..base import ParamError, ShapeError, did_you_mean
from ..ndarray import NDArray
from . import policy, rules
from ._arrays import check_array, fill
from ._composite import Load, Mixed

__all__ = ["InitDesc", "Initializer", "alias", "create", "register"]

_LOG = logging.getLogger("mxlite.initializer")


class InitDesc(str):
    """A parameter's name plus its symbol attributes (MXNet's ``InitDesc``).

    Args:
        name: the variable's name, e.g. ``'fc1_weight'``.
        attrs: its attributes (``Symbol.attr_dict()[name]``); ``'__init__'``
            selects an initializer for this variable alone.
        global_init: the initializer to fall back to.
    """

    def __new__(cls, name: str, attrs: dict | None = None,
                global_init: Initializer | None = None) -> InitDesc:
        ret = super().__new__(cls, name)
        ret.attrs = attrs or {}
        ret.global_init = global_init
        return ret


# ---------------------------------------------------------------------------
# Registry

_REGISTRY: dict[str, type] = {}


def register(klass: type) -> type:
    """Register an Initializer subclass under its lower-cased class name."""
    if not (isinstance(klass, type) and issubclass(klass, Initializer)):
        raise ParamError(f"mx.init.register: expected an Initializer subclass; got "
                         f"{klass!r}.")
    name = klass.__name__.lower()
    if name in _REGISTRY and _REGISTRY[name] is not klass:
        _LOG.warning("mx.init.register: %s.%s replaces the initializer "
                     "registered as %r", klass.__module__, klass.__name__, name)
    _REGISTRY[name] = klass
    return klass


def alias(*aliases: str) -> Callable[[type], type]:
    """Class decorator adding more registry names (``@alias('zeros')``)."""
    def decorate(klass: type) -> type:
        for name in aliases:
            _REGISTRY[name.lower()] = klass
        return klass
    return decorate


def create(initializer: Any, **kwargs: Any) -> Initializer:
    """Make an initializer from a name, a ``dumps()`` string or an instance.

    Args:
        initializer: ``'uniform'``; ``'["uniform", {"scale": 0.1}]'``;
            ``'{"initializer": "uniform", ...}'``; a dict; or an Initializer
            (returned as is).
        **kwargs: constructor arguments when a name is given.

    Raises:
        ParamError: the name is not registered (with the closest name) or the
            string is not valid JSON.

    Example:
        >>> import mxlite as mx
        >>> mx.init.create('normal', sigma=0.5).dumps()
        '["normal", {"sigma": 0.5}]'
    """
    if isinstance(initializer, (Initializer, Load, Mixed)):
        if kwargs:
            raise ParamError("mx.init.create: keyword arguments cannot be given with "
                             "an Initializer instance.")
        return initializer
    if isinstance(initializer, dict):
        spec = dict(initializer)
        return create(spec.pop("initializer"), **spec)
    if not isinstance(initializer, str):
        raise ParamError(f"mx.init.create: expected a name, a dumps() string or an "
                         f"Initializer; got {type(initializer).__name__}.")
    text = initializer.strip()
    if text.startswith(("[", "{")):
        return _create_from_json(text, kwargs)
    key = text.lower()
    if key not in _REGISTRY:
        raise ParamError(f"mx.init.create: unknown initializer {initializer!r}."
                         f"{did_you_mean(key, _REGISTRY)} "
                         f"Registered: {', '.join(sorted(_REGISTRY))}.")
    return _REGISTRY[key](**kwargs)


def _create_from_json(text: str, kwargs: dict) -> Initializer:
    """``create`` for ``'[name, {kwargs}]'`` and ``'{"initializer": name, ...}'``."""
    if kwargs:
        raise ParamError("mx.init.create: keyword arguments cannot be given with "
                         "a JSON string.")
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as err:
        raise ParamError(f"mx.init.create: {text!r} is not valid JSON "
                         f"({err}).") from None
    if isinstance(spec, dict):
        return create(spec)
    if not (isinstance(spec, list) and len(spec) == 2 and isinstance(spec[1], dict)):
        raise ParamError(f"mx.init.create: expected '[name, {{kwargs}}]'; got "
                         f"{text!r}.")
    return create(spec[0], **spec[1])


# ---------------------------------------------------------------------------
# The base class


class Initializer:
    """Base class of the initializers.

    A subclass gives its weight rule by defining ``_weight_rule`` (a pure
    rule from :mod:`mxlite.initializer.rules`, built from its attributes;
    ``_draws_key = True`` if it is random), or overrides ``_init_weight(name,
    arr)`` as in MXNet. Which method fills which parameter is decided by
    :func:`mxlite.initializer.policy.choose`.

    ``dumps()`` gives the JSON that ``create`` and a variable's ``__init__``
    attribute take back, e.g. ``'["uniform", {"scale": 0.07}]'``.
    """

    _draws_key = False

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._verbose = False
        self._print_func: Callable | None = None

    def set_verbosity(self, verbose: bool = False,
                      print_func: Callable | None = None) -> Initializer:
        """Log a statistic of each initialized array (default: norm/sqrt(size))."""
        self._verbose = verbose
        if print_func is None:
            def print_func(x: NDArray) -> str:
                data = np.asarray(x.asnumpy(), dtype=np.float64)
                return str(np.linalg.norm(data) / math.sqrt(max(data.size, 1)))
        self._print_func = print_func
        return self

    def _verbose_print(self, desc: str, init: str, arr: NDArray) -> None:
        if self._verbose and self._print_func:
            _LOG.info("Initialized %s as %s: %s", desc, init, self._print_func(arr))

    def dumps(self) -> str:
        """The JSON description ``[name, kwargs]``."""
        return json.dumps([type(self).__name__.lower(), self._kwargs])

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._kwargs.items())
        return f"{type(self).__name__}({args})"

    def __call__(self, desc: Any, arr: NDArray) -> None:
        """Fill ``arr`` according to the name (and attributes) in ``desc``."""
        check_array(f"{type(self).__name__}({desc!r})", arr)
        if not isinstance(desc, InitDesc):  # MXNet's legacy string path, silently
            choice = policy.choose(str(desc), legacy=True)
            getattr(self, "_init_" + choice.role)(str(desc), arr)
            return
        if desc.global_init is None:
            desc.global_init = self
        choice = policy.choose(desc, desc.attrs)
        owner = create(choice.init) if choice.init else self
        getattr(owner, "_init_" + choice.role)(desc, arr)
        self._verbose_print(desc, choice.pattern, arr)

    # -- the rule for weights --------------------------------------------------

    def _weight_rule(self) -> rules.Rule:
        raise NotImplementedError(f"{type(self).__name__} must define _init_weight")

    def _rule(self) -> rules.Rule:
        """The weight rule from the current attributes; errors name the class."""
        try:
            return self._weight_rule()
        except ParamError as err:
            raise ParamError(f"mx.init.{type(self).__name__}: {err}") from err

    def _fill(self, name: str, arr: NDArray, rule: rules.Rule, *,
              random: bool = False) -> None:
        fill(arr, rule, random=random, where=f"mx.init.{type(self).__name__}",
             name=name)

    def _init_weight(self, name: str, arr: NDArray) -> None:
        self._fill(name, arr, self._rule(), random=self._draws_key)

    # -- the fixed roles of policy.choose ---------------------------------------

    def _init_zero(self, name: str, arr: NDArray) -> None:
        self._fill(name, arr, rules.zeros)

    def _init_one(self, name: str, arr: NDArray) -> None:
        self._fill(name, arr, rules.ones)

    def _init_bias(self, name: str, arr: NDArray) -> None:
        self._fill(name, arr, rules.zeros)

    def _init_gamma(self, name: str, arr: NDArray) -> None:
        self._fill(name, arr, rules.ones)

    def _init_beta(self, name: str, arr: NDArray) -> None:
        self._fill(name, arr, rules.zeros)

    def _init_quantized_bias(self, name: str, arr: NDArray) -> None:
        self._fill(name, arr, rules.zeros)

    def _init_quantized_weight(self, name: str, arr: NDArray) -> None:
        self._fill(name, arr, rules.uniform_int8, random=True)

    def _init_bilinear(self, name: str, arr: NDArray) -> None:
        self._fill(name, arr, rules.bilinear)

    def _init_loc_bias(self, name: str, arr: NDArray) -> None:
        if arr.shape != (6,):
            raise ShapeError(f"{type(self).__name__}({name!r}): an stn_loc bias must "
                             f"have shape (6,); got {arr.shape}.")
        self._fill(name, arr, rules.constant(np.array([1.0, 0, 0, 0, 1.0, 0])))

    def _init_default(self, name: str, _: NDArray) -> None:
        raise ParamError(
            f"{type(self).__name__}: unknown initialization pattern for {name!r}; "
            "the name must end with 'weight', 'bias', 'gamma', 'beta', 'moving_mean', "
            "'moving_var', 'min' or 'max'. Give the variable its own initializer "
            "with mx.sym.Variable(name, init=mx.init.Uniform()) or use mx.init.Mixed."
        )
