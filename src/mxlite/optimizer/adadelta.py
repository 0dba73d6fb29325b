"""AdaDelta, MXNet's ``AdaDelta``.

The two running averages are ``optax.scale_by_adadelta``, whose rule is
MXNet's; the weight update ``w -= delta + wd*w`` (no learning rate, as in
MXNet) is written directly.
"""

from __future__ import annotations

from typing import Any

import jax
import optax

from .optimizer import Optimizer, check_hyper, register

__all__ = ["AdaDelta"]


@register
class AdaDelta(Optimizer):
    """AdaDelta (Zeiler, 2012), MXNet 1.9.1's rule::

        g = clip(rescale_grad*grad, clip_gradient)
        acc_g = rho*acc_g + (1 - rho)*g*g
        delta = sqrt(acc_delta + epsilon) / sqrt(acc_g + epsilon) * g
        acc_delta = rho*acc_delta + (1 - rho)*delta*delta
        w = w - (delta + wd*w)

    As in MXNet, the learning rate (and any lr_scheduler) is not used.

    Args:
        rho: decay rate of both averages.
        epsilon: added inside the square roots.
        **kwargs: see :class:`Optimizer`.
    """

    _slots = ("acc_g", "acc_delta")
    _hyper = ("rho", "epsilon")

    def __init__(self, rho: float = 0.90, epsilon: float = 1e-5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        check_hyper("AdaDelta", "rho", rho, 0.0, 1.0)
        self.rho, self.epsilon = rho, epsilon

    def _rule(self, w: jax.Array, g: jax.Array, slots: dict, lr: jax.Array,
              wd: jax.Array, *, t: jax.Array, h: dict) -> tuple[jax.Array, dict]:
        grad = self._clip(h, self._rescale(g, h))
        tx = optax.scale_by_adadelta(rho=h["rho"].astype(w.dtype),
                                      eps=h["epsilon"].astype(w.dtype))
        delta, st = tx.update(grad, optax.ScaleByAdaDeltaState(
            e_g=slots["acc_g"], e_x=slots["acc_delta"]))
        return w - (delta + wd * w), {"acc_g": st.e_g, "acc_delta": st.e_x}
