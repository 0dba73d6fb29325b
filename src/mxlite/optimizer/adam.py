"""Adam, exactly MXNet's ``Adam`` + ``adam_update``.

Written directly, not with ``optax.scale_by_adam``: MXNet folds the bias
correction into the learning rate, ``lr_t = lr*sqrt(1-beta2^t)/(1-beta1^t)``,
and divides by ``sqrt(v) + epsilon`` with the *uncorrected* ``v``, whereas optax
divides by ``sqrt(v_hat) + eps``; the two differ wherever ``epsilon`` matters.
MXNet also adds weight decay to the gradient before clipping.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .optimizer import Optimizer, check_hyper, register

__all__ = ["Adam"]


@register
class Adam(Optimizer):
    """The Adam optimizer (Kingma & Ba, 2014) with MXNet 1.9.1's rule.

    At update ``t`` (per weight, counting from ``begin_num_update``)::

        g = clip(rescale_grad*grad + wd*w, clip_gradient)
        m = beta1*m + (1 - beta1)*g
        v = beta2*v + (1 - beta2)*g*g
        lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t)
        w = w - lr_t*m / (sqrt(v) + epsilon)

    Args:
        learning_rate: default 0.001.
        beta1, beta2: moment decay rates in [0, 1).
        epsilon: added to ``sqrt(v)``.
        lazy_update: accepted for MXNet compatibility (dense arrays only).
        **kwargs: see :class:`Optimizer`.

    Example:
        >>> import mxlite as mx
        >>> opt = mx.optimizer.Adam(learning_rate=0.1)
        >>> w, g = mx.nd.ones((2,)), mx.nd.ones((2,))
        >>> opt.update(0, w, g, opt.create_state(0, w))
        >>> [round(float(x), 4) for x in w.asnumpy()]
        [0.9, 0.9]
    """

    _slots = ("mean", "var")
    _hyper = ("beta1", "beta2", "epsilon", "lazy_update")

    def __init__(self, learning_rate: float = 0.001, beta1: float = 0.9,
                 beta2: float = 0.999, epsilon: float = 1e-8, lazy_update: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        check_hyper("Adam", "beta1", beta1, 0.0, 1.0, upper_open=True)
        check_hyper("Adam", "beta2", beta2, 0.0, 1.0, upper_open=True)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.lazy_update = lazy_update

    def _rule(self, w: jax.Array, g: jax.Array, slots: dict, lr: jax.Array,
              wd: jax.Array, *, t: jax.Array, h: dict) -> tuple[jax.Array, dict]:
        b1, b2 = h["beta1"].astype(w.dtype), h["beta2"].astype(w.dtype)
        grad = self._clip(h, self._plus_wd(self._rescale(g, h), w, wd))
        mean = b1 * slots["mean"] + (1 - b1) * grad
        var = b2 * slots["var"] + (1 - b2) * grad * grad
        lr_t = self._bias_corrected_lr(lr, t, h["beta1"], h["beta2"])
        new_w = w - lr_t * mean / (jnp.sqrt(var) + h["epsilon"].astype(w.dtype))
        return new_w, {"mean": mean, "var": var}
