"""Weight initializers, MXNet 1.9.1's ``mx.init`` (also ``mx.initializer``).

An initializer is called as ``init(InitDesc(name, attrs), arr)`` and fills the
NDArray ``arr`` in place, choosing what to do from the name, as MXNet does:

========================================  =====================================
name ends with                            filled with
========================================  =====================================
``weight``                                the initializer's own rule
``bias``, ``beta``                        0
``gamma``                                 1
``moving_mean``, ``running_mean``,        0
``moving_inv_var``, ``moving_avg``
``moving_var``, ``running_var``           1
``min`` / ``max``                         0 / 1
``weight_quantize`` / ``bias_quantize``   random int8 / 0
========================================  =====================================

A variable's ``__init__`` attribute (``mx.sym.var('w', init=mx.init.One())``)
overrides the name rule.

The package has three layers: :mod:`.rules` holds each initializer's math as
a pure ``rule(key, shape, dtype) -> jax.Array`` (shared with the Chainer and
Mocha dialects); :mod:`.policy` is MXNet's choice by name; the classes here
(MXNet's API) fill NDArrays with a rule, as the policy says. Every random
draw takes its key from ``mx.random.next_key()`` (one draw per array, made on
the array's device), so ``mx.random.seed(n)`` fixes every initial value.

Differences from MXNet 1.9.1:

- The BatchNorm statistics (``moving_mean``/``running_mean`` -> 0,
  ``moving_var``/``running_var`` -> 1) are recognised by name in the
  ``InitDesc`` path too; MXNet relied on ``__init__`` attributes that its
  BatchNorm operator attached to those variables.
- Calling with a plain string name works silently (MXNet's legacy path, same
  rules, without MXNet's coloured DeprecationWarning).
- ``weight_quantize`` gets one random int8 per element (MXNet drew a single
  value and broadcast it).
- Errors are :mod:`mxlite.base` classes with the parameter's name; unknown
  names in :func:`create` suggest the closest registered one.

Example:
    >>> import mxlite as mx
    >>> w = mx.nd.zeros((2, 3))
    >>> mx.init.One()(mx.init.InitDesc('fc1_weight'), w)
    >>> float(w.asnumpy().sum())
    6.0
    >>> mx.init.Xavier(magnitude=2.34).dumps()
    '["xavier", {"rnd_type": "uniform", "factor_type": "avg", "magnitude": 2.34}]'
"""

from __future__ import annotations

from . import policy, rules
from ._base import InitDesc, Initializer, alias, create, register
from ._builtin import (
                       Bilinear,
                       Constant,
                       LSTMBias,
                       MSRAPrelu,
                       Normal,
                       One,
                       Orthogonal,
                       Uniform,
                       Xavier,
                       Zero,
)
from ._composite import Load, Mixed
from ._fill import fill

__all__ = [
    "Bilinear",
    "Constant",
    "InitDesc",
    "Initializer",
    "LSTMBias",
    "Load",
    "MSRAPrelu",
    "Mixed",
    "Normal",
    "One",
    "Orthogonal",
    "Uniform",
    "Xavier",
    "Zero",
    "alias",
    "create",
    "fill",
    "policy",
    "register",
    "rules",
]
