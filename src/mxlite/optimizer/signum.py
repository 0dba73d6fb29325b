"""Signum and signSGD, MXNet's ``signum_update``/``signsgd_update``.

Written directly: optax has no sign-of-momentum rule with MXNet's weight-decay
placement (``wd`` inside the momentum, ``wd_lh`` decoupled).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .optimizer import Optimizer, check_hyper, register

__all__ = ["Signum"]


@register
class Signum(Optimizer):
    """Signum (Bernstein et al., 2018), MXNet 1.9.1's ``Signum``.

    With ``momentum > 0`` (``SignumKernel``)::

        mom = momentum*mom - (1-momentum)*wd*w - (1-momentum)*clip(rescale_grad*grad)
        w = (1 - lr*wd_lh)*w + lr*sign(mom)

    With ``momentum = 0`` (``SignSGDKernel``; rescaling and clipping do not
    change a sign): ``w = (1 - lr*wd)*w - lr*sign(grad)``.

    Args:
        learning_rate: default 0.01.
        momentum: momentum factor in [0, 1).
        wd_lh: decoupled weight decay (Loshchilov & Hutter).
        **kwargs: see :class:`Optimizer`.
    """

    _slots = ("mom",)
    _hyper = ("momentum", "wd_lh")

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.9,
                 wd_lh: float = 0.0, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        check_hyper("Signum", "momentum", momentum, 0.0, 1.0, upper_open=True)
        self.momentum = momentum
        self.wd_lh = wd_lh

    def _slot_names(self) -> tuple[str, ...]:
        return self._slots if self.momentum > 0 else ()

    def _rule(self, w: jax.Array, g: jax.Array, slots: dict, lr: jax.Array,
              wd: jax.Array, *, t: jax.Array, h: dict) -> tuple[jax.Array, dict]:
        if "mom" not in slots:
            return (1 - lr * wd) * w - lr * jnp.sign(g), {}
        mu = h["momentum"].astype(w.dtype)
        mom = mu * slots["mom"] - (1 - mu) * wd * w - (1 - mu) * self._clip(h,
            self._rescale(g, h))
        wd_lh = h["wd_lh"].astype(w.dtype)
        return (1 - lr * wd_lh) * w + lr * jnp.sign(mom), {"mom": mom}
