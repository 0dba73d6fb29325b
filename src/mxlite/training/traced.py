"""Define-by-run training: a user's Python loss function as one compiled step.

Chainer's ``optimizer.update(model, x, t)`` (and, later, Gluon's
``Trainer.step``) call a Python function that builds its graph as it runs.
:class:`DynamicTrainer` traces that function the first time it meets a
structure (the caller's key: parameter tree, config flags) and argument
signature (shapes, dtypes, static values), turns it into a
:class:`~.program.GraphProgram` whose one loss output has head gradient 1,
and replays every later call as :meth:`TrainStep.step`: forward, backward
and optimizer update in one XLA call, the state donated.

While tracing, the model's parameter handles hold tracers (the front-end's
:class:`Binding` swaps them in and back), random draws come from the step's
key (:func:`mxlite.random.traced_keys`) and the function's leftovers (an
attribute it set, a value it reported) become extra outputs, handed back
through ``Binding.publish`` as device arrays: nothing is read to the host
until the user reads it.

A function that cannot be traced (Python control flow on values, printing a
value, NumPy on ``.data``) falls back to the eager tape, with one
:class:`TracingFallbackWarning` naming the reason and the line; the eager
path ends in :meth:`DynamicTrainer.apply_gradients`, the same optimizer
rule in the same state.
"""

from __future__ import annotations

import os
import threading
import traceback
import warnings
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NoReturn

import jax
import jax.numpy as jnp
import numpy as np

from .. import autograd, random
from ..io.labels import check_class_labels
from .program import GraphProgram
from .state import TrainState, fresh_guard
from .step import TrainStep, guard_finding

__all__ = ["EAGER", "Binding", "DynamicTrainer", "TracingFallbackWarning", "Untraceable",
           "bound", "check_labels", "declare_labels", "is_traced", "lookup", "reason",
           "untraceable"]

_TRACER_ERRORS = (jax.errors.ConcretizationTypeError,
                  jax.errors.TracerArrayConversionError,
                  jax.errors.TracerBoolConversionError,
                  jax.errors.TracerIntegerConversionError,
                  jax.errors.UnexpectedTracerError)
EAGER = "eager"  # the entry of a structure that runs on the eager tape
_OURS = (os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
         os.path.dirname(os.path.abspath(jax.__file__)))


_local = threading.local()


class Untraceable(Exception):
    """Raised inside a trace by something that needs a concrete value."""


class TracingFallbackWarning(UserWarning):
    """A loss function could not be traced and runs eagerly (slower)."""


def is_traced(value: Any) -> bool:
    """Whether ``value`` is a tracer of a step being traced."""
    return isinstance(value, jax.core.Tracer)


def check_labels(labels: np.ndarray, classes: int, ignore: int | None, where: str) -> None:
    """Raise ParamError unless every label is in ``[0, classes)`` or ``ignore``."""
    check_class_labels(labels, classes, where, ignore=ignore)


def declare_labels(value: Any, classes: int, ignore: int | None, where: str) -> None:
    """Inside a traced step: ``value`` (an input of the step) holds class
    labels; every later call checks its labels on the host, when they are
    NumPy arrays (no device sync), with :func:`check_labels`."""
    table = getattr(_local, "inputs", None)
    if table is not None and id(value) in table:
        _local.labels.append((table[id(value)], classes, ignore, where))


def untraceable(what: str) -> NoReturn:
    """Abort the trace: ``what`` needs a concrete value (e.g. printing one)."""
    raise Untraceable(what)


@dataclass(frozen=True)
class Binding:
    """How the trainer reads and writes a front-end's model, by name.

    Attributes:
        params: () -> {name: array} of the learned parameters (initialized).
        set_params: write {name: array} back into the parameter handles.
        aux, set_aux: the same for persistent state (BatchNorm's statistics).
        unwrap: an argument leaf -> its array, or None if it is not an array.
        wrap: (array, the leaf it came from) -> what the function receives.
        loss_of: the function's return value -> its loss array (0-d).
        observe: () -> {name: traced array} the call left behind.
        publish: ({name: array}, loss array) -> put results where users read them.
    """

    params: Callable[[], dict]
    set_params: Callable[[dict], None]
    aux: Callable[[], dict]
    set_aux: Callable[[dict], None]
    unwrap: Callable[[Any], Any]
    wrap: Callable[[Any, Any], Any]
    loss_of: Callable[[Any], Any]
    observe: Callable[[], dict]
    publish: Callable[[dict, Any], None]


@dataclass
class _Entry:
    """A traced structure: its step function and what it reports."""

    trainer: TrainStep
    observed: tuple[str, ...]
    labels: tuple = ()
    frozen: tuple[str, ...] = ()  # parameters the loss does not reach
    run: Any = None


class _Args:
    """A call's arguments split into array inputs and a hashable rest."""

    def __init__(self, args: tuple, kwargs: dict, unwrap: Callable) -> None:
        leaves, self.treedef = jax.tree_util.tree_flatten((args, kwargs))
        self.leaves = leaves
        self.arrays: list = []
        self.slots: list[int] = []
        sig = []
        for i, leaf in enumerate(leaves):
            array = unwrap(leaf)
            if array is None:
                sig.append(("s", type(leaf).__name__, _static(leaf)))
            else:
                if array is leaf and isinstance(array, np.ndarray):
                    # On the CPU a compiled call reads a NumPy argument's memory
                    # while it runs, after the caller got control back.
                    array = np.array(array)
                self.slots.append(i)
                self.arrays.append(array)
                sig.append(("a", array.shape, array.dtype))
        self.signature = (self.treedef, tuple(sig))

    def rebuild(self, arrays: list, wrap: Callable) -> tuple[tuple, dict]:
        leaves = list(self.leaves)
        for slot, array in zip(self.slots, arrays):
            leaves[slot] = wrap(array, self.leaves[slot])
        return jax.tree_util.tree_unflatten(self.treedef, leaves)


@contextmanager
def bound(binding: Binding, params: dict, aux: dict, key: Any, train: bool) -> Iterator:
    """While tracing: the model's handles hold ``params``/``aux`` (tracers),
    random draws come from ``key``, nothing is recorded; restored after."""
    saved_params, saved_aux = binding.params(), binding.aux()
    binding.set_params(params)
    binding.set_aux(aux)
    try:
        with random.traced_keys(key), autograd.pause(train_mode=train):
            yield
    finally:
        binding.set_params(saved_params)
        binding.set_aux(saved_aux)


def lookup(entries: dict, fn: Callable, call: _Args, structure: Callable[[], Hashable],
           build: Callable[[], Any]) -> Any:
    """The cached entry for ``fn``'s structure and arguments, built on a miss.

    ``build()`` returns None when tracing created parameters (a lazy
    ``Linear(None, n)``): the structure changed, so look up again. Returns
    None when that keeps happening."""
    for _ in range(3):
        key = (structure(), call.signature, fn)
        entry = entries.get(key)
        if entry is None:
            entry = build()
            if entry is None:
                continue
            entries[key] = entry
        return entry
    return None


def _static(leaf: Any) -> Hashable:
    try:
        hash(leaf)
    except TypeError:
        raise Untraceable(f"an argument of type {type(leaf).__name__} is neither an "
                          "array nor hashable") from None
    return leaf


class DynamicTrainer:
    """The training state and compiled steps of one define-by-run model.

    Args:
        optimizer: a shared optimizer rule (``init_state``/``apply``).
        binding: the front-end's :class:`Binding`.
        where: how warnings name the caller (``'optimizer.update'``).
    """

    def __init__(self, optimizer: Any, binding: Binding, *,
                 where: str = "update") -> None:
        self.optimizer = optimizer
        self.binding = binding
        self.where = where
        self.state: TrainState | None = None
        self._entries: dict = {}
        self._eager_steps: dict = {}
        self._pending: dict = {}
        self._names: dict = {}  # program tag -> its parameter names (for the guard)

    def _step_for(self, program: GraphProgram) -> TrainStep:
        """A TrainStep for ``program``, tagged so the guard can name its parameters."""
        tag = len(self._names)
        self._names[tag] = program.param_names
        return TrainStep(program, self.optimizer, tag=tag)

    def non_finite(self) -> Any:
        """Where an update first went NaN/Inf, or None (syncs; see guard_finding)."""
        return None if self.state is None else guard_finding(self.state, self._names)

    # -- the state -------------------------------------------------------------
    def state_for(self, t: int) -> TrainState:
        """The state with the handles' current parameters and aux, step ``t``
        (optimizer slots for parameters seen for the first time: loaded ones
        from :meth:`set_slots`, else new)."""
        params, aux = self.binding.params(), self.binding.aux()
        state = self.state
        if state is None:
            state = TrainState(params, aux, {"slots": {}}, jnp.asarray(t, jnp.int32),
                               random.host_key(), None, jnp.zeros((0, 3), jnp.float32),
                               fresh_guard())
        slots = state.opt["slots"]
        if slots.keys() != params.keys():
            fresh = [n for n in params if n not in slots and n not in self._pending]
            new = self.optimizer.init_state({n: params[n] for n in fresh})["slots"]
            slots = {n: slots[n] if n in slots else
                     self._pending.pop(n) if n in self._pending else new[n]
                     for n in params}
        step = state.step if self._host_step == t else jnp.asarray(t, jnp.int32)
        self._host_step = t
        self.state = state._replace(params=params, aux=aux, opt={"slots": slots},
                                    step=step)
        return self.state

    _host_step: int = -1
    #: The parameters the last compiled update left alone (its loss did not reach them).
    last_frozen: tuple[str, ...] = ()

    def slots(self) -> dict:
        """{parameter name: {slot: array}} (for serializers)."""
        current = {} if self.state is None else self.state.opt["slots"]
        return {**self._pending, **current}

    def set_slots(self, slots: dict, t: int) -> None:
        """Replace some parameters' optimizer slots (a loaded state)."""
        slots = {n: {k: jnp.asarray(v) for k, v in s.items()} for n, s in slots.items()}
        self._pending.update(slots)
        if self.state is not None:
            current = self.state.opt["slots"]
            now = {n: self._pending.pop(n) for n in list(self._pending) if n in current}
            self.state = self.state._replace(opt={"slots": {**current, **now}})
        self._host_step = -1

    # -- the traced path -----------------------------------------------------------
    def traced_update(self, fn: Callable, args: tuple, kwargs: dict, *,
                      structure: Callable[[], Hashable], t: int) -> tuple[bool, Any]:
        """Run ``fn(*args, **kwargs)`` and one update as one compiled step.

        ``structure()`` is the front-end's key of everything besides the
        arguments that the trace depends on (parameter tree, config flags).
        Returns ``(True, loss)``, or ``(False, None)`` when ``fn`` cannot be
        traced for this structure (the caller then runs it eagerly).
        """
        try:
            call = _Args(args, kwargs, self.binding.unwrap)
        except Untraceable as err:
            self._warn(fn, str(err), None)
            return False, None
        entry = lookup(self._entries, fn, call, structure,
                       lambda: self._discover(fn, call, t))
        if entry is None:
            self._warn(fn, "it creates new parameters on every call", None)
        if entry is None or entry is EAGER:
            return False, None
        return True, self._run(entry, call, t)

    def _graph(self, fn: Callable, call: _Args, names: tuple[str, ...],
               observed: list | None) -> Callable:
        binding = self.binding

        def graph(args: dict, aux: dict, key: Any, is_train: bool):
            inputs = [args[f"in{i}"] for i in range(len(call.slots))]
            if observed is not None:  # discovering: note which inputs are labels
                _local.inputs = {id(x): i for i, x in enumerate(inputs)}
                _local.labels = []
            try:
                with bound(binding, {n: args[n] for n in names}, aux, key, True):
                    a, k = call.rebuild(inputs, binding.wrap)
                    loss = binding.loss_of(fn(*a, **k))
                    seen = binding.observe()
                    new_aux = binding.aux()
            finally:
                _local.inputs = None
            if observed is not None:
                observed[:] = [*seen, ("labels", tuple(_local.labels))]
            return [loss, *(seen[n] for n in seen)], new_aux

        return graph

    def _discover(self, fn: Callable, call: _Args, t: int) -> Any:
        """Trace once abstractly: lazy parameters get created, leftovers named."""
        before = set(self.binding.params())
        names = tuple(sorted(before))
        observed: list = []
        graph = self._graph(fn, call, names, observed)
        state = self.state_for(t)
        args = {**state.params, **{f"in{i}": a for i, a in enumerate(call.arrays)}}
        try:
            closed = jax.make_jaxpr(lambda a, x, k: graph(a, x, k, True))(
                args, state.aux, state.key)
        except (Untraceable, *_TRACER_ERRORS) as err:
            self._warn(fn, reason(err), err)
            return EAGER
        if set(self.binding.params()) != before:
            return None
        labels = observed.pop()[1]
        reached = _reaching_loss(closed.jaxpr, len(jax.tree_util.tree_leaves(args)))
        learned = tuple(n for n, hit in zip(sorted(args), reached) if hit and n in before)
        program = GraphProgram(graph=self._graph(fn, call, names, None),
                               param_names=learned,
                               data_names=tuple(f"in{i}" for i in range(len(call.slots))),
                               label_names=(), output_names=("loss", *observed),
                               loss_outputs=(0,), uses_key=True)
        frozen = tuple(n for n in names if n not in learned)
        return _Entry(self._step_for(program), tuple(observed), labels,
                      frozen=frozen)

    def _run(self, entry: _Entry, call: _Args, t: int) -> Any:
        for slot, classes, ignore, where in entry.labels:
            if isinstance(call.arrays[slot], np.ndarray):
                check_labels(call.arrays[slot], classes, ignore, where)
        full = self.state_for(t)
        inputs = {f"in{i}": a for i, a in enumerate(call.arrays)}
        trainer, state, fixed = entry.trainer, full, {}
        if entry.frozen:  # parameters the loss does not reach: inputs, not updated
            fixed = {n: full.params[n] for n in entry.frozen}
            state = _restricted(full, trainer.program.param_names)
        if entry.run is None:
            entry.run = trainer.step_executable(state, inputs, fixed)
        state, outs = entry.run(state, inputs, fixed, trainer.hyper())
        if entry.frozen:
            state = _merged(full, state)
        self.state = state
        self._host_step = t + 1
        self.last_frozen = entry.frozen
        self.binding.set_params(state.params)
        self.binding.set_aux(state.aux)
        self.binding.publish(dict(zip(entry.observed, outs[1:])), outs[0])
        return outs[0]

    def _warn(self, fn: Callable, reason: str, err: BaseException | None) -> None:
        name = getattr(fn, "__qualname__", type(fn).__qualname__)
        where = _user_frame(err)
        warnings.warn(
            f"{self.where}: {name} cannot be compiled into one step ({reason}"
            f"{', at ' + where if where else ''}); it runs eagerly for this input "
            "structure from now on, with the same results but slower.",
            TracingFallbackWarning, stacklevel=4)

    # -- the eager path ----------------------------------------------------------------
    def apply_gradients(self, grads: dict, t: int) -> None:
        """One optimizer update of the parameters named in ``grads`` (the
        eager path, after ``backward()``); the others keep their values."""
        state = self.state_for(t)
        names = tuple(sorted(grads))
        trainer = self._eager_steps.get(names)
        if trainer is None:
            program = GraphProgram(graph=None, param_names=names, data_names=(),
                                   label_names=(), output_names=())
            trainer = self._eager_steps[names] = self._step_for(program)
        sub = trainer.apply_gradients(_restricted(state, names), grads)
        self.state = _merged(state, sub)
        self._host_step = t + 1
        self.binding.set_params(sub.params)


def _restricted(state: TrainState, names: tuple[str, ...]) -> TrainState:
    """``state`` with only the parameters (and their optimizer slots) ``names``."""
    return state._replace(params={n: state.params[n] for n in names},
                          opt={"slots": {n: state.opt["slots"][n] for n in names}})


def _merged(full: TrainState, sub: TrainState) -> TrainState:
    """``sub``'s step, aux, key and its parameters and slots over ``full``'s."""
    return sub._replace(params={**full.params, **sub.params},
                        opt={"slots": {**full.opt["slots"], **sub.opt["slots"]}})


def _reaching_loss(jaxpr: Any, n_args: int) -> list[bool]:
    """For the first ``n_args`` inputs of ``jaxpr``: whether output 0 (the loss)
    depends on it. A nested call counts as one equation (conservative)."""
    needed = {id(jaxpr.outvars[0])}
    for eqn in reversed(jaxpr.eqns):
        if any(id(v) in needed for v in eqn.outvars):
            needed.update(id(v) for v in eqn.invars)
    return [id(v) in needed for v in jaxpr.invars[:n_args]]


def reason(err: BaseException) -> str:
    """Why a trace failed, in words (for the fallback warning)."""
    if isinstance(err, Untraceable):
        return str(err)
    if isinstance(err, jax.errors.TracerArrayConversionError):
        what = "it converts an array to NumPy"
    elif isinstance(err, jax.errors.UnexpectedTracerError):
        what = "it keeps an array from an earlier call"
    else:
        what = "it needs an array's value in Python (float(), int(), bool(), an if)"
    return f"{what}: JAX's {type(err).__name__}"


def _user_frame(err: BaseException | None) -> str:
    """``file:line`` of the innermost frame outside mxlite and JAX."""
    if err is None:
        return ""
    found = ""
    for frame in traceback.extract_tb(err.__traceback__):
        path = os.path.abspath(frame.filename)
        if not path.startswith(_OURS):
            found = f"{frame.filename}:{frame.lineno}"
    return found
