"""Executor: a symbol bound to arrays, run as compiled XLA computations.

``forward(is_train=True)`` followed by ``backward()`` is one compiled call:
the forward is deferred until its outputs are read or ``backward`` runs, and
``backward`` computes outputs, gradients and auxiliary updates together.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import jax.numpy as jnp
import numpy as np

from .. import random
from ..base import GraphError, ShapeError
from ..context import Context
from ..ndarray import NDArray
from ..ndarray.ndarray import to_jax
from . import cache
from .compiler import forward_backward_function, graph_function, needs_key

__all__ = ["Executor"]

_GRAD_REQS = ("write", "add", "null")


class Executor:
    """A bound symbol: ``arg_dict``, ``grad_dict``, ``aux_dict``, ``outputs``.

    Made by ``Symbol.simple_bind`` or ``Symbol.bind``; see those for arguments.
    """

    def __init__(self, symbol: Any, ctx: Context, args: dict[str, NDArray], *,
                 grads: dict[str, NDArray], grad_req: dict[str, str],
                 aux: dict[str, NDArray]) -> None:
        self._symbol = symbol
        self._ctx = ctx
        self.arg_dict = args
        self.grad_dict = grads
        self.aux_dict = aux
        self._grad_req = grad_req
        self._digest = hashlib.sha256(symbol.tojson().encode()).hexdigest()
        self._graph = graph_function(symbol._heads, ctx.platform)
        self._needs_key = needs_key(symbol._heads)
        self._outputs: list[NDArray] | None = None
        self._pending: tuple | None = None

    # -- views ------------------------------------------------------------
    @property
    def arg_arrays(self) -> list[NDArray]:
        return [self.arg_dict[n] for n in self._symbol.list_arguments()]

    @property
    def grad_arrays(self) -> list[NDArray | None]:
        return [self.grad_dict.get(n) for n in self._symbol.list_arguments()]

    @property
    def aux_arrays(self) -> list[NDArray]:
        return [self.aux_dict[n] for n in self._symbol.list_auxiliary_states()]

    @property
    def outputs(self) -> list[NDArray]:
        """The outputs of the last forward (computed now if deferred)."""
        if self._outputs is None:
            if self._pending is None:
                raise GraphError("Executor.outputs: call forward() first.")
            self._run_forward()
        return self._outputs

    @property
    def output_dict(self) -> dict[str, NDArray]:
        return dict(zip(self._symbol.list_outputs(), self.outputs))

    # -- running ----------------------------------------------------------
    def forward(self, is_train: bool = False, **kwargs: Any) -> list[NDArray] | None:
        """Set inputs by name, then run (deferred when ``is_train``)."""
        for name, value in kwargs.items():
            self._set_input(name, value)
        key = random.next_key() if self._needs_key else None
        self._pending = (bool(is_train), key, self._values(self.aux_dict))
        self._outputs = None
        if not is_train:
            self._run_forward()
            return self._outputs
        return None

    def _set_input(self, name: str, value: Any) -> None:
        if name not in self.arg_dict:
            raise GraphError(
                f"Executor.forward: {name!r} is not an argument; arguments are "
                f"{list(self.arg_dict)}."
            )
        target = self.arg_dict[name]
        data = value._data if isinstance(value, NDArray) else np.asarray(value)
        if tuple(data.shape) != target.shape:
            raise ShapeError(
                f"Executor.forward: {name!r} was bound with shape {target.shape} but "
                f"got {tuple(data.shape)}; call reshape() to bind new shapes."
            )
        target._data = to_jax(data, self._ctx, target._data.dtype)

    @staticmethod
    def _values(arrays: Mapping[str, NDArray]) -> dict:
        return {k: v._data for k, v in arrays.items()}

    def _run_forward(self) -> None:
        is_train, key, aux = self._pending
        args = self._values(self.arg_dict)
        graph = self._graph
        exe = cache.compiled(
            (self._digest, self._ctx.platform, "fwd", is_train),
            lambda: lambda a, x, k: graph(a, x, k, is_train), args, aux, key)
        outs, new_aux = exe(args, aux, key)
        self._set_outputs(outs)
        if is_train:
            self._write_aux(new_aux)

    def _set_outputs(self, outs: Sequence) -> None:
        self._outputs = [NDArray(o, self._ctx) for o in outs]

    def _write_aux(self, new_aux: dict) -> None:
        for name, value in new_aux.items():
            if name in self.aux_dict:
                self.aux_dict[name]._data = value

    def backward(self, out_grads: Any = None, is_train: bool = True) -> None:
        """Compute gradients into ``grad_dict`` (one compiled forward+backward)."""
        if self._pending is None or not self._pending[0]:
            raise GraphError("Executor.backward: call forward(is_train=True) first.")
        _, key, aux = self._pending
        grad_names = [n for n, r in self._grad_req.items() if r != "null"]
        add_names = [n for n, r in self._grad_req.items() if r == "add"]
        args = self._values(self.arg_dict)
        head_grads = self._head_grads(out_grads)
        old = {n: self.grad_dict[n]._data for n in add_names}
        graph = self._graph
        exe = cache.compiled(
            (self._digest, self._ctx.platform, "fwdbwd", tuple(grad_names), tuple(add_names)),
            lambda: forward_backward_function(graph, grad_names, add_names),
            args, aux, key, head_grads, old)
        outs, new_aux, grads = exe(args, aux, key, head_grads, old)
        already_ran = self._outputs is not None
        self._set_outputs(outs)
        if not already_ran:
            self._write_aux(new_aux)
        for name, value in grads.items():
            self.grad_dict[name]._data = value

    def _head_grads(self, out_grads: Any) -> list:
        n_out = len(self._symbol.list_outputs())
        if out_grads is None:
            return [None] * n_out
        if isinstance(out_grads, NDArray):
            out_grads = [out_grads]
        if len(out_grads) != n_out:
            raise GraphError(
                f"Executor.backward: got {len(out_grads)} out_grads for {n_out} outputs."
            )
        return [g._data if isinstance(g, NDArray) else jnp.asarray(g) for g in out_grads]

    # -- parameters -------------------------------------------------------
    def copy_params_from(self, arg_params: Mapping[str, NDArray],
                         aux_params: Mapping[str, NDArray] | None = None,
                         allow_extra_params: bool = False) -> None:
        """Copy parameter values in by name (shapes must match)."""
        for source, target, what in ((arg_params, self.arg_dict, "argument"),
                                     (aux_params or {}, self.aux_dict, "aux state")):
            for name, value in source.items():
                if name not in target:
                    if allow_extra_params:
                        continue
                    raise GraphError(
                        f"copy_params_from: {name!r} is not an {what} of the symbol; "
                        "pass allow_extra_params=True to skip it."
                    )
                data = value._data if isinstance(value, NDArray) else np.asarray(value)
                if tuple(data.shape) != target[name].shape:
                    raise ShapeError(
                        f"copy_params_from: {name!r} has shape {tuple(data.shape)} but the "
                        f"executor's is {target[name].shape}."
                    )
                target[name]._data = to_jax(data, self._ctx, target[name]._data.dtype)

    def reshape(self, partial_shaping: bool = False, allow_up_sizing: bool = False,
                **kwargs: Any) -> Executor:
        """A new executor for new input shapes, sharing unchanged arrays."""
        new = self._symbol.simple_bind(self._ctx, dict(self._grad_req), **kwargs)
        for name, array in new.arg_dict.items():
            old = self.arg_dict[name].shape
            learned = self._grad_req.get(name, "null") != "null"
            if learned and name not in kwargs and array.shape != old and not partial_shaping:
                raise ShapeError(
                    f"Executor.reshape: the shape of {name!r}, which has a gradient and "
                    "was not given, "
                    f"would change from {old} to {array.shape}; pass "
                    "partial_shaping=True to allow it.")
        for mine, theirs in ((self.arg_dict, new.arg_dict), (self.grad_dict, new.grad_dict),
                             (self.aux_dict, new.aux_dict)):
            for name, array in mine.items():
                if name in theirs and theirs[name].shape == array.shape:
                    theirs[name] = array
        return new

    def debug_str(self) -> str:
        """A readable description of the bound graph."""
        shapes = {k: v.shape for k, v in self.arg_dict.items()}
        return f"Executor({self._symbol!r}, ctx={self._ctx}, args={shapes})"


def check_grad_req(grad_req: Any, names: Sequence[str]) -> dict[str, str]:
    """Normalize ``grad_req`` (str, list or dict) to one value per argument."""
    if isinstance(grad_req, str):
        reqs = dict.fromkeys(names, grad_req)
    elif isinstance(grad_req, (list, tuple)):
        if len(grad_req) != len(names):
            raise GraphError(f"bind: grad_req has {len(grad_req)} entries for "
                             f"{len(names)} arguments.")
        reqs = dict(zip(names, grad_req))
    elif isinstance(grad_req, Mapping):
        unknown = [k for k in grad_req if k not in names]
        if unknown:
            raise GraphError(f"bind: grad_req names {unknown[0]!r}, which is not an "
                             f"argument; arguments are {list(names)}.")
        reqs = {n: grad_req.get(n, "null") for n in names}
    else:
        raise GraphError(f"bind: grad_req must be a str, list or dict; got {grad_req!r}.")
    for name, req in reqs.items():
        if req not in _GRAD_REQS:
            raise GraphError(f"bind: grad_req for {name!r} must be one of {_GRAD_REQS}; "
                             f"got {req!r}.")
    return reqs
