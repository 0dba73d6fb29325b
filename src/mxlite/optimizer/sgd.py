"""SGD with momentum and weight decay, exactly MXNet's ``sgd_(mom_)update``.

Written directly (not with ``optax.sgd``): MXNet puts the learning rate and the
weight decay inside the momentum buffer, ``mom = momentum*mom - lr*wd*w -
lr*grad``, where optax's trace accumulates raw gradients and scales after, so
the two differ as soon as the rate changes.
"""

from __future__ import annotations

from typing import Any

import jax

from .optimizer import Optimizer, check_hyper, register

__all__ = ["SGD"]


@register
class SGD(Optimizer):
    """Stochastic gradient descent with momentum (MXNet 1.9.1's ``SGD``).

    Per weight, with ``g = clip(rescale_grad * grad, clip_gradient)``::

        momentum > 0:  mom = momentum*mom - lr*wd*w - lr*g;  w = w + mom
        momentum = 0:  w = (1 - lr*wd)*w - lr*g

    (``src/operator/optimizer_op-inl.h``, ``SGDMomKernel``/``SGDKernel``,
    including their order of floating-point operations.)

    Args:
        momentum: momentum factor, >= 0.
        lazy_update: accepted for MXNet compatibility; mxlite arrays are dense,
            so updates are never lazy.
        multi_precision: keep a float32 master copy of float16 weights.
        **kwargs: see :class:`Optimizer` (learning_rate, wd, rescale_grad, ...).

    Example:
        >>> import mxlite as mx
        >>> opt = mx.optimizer.SGD(learning_rate=0.1, momentum=0.9, wd=1e-4)
        >>> w, g = mx.nd.ones((2,)), mx.nd.ones((2,))
        >>> state = opt.create_state(0, w)
        >>> opt.update(0, w, g, state)
        >>> [round(float(x), 5) for x in w.asnumpy()]
        [0.89999, 0.89999]
    """

    _slots = ("mom",)
    _hyper = ("momentum", "lazy_update")

    def __init__(self, momentum: float = 0.0, lazy_update: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        check_hyper("SGD", "momentum", momentum, 0.0)
        self.momentum = momentum
        self.lazy_update = lazy_update

    def _slot_names(self) -> tuple[str, ...]:
        return self._slots if self.momentum > 0 else ()

    def _rule(self, w: jax.Array, g: jax.Array, slots: dict, lr: jax.Array,
              wd: jax.Array, *, t: jax.Array, h: dict) -> tuple[jax.Array, dict]:
        rescale = h["rescale_grad"].astype(w.dtype)
        # NOTE: without clipping MXNet multiplies (lr*rescale_grad)*grad, with it
        # lr*clip(rescale_grad*grad): keep both orders for MXNet's exact floats.
        step = lr * self._clip(h, rescale * g) if self._clipping() else (lr * rescale) * g
        if "mom" not in slots:
            return (1 - lr * wd) * w - step, {}
        mom = h["momentum"].astype(w.dtype) * slots["mom"] - (lr * wd) * w - step
        return w + mom, {"mom": mom}


@register
class ccSGD(SGD):
    """[Deprecated in MXNet] the same as :class:`SGD`."""
