"""Build ``mx.nd.<Op>`` functions from the operator registry.

Inputs are NDArrays given by position (in MXNet's argument order) or by name;
every other argument is an operator parameter. ``out=`` writes the result
into an existing array, as in MXNet.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..base import ParamError, ShapeError
from ..context import Context
from ..ops import get_op
from ..ops.registry import OpDef
from ._invoke import invoke

__all__ = ["make_function", "split_inputs"]


def split_inputs(opdef: OpDef, args: tuple, kwargs: dict, is_input: Callable):
    """Split a call into (positional inputs, named inputs, params).

    Leading positional arguments that are inputs (or None, an absent optional
    input) are inputs; later positional ones fill parameters in declared order.
    """
    args = list(args)
    pos_inputs = []
    while args and (args[0] is None or is_input(args[0])):
        pos_inputs.append(args.pop(0))
    params = {k: v for k, v in kwargs.items() if not is_input(v)}
    named = {k: v for k, v in kwargs.items() if is_input(v)}
    free = [spec.name for spec in opdef.params if spec.name not in params]
    if len(args) > len(free):
        raise ParamError(f"{opdef.name}: too many positional arguments: {args!r}.")
    params.update(zip(free, args))
    if opdef.variadic and opdef.variadic not in params:
        params[opdef.variadic] = len([x for x in pos_inputs if x is not None])
    return pos_inputs, named, params


def bind_inputs(opdef: OpDef, p, pos_inputs: list, named: dict) -> tuple[list, list]:
    """Order inputs as ``arguments(p)`` then ``aux(p)``; every one must be given."""
    arg_names, aux_names = list(opdef.arguments(p)), list(opdef.aux(p))
    names = arg_names + aux_names
    if len(pos_inputs) > len(names):
        raise ParamError(
            f"{opdef.name}: got {len(pos_inputs)} inputs but it takes {len(names)} "
            f"({', '.join(names)})."
        )
    given = dict(zip(names, pos_inputs))
    for key, value in named.items():
        if key not in names:
            raise ParamError(
                f"{opdef.name}: {key!r} is not an input; inputs are {', '.join(names)}."
            )
        given[key] = value
    missing = [n for n in names if given.get(n) is None]
    if missing:
        raise ParamError(f"{opdef.name}: input {missing[0]!r} is missing; inputs are "
                         f"{', '.join(names)}.")
    return [given[n] for n in arg_names], [given[n] for n in aux_names]


def make_function(called: str, array_cls: type) -> Callable:
    """The ``mx.nd`` function for operator name or alias ``called``."""
    opdef = get_op(called)

    def is_input(value: Any) -> bool:
        return isinstance(value, array_cls)

    def function(*args: Any, out: Any = None, name: str | None = None,
                 ctx: Context | None = None, **kwargs: Any):
        pos, named, params = split_inputs(opdef, args, kwargs, is_input)
        p = opdef.parse(params)
        inputs, aux = bind_inputs(opdef, p, pos, named)
        results = invoke(opdef, p, inputs, aux, ctx=ctx, array_cls=array_cls)
        if out is not None:
            outs = out if isinstance(out, (list, tuple)) else [out]
            for o, r in zip(outs, results):
                o._check_inplace("out=")
                if o.shape != r.shape:
                    raise ShapeError(f"{called}: out= has shape {o.shape} but the "
                                     f"result has shape {r.shape}.")
                o._data = r._data
            return out
        return results[0] if len(results) == 1 else results

    function.__name__ = called
    function.__qualname__ = called
    function.__doc__ = opdef.docstring()
    return function
