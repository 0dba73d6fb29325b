"""The one road from ``F.*`` and Variable operators to the operator registry.

Every Chainer function is one or a few registry operators run by
``mxlite.ndarray``'s ``invoke`` (the same code as ``mx.nd.<Op>``): recorded on
the autograd tape while ``chainer.config.enable_backprop`` is on and the
inputs are concrete, and simply traced when ``optimizer.update`` is
compiling a step. ``config.train`` decides Dropout's and BatchNorm's mode.
"""

from __future__ import annotations

from typing import Any

from .. import autograd
from ..ndarray._invoke import invoke
from ..ops import get_op
from ..training.traced import is_traced
from .configuration import config
from .variable import Variable, as_variable

__all__ = ["call", "call_all"]


def call_all(name: str, *inputs: Any, aux: tuple = (), **params: Any) -> list[Variable]:
    """Run registry operator ``name`` on ``inputs``; all its outputs, as Variables.

    ``aux`` Variables (BatchNorm's moving statistics) are updated in place.
    """
    opdef = get_op(name)
    p = opdef.parse(params)
    handles = [as_variable(x) for x in inputs]
    aux_handles = [as_variable(x) for x in aux]
    record = bool(config.enable_backprop) and not any(is_traced(h._data) for h in handles)
    with autograd._Scope(record, bool(config.train)):
        return invoke(opdef, p, handles, aux_handles, array_cls=Variable)


def call(name: str, *inputs: Any, **params: Any) -> Variable:
    """Run a one-output registry operator on ``inputs``."""
    return call_all(name, *inputs, **params)[0]
