"""Nesterov accelerated gradient, exactly MXNet's ``nag_mom_update``.

Written directly: optax's Nesterov trace keeps raw gradients and applies the
rate after, while MXNet keeps ``lr`` and weight decay inside the buffer.
"""

from __future__ import annotations

from typing import Any

import jax

from .optimizer import Optimizer, check_hyper, register

__all__ = ["NAG"]


@register
class NAG(Optimizer):
    """Nesterov momentum SGD (MXNet 1.9.1's ``NAG``).

    With ``g = clip(rescale_grad*grad, clip_gradient) + wd*w`` and
    ``m = momentum*mom``::

        w   = w - m + (momentum + 1) * (m - lr*g)
        mom = m - lr*g

    (``NAGMomKernel``); with ``momentum = 0`` it is plain :class:`SGD`.

    Args:
        momentum: momentum factor, >= 0.
        **kwargs: see :class:`Optimizer`.
    """

    _slots = ("mom",)
    _hyper = ("momentum",)

    def __init__(self, momentum: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        check_hyper("NAG", "momentum", momentum, 0.0)
        self.momentum = momentum

    def _slot_names(self) -> tuple[str, ...]:
        return self._slots if self.momentum > 0 else ()

    def _rule(self, w: jax.Array, g: jax.Array, slots: dict, lr: jax.Array,
              wd: jax.Array, *, t: jax.Array, h: dict) -> tuple[jax.Array, dict]:
        rescale = h["rescale_grad"].astype(w.dtype)
        if "mom" not in slots:  # MXNet calls sgd_update here
            step = lr * self._clip(h, rescale * g) if self._clipping() else (lr * rescale) * g
            return (1 - lr * wd) * w - step, {}
        mu = h["momentum"].astype(w.dtype)
        grad = self._plus_wd(self._clip(h, rescale * g), w, wd)
        mom = mu * slots["mom"]
        new_w = w - mom + (mu + 1) * (mom - lr * grad)
        return new_w, {"mom": mom - lr * grad}
