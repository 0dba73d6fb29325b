"""MXNet.jl's optimizers: ``mx.SGD(lr=0.1, momentum=0.9, weight_decay=1e-5)``, ``mx.ADAM``.

MXNet.jl (v0.1 to v0.3, ``src/optimizer.jl``, ``src/optimizers/{sgd,adam}.jl``)
spelled and ordered things differently from MXNet Python
(docs/semantics.md, "MXNet.jl's SGD rule"), and these classes keep its rule:

- keywords ``lr``, ``momentum``, ``grad_clip``, ``weight_decay``;
- the gradient is normalised first (``grad / batch_size``: ``mx.fit`` sets
  ``rescale_grad = 1/batch_size`` on the optimizer, as MXNet.jl's
  ``OptimizationState.batch_size`` did), then clipped when ``grad_clip > 0``,
  then ``weight_decay * w`` is added;
- weight decay applies to **every** parameter, biases included (MXNet Python
  exempts names not ending in ``_weight``/``_gamma``), unless a multiplier is
  set explicitly with ``set_wd_mult``;
- ``SGD``'s ``weight_decay`` defaults to 1e-4, ``ADAM``'s to 1e-5.

They are not in the ``mx.optimizer.create`` registry (``'sgd'`` and ``'adam'``
are MXNet Python's); ``mxlite.jl`` exports them as ``mx.SGD`` and ``mx.ADAM``
(``import mxlite.jl as mx``). They stay beside the other rules because
they are rules (MXNet.jl's order of clipping and decay), not naming.
MXNet.jl's ``LearningRate``/``Momentum`` scheduler types are not provided: pass
an ``mx.lr_scheduler`` schedule as ``lr_scheduler``; ``momentum_scheduler``
must be None.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from ..base import ParamError
from .optimizer import Optimizer, check_hyper
from .policy import AllDecayPolicy

__all__ = ["JuliaADAM", "JuliaSGD"]


class _JuliaOptimizer(Optimizer):
    """MXNet.jl's gradient normalisation and all-parameter weight decay."""

    _policy_class = AllDecayPolicy

    def _config(self) -> dict:
        out = super()._config()
        out["lr"] = out.pop("learning_rate")
        out["weight_decay"] = out.pop("wd")
        out["grad_clip"] = out.pop("clip_gradient") or 0.0
        return out

    def _normalized_gradient(self, w: jax.Array, g: jax.Array, wd: jax.Array,
                             h: dict) -> jax.Array:
        """MXNet.jl's ``normalized_gradient``: scale, clip, then add ``wd*w``."""
        return self._plus_wd(self._clip(h, self._rescale(g, h)), w, wd)


def _julia_kwargs(where: str, grad_clip: float, momentum_scheduler: Any,
                  kwargs: dict) -> dict:
    if momentum_scheduler is not None:
        raise ParamError(f"{where}: momentum_scheduler is not supported; use a fixed "
                         f"momentum (got {momentum_scheduler!r}).")
    check_hyper(where, "grad_clip", grad_clip, 0.0)
    for python_name in ("learning_rate", "wd", "clip_gradient"):
        if python_name in kwargs:
            raise ParamError(f"{where}: this is MXNet.jl's optimizer; spell "
                             f"{python_name!r} as lr / weight_decay / grad_clip, or use "
                             "mx.optimizer.create(...) for MXNet Python's.")
    return kwargs


def _lr(lr: float, lr_scheduler: Any) -> float | None:
    """MXNet.jl: a given lr_scheduler decides the rate and ``lr`` is unused."""
    return None if lr_scheduler is not None else lr


class JuliaSGD(_JuliaOptimizer):
    """MXNet.jl's ``SGD`` (exported as ``mx.SGD``).

    With ``g = clip(rescale_grad*grad, grad_clip) + weight_decay*w``::

        momentum > 0:  mom = momentum*mom - lr*g;  w = w + mom
        momentum = 0:  w = w - lr*g

    Args:
        lr: learning rate (0.01).
        momentum: momentum factor (0.0).
        grad_clip: clip the normalised gradient to [-c, c] when > 0 (0: off).
        weight_decay: L2 coefficient for every parameter (0.0001).
        lr_scheduler: an ``mx.lr_scheduler`` schedule.
        momentum_scheduler: must be None.
        **kwargs: other :class:`Optimizer` arguments (rescale_grad, ...).

    Example:
        >>> import mxlite.jl as mx
        >>> opt = mx.SGD(lr=0.1, momentum=0.9, weight_decay=0.00001)
        >>> opt.momentum, opt.lr, opt.wd
        (0.9, 0.1, 1e-05)
    """

    _slots = ("mom",)
    _hyper = ("momentum",)

    def __init__(self, *, lr: float = 0.01, momentum: float = 0.0, grad_clip: float = 0.0,
                 weight_decay: float = 0.0001, lr_scheduler: Any = None,
                 momentum_scheduler: Any = None, **kwargs: Any) -> None:
        kwargs = _julia_kwargs("mx.SGD", grad_clip, momentum_scheduler, kwargs)
        check_hyper("mx.SGD", "momentum", momentum, 0.0)
        super().__init__(learning_rate=_lr(lr, lr_scheduler), wd=weight_decay,
                         clip_gradient=grad_clip, lr_scheduler=lr_scheduler, **kwargs)
        self.momentum = momentum

    def _slot_names(self) -> tuple[str, ...]:
        return self._slots if self.momentum > 0 else ()

    def _rule(self, w: jax.Array, g: jax.Array, slots: dict, lr: jax.Array,
              wd: jax.Array, *, t: jax.Array, h: dict) -> tuple[jax.Array, dict]:
        grad = self._normalized_gradient(w, g, wd, h)
        if "mom" not in slots:
            return w + -lr * grad, {}
        mom = h["momentum"].astype(w.dtype) * slots["mom"] + -lr * grad
        return w + mom, {"mom": mom}


class JuliaADAM(_JuliaOptimizer):
    """MXNet.jl's ``ADAM`` (exported as ``mx.ADAM``).

    With ``g`` normalised as in :class:`JuliaSGD` (clip, then weight decay)::

        m = beta1*m + (1 - beta1)*g
        v = beta2*v + (1 - beta2)*g*g
        w = w - lr * sqrt(1 - beta2**t)/(1 - beta1**t) * m / (sqrt(v) + epsilon)

    Args:
        lr: learning rate (0.001).
        grad_clip: clip when > 0 (0: off).
        weight_decay: L2 coefficient for every parameter (0.00001).
        beta1, beta2: moment decay rates.
        epsilon: added to ``sqrt(v)``.
        lr_scheduler: an ``mx.lr_scheduler`` schedule.
        **kwargs: other :class:`Optimizer` arguments.
    """

    _slots = ("mt", "vt")
    _hyper = ("beta1", "beta2", "epsilon")

    def __init__(self, *, lr: float = 0.001, grad_clip: float = 0.0,
                 weight_decay: float = 0.00001, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8, lr_scheduler: Any = None,
                 **kwargs: Any) -> None:
        kwargs = _julia_kwargs("mx.ADAM", grad_clip, None, kwargs)
        check_hyper("mx.ADAM", "beta1", beta1, 0.0, 1.0, upper_open=True)
        check_hyper("mx.ADAM", "beta2", beta2, 0.0, 1.0, upper_open=True)
        super().__init__(learning_rate=_lr(lr, lr_scheduler), wd=weight_decay,
                         clip_gradient=grad_clip, lr_scheduler=lr_scheduler, **kwargs)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon

    def _rule(self, w: jax.Array, g: jax.Array, slots: dict, lr: jax.Array,
              wd: jax.Array, *, t: jax.Array, h: dict) -> tuple[jax.Array, dict]:
        b1, b2 = h["beta1"].astype(w.dtype), h["beta2"].astype(w.dtype)
        grad = self._normalized_gradient(w, g, wd, h)
        mt = (1 - b1) * grad + b1 * slots["mt"]
        vt = (1 - b2) * grad * grad + b2 * slots["vt"]
        lr_t = self._bias_corrected_lr(lr, t, h["beta1"], h["beta2"])
        new_w = w + -lr_t * mt / (jnp.sqrt(vt) + h["epsilon"].astype(w.dtype))
        return new_w, {"mt": mt, "vt": vt}
