"""Run one registry operator imperatively on NDArrays (and record it).

Each (operator, parameters, shapes, mode, platform) signature is shape-checked
once, with the same messages as symbolic inference, then compiled with
``jax.jit`` and cached: an imperative call is one dispatch.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from functools import partial

import jax
import numpy as np

from .. import autograd, random
from ..base import DTypeError
from ..context import Context, current_context
from ..ops.params import Params
from ..ops.registry import OpDef

__all__ = ["invoke", "invoke_fn", "cached_jit"]

_CACHE: dict = {}


def _apply(args, aux, key, *, opdef: OpDef, p: Params, platform: str, is_train: bool):
    return opdef.apply(p, args, aux, platform=platform, is_train=is_train, key=key)


def _check(opdef: OpDef, p: Params, args: Sequence, aux: Sequence) -> None:
    """Shape- and type-check a call the first time its signature is seen."""
    names = list(opdef.arguments(p))
    opdef.infer_and_check(p, [tuple(a.shape) for a in args], names)
    try:
        opdef.run_infer_type(p, [np.dtype(a.dtype).name for a in args])
    except DTypeError as err:
        raise DTypeError(f"{opdef.name}: {err}") from None


def _context(inputs: Sequence, ctx: Context | None) -> Context:
    if ctx is not None:
        return ctx
    return inputs[0]._ctx if inputs else current_context()


def invoke(opdef: OpDef, p: Params, inputs: Sequence, aux: Sequence = (), *,
           ctx: Context | None = None, array_cls: type | None = None) -> list:
    """Run ``opdef`` on NDArray ``inputs``; aux NDArrays are updated in place.

    Results are made with ``array_cls._wrap`` (default: the first input's type).
    """
    array_cls = array_cls or type(inputs[0])
    ctx = _context(inputs, ctx)
    is_train = autograd.is_training()
    args = [h._data for h in inputs]
    aux_vals = [h._data for h in aux]
    sig = (opdef.name, p, is_train, ctx.platform,
           tuple((a.shape, a.dtype) for a in args + aux_vals))
    fn = _CACHE.get(sig)
    if fn is None:
        _check(opdef, p, args, aux_vals)
        fn = _CACHE[sig] = jax.jit(partial(_apply, opdef=opdef, p=p, platform=ctx.platform,
                                           is_train=is_train))
    key = random.next_key() if opdef.needs_key else None
    if not inputs:
        with jax.default_device(ctx.jax_device):
            outs, new_aux = fn(args, aux_vals, key)
    else:
        outs, new_aux = fn(args, aux_vals, key)
    results = [array_cls._wrap(o, ctx) for o in outs]
    if autograd.is_recording():
        n_args, n_aux = len(args), len(aux_vals)

        def pure(*xs):
            outs, _ = _apply(list(xs[:n_args]), list(xs[n_args:n_args + n_aux]), xs[-1],
                             opdef=opdef, p=p, platform=ctx.platform, is_train=is_train)
            return tuple(outs)

        autograd.record_op((opdef.name, p, is_train, ctx.platform), pure,
                           list(inputs) + aux_vals + [key], results)
    for h, v in zip(aux, new_aux):
        h._data = v
    return results


def invoke_fn(key: Hashable, fn: Callable, inputs: Sequence, consts: Sequence = ()):
    """Run a pure JAX function of NDArrays as one recorded step.

    For array methods that are not registry operators (indexing): ``fn`` takes
    the inputs' arrays then the constants and returns one array.
    """
    jitted = cached_jit(key, fn)
    result = jitted(*[h._data for h in inputs], *consts)
    out = type(inputs[0])._wrap(result, inputs[0]._ctx)
    if autograd.is_recording():
        autograd.record_op(("fn", key), lambda *xs: (fn(*xs),),
                           list(inputs) + list(consts), [out])
    return out


def cached_jit(key: Hashable, fn: Callable) -> Callable:
    """``jax.jit(fn)``, compiled once per ``key`` (and argument signature)."""
    jitted = _CACHE.get(("fn", key))
    if jitted is None:
        jitted = _CACHE[("fn", key)] = jax.jit(fn)
    return jitted
