"""Mocha's initializers and regularizers, as the shared rules.

``XavierInitializer()`` is U(-sqrt(3/fan_in), sqrt(3/fan_in)) with fan_in the
product of every dimension but the output one (Mocha ignores fan_out in
spite of the name): :func:`mxlite.initializer.rules.lecun_uniform` on the
(out, in, ...) arrays mxlite stores. A regularizer is a description the
solver's rule reads (``L2Regu(coef)`` adds ``2*coef*regu_coef*W`` to the
gradient, ``L1Regu(coef)`` adds ``coef*regu_coef*sign(W)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..base import ParamError
from ..initializer import fill, rules
from ..ndarray import NDArray

__all__ = ["ConstantInitializer", "GaussianInitializer", "L1Regu", "L2Regu", "NoRegu",
           "XavierInitializer"]


@dataclass(frozen=True)
class Initializer:
    """A rule that fills a new parameter array."""

    def rule(self) -> Any:
        raise NotImplementedError

    def make(self, shape: tuple[int, ...], context: Any) -> NDArray:
        """A new float32 array of ``shape`` on ``context``, drawn from the host stream."""
        return NDArray(fill(self.rule(), shape, np.float32, context.jax_device), context)


@dataclass(frozen=True)
class XavierInitializer(Initializer):
    """Mocha's Xavier: uniform in +-sqrt(3/fan_in)."""

    def rule(self) -> Any:
        return rules.lecun_uniform(fan="mxnet")


@dataclass(frozen=True)
class GaussianInitializer(Initializer):
    """Normal with Mocha's defaults ``mean=0, std=1``."""

    mean: float = 0.0
    std: float = 1.0

    def rule(self) -> Any:
        if self.std < 0:
            raise ParamError(f"GaussianInitializer: std must be >= 0; got {self.std}.")
        return rules.normal(self.std, mean=self.mean)


@dataclass(frozen=True)
class ConstantInitializer(Initializer):
    """Every element ``value`` (Mocha's bias default is ``ConstantInitializer(0)``)."""

    value: float = 0.0

    def rule(self) -> Any:
        return rules.constant(self.value)


@dataclass(frozen=True)
class Regularizer:
    """No regularization (Mocha's ``NoRegu()``; biases' default)."""

    coefficient: float = 0.0

    def spec(self) -> tuple[str, float] | None:
        """What the solver's rule reads: ``(kind, coef)`` or None."""
        return None


@dataclass(frozen=True)
class L2Regu(Regularizer):
    """``2 * coefficient * regu_coef * W`` added to the gradient."""

    coefficient: float = 1.0

    def spec(self) -> tuple[str, float] | None:
        return ("l2", float(self.coefficient))


@dataclass(frozen=True)
class L1Regu(Regularizer):
    """``coefficient * regu_coef * sign(W)`` added to the gradient."""

    coefficient: float = 1.0

    def spec(self) -> tuple[str, float] | None:
        return ("l1", float(self.coefficient))


NoRegu = Regularizer


def check_kind(where: str, what: str, value: Any, kind: type) -> Any:
    """``value`` when it is a ``kind``, else a ParamError naming ``where`` and ``what``."""
    if not isinstance(value, kind):
        raise ParamError(f"{where}: {what} must be a {kind.__name__}; got {value!r}.")
    return value
