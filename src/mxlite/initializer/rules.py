"""Initialization rules as pure functions: ``rule(key, shape, dtype) -> jax.Array``.

A rule knows nothing of parameter names, NDArrays, devices or the global
random stream: it turns a PRNG key, a shape and a dtype into an array, like
``jax.nn.initializers``. Rules with parameters are made by a factory
(``uniform(0.07)`` returns a rule); rules without are rules themselves
(``zeros``). Deterministic rules ignore ``key`` (``None`` is fine); random
rules need a key and a floating dtype. The dialects choose what to call:

===============================  ===========================================
system's initializer             rule
===============================  ===========================================
MXNet ``Uniform(scale)``         ``uniform(scale)``
MXNet ``Normal(sigma)``          ``normal(sigma)``
MXNet ``Xavier(r, f, m)``        ``xavier(r, f, m)``
MXNet ``MSRAPrelu(f, slope)``    ``msra_prelu(f, slope)``
MXNet ``Orthogonal(s, r)``       ``orthogonal(s, r)``
MXNet ``Bilinear()``             ``bilinear``
MXNet ``LSTMBias(f)``            ``lstm_bias(f)``
MXNet ``Zero``/``One``           ``zeros`` / ``ones``
MXNet/Chainer/Mocha ``Constant`` ``constant(value)``
Chainer ``LeCunNormal(s)``       ``lecun_normal(s, fan='chainer')``
Chainer ``GlorotUniform(s)``     ``glorot_uniform(s, fan='chainer')``
Chainer ``GlorotNormal(s)``      ``glorot_normal(s, fan='chainer')``
Chainer ``HeNormal(s, opt)``     ``he_normal(s, opt, fan='chainer')``
Mocha ``XavierInitializer()``    ``lecun_uniform(fan='mocha')``
Mocha ``GaussianInitializer``    ``normal(std, mean=mean)``
===============================  ===========================================

Fan conventions (:func:`fans`) differ by how each system lays out a weight;
see :data:`FAN_CONVENTIONS`. Errors name the rule and the value:
:class:`~mxlite.base.ParamError` for bad parameters, ``ShapeError`` for
shapes the rule cannot fill, ``DTypeError`` for non-floating random draws.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..base import ParamError, ShapeError
from ._checks import _broadcasts_to, _choice, _draw, _key, _number, _shape
from ._fans import FAN_CONVENTIONS, fans

__all__ = [
    "FAN_CONVENTIONS", "Rule", "bilinear", "constant", "fans", "glorot_normal",
    "glorot_uniform", "he_normal", "lecun_normal", "lecun_uniform", "lstm_bias",
    "msra_prelu", "normal", "ones", "orthogonal", "uniform", "uniform_int8",
    "xavier", "zeros",
]

Rule = Callable[[Any, tuple[int, ...], Any], jax.Array]
"""``(key, shape, dtype) -> jax.Array`` of that shape and dtype."""


def _fan(rule: str, shape: Any, fan: str, which: str) -> float:
    """One fan ('in', 'out' or 'avg'), > 0."""
    shape = _shape(rule, shape, min_ndim=2)
    fan_in, fan_out = fans(shape, fan)
    value = {"in": fan_in, "out": fan_out, "avg": (fan_in + fan_out) / 2.0}[which]
    if value <= 0:
        raise ShapeError(f"rules.{rule}: fan {which!r} of shape {shape} is 0; "
                         "a weight with a zero-size dimension cannot be scaled.")
    return value


# ---------------------------------------------------------------------------
# Deterministic rules


def zeros(key: Any, shape: tuple[int, ...], dtype: Any = jnp.float32) -> jax.Array:
    """Fill with 0 (``key`` is ignored).

    Example:
        >>> from mxlite.initializer import rules
        >>> rules.zeros(None, (2,), 'float32').tolist()
        [0.0, 0.0]
    """
    return jnp.zeros(_shape("zeros", shape), dtype)


def ones(key: Any, shape: tuple[int, ...], dtype: Any = jnp.float32) -> jax.Array:
    """Fill with 1 (``key`` is ignored).

    Example:
        >>> from mxlite.initializer import rules
        >>> rules.ones(None, (2,), 'int32').tolist()
        [1, 1]
    """
    return jnp.ones(_shape("ones", shape), dtype)


def constant(value: Any) -> Rule:
    """Fill with ``value``: a scalar, or an array broadcast to the shape.

    Args:
        value: a number or array-like of numbers.

    Raises:
        ParamError: ``value`` is not numeric. ShapeError (when called): it
            does not broadcast to the shape.

    Example:
        >>> from mxlite.initializer import rules
        >>> rules.constant([1.0, 2.0])(None, (2, 2), 'float32').tolist()
        [[1.0, 2.0], [1.0, 2.0]]
    """
    host = value if isinstance(value, jax.Array) else np.asarray(value)
    if not (jnp.issubdtype(host.dtype, jnp.number) or host.dtype == bool):
        raise ParamError(f"rules.constant: value must be a number or an array of "
                         f"numbers; got {value!r}.")

    def rule(key: Any, shape: tuple[int, ...], dtype: Any = jnp.float32) -> jax.Array:
        shape = _shape("constant", shape)
        if not _broadcasts_to(host.shape, shape):
            raise ShapeError(f"rules.constant: a value of shape {host.shape} does "
                             f"not broadcast to shape {shape}.")
        if isinstance(key, np.random.Generator):  # a host fill (initializer.fill)
            return np.broadcast_to(np.asarray(host, dtype=dtype), shape).copy()
        return jnp.broadcast_to(jnp.asarray(value).astype(dtype), shape)
    return rule


def bilinear(key: Any, shape: tuple[int, ...], dtype: Any = jnp.float32) -> jax.Array:
    """MXNet's bilinear-upsampling kernel for a 4-D (N, C, H, W) weight.

    Every (H, W) slice holds the same kernel; ``key`` is ignored.

    Raises:
        ShapeError: the shape is not 4-D.

    Example:
        >>> from mxlite.initializer import rules
        >>> rules.bilinear(None, (1, 1, 4, 4), 'float32')[0, 0, 0].tolist()
        [0.0625, 0.1875, 0.1875, 0.0625]
    """
    shape = _shape("bilinear", shape)
    if len(shape) != 4:
        raise ShapeError(f"rules.bilinear: the weight must be 4-D (N, C, H, W); "
                         f"got shape {shape}.")
    f = np.ceil(shape[3] / 2.0)
    c = (2 * f - 1 - f % 2) / (2.0 * f)
    i = np.arange(int(np.prod(shape)))
    x = i % shape[3]
    y = (i // shape[3]) % shape[2]
    weight = (1 - np.abs(x / f - c)) * (1 - np.abs(y / f - c))
    return jnp.asarray(weight.astype(np.float32).reshape(shape)).astype(dtype)


def lstm_bias(forget_bias: float = 1.0) -> Rule:
    """Zero an LSTM bias except its forget gate (the second quarter of axis 0).

    Args:
        forget_bias: the forget gate's value.

    Example:
        >>> from mxlite.initializer import rules
        >>> rules.lstm_bias(2.0)(None, (8,), 'float32').tolist()
        [0.0, 0.0, 2.0, 2.0, 0.0, 0.0, 0.0, 0.0]
    """
    _number("lstm_bias", "forget_bias", forget_bias, low=None)

    def rule(key: Any, shape: tuple[int, ...], dtype: Any = jnp.float32) -> jax.Array:
        shape = _shape("lstm_bias", shape, min_ndim=1)
        value = np.zeros(shape, dtype=np.float64)
        num_hidden = int(shape[0] / 4)
        value[num_hidden:2 * num_hidden] = forget_bias
        return jnp.asarray(value).astype(dtype)
    return rule


# ---------------------------------------------------------------------------
# Random rules


def uniform_int8(key: Any, shape: tuple[int, ...], dtype: Any = jnp.int8) -> jax.Array:
    """Draw integers uniform in [-127, 127) as int8, then cast to ``dtype``.

    MXNet's fill for quantized weights (``*_weight_quantize``).

    Example:
        >>> import jax
        >>> from mxlite.initializer import rules
        >>> w = rules.uniform_int8(jax.random.key(0), (1000,))
        >>> str(w.dtype), int(w.min()) >= -127, int(w.max()) <= 126
        ('int8', True, True)
    """
    value = jax.random.randint(_key("uniform_int8", key), _shape("uniform_int8", shape),
                               -127, 127)
    return value.astype(jnp.int8).astype(dtype)


def uniform(scale: float = 0.07) -> Rule:
    """Draw from U(-scale, scale) (MXNet's ``Uniform``; ``fit`` uses 0.01).

    Args:
        scale: the bound, >= 0.

    Example:
        >>> import jax
        >>> from mxlite.initializer import rules
        >>> w = rules.uniform(0.5)(jax.random.key(0), (1000,), 'float32')
        >>> w.shape, bool(abs(w).max() <= 0.5)
        ((1000,), True)
    """
    _number("uniform", "scale", scale)

    def rule(key: Any, shape: tuple[int, ...], dtype: Any = jnp.float32) -> jax.Array:
        return _draw("uniform", "uniform", scale, (key, shape, dtype))
    return rule


def normal(sigma: float = 0.01, *, mean: float = 0.0) -> Rule:
    """Draw from N(mean, sigma^2) (MXNet's ``Normal``, Mocha's ``GaussianInitializer``).

    Args:
        sigma: the standard deviation, >= 0 (MXNet's default 0.01; Mocha's
            ``std`` defaults to 1.0).
        mean: the mean (Mocha's ``mean``; MXNet has none).

    Example:
        >>> import jax
        >>> from mxlite.initializer import rules
        >>> w = rules.normal(2.0, mean=5.0)(jax.random.key(0), (10000,), 'float32')
        >>> round(float(w.mean())), round(float(w.std()))
        (5, 2)
    """
    _number("normal", "sigma", sigma)
    _number("normal", "mean", mean, low=None)

    def rule(key: Any, shape: tuple[int, ...], dtype: Any = jnp.float32) -> jax.Array:
        x = _draw("normal", "normal", sigma, (key, shape, dtype))
        # NOTE: no "+ 0.0" when mean is 0: it would turn MXNet's -0.0 into 0.0.
        return x if mean == 0 else (x + mean).astype(x.dtype)
    return rule


def xavier(rnd_type: str = "uniform", factor_type: str = "avg",
           magnitude: float = 3.0, *, fan: str = "mxnet") -> Rule:
    """Xavier/Glorot the MXNet way: ``scale = sqrt(magnitude / factor)``.

    ``factor`` is fan_in (``'in'``), fan_out (``'out'``) or their mean
    (``'avg'``), read under ``fan`` (:data:`FAN_CONVENTIONS`; MXNet's is
    fan_in = shape[1] * prod(shape[2:]), fan_out = shape[0] * prod(shape[2:])).
    Values come from U(-scale, scale) or N(0, scale^2).

    Args:
        rnd_type: ``'uniform'`` or ``'gaussian'``.
        factor_type: ``'avg'``, ``'in'`` or ``'out'``.
        magnitude: >= 0.
        fan: the fan convention.

    Example:
        >>> import jax
        >>> from mxlite.initializer import rules
        >>> rule = rules.xavier('uniform', 'in', 3.0)
        >>> w = rule(jax.random.key(0), (10, 300), 'float32')
        >>> bool(abs(w).max() <= 0.1)   # sqrt(3 / 300)
        True
    """
    _choice("xavier", "rnd_type", rnd_type, ("uniform", "gaussian"))
    _choice("xavier", "factor_type", factor_type, ("avg", "in", "out"))
    _choice("xavier", "fan", fan, tuple(FAN_CONVENTIONS))
    _number("xavier", "magnitude", magnitude)
    magnitude, kind = float(magnitude), "uniform" if rnd_type == "uniform" else "normal"

    def rule(key: Any, shape: tuple[int, ...], dtype: Any = jnp.float32) -> jax.Array:
        scale = math.sqrt(magnitude / _fan("xavier", shape, fan, factor_type))
        return _draw("xavier", kind, scale, (key, shape, dtype))
    return rule


def msra_prelu(factor_type: str = "avg", slope: float = 0.25, *,
               fan: str = "mxnet") -> Rule:
    """He/MSRA for PReLU nets: ``xavier('gaussian', factor_type, 2 / (1 + slope**2))``.

    Args:
        factor_type: ``'avg'``, ``'in'`` or ``'out'``.
        slope: the initial PReLU slope (0 for ReLU).
        fan: the fan convention.

    Example:
        >>> import jax
        >>> from mxlite.initializer import rules
        >>> w = rules.msra_prelu('in', 0.0)(jax.random.key(0), (512, 200), 'float32')
        >>> round(float(w.std()) * 10)   # sqrt(2 / 200) = 0.1
        1
    """
    _number("msra_prelu", "slope", slope, low=None)
    return xavier("gaussian", factor_type, 2.0 / (1 + slope ** 2), fan=fan)


def orthogonal(scale: float = 1.414, rand_type: str = "uniform") -> Rule:
    """A scaled orthogonal matrix (Saxe et al., 2013; MXNet's ``Orthogonal``).

    The weight is viewed as (shape[0], prod(shape[1:])); its rows or its
    columns, whichever are fewer, are orthonormal, times ``scale``. The
    source matrix is U(-1, 1) (``'uniform'``) or N(0, 1) (``'normal'``).

    NOTE: the SVD runs in NumPy on the host in float64, as MXNet's does, so
    this rule cannot be traced under ``jax.jit``.

    Args:
        scale: the gain.
        rand_type: ``'uniform'`` or ``'normal'``.

    Example:
        >>> import jax, numpy as np
        >>> from mxlite.initializer import rules
        >>> w = np.asarray(rules.orthogonal(1.0)(jax.random.key(0), (3, 5), 'float32'))
        >>> np.allclose(w @ w.T, np.eye(3), atol=1e-5)
        True
    """
    _number("orthogonal", "scale", scale, low=None)
    _choice("orthogonal", "rand_type", rand_type, ("uniform", "normal"))

    def rule(key: Any, shape: tuple[int, ...], dtype: Any = jnp.float32) -> jax.Array:
        shape = _shape("orthogonal", shape, min_ndim=2)
        flat = (shape[0], int(np.prod(shape[1:])))
        tmp = np.asarray(_draw("orthogonal", rand_type, 1.0, (key, flat, dtype)),
                         dtype=np.float64)
        u, _, v = np.linalg.svd(tmp, full_matrices=False)
        res = u if u.shape == tmp.shape else v
        return jnp.asarray(scale * res.reshape(shape)).astype(dtype)
    return rule


# ---------------------------------------------------------------------------
# Variance scaling, Chainer's names (Mocha's Xavier is lecun_uniform)


def _variance_scaling(rule_name: str, kind: str, numerator: float, *,
                      which: str, scale: float, fan: str) -> Rule:
    """bound (uniform) or std (normal) = scale * sqrt(numerator / fan_which)."""
    _number(rule_name, "scale", scale)
    _choice(rule_name, "fan", fan, tuple(FAN_CONVENTIONS))

    def rule(key: Any, shape: tuple[int, ...], dtype: Any = jnp.float32) -> jax.Array:
        size = scale * math.sqrt(numerator / _fan(rule_name, shape, fan, which))
        return _draw(rule_name, kind, size, (key, shape, dtype))
    return rule


def lecun_normal(scale: float = 1.0, *, fan: str = "chainer") -> Rule:
    """N(0, s^2) with ``s = scale * sqrt(1 / fan_in)`` (Chainer's ``LeCunNormal``).

    Chainer's default for ``L.Linear`` and ``L.Convolution2D`` weights.

    Args:
        scale: multiplies the standard deviation.
        fan: the fan convention (Chainer's: fan_in = shape[1] * prod(shape[2:])).

    Example:
        >>> import jax
        >>> from mxlite.initializer import rules
        >>> w = rules.lecun_normal()(jax.random.key(0), (1000, 100), 'float32')
        >>> round(float(w.std()), 1)   # sqrt(1 / 100)
        0.1
    """
    return _variance_scaling("lecun_normal", "normal", 1.0, which="in", scale=scale,
                             fan=fan)


def lecun_uniform(scale: float = 1.0, *, fan: str = "chainer") -> Rule:
    """U(-s, s) with ``s = scale * sqrt(3 / fan_in)``.

    Chainer's ``LeCunUniform``, and Mocha's ``XavierInitializer`` (which, in
    spite of its name, ignores fan_out): ``lecun_uniform(fan='mocha')`` for a
    Mocha-layout (..., out) array, ``fan='mxnet'`` for an MXNet-layout one.

    Args:
        scale: multiplies the bound.
        fan: the fan convention.

    Example:
        >>> import jax
        >>> from mxlite.initializer import rules
        >>> rule = rules.lecun_uniform(fan='mocha')
        >>> w = rule(jax.random.key(0), (300, 10), 'float32')
        >>> bool(abs(w).max() <= 0.1)   # sqrt(3 / 300)
        True
    """
    return _variance_scaling("lecun_uniform", "uniform", 3.0, which="in", scale=scale,
                             fan=fan)


def glorot_uniform(scale: float = 1.0, *, fan: str = "chainer") -> Rule:
    """U(-s, s) with ``s = scale * sqrt(6 / (fan_in + fan_out))``.

    Chainer's ``GlorotUniform``.

    Args:
        scale: multiplies the bound.
        fan: the fan convention.

    Example:
        >>> import jax
        >>> from mxlite.initializer import rules
        >>> w = rules.glorot_uniform()(jax.random.key(0), (100, 500), 'float32')
        >>> bool(abs(w).max() <= 0.1)   # sqrt(6 / 600)
        True
    """
    return _variance_scaling("glorot_uniform", "uniform", 3.0, which="avg", scale=scale,
                             fan=fan)


def glorot_normal(scale: float = 1.0, *, fan: str = "chainer") -> Rule:
    """N(0, s^2) with ``s = scale * sqrt(2 / (fan_in + fan_out))``.

    Chainer's ``GlorotNormal``.

    Args:
        scale: multiplies the standard deviation.
        fan: the fan convention.

    Example:
        >>> import jax
        >>> from mxlite.initializer import rules
        >>> w = rules.glorot_normal()(jax.random.key(0), (100, 100), 'float32')
        >>> round(float(w.std()), 1)   # sqrt(2 / 200)
        0.1
    """
    return _variance_scaling("glorot_normal", "normal", 1.0, which="avg", scale=scale,
                             fan=fan)


def he_normal(scale: float = 1.0, fan_option: str = "fan_in", *,
              fan: str = "chainer") -> Rule:
    """N(0, s^2) with ``s = scale * sqrt(2 / fan)`` (Chainer's ``HeNormal``).

    Args:
        scale: multiplies the standard deviation.
        fan_option: ``'fan_in'`` or ``'fan_out'``: which fan divides.
        fan: the fan convention.

    Example:
        >>> import jax
        >>> from mxlite.initializer import rules
        >>> rule = rules.he_normal(fan_option='fan_out')
        >>> w = rule(jax.random.key(0), (200, 50), 'float32')
        >>> round(float(w.std()), 1)   # sqrt(2 / 200)
        0.1
    """
    _choice("he_normal", "fan_option", fan_option, ("fan_in", "fan_out"))
    return _variance_scaling("he_normal", "normal", 2.0, which=fan_option[4:],
                             scale=scale, fan=fan)
