"""Imperative autograd: record a tape, differentiate it in one compiled call.

``with autograd.record():`` runs operators eagerly (so values are at hand) and
appends each call to a tape. ``backward()`` turns the part of the tape that
reaches the heads into one pure JAX function, takes its VJP under ``jax.jit``
and caches the compiled result by the tape's structure, so the second
iteration of a training loop costs one compiled call, not a Python walk.

This module works on *handles*: any object with ``_data`` (a jax.Array),
``_ag`` (its tape node or None), ``_grad`` and ``_grad_req``. ``NDArray`` is
one; this module never imports it.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Hashable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from . import _platform  # noqa: F401  (JAX config: x64 before any array)
from .base import AutogradError

__all__ = [
    "record",
    "pause",
    "train_mode",
    "predict_mode",
    "is_recording",
    "is_training",
    "set_recording",
    "set_training",
    "mark_variables",
    "backward",
    "leaf_gradients",
    "grad",
    "record_op",
    "tape_graph",
    "TapeGraph",
]

_local = threading.local()
_seq = itertools.count()


def is_recording() -> bool:
    """Whether operators are being recorded for differentiation."""
    return getattr(_local, "recording", False)


def is_training() -> bool:
    """Whether Dropout and BatchNorm behave as in training."""
    return getattr(_local, "training", False)


def set_recording(flag: bool) -> bool:
    """Turn recording on or off; return the previous state."""
    prev, _local.recording = is_recording(), bool(flag)
    return prev


def set_training(flag: bool) -> bool:
    """Turn training mode on or off; return the previous state."""
    prev, _local.training = is_training(), bool(flag)
    return prev


class _Scope:
    def __init__(self, recording: bool | None, training: bool | None) -> None:
        self._flags = (recording, training)
        self._prev = (False, False)

    def __enter__(self) -> _Scope:
        recording, training = self._flags
        self._prev = (is_recording(), is_training())
        if recording is not None:
            set_recording(recording)
        if training is not None:
            set_training(training)
        return self

    def __exit__(self, *exc) -> None:
        set_recording(self._prev[0])
        set_training(self._prev[1])


def record(train_mode: bool = True) -> _Scope:
    """Scope in which operators are recorded (training mode by default)."""
    return _Scope(True, train_mode)


def pause(train_mode: bool = False) -> _Scope:
    """Scope in which recording stops (predict mode by default)."""
    return _Scope(False, train_mode)


def train_mode() -> _Scope:
    """Scope with training behaviour, recording unchanged."""
    return _Scope(None, True)


def predict_mode() -> _Scope:
    """Scope with inference behaviour, recording unchanged."""
    return _Scope(None, False)


class _Var:
    """Tape node of a leaf marked with ``attach_grad``."""

    __slots__ = ("handle",)

    def __init__(self, handle: Any) -> None:
        self.handle = handle


class _Entry:
    """One recorded call: ``fn(*inputs) -> tuple(outputs)``."""

    __slots__ = ("fn", "freed", "inputs", "key", "n_out", "seq")

    def __init__(self, key: Hashable, fn: Callable, inputs: list, n_out: int) -> None:
        self.key, self.fn, self.inputs, self.n_out = key, fn, inputs, n_out
        self.seq = next(_seq)
        self.freed = False


class _Out:
    """Tape node of an operator output."""

    __slots__ = ("entry", "index")

    def __init__(self, entry: _Entry, index: int) -> None:
        self.entry, self.index = entry, index


def mark_variables(variables: Sequence, gradients: Sequence, grad_reqs="write") -> None:
    """Mark handles as leaves whose gradients go into ``gradients``."""
    reqs = [grad_reqs] * len(variables) if isinstance(grad_reqs, str) else grad_reqs
    for var, g, req in zip(variables, gradients, reqs):
        if req not in ("write", "add", "null"):
            raise AutogradError(
                f"attach_grad: grad_req must be 'write', 'add' or 'null'; got {req!r}."
            )
        var._ag = _Var(var) if req != "null" else None
        var._grad, var._grad_req = g, req


def record_op(key: Hashable, fn: Callable, inputs: Sequence, outputs: Sequence) -> None:
    """Append a call to the tape (only while recording).

    Inputs without a tape node (and raw jax arrays) are captured by value as
    constants; leaves are
    captured with the value they had now, so later in-place updates (an
    optimizer step) do not change what backward differentiates.
    """
    refs = []
    for h in inputs:
        if not hasattr(h, "_ag"):
            refs.append(("c", h))
        elif h._ag is None:
            refs.append(("c", h._data))
        elif isinstance(h._ag, _Var):
            refs.append(("v", h._ag, h._data))
        else:
            refs.append(("o", h._ag))
    entry = _Entry(key, fn, refs, len(outputs))
    for i, out in enumerate(outputs):
        out._ag = _Out(entry, i)


def _collect(heads: Sequence) -> list[_Entry]:
    """Entries reachable from the heads, in recording order."""
    seen: dict[int, _Entry] = {}
    stack = [h._ag.entry for h in heads if isinstance(h._ag, _Out)]
    while stack:
        entry = stack.pop()
        if id(entry) in seen:
            continue
        if entry.freed:
            raise AutogradError(
                "backward: the graph was freed by an earlier backward(); pass "
                "retain_graph=True to differentiate the same graph twice."
            )
        seen[id(entry)] = entry
        stack.extend(r[1].entry for r in entry.inputs if r[0] == "o")
    return sorted(seen.values(), key=lambda e: e.seq)


class _Plan:
    """The tape segment as a pure function of (leaf values, constants)."""

    def __init__(self, heads: Sequence) -> None:
        for h in heads:
            if h._ag is None:
                raise AutogradError(
                    "backward: a head was not computed inside autograd.record() from "
                    "arrays with attach_grad(); there is nothing to differentiate."
                )
        self.entries = _collect(heads)
        self.vars: list[_Var] = []
        self.var_vals: list = []
        self.consts: list = []
        var_slot: dict[tuple, int] = {}
        pos = {id(e): i for i, e in enumerate(self.entries)}
        wiring = []
        for entry in self.entries:
            codes = []
            for ref in entry.inputs:
                if ref[0] == "c":
                    codes.append(("c", len(self.consts)))
                    self.consts.append(ref[1])
                elif ref[0] == "v":
                    slot = var_slot.setdefault((id(ref[1]), id(ref[2])), len(self.vars))
                    if slot == len(self.vars):
                        self.vars.append(ref[1])
                        self.var_vals.append(ref[2])
                    codes.append(("v", slot))
                else:
                    codes.append(("o", pos[id(ref[1].entry)], ref[1].index))
            wiring.append((entry.key, tuple(codes)))
        self.head_codes = tuple(self._head_code(h, pos, var_slot) for h in heads)
        avals = tuple(None if a is None else (a.shape, str(a.dtype))
                      for a in self.var_vals + self.consts)
        self.signature = (tuple(wiring), self.head_codes, avals)

    def _head_code(self, head, pos, var_slot) -> tuple:
        if isinstance(head._ag, _Var):
            slot = var_slot.get((id(head._ag), id(head._data)))
            if slot is None:
                slot = len(self.vars)
                self.vars.append(head._ag)
                self.var_vals.append(head._data)
                var_slot[(id(head._ag), id(head._data))] = slot
            return ("v", slot)
        return ("o", pos[id(head._ag.entry)], head._ag.index)

    def forward_fn(self) -> Callable:
        """``f(var_vals, consts) -> heads``, replaying the tape."""
        fns = [e.fn for e in self.entries]
        wiring = self.signature[0]
        head_codes = self.head_codes

        def f(var_vals, consts):
            results: list = []

            def fetch(code):
                if code[0] == "c":
                    return consts[code[1]]
                if code[0] == "v":
                    return var_vals[code[1]]
                return results[code[1]][code[2]]

            for fn, (_, codes) in zip(fns, wiring):
                results.append(tuple(fn(*[fetch(c) for c in codes])))
            return [fetch(c) for c in head_codes]

        return f


_GRAD_CACHE: dict = {}


def _grad_fn(plan: _Plan) -> Callable:
    """Cached jitted ``(var_vals, consts, head_grads) -> var_grads``."""
    fn = _GRAD_CACHE.get(plan.signature)
    if fn is None:
        forward = plan.forward_fn()

        def vjp(var_vals, consts, head_grads):
            _, pullback = jax.vjp(lambda v: forward(v, consts), var_vals)
            return pullback(head_grads)[0]

        fn = _GRAD_CACHE[plan.signature] = (jax.jit(vjp), vjp)
    return fn


def _head_grads(heads: Sequence, head_grads) -> list:
    if head_grads is None:
        return [jnp.ones(h._data.shape, h._data.dtype) for h in heads]
    if not isinstance(head_grads, (list, tuple)):
        head_grads = [head_grads]
    if len(head_grads) != len(heads):
        raise AutogradError(
            f"backward: got {len(head_grads)} head gradients for {len(heads)} heads."
        )
    out = []
    for h, g in zip(heads, head_grads):
        g = jnp.ones(h._data.shape, h._data.dtype) if g is None else getattr(g, "_data", g)
        if tuple(g.shape) != tuple(h._data.shape):
            raise AutogradError(
                f"backward: head gradient has shape {tuple(g.shape)} but its head has "
                f"shape {tuple(h._data.shape)}."
            )
        out.append(g)
    return out


def _as_list(x) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def leaf_gradients(heads, head_grads=None, retain_graph: bool = False) -> list[tuple]:
    """``[(leaf handle, gradient array)]`` of ``heads``, nothing written.

    For front-ends that keep gradients their own way (Chainer accumulates
    into ``Variable.grad`` and clears it to None). A leaf reached twice
    appears twice."""
    heads = _as_list(heads)
    plan = _Plan(heads)
    compiled, _ = _grad_fn(plan)
    grads = compiled(plan.var_vals, plan.consts, _head_grads(heads, head_grads))
    if not retain_graph:
        for entry in plan.entries:
            entry.freed = True
    return [(var.handle, g) for var, g in zip(plan.vars, grads)]


def backward(heads, head_grads=None, retain_graph: bool = False,
             train_mode: bool = True) -> None:
    """Accumulate gradients of ``heads`` into the leaves' ``.grad`` arrays.

    Raises:
        AutogradError: no leaf of the recorded graph has ``attach_grad()``, so
            there is nowhere to put a gradient (MXNet refused this too).
    """
    pairs = leaf_gradients(heads, head_grads, retain_graph)
    if not pairs:
        raise AutogradError(
            "backward: no array this result was computed from has attach_grad(), "
            "so no gradient can be stored. Call x.attach_grad() on the inputs "
            "before `with autograd.record():`, then compute and call backward()."
        )
    for handle, g in pairs:
        if handle._grad_req == "add":
            handle._grad._data = handle._grad._data + g
        elif handle._grad_req == "write":
            handle._grad._data = g


def grad(heads, variables, head_grads=None, retain_graph: bool | None = None,
         create_graph: bool = False, train_mode: bool = True):
    """Return the gradients of ``heads`` w.r.t. ``variables`` (``.grad`` untouched).

    With ``create_graph=True`` the result is itself recorded, so it can be
    differentiated again (higher-order gradients).
    """
    heads, variables = _as_list(heads), _as_list(variables)
    plan = _Plan(heads)
    wanted = []
    for v in variables:
        if not isinstance(v._ag, _Var):
            raise AutogradError("grad: every variable must have attach_grad() called.")
        matches = [i for i, var in enumerate(plan.vars) if var is v._ag]
        wanted.append(matches)
    hg = _head_grads(heads, head_grads)
    compiled, pure = _grad_fn(plan)
    all_grads = compiled(plan.var_vals, plan.consts, hg)
    results = []
    for v, matches in zip(variables, wanted):
        g = sum((all_grads[i] for i in matches), jnp.zeros(v._data.shape, v._data.dtype))
        results.append(type(v)._wrap(g, v.context))
    if create_graph:
        _record_grad(plan, pure, hg, wanted, results)
    if not (retain_graph if retain_graph is not None else create_graph):
        for entry in plan.entries:
            entry.freed = True
    return results


def _record_grad(plan: _Plan, pure: Callable, hg: list, wanted: list, results: list):
    """Record the gradient computation so it can be differentiated again."""
    n_var, n_const = len(plan.vars), len(plan.consts)

    def fn(*flat):
        var_vals = list(flat[:n_var])
        consts = list(flat[n_var:n_var + n_const])
        grads = pure(var_vals, consts, list(flat[n_var + n_const:]))
        return tuple(sum((grads[i] for i in m), jnp.zeros(r.shape, r.dtype))
                     for m, r in zip(wanted, results))

    inputs = [var.handle if var.handle._data is val else val
              for var, val in zip(plan.vars, plan.var_vals)]
    inputs += list(plan.consts) + list(hg)
    record_op(("grad", plan.signature), fn, inputs, results)


class TapeGraph(NamedTuple):
    """The recorded graph behind one head, for drawings (``tape_graph``).

    Attributes:
        leaves: ``(handle, shape, dtype)`` of each marked leaf (parameters,
            inputs), in first-use order.
        consts: ``(shape, dtype)`` of each captured constant.
        calls: ``(op name, input codes, [(shape, dtype) per output])`` in
            recording order; a code is ``('v', leaf)``, ``('c', const)`` or
            ``('o', call, output)``.
        head: the head's code.
    """

    leaves: list
    consts: list
    calls: list
    head: tuple


def _spec(x: Any) -> tuple:
    if not hasattr(x, "shape") and not isinstance(x, (bool, int, float, complex)):
        return (), type(x).__name__  # e.g. None for an absent random key
    return tuple(jnp.shape(x)), str(jnp.result_type(x))


def tape_graph(head: Any) -> TapeGraph:
    """Describe the tape segment that computed ``head`` (nothing is run: the
    outputs' shapes come from ``jax.eval_shape``)."""
    plan = _Plan([head])
    outs: list = []

    def fetch(code: tuple) -> Any:
        if code[0] == "c":
            return plan.consts[code[1]]
        if code[0] == "v":
            return plan.var_vals[code[1]]
        return outs[code[1]][code[2]]

    calls = []
    for entry, (key, codes) in zip(plan.entries, plan.signature[0]):
        result = jax.eval_shape(lambda *xs, fn=entry.fn: tuple(fn(*xs)),
                                *[fetch(c) for c in codes])
        outs.append(result)
        name = key[0] if isinstance(key, tuple) and isinstance(key[0], str) else "fn"
        calls.append((name, codes, [(tuple(o.shape), str(o.dtype)) for o in result]))
    leaves = [(v.handle, *_spec(val)) for v, val in zip(plan.vars, plan.var_vals)]
    return TapeGraph(leaves, [_spec(c) for c in plan.consts], calls, plan.head_codes[0])
