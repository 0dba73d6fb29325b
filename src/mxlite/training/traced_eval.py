"""Define-by-run evaluation: a user's Python function as one compiled forward.

Chainer's ``Evaluator`` calls the model on each test batch in evaluation
mode (no gradients, ``train=False``) and keeps only what it reports.
:class:`DynamicForward` traces that call once per structure and argument
signature, like :class:`~.traced.DynamicTrainer`, but compiles the forward
alone: parameters and aux in, the reported values and attributes out
(device arrays, published through ``Binding.publish``). Nothing is updated
and nothing is read to the host. A function that cannot be traced makes
:meth:`DynamicForward.run` return False (the caller runs it eagerly).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import jax

from .. import random
from .traced import (
    _TRACER_ERRORS,
    EAGER,
    Binding,
    Untraceable,
    _Args,
    bound,
    lookup,
    reason,
)

__all__ = ["DynamicForward"]


class DynamicForward:
    """Compiled forward calls of a define-by-run model.

    Args:
        binding: the front-end's :class:`~.traced.Binding` (``loss_of`` unused).

    Random draws inside the call (rare in evaluation mode) come from one key
    fixed at construction, so evaluation is deterministic.
    """

    def __init__(self, binding: Binding) -> None:
        self.binding = binding
        self._entries: dict = {}
        self._key = random.host_key()
        self.reason: str | None = None

    def run(self, fn: Callable, args: tuple, kwargs: dict, *,
            structure: Callable[[], Hashable]) -> bool:
        """Call ``fn(*args, **kwargs)`` compiled; False if it cannot be traced.

        ``structure()`` keys everything besides the arguments the trace
        depends on (the parameter tree, the config flags).
        """
        try:
            call = _Args(args, kwargs, self.binding.unwrap)
        except Untraceable as err:
            self.reason = str(err)
            return False
        entry = lookup(self._entries, fn, call, structure, lambda: self._compile(fn, call))
        if entry is None:
            self.reason = "it creates new parameters on every call"
        if entry is None or entry is EAGER:
            return False
        seen = entry(self.binding.params(), self.binding.aux(), call.arrays, self._key)
        self.binding.publish(seen, None)
        return True

    def _graph(self, fn: Callable, call: _Args) -> Callable:
        binding = self.binding

        def forward(params: dict, aux: dict, arrays: list, key: Any) -> dict:
            with bound(binding, params, aux, key, False):
                a, k = call.rebuild(arrays, binding.wrap)
                fn(*a, **k)
                return binding.observe()

        return forward

    def _compile(self, fn: Callable, call: _Args) -> Callable | str | None:
        forward = self._graph(fn, call)
        before = set(self.binding.params())
        try:
            jax.eval_shape(forward, self.binding.params(), self.binding.aux(),
                           call.arrays, self._key)
        except (Untraceable, *_TRACER_ERRORS) as err:
            self.reason = reason(err)
            return EAGER
        if set(self.binding.params()) != before:
            return None
        return jax.jit(forward)
