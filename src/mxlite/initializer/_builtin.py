"""MXNet's initializers, each a thin class over its rule in :mod:`.rules`.

The rule is built again at each fill, from the attributes as they are then
(MXNet reads ``self.scale`` and friends when it fills), and once in the
constructor so that bad arguments fail there.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ..base import ParamError
from ..ndarray import NDArray
from . import rules
from ._base import Initializer, alias, register

__all__ = ["Bilinear", "Constant", "LSTMBias", "MSRAPrelu", "Normal", "One",
           "Orthogonal", "Uniform", "Xavier", "Zero"]


@register
@alias("zeros")
class Zero(Initializer):
    """Fill weights with 0."""

    def __init__(self) -> None:
        super().__init__()

    def _weight_rule(self) -> rules.Rule:
        return rules.zeros


@register
@alias("ones")
class One(Initializer):
    """Fill weights with 1."""

    def __init__(self) -> None:
        super().__init__()

    def _weight_rule(self) -> rules.Rule:
        return rules.ones


@register
class Constant(Initializer):
    """Fill weights with ``value`` (a scalar, or an array broadcast to the shape)."""

    def __init__(self, value: Any) -> None:
        super().__init__(value=value)
        self.value = value
        self._rule()

    def dumps(self) -> str:
        value = self.value
        if isinstance(value, NDArray):
            value = value.asnumpy()
        if isinstance(value, np.ndarray):
            value = value.tolist()
        return json.dumps([type(self).__name__.lower(), {"value": value}])

    def _weight_rule(self) -> rules.Rule:
        value = self.value._data if isinstance(self.value, NDArray) else self.value
        return rules.constant(value)


@register
class Uniform(Initializer):
    """Fill weights from U(-scale, scale) (default scale 0.07; ``fit`` uses 0.01)."""

    _draws_key = True

    def __init__(self, scale: float = 0.07) -> None:
        super().__init__(scale=scale)
        self.scale = scale
        self._rule()

    def _weight_rule(self) -> rules.Rule:
        return rules.uniform(self.scale)


@register
class Normal(Initializer):
    """Fill weights from N(0, sigma^2)."""

    _draws_key = True

    def __init__(self, sigma: float = 0.01) -> None:
        super().__init__(sigma=sigma)
        self.sigma = sigma
        self._rule()

    def _weight_rule(self) -> rules.Rule:
        return rules.normal(self.sigma)


@register
class Orthogonal(Initializer):
    """Fill weights with a scaled orthogonal matrix (Saxe et al., 2013).

    The weight is viewed as (shape[0], prod(shape[1:])); its rows (or columns,
    whichever are fewer) are orthonormal, times ``scale``.

    Args:
        scale: scaling factor.
        rand_type: ``'uniform'`` or ``'normal'`` source matrix.
    """

    _draws_key = True

    def __init__(self, scale: float = 1.414, rand_type: str = "uniform") -> None:
        super().__init__(scale=scale, rand_type=rand_type)
        self.scale = scale
        self.rand_type = rand_type
        self._rule()

    def _weight_rule(self) -> rules.Rule:
        return rules.orthogonal(self.scale, self.rand_type)


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

    _draws_key = True

    def __init__(self, rnd_type: str = "uniform", factor_type: str = "avg",
                 magnitude: float = 3) -> None:
        super().__init__(rnd_type=rnd_type, factor_type=factor_type,
                         magnitude=magnitude)
        self.rnd_type = rnd_type
        self.factor_type = factor_type
        try:  # MXNet takes float(magnitude), so '3' is a magnitude too
            self.magnitude = float(magnitude)
        except (TypeError, ValueError):
            raise ParamError(f"mx.init.Xavier: magnitude must be a number; got "
                             f"{magnitude!r}.") from None
        self._rule()

    def _weight_rule(self) -> rules.Rule:
        return rules.xavier(self.rnd_type, self.factor_type, self.magnitude)


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

    def _weight_rule(self) -> rules.Rule:
        return rules.bilinear


@register
class LSTMBias(Initializer):
    """Zero LSTM biases except the forget gate's (the second quarter)."""

    def __init__(self, forget_bias: float = 1.0) -> None:
        super().__init__(forget_bias=forget_bias)
        self.forget_bias = forget_bias
        self._rule()

    def _weight_rule(self) -> rules.Rule:
        return rules.lstm_bias(self.forget_bias)
