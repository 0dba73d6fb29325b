"""Weight initializers, MXNet 1.9.1's ``mx.init`` (also ``mx.initializer``).

An initializer is called as ``init(InitDesc(name, attrs), arr)`` and fills the
NDArray ``arr`` in place, choosing what to do from the name, as MXNet does:

========================================  =====================================
name ends with                            filled with
========================================  =====================================
``weight``                                the initializer's own rule
``bias``, ``beta``                        0
``gamma``                                 1
``moving_mean``, ``running_mean``,        0
``moving_inv_var``, ``moving_avg``
``moving_var``, ``running_var``           1
``min`` / ``max``                         0 / 1
``weight_quantize`` / ``bias_quantize``   random int8 / 0
========================================  =====================================

A variable's ``__init__`` attribute (``mx.sym.var('w', init=mx.init.One())``)
overrides the name rule. Every random draw takes its key from
``mx.random.next_key()`` (one draw per array, made on the array's device), so
``mx.random.seed(n)`` fixes every initial value.

Differences from MXNet 1.9.1:

- The BatchNorm statistics (``moving_mean``/``running_mean`` -> 0,
  ``moving_var``/``running_var`` -> 1) are recognised by name in the
  ``InitDesc`` path too; MXNet relied on ``__init__`` attributes that its
  BatchNorm operator attached to those variables.
- Calling with a plain string name works silently (MXNet's legacy path, same
  rules, without MXNet's coloured DeprecationWarning).
- ``weight_quantize`` gets one random int8 per element (MXNet drew a single
  value and broadcast it).
- Errors are :mod:`mxlite.base` classes with the parameter's name; unknown
  names in :func:`create` suggest the closest registered one.

Example:
    >>> import mxlite as mx
    >>> w = mx.nd.zeros((2, 3))
    >>> mx.init.One()(mx.init.InitDesc('fc1_weight'), w)
    >>> float(w.asnumpy().sum())
    6.0
    >>> mx.init.Xavier(magnitude=2.34).dumps()
    '["xavier", {"rnd_type": "uniform", "factor_type": "avg", "magnitude": 2.34}]'
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import random as _random
from .base import DTypeError, ParamError, ShapeError, did_you_mean
from .ndarray import NDArray
from .ndarray import load as _load_params

_log = logging.getLogger(__name__)

__all__ = [
    "Bilinear",
    "Constant",
    "InitDesc",
    "Initializer",
    "LSTMBias",
    "Load",
    "MSRAPrelu",
    "Mixed",
    "Normal",
    "One",
    "Orthogonal",
    "Uniform",
    "Xavier",
    "Zero",
    "alias",
    "create",
    "register",
]


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
        _log.warning("mx.init.register: %s.%s replaces the initializer "
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
        if kwargs:
            raise ParamError("mx.init.create: keyword arguments cannot be given with "
                             "a JSON string.")
        try:
            spec = json.loads(text)
        except json.JSONDecodeError as err:
            raise ParamError(f"mx.init.create: {initializer!r} is not valid JSON "
                             f"({err}).") from None
        if isinstance(spec, dict):
            return create(spec)
        if not (isinstance(spec, list) and len(spec) == 2 and isinstance(spec[1], dict)):
            raise ParamError(f"mx.init.create: expected '[name, {{kwargs}}]'; got "
                             f"{initializer!r}.")
        return create(spec[0], **spec[1])
    key = text.lower()
    if key not in _REGISTRY:
        raise ParamError(f"mx.init.create: unknown initializer {initializer!r}."
                         f"{did_you_mean(key, _REGISTRY)} "
                         f"Registered: {', '.join(sorted(_REGISTRY))}.")
    return _REGISTRY[key](**kwargs)


# ---------------------------------------------------------------------------
# Filling arrays


def _check_array(where: str, arr: Any) -> NDArray:
    if not isinstance(arr, NDArray):
        raise DTypeError(f"{where}: arr must be an NDArray; got {type(arr).__name__}.")
    return arr


def _assign(arr: NDArray, value: Any) -> None:
    """Write ``value`` (broadcast) into ``arr`` in place, keeping dtype and device."""
    data = jnp.broadcast_to(jnp.asarray(value).astype(arr._data.dtype), arr.shape)
    arr._data = jax.device_put(data, arr.context.jax_device)


def _sample_dtype(arr: NDArray) -> Any:
    dtype = arr._data.dtype
    return dtype if jnp.issubdtype(dtype, jnp.floating) else jnp.float32


def _draw(arr: NDArray, kind: str, scale: float,
          shape: tuple[int, ...] | None = None) -> jax.Array:
    """One jax.random draw for ``arr`` on its device: U(-scale, scale) or N(0, scale^2)."""
    key = _random.next_key()
    shape = arr.shape if shape is None else shape
    with jax.default_device(arr.context.jax_device):
        if kind == "uniform":
            return jax.random.uniform(key, shape, _sample_dtype(arr), -scale, scale)
        return jax.random.normal(key, shape, _sample_dtype(arr)) * scale


class Initializer:
    """Base class of the initializers; subclasses define ``_init_weight``.

    ``dumps()`` gives the JSON that ``create`` and a variable's ``__init__``
    attribute take back, e.g. ``'["uniform", {"scale": 0.07}]'``.
    """

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
            _log.info("Initialized %s as %s: %s", desc, init, self._print_func(arr))

    def dumps(self) -> str:
        """The JSON description ``[name, kwargs]``."""
        return json.dumps([type(self).__name__.lower(), self._kwargs])

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._kwargs.items())
        return f"{type(self).__name__}({args})"

    def __call__(self, desc: Any, arr: NDArray) -> None:
        """Fill ``arr`` according to the name (and attributes) in ``desc``."""
        _check_array(f"{type(self).__name__}({desc!r})", arr)
        if not isinstance(desc, InitDesc):
            self._legacy_init(str(desc), arr)
            return
        if desc.global_init is None:
            desc.global_init = self
        init = desc.attrs.get("__init__", "")
        if init:
            create(init)._init_weight(desc, arr)
            self._verbose_print(desc, init, arr)
            return
        pattern, method = self._dispatch(desc)
        method(desc, arr)
        self._verbose_print(desc, pattern, arr)

    def _dispatch(self, name: str) -> tuple[str, Callable]:
        """MXNet 1.9.1's suffix rules, plus the BatchNorm statistics by name."""
        rules = (
            ("weight", self._init_weight), ("bias", self._init_bias),
            ("gamma", self._init_gamma), ("beta", self._init_beta),
            ("moving_mean", self._init_zero), ("running_mean", self._init_zero),
            ("moving_var", self._init_one), ("running_var", self._init_one),
            ("moving_inv_var", self._init_zero), ("moving_avg", self._init_zero),
            ("min", self._init_zero), ("max", self._init_one),
            ("weight_quantize", self._init_quantized_weight),
            ("bias_quantize", self._init_quantized_bias),
        )
        for suffix, method in rules:
            if name.endswith(suffix):
                return suffix, method
        return "default", self._init_default

    def _legacy_init(self, name: str, arr: NDArray) -> None:
        """MXNet's string-name path (upsampling and stn_loc special cases first)."""
        if name.startswith("upsampling"):
            self._init_bilinear(name, arr)
        elif name.startswith("stn_loc") and name.endswith("weight"):
            self._init_zero(name, arr)
        elif name.startswith("stn_loc") and name.endswith("bias"):
            self._init_loc_bias(name, arr)
        else:
            self._dispatch(name)[1](name, arr)

    def _init_bilinear(self, _: str, arr: NDArray) -> None:
        _assign(arr, _bilinear(arr.shape))

    def _init_loc_bias(self, name: str, arr: NDArray) -> None:
        if arr.shape != (6,):
            raise ShapeError(f"{type(self).__name__}({name!r}): an stn_loc bias must "
                             f"have shape (6,); got {arr.shape}.")
        _assign(arr, np.array([1.0, 0, 0, 0, 1.0, 0]))

    def _init_zero(self, _: str, arr: NDArray) -> None:
        _assign(arr, 0.0)

    def _init_one(self, _: str, arr: NDArray) -> None:
        _assign(arr, 1.0)

    def _init_bias(self, _: str, arr: NDArray) -> None:
        _assign(arr, 0.0)

    def _init_gamma(self, _: str, arr: NDArray) -> None:
        _assign(arr, 1.0)

    def _init_beta(self, _: str, arr: NDArray) -> None:
        _assign(arr, 0.0)

    def _init_quantized_bias(self, _: str, arr: NDArray) -> None:
        _assign(arr, 0)

    def _init_quantized_weight(self, _: str, arr: NDArray) -> None:
        with jax.default_device(arr.context.jax_device):
            value = jax.random.randint(_random.next_key(), arr.shape, -127, 127)
        _assign(arr, value.astype(jnp.int8))

    def _init_weight(self, name: str, arr: NDArray) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define _init_weight")

    def _init_default(self, name: str, _: NDArray) -> None:
        raise ParamError(
            f"{type(self).__name__}: unknown initialization pattern for {name!r}; "
            "the name must end with 'weight', 'bias', 'gamma', 'beta', 'moving_mean', "
            "'moving_var', 'min' or 'max'. Give the variable its own initializer "
            "with mx.sym.Variable(name, init=mx.init.Uniform()) or use mx.init.Mixed."
        )


# ---------------------------------------------------------------------------
# Composite initializers (plain callables in MXNet too)


class Load:
    """Initialize from saved arrays, falling back to ``default_init``.

    ``arg:``/``aux:`` prefixes of the saved names are dropped.

    Args:
        param: a ``.params`` file name or a dict name -> NDArray/array.
        default_init: used for names not in ``param``.
        verbose: log where each array came from.
    """

    def __init__(self, param: Any, default_init: Any = None, verbose: bool = False) -> None:
        if isinstance(param, str):
            param = _load_params(param)
        if not isinstance(param, dict):
            raise ParamError(f"mx.init.Load: param must be a file name or a dict of "
                             f"name -> array; got {type(param).__name__}.")
        self.param = {
            (name[4:] if name.startswith(("arg:", "aux:")) else name): value
            for name, value in param.items()
        }
        self.default_init = default_init
        self.verbose = verbose

    def __call__(self, name: Any, arr: NDArray) -> None:
        _check_array(f"mx.init.Load({name!r})", arr)
        if name in self.param:
            value = self.param[name]
            value = value._data if isinstance(value, NDArray) else np.asarray(value)
            if tuple(value.shape) != arr.shape:
                raise ShapeError(f"mx.init.Load: parameter {str(name)!r} has shape "
                                 f"{arr.shape} but the loaded array has shape "
                                 f"{tuple(value.shape)}.")
            _assign(arr, value)
            if self.verbose:
                _log.info("Initialized %s by loading", name)
            return
        if self.default_init is None:
            raise ParamError(f"mx.init.Load: {str(name)!r} is not among the loaded "
                             "parameters and no default_init was given.")
        self.default_init(name, arr)
        if self.verbose:
            _log.info("Initialized %s by default", name)


class Mixed:
    """Initialize each parameter with the first initializer whose pattern matches.

    Args:
        patterns: regular expressions, matched at the start of the name
            (``re.match``).
        initializers: one initializer per pattern.

    Example:
        >>> import mxlite as mx
        >>> init = mx.init.Mixed(['bias', '.*'], [mx.init.Zero(), mx.init.One()])
        >>> w = mx.nd.zeros((2,))
        >>> init(mx.init.InitDesc('fc_weight'), w); w.asnumpy().tolist()
        [1.0, 1.0]
    """

    def __init__(self, patterns: list[str], initializers: list[Any]) -> None:
        if len(patterns) != len(initializers):
            raise ParamError(f"mx.init.Mixed: got {len(patterns)} patterns but "
                             f"{len(initializers)} initializers; give one each.")
        self.map = [(re.compile(p), init) for p, init in zip(patterns, initializers)]

    def __call__(self, name: Any, arr: NDArray) -> None:
        for prog, init in self.map:
            if prog.match(name):
                init(name, arr)
                return
        raise ParamError(f"mx.init.Mixed: parameter {str(name)!r} matches none of the "
                         f"patterns {[p.pattern for p, _ in self.map]}; add a '.*' "
                         "pattern at the end with a default initializer.")


# ---------------------------------------------------------------------------
# The initializers


@register
@alias("zeros")
class Zero(Initializer):
    """Fill weights with 0."""

    def __init__(self) -> None:
        super().__init__()

    def _init_weight(self, _: str, arr: NDArray) -> None:
        _assign(arr, 0)


@register
@alias("ones")
class One(Initializer):
    """Fill weights with 1."""

    def __init__(self) -> None:
        super().__init__()

    def _init_weight(self, _: str, arr: NDArray) -> None:
        _assign(arr, 1)


@register
class Constant(Initializer):
    """Fill weights with ``value`` (a scalar, or an array broadcast to the shape)."""

    def __init__(self, value: Any) -> None:
        super().__init__(value=value)
        self.value = value

    def dumps(self) -> str:
        value = self.value
        if isinstance(value, NDArray):
            value = value.asnumpy()
        if isinstance(value, np.ndarray):
            value = value.tolist()
        return json.dumps([type(self).__name__.lower(), {"value": value}])

    def _init_weight(self, _: str, arr: NDArray) -> None:
        value = self.value._data if isinstance(self.value, NDArray) else self.value
        _assign(arr, value)


@register
class Uniform(Initializer):
    """Fill weights from U(-scale, scale) (default scale 0.07; ``fit`` uses 0.01)."""

    def __init__(self, scale: float = 0.07) -> None:
        super().__init__(scale=scale)
        self.scale = scale

    def _init_weight(self, _: str, arr: NDArray) -> None:
        _assign(arr, _draw(arr, "uniform", self.scale))


@register
class Normal(Initializer):
    """Fill weights from N(0, sigma^2)."""

    def __init__(self, sigma: float = 0.01) -> None:
        super().__init__(sigma=sigma)
        self.sigma = sigma

    def _init_weight(self, _: str, arr: NDArray) -> None:
        _assign(arr, _draw(arr, "normal", self.sigma))


@register
class Orthogonal(Initializer):
    """Fill weights with a scaled orthogonal matrix (Saxe et al., 2013).

    The weight is viewed as (shape[0], prod(shape[1:])); its rows (or columns,
    whichever are fewer) are orthonormal, times ``scale``.

    Args:
        scale: scaling factor.
        rand_type: ``'uniform'`` or ``'normal'`` source matrix.
    """

    def __init__(self, scale: float = 1.414, rand_type: str = "uniform") -> None:
        if rand_type not in ("uniform", "normal"):
            raise ParamError(f"mx.init.Orthogonal: rand_type must be 'uniform' or "
                             f"'normal'; got {rand_type!r}.")
        super().__init__(scale=scale, rand_type=rand_type)
        self.scale = scale
        self.rand_type = rand_type

    def _init_weight(self, name: str, arr: NDArray) -> None:
        if len(arr.shape) < 2:
            raise ShapeError(f"mx.init.Orthogonal: {str(name)!r} has shape "
                             f"{arr.shape}; it needs at least 2 dimensions.")
        nout, nin = arr.shape[0], int(np.prod(arr.shape[1:]))
        tmp = np.asarray(_draw(arr, self.rand_type, 1.0, (nout, nin)), dtype=np.float64)
        u, _, v = np.linalg.svd(tmp, full_matrices=False)
        res = u if u.shape == tmp.shape else v
        _assign(arr, self.scale * res.reshape(arr.shape))


_FACTOR_TYPES = ("avg", "in", "out")


@register
class Xavier(Initializer):
    """Xavier/Glorot initialization: scale = sqrt(magnitude / factor).

    ``fan_in = shape[1] * prod(shape[2:])``, ``fan_out = shape[0] *
    prod(shape[2:])``; ``factor`` is their mean (``'avg'``), ``fan_in``
    (``'in'``) or ``fan_out`` (``'out'``). Values come from U(-scale, scale)
    (``rnd_type='uniform'``) or N(0, scale^2) (``'gaussian'``).

    Args:
        rnd_type: ``'uniform'`` or ``'gaussian'``.
        factor_type: ``'avg'``, ``'in'`` or ``'out'``.
        magnitude: scale of the random numbers.
    """

    def __init__(self, rnd_type: str = "uniform", factor_type: str = "avg",
                 magnitude: float = 3) -> None:
        if rnd_type not in ("uniform", "gaussian"):
            raise ParamError(f"mx.init.Xavier: rnd_type must be 'uniform' or "
                             f"'gaussian'; got {rnd_type!r}.")
        if factor_type not in _FACTOR_TYPES:
            raise ParamError(f"mx.init.Xavier: factor_type must be one of "
                             f"{list(_FACTOR_TYPES)}; got {factor_type!r}.")
        super().__init__(rnd_type=rnd_type, factor_type=factor_type,
                         magnitude=magnitude)
        self.rnd_type = rnd_type
        self.factor_type = factor_type
        self.magnitude = float(magnitude)

    def _scale(self, name: str, shape: tuple[int, ...]) -> float:
        if len(shape) < 2:
            raise ShapeError(f"mx.init.{type(self).__name__}: {str(name)!r} has shape "
                             f"{shape}; Xavier needs at least 2 dimensions (a weight, "
                             "not a vector).")
        hw_scale = float(np.prod(shape[2:])) if len(shape) > 2 else 1.0
        fan_in, fan_out = shape[1] * hw_scale, shape[0] * hw_scale
        factor = {"avg": (fan_in + fan_out) / 2.0, "in": fan_in,
                  "out": fan_out}[self.factor_type]
        return float(np.sqrt(self.magnitude / factor))

    def _init_weight(self, name: str, arr: NDArray) -> None:
        scale = self._scale(name, arr.shape)
        kind = "uniform" if self.rnd_type == "uniform" else "normal"
        _assign(arr, _draw(arr, kind, scale))


@register
class MSRAPrelu(Xavier):
    """He/MSRA initialization for PReLU nets: Gaussian Xavier with
    ``magnitude = 2 / (1 + slope**2)``.

    Args:
        factor_type: ``'avg'``, ``'in'`` or ``'out'``.
        slope: initial slope of the PReLU (or similar) nonlinearities.
    """

    def __init__(self, factor_type: str = "avg", slope: float = 0.25) -> None:
        super().__init__("gaussian", factor_type, 2.0 / (1 + slope ** 2))
        self._kwargs = {"factor_type": factor_type, "slope": slope}


@register
class Bilinear(Initializer):
    """Bilinear-interpolation weights for upsampling (deconvolution) layers."""

    def __init__(self) -> None:
        super().__init__()

    def _init_weight(self, _: str, arr: NDArray) -> None:
        _assign(arr, _bilinear(arr.shape))


@register
class LSTMBias(Initializer):
    """Zero LSTM biases except the forget gate's (the second quarter)."""

    def __init__(self, forget_bias: float = 1.0) -> None:
        super().__init__(forget_bias=forget_bias)
        self.forget_bias = forget_bias

    def _init_weight(self, _: str, arr: NDArray) -> None:
        value = np.zeros(arr.shape, dtype=np.float64)
        num_hidden = int(arr.shape[0] / 4)
        value[num_hidden:2 * num_hidden] = self.forget_bias
        _assign(arr, value)


def _bilinear(shape: tuple[int, ...]) -> np.ndarray:
    """MXNet's bilinear upsampling kernel for a 4-D (N, C, H, W) weight."""
    if len(shape) != 4:
        raise ShapeError(f"mx.init.Bilinear: the weight must be 4-D (N, C, H, W); "
                         f"got shape {shape}.")
    f = np.ceil(shape[3] / 2.0)
    c = (2 * f - 1 - f % 2) / (2.0 * f)
    i = np.arange(int(np.prod(shape)))
    x = i % shape[3]
    y = (i // shape[3]) % shape[2]
    weight = (1 - np.abs(x / f - c)) * (1 - np.abs(y / f - c))
    return weight.astype(np.float32).reshape(shape)

