"""Mocha's neurons (activation functions), applied to a layer's output.

``neuron=Neurons.ReLU()`` on a ``ConvolutionLayer`` or ``InnerProductLayer``
appends the registry's activation operator to that layer's output, as
Mocha applied the neuron in place after the layer's forward.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import symbol as sym
from ..base import ParamError

__all__ = ["Neurons"]


@dataclass(frozen=True)
class Neuron:
    """The identity: the base of every neuron."""

    def apply(self, x: sym.Symbol, name: str) -> sym.Symbol:
        """``x`` with this activation applied (a new node named ``name``)."""
        return x


@dataclass(frozen=True)
class ReLU(Neuron):
    """``max(x, epsilon)`` (Mocha's epsilon is a floor, 0 by default)."""

    epsilon: float = 0.0

    def apply(self, x: sym.Symbol, name: str) -> sym.Symbol:
        if self.epsilon == 0.0:
            return sym.Activation(data=x, act_type="relu", name=name)
        return sym._internal._maximum_scalar(x, scalar=float(self.epsilon), name=name)


@dataclass(frozen=True)
class LReLU(Neuron):
    """Leaky ReLU with Mocha's slope 0.01 for negative inputs."""

    def apply(self, x: sym.Symbol, name: str) -> sym.Symbol:
        return sym.LeakyReLU(data=x, act_type="leaky", slope=0.01, name=name)


@dataclass(frozen=True)
class Sigmoid(Neuron):
    """``1 / (1 + exp(-x))``."""

    def apply(self, x: sym.Symbol, name: str) -> sym.Symbol:
        return sym.Activation(data=x, act_type="sigmoid", name=name)


@dataclass(frozen=True)
class Tanh(Neuron):
    """``tanh(x)``."""

    def apply(self, x: sym.Symbol, name: str) -> sym.Symbol:
        return sym.Activation(data=x, act_type="tanh", name=name)


@dataclass(frozen=True)
class Exponential(Neuron):
    """``exp(x)``."""

    def apply(self, x: sym.Symbol, name: str) -> sym.Symbol:
        return sym.exp(x, name=name)


class Neurons:
    """Mocha's ``Neurons`` module: ``Neurons.ReLU()``, ``Neurons.Identity()``..."""

    Identity = Neuron
    ReLU = ReLU
    LReLU = LReLU
    Sigmoid = Sigmoid
    Tanh = Tanh
    Exponential = Exponential


def check_neuron(where: str, neuron: object) -> Neuron:
    """``neuron`` itself when it is one, else a ParamError naming ``where``."""
    if not isinstance(neuron, Neuron):
        raise ParamError(f"{where}: neuron must be one of Neurons.Identity(), ReLU(), "
                         f"LReLU(), Sigmoid(), Tanh(), Exponential(); got {neuron!r}.")
    return neuron
