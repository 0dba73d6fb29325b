"""RMSProp, MXNet's ``rmsprop_update`` and ``rmspropalex_update``.

The running averages are optax's own transformations, whose formulas are
MXNet's: ``optax.scale_by_rms`` (Tieleman & Hinton, ``centered=False``) and
``optax.scale_by_stddev`` (Graves, ``centered=True``), both with
``initial_scale=0`` and ``eps`` inside the square root. What optax does not
have is written directly: MXNet adds weight decay to the gradient before
clipping, keeps ``lr`` inside the centered version's momentum buffer
(``delta = gamma2*delta - lr*u``) and optionally clips the weights.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import optax

from .optimizer import Optimizer, check_hyper, register

__all__ = ["RMSProp"]


@register
class RMSProp(Optimizer):
    """RMSProp (MXNet 1.9.1's ``RMSProp``).

    With ``g = clip(rescale_grad*grad + wd*w, clip_gradient)``::

        centered=False:  n = (1-gamma1)*g*g + gamma1*n
                         w = w - lr * g / sqrt(n + epsilon)
        centered=True:   n = (1-gamma1)*g*g + gamma1*n
                         gm = (1-gamma1)*g + gamma1*gm
                         delta = gamma2*delta - lr * g / sqrt(n - gm*gm + epsilon)
                         w = w + delta

    then ``w`` is clipped to [-clip_weights, clip_weights] when
    ``clip_weights > 0``.

    Args:
        learning_rate: default 0.001.
        gamma1: decay of the squared-gradient average.
        gamma2: momentum of the centered version.
        epsilon: added inside the square root.
        centered: Graves's centered version.
        clip_weights: clip the weights after the update (None: off).
        **kwargs: see :class:`Optimizer`.
    """

    _tuple_state = True
    _hyper = ("gamma1", "gamma2", "epsilon", "centered", "clip_weights")

    def __init__(self, learning_rate: float = 0.001, gamma1: float = 0.9,
                 gamma2: float = 0.9, epsilon: float = 1e-8, centered: bool = False,
                 clip_weights: float | None = None, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        check_hyper("RMSProp", "gamma1", gamma1, 0.0, 1.0)
        check_hyper("RMSProp", "gamma2", gamma2, 0.0, 1.0)
        self.gamma1, self.gamma2, self.epsilon = gamma1, gamma2, epsilon
        self.centered = centered
        self.clip_weights = clip_weights

    def _slot_names(self) -> tuple[str, ...]:
        return ("n", "g", "delta") if self.centered else ("n",)

    def _rule(self, w: jax.Array, g: jax.Array, slots: dict, lr: jax.Array,
              wd: jax.Array, *, t: jax.Array, h: dict) -> tuple[jax.Array, dict]:
        decay = h["gamma1"].astype(w.dtype)
        eps = h["epsilon"].astype(w.dtype)
        grad = self._clip(h, self._plus_wd(self._rescale(g, h), w, wd))
        if not self.centered:
            tx = optax.scale_by_rms(decay=decay, eps=eps, initial_scale=0.0)
            u, st = tx.update(grad, optax.ScaleByRmsState(nu=slots["n"]))
            return self._clip_weights(w - lr * u, h), {"n": st.nu}
        tx = optax.scale_by_stddev(decay=decay, eps=eps, initial_scale=0.0)
        u, st = tx.update(grad, optax.ScaleByRStdDevState(mu=slots["g"], nu=slots["n"]))
        delta = h["gamma2"].astype(w.dtype) * slots["delta"] - lr * u
        return self._clip_weights(w + delta, h), {"n": st.nu, "g": st.mu, "delta": delta}

    def _clips_weights(self) -> bool:
        c = self.clip_weights
        return c is not None and c > 0

    def _structure(self) -> tuple:
        return (*super()._structure(), self._clips_weights())

    def _clip_weights(self, w: jax.Array, h: dict) -> jax.Array:
        if not self._clips_weights():
            return w
        c = h["clip_weights"].astype(w.dtype)
        return jnp.clip(w, -c, c)
