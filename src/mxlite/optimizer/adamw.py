"""AdamW (decoupled weight decay), MXNet's ``adamw_update`` semantics.

MXNet 1.9.1 ships the fused kernel ``mx.nd.contrib.adamw_update`` but no
``AdamW`` optimizer class; this follows the class MXNet 2.0 built on that
kernel (``python/mxnet/optimizer/adamW.py``, its default fused step). Written
directly rather than with ``optax.adamw``: MXNet multiplies the weight decay by
the bias-corrected step size and keeps ``epsilon`` outside the uncorrected
``sqrt(v)``.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .optimizer import Optimizer, check_hyper, register

__all__ = ["AdamW"]


@register
class AdamW(Optimizer):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2017).

    At update ``t``::

        g = clip(rescale_grad*grad, clip_gradient)
        m = beta1*m + (1 - beta1)*g
        v = beta2*v + (1 - beta2)*g*g
        eta = lr * sqrt(1 - beta2**t) / (1 - beta1**t)   (lr if not correct_bias)
        w = w - eta * (m / (sqrt(v) + epsilon) + wd*w)

    Args:
        learning_rate: default 0.001.
        beta1, beta2: moment decay rates in [0, 1).
        epsilon: added to ``sqrt(v)`` (default 1e-6, as MXNet's AdamW).
        correct_bias: apply the bias correction to the step size.
        **kwargs: see :class:`Optimizer`.
    """

    _slots = ("mean", "var")
    _hyper = ("beta1", "beta2", "epsilon", "correct_bias")

    def __init__(self, learning_rate: float = 0.001, beta1: float = 0.9,
                 beta2: float = 0.999, epsilon: float = 1e-6, correct_bias: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        check_hyper("AdamW", "beta1", beta1, 0.0, 1.0, upper_open=True)
        check_hyper("AdamW", "beta2", beta2, 0.0, 1.0, upper_open=True)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.correct_bias = correct_bias

    def _rule(self, w: jax.Array, g: jax.Array, slots: dict, lr: jax.Array,
              wd: jax.Array, *, t: jax.Array, h: dict) -> tuple[jax.Array, dict]:
        b1, b2 = h["beta1"].astype(w.dtype), h["beta2"].astype(w.dtype)
        grad = self._clip(h, self._rescale(g, h))
        mean = b1 * slots["mean"] + (1 - b1) * grad
        var = b2 * slots["var"] + (1 - b2) * grad * grad
        eta = self._bias_corrected_lr(lr, t, h["beta1"], h["beta2"]) \
            if self.correct_bias else lr
        eps = h["epsilon"].astype(w.dtype)
        new_w = w - eta * (mean / (jnp.sqrt(var) + eps) + wd * w)
        return new_w, {"mean": mean, "var": var}
