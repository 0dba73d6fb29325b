"""``chainer.optimizers``: Chainer's optimizers with Chainer's defaults.

Each one is :class:`~mxlite.chainer.optimizer.GradientMethod` over the
matching rule of ``mxlite.optimizer.chainer`` (Chainer's exact formulas, such
as Adam's ``eps`` added to ``sqrt(v)`` before bias correction).
"""

from __future__ import annotations

from typing import Any

from ..optimizer.chainer import (
    ChainerAdaDelta,
    ChainerAdaGrad,
    ChainerAdam,
    ChainerMomentumSGD,
    ChainerRMSprop,
    ChainerSGD,
)
from .optimizer import GradientMethod

__all__ = ["SGD", "MomentumSGD", "Adam", "AdaGrad", "RMSprop", "AdaDelta"]


class SGD(GradientMethod):
    """``w -= lr * g`` (lr=0.01)."""

    rule_class = ChainerSGD

    def __init__(self, lr: float = 0.01) -> None:
        super().__init__(lr=lr)


class MomentumSGD(GradientMethod):
    """``v = momentum*v - lr*g; w += v`` (lr=0.01, momentum=0.9)."""

    rule_class = ChainerMomentumSGD

    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        super().__init__(lr=lr, momentum=momentum)


class Adam(GradientMethod):
    """Chainer's Adam (alpha=0.001, beta1=0.9, beta2=0.999, eps=1e-8)."""

    rule_class = ChainerAdam

    def __init__(self, alpha: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, eta: float = 1.0, weight_decay_rate: float = 0,
                 amsgrad: bool = False, adabound: bool = False, final_lr: float = 0.1,
                 gamma: float = 1e-3) -> None:
        super().__init__(alpha=alpha, beta1=beta1, beta2=beta2, eps=eps, eta=eta,
                         weight_decay_rate=weight_decay_rate, amsgrad=amsgrad,
                         adabound=adabound, final_lr=final_lr, gamma=gamma)

    @property
    def lr(self) -> Any:
        """``alpha_t`` at the current ``t`` (Chainer's ``Adam.lr``)."""
        return self.rule.alpha_at(self.t)


class AdaGrad(GradientMethod):
    """AdaGrad (lr=0.001, eps=1e-8)."""

    rule_class = ChainerAdaGrad

    def __init__(self, lr: float = 0.001, eps: float = 1e-8) -> None:
        super().__init__(lr=lr, eps=eps)


class RMSprop(GradientMethod):
    """RMSprop (lr=0.01, alpha=0.99, eps=1e-8)."""

    rule_class = ChainerRMSprop

    def __init__(self, lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8,
                 eps_inside_sqrt: bool = False) -> None:
        super().__init__(lr=lr, alpha=alpha, eps=eps, eps_inside_sqrt=eps_inside_sqrt)


class AdaDelta(GradientMethod):
    """AdaDelta (rho=0.95, eps=1e-6)."""

    rule_class = ChainerAdaDelta

    def __init__(self, rho: float = 0.95, eps: float = 1e-6) -> None:
        super().__init__(rho=rho, eps=eps)
