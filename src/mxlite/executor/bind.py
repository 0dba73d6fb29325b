"""``Symbol.simple_bind`` and ``Symbol.bind``: allocate or adopt arrays.

Shapes and dtypes are inferred and checked before anything compiles, so a
bad binding fails with the node and argument names, not inside XLA.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..base import GraphError, ShapeError
from ..context import Context, current_context
from ..ndarray import NDArray, zeros
from ..symbol import Symbol
from .executor import Executor, check_grad_req

__all__ = ["simple_bind", "bind"]


def _infer(symbol: Symbol, shapes: dict, types: dict | None) -> tuple:
    arg_shapes, _, aux_shapes = symbol.infer_shape(**shapes)
    arg_types, _, aux_types = symbol.infer_type(**(types or {}))
    fill = lambda t: np.float32 if t is None else t  # noqa: E731
    return (arg_shapes, [fill(t) for t in arg_types], aux_shapes,
            [fill(t) for t in aux_types])


def simple_bind(symbol: Symbol, ctx: Context, grad_req: Any = "write",
                type_dict: Mapping | None = None, stype_dict: Any = None,
                group2ctx: Any = None, shared_arg_names: Any = None,
                shared_exec: Any = None, shared_buffer: Any = None,
                **kwargs: Any) -> Executor:
    """Bind with zero-filled arrays of the shapes inferred from ``kwargs``.

    Example:
        >>> import mxlite as mx
        >>> fc = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=4, name='fc')
        >>> exe = fc.simple_bind(mx.cpu(), data=(2, 3))
        >>> exe.arg_dict['fc_weight'].shape
        (4, 3)
    """
    names = symbol.list_arguments()
    arg_shapes, arg_types, aux_shapes, aux_types = _infer(symbol, kwargs, type_dict)
    reqs = check_grad_req(grad_req, names)
    args = {n: zeros(s, ctx, t) for n, s, t in zip(names, arg_shapes, arg_types)}
    grads = {n: zeros(s, ctx, t) for n, s, t in zip(names, arg_shapes, arg_types)
             if reqs[n] != "null"}
    aux_names = symbol.list_auxiliary_states()
    aux = {n: zeros(s, ctx, t) for n, s, t in zip(aux_names, aux_shapes, aux_types)}
    return Executor(symbol, ctx, args, grads=grads, grad_req=reqs, aux=aux)


def _as_dict(values: Any, names: Sequence[str], what: str, required: bool) -> dict:
    if values is None:
        values = {}
    if isinstance(values, (list, tuple)):
        if len(values) != len(names):
            raise GraphError(f"bind: {what} has {len(values)} arrays for {len(names)} "
                             f"names {list(names)}.")
        values = dict(zip(names, values))
    if not isinstance(values, Mapping):
        raise GraphError(f"bind: {what} must be a list or dict of NDArrays.")
    unknown = [k for k in values if k not in names]
    if unknown:
        raise GraphError(f"bind: {what} names {unknown[0]!r}, which the symbol does not "
                         f"have; expected names: {list(names)}.")
    missing = [n for n in names if n not in values]
    if required and missing:
        raise GraphError(f"bind: {what} is missing {missing[0]!r} (needs {list(names)}).")
    for name, value in values.items():
        if value is not None and not isinstance(value, NDArray):
            raise GraphError(f"bind: {what}[{name!r}] must be an NDArray; got "
                             f"{type(value).__name__}.")
    return dict(values)


def bind(symbol: Symbol, ctx: Context, args: Any, args_grad: Any = None,
         grad_req: Any = "write", aux_states: Any = None, group2ctx: Any = None,
         shared_exec: Any = None) -> Executor:
    """Bind to the given arrays (they are used, not copied)."""
    names = symbol.list_arguments()
    aux_names = symbol.list_auxiliary_states()
    arg_map = _as_dict(args, names, "args", True)
    aux_map = _as_dict(aux_states, aux_names, "aux_states", True)
    grad_map = _as_dict(args_grad, names, "args_grad", False)
    symbol.infer_shape(**{k: v.shape for k, v in {**arg_map, **aux_map}.items()})
    reqs = check_grad_req(grad_req, names)
    if args_grad is None:
        reqs = dict.fromkeys(names, "null")
    for name, req in reqs.items():
        if req != "null" and grad_map.get(name) is None:
            reqs[name] = "null"
        elif req != "null" and grad_map[name].shape != arg_map[name].shape:
            raise ShapeError(f"bind: args_grad[{name!r}] has shape {grad_map[name].shape} "
                             f"but its argument has {arg_map[name].shape}.")
    grads = {n: g for n, g in grad_map.items() if g is not None and reqs[n] != "null"}
    return Executor(symbol, ctx, arg_map, grads=grads, grad_req=reqs, aux=aux_map)


def _eval(symbol: Symbol, ctx: Context | None = None, **kwargs: NDArray) -> list:
    """Evaluate the symbol on the given arrays (MXNet's ``Symbol.eval``)."""
    exe = bind(symbol, ctx or current_context(), kwargs)
    return exe.forward()


# Symbol lives in the graph layer below executors; the bind methods are
# attached here, from above, so that imports keep pointing down.
Symbol.simple_bind = simple_bind
Symbol.bind = bind
Symbol.eval = _eval
