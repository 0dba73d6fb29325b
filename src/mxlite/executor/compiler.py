"""Lower a symbolic graph to one pure JAX function (and its VJP).

``graph_function(heads, platform)`` returns
``f(args, aux, key, is_train) -> (outputs, new_aux)`` over dicts keyed by
variable name. Every operator is called through its registry lowering, so the
whole graph traces into one XLA computation that XLA fuses and plans.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp

from ..symbol.graph import Node, topo_order

__all__ = ["graph_function", "forward_backward_function", "needs_key"]


def needs_key(heads: Sequence[tuple[Node, int]]) -> bool:
    """Whether any operator in the graph draws random numbers."""
    return any(n.op is not None and n.op.needs_key for n in topo_order(heads))


def graph_function(heads: Sequence[tuple[Node, int]], platform: str) -> Callable:
    """The graph as ``f(args, aux, key, is_train) -> (outputs, new_aux)``.

    Layout: operators with a ``channel_swap`` lowering for ``platform`` pass
    their data to each other with batch and channel axes swapped (on CPU the
    convolution computes in (C, N, H, W), and pooling and activations work in
    either); the graph's other operators and its outputs see MXNet's layout.
    A value is swapped back at most once, where something needs it.
    """
    order = topo_order(heads)
    head_ids = [(id(n), i) for n, i in heads]

    def run(args: dict, aux: dict, key, is_train: bool):
        layouts = _Layouts()
        new_aux: dict = {}
        for position, node in enumerate(order):
            if node.op is None:
                layouts.values[(id(node), 0)] = (
                    args[node.name] if node.name in args else aux[node.name])
                continue
            rule = node.op.channel_swap(node.params, platform) if node.op.channel_swap else None
            ins, lowering = layouts.inputs([(id(c), i) for c, i in node.inputs], rule)
            n_args = node.num_args()
            node_key = jax.random.fold_in(key, position) if node.op.needs_key else None
            outs, updated = node.op.apply(
                node.params, ins[:n_args], ins[n_args:], platform=platform,
                is_train=is_train, key=node_key, node=node.name, lowering=lowering)
            for (child, _), value in zip(node.inputs[n_args:], updated):
                new_aux[child.name] = value
            store = layouts.swapped if lowering is not None else layouts.values
            for i, out in enumerate(outs):
                store[(id(node), i)] = out
        return [layouts.canonical(h) for h in head_ids], {**aux, **new_aux}

    return run


class _Layouts:
    """The graph's values during a trace, each in MXNet's layout, swapped, or both."""

    def __init__(self) -> None:
        self.values: dict = {}
        self.swapped: dict = {}  # value id -> the same value as (C, N, ...)

    def canonical(self, ref: tuple) -> jax.Array:
        """The value in MXNet's layout, swapped back (once) if need be."""
        if ref not in self.values:
            self.values[ref] = jnp.swapaxes(self.swapped[ref], 0, 1)
        return self.values[ref]

    def inputs(self, refs: list, rule: tuple | None) -> tuple[list, Callable | None]:
        """An operator's inputs and its swapped-layout lowering, if it uses one.

        ``rule`` is ``(lowering, worth_swapping_into)``: the data input is
        swapped if it already is, or if the rule asks and it has a channel axis.
        """
        data = refs[0] if refs else None
        if rule is None or not (data in self.swapped
                                or (rule[1] and self.canonical(data).ndim > 2)):
            return [self.canonical(r) for r in refs], None
        if data not in self.swapped:
            self.swapped[data] = jnp.swapaxes(self.values[data], 0, 1)
        return [self.swapped[data]] + [self.canonical(r) for r in refs[1:]], rule[0]


def forward_backward_function(graph: Callable, grad_names: Sequence[str],
                              add_names: Sequence[str]) -> Callable:
    """``f(args, aux, key, head_grads, old_grads) -> (outs, new_aux, grads)``.

    Gradients are taken w.r.t. ``grad_names``; those in ``add_names`` are added
    to ``old_grads`` (MXNet's ``grad_req='add'``) inside the same computation.
    """
    grad_names, add_names = tuple(grad_names), frozenset(add_names)

    def run(args: dict, aux: dict, key, head_grads: list, old_grads: dict):
        fixed = {k: v for k, v in args.items() if k not in grad_names}

        def forward(diff_args):
            outs, new_aux = graph({**fixed, **diff_args}, aux, key, True)
            return outs, new_aux

        diff = {k: args[k] for k in grad_names}
        outs, pullback, new_aux = jax.vjp(forward, diff, has_aux=True)
        cot = [g.astype(o.dtype) if g is not None else jnp.ones_like(o)
               for g, o in zip(head_grads, outs)]
        (grads,) = pullback(cot)
        grads = {k: grads[k] + old_grads[k] if k in add_names else grads[k]
                 for k in grad_names}
        return outs, new_aux, grads

    return run
