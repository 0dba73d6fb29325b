"""AdaGrad, MXNet's ``AdaGrad``.

The accumulator is ``optax.scale_by_rss`` with ``initial_accumulator_value=0``,
whose rule ``g / sqrt(sum(g^2) + eps)`` is MXNet's; the weight decay, applied
to the weight outside the accumulator (``w -= lr*(div + wd*w)``), is written
directly.
"""

from __future__ import annotations

from typing import Any

import jax
import optax

from .optimizer import Optimizer, register

__all__ = ["AdaGrad"]


@register
class AdaGrad(Optimizer):
    """AdaGrad (Duchi et al., 2011), MXNet 1.9.1's rule::

        g = clip(rescale_grad*grad, clip_gradient)
        history = history + g*g
        w = w - lr * (g / sqrt(history + eps) + wd*w)

    Args:
        eps: added to the history inside the square root (default 1e-7).
        **kwargs: see :class:`Optimizer`.
    """

    _slots = ("history",)
    _hyper = ("float_stable_eps",)

    def __init__(self, eps: float = 1e-7, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def _config(self) -> dict:
        out = super()._config()
        out["eps"] = out.pop("float_stable_eps")
        return out

    def _rule(self, w: jax.Array, g: jax.Array, slots: dict, lr: jax.Array,
              wd: jax.Array, *, t: jax.Array, h: dict) -> tuple[jax.Array, dict]:
        grad = self._clip(h, self._rescale(g, h))
        tx = optax.scale_by_rss(initial_accumulator_value=0.0,
                                eps=h["float_stable_eps"].astype(w.dtype))
        div, st = tx.update(grad, optax.ScaleByRssState(sum_of_squares=slots["history"]))
        return w + (div + w * wd) * -lr, {"history": st.sum_of_squares}
