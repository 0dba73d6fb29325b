"""FTML, MXNet's ``ftml_update``.

Written directly: optax has no FTML.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .optimizer import Optimizer, check_hyper, register

__all__ = ["FTML"]


@register
class FTML(Optimizer):
    """Follow The Moving Leader (Zheng & Kwok, 2017), MXNet 1.9.1's ``FTML``.

    At update ``t`` (``FTMLKernel``, all in the weight's dtype)::

        g = clip(rescale_grad*grad + wd*w, clip_gradient)
        v = beta2*v + (1 - beta2)*g*g
        d_t = (1 - beta1**t) / lr * (sqrt(v / (1 - beta2**t)) + epsilon)
        z = beta1*z + (1 - beta1)*g - (d_t - beta1*d)*w
        d = d_t
        w = -z / d_t

    Args:
        beta1: in [0, 1), about 0.5.
        beta2: in [0, 1), about 1.
        epsilon: added to the square root.
        **kwargs: see :class:`Optimizer`.
    """

    _slots = ("d", "v", "z")
    _hyper = ("beta1", "beta2", "epsilon")

    def __init__(self, beta1: float = 0.6, beta2: float = 0.999, epsilon: float = 1e-8,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        check_hyper("FTML", "beta1", beta1, 0.0, 1.0, upper_open=True)
        check_hyper("FTML", "beta2", beta2, 0.0, 1.0, upper_open=True)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon

    def _rule(self, w: jax.Array, g: jax.Array, slots: dict, lr: jax.Array,
              wd: jax.Array, *, t: jax.Array, h: dict) -> tuple[jax.Array, dict]:
        b1, b2 = h["beta1"].astype(w.dtype), h["beta2"].astype(w.dtype)
        tf = t.astype(w.dtype)
        grad = self._clip(h, self._plus_wd(self._rescale(g, h), w, wd))
        v = b2 * slots["v"] + (1 - b2) * jnp.square(grad)
        d_t = (1 - b1 ** tf) / lr * (
            jnp.sqrt(v / (1 - b2 ** tf)) + h["epsilon"].astype(w.dtype))
        z = b1 * slots["z"] + (1 - b1) * grad - (d_t - b1 * slots["d"]) * w
        return -z / d_t, {"d": d_t, "v": v, "z": z}
