"""Elementwise, broadcast and scalar arithmetic, declared from tables.

MXNet's names are kept: ``elemwise_add`` (``_Plus``) needs equal shapes,
``broadcast_add`` broadcasts, ``_plus_scalar`` takes a Python number.
Comparisons return 0/1 in the input's dtype, as MXNet does.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from ...base import DTypeError, ShapeError
from ..params import Bool, Float
from ..registry import register_op
from ..shape import broadcast_shapes, known, same_as_input


def _cmp(fn):
    return lambda a, b: fn(a, b).astype(jnp.result_type(a))


def _div(a, b):
    # MXNet's integer division is C++'s: it truncates toward zero (-7 / 2 == -3).
    if jnp.issubdtype(jnp.result_type(a), jnp.integer):
        a, b = jnp.broadcast_arrays(a, jnp.asarray(b, jnp.result_type(a)))
        return jax.lax.div(a, b)
    return jnp.true_divide(a, b)


BINARY = {
    "add": (jnp.add, ("_Plus", "_plus", "_add"), ("plus",)),
    "sub": (jnp.subtract, ("_Minus", "_minus", "_sub"), ("minus",)),
    "mul": (jnp.multiply, ("_Mul", "_mul"), ()),
    "div": (_div, ("_Div", "_div"), ()),
    "power": (jnp.power, ("_Power", "_power", "_pow"), ()),
    "maximum": (jnp.maximum, ("_Maximum", "_maximum"), ()),
    "minimum": (jnp.minimum, ("_Minimum", "_minimum"), ()),
    "equal": (_cmp(jnp.equal), ("_Equal", "_equal"), ()),
    "not_equal": (_cmp(jnp.not_equal), ("_Not_Equal", "_not_equal"), ()),
    "greater": (_cmp(jnp.greater), ("_Greater", "_greater"), ()),
    "greater_equal": (_cmp(jnp.greater_equal), ("_Greater_Equal", "_greater_equal"), ()),
    "lesser": (_cmp(jnp.less), ("_Lesser", "_lesser"), ()),
    "lesser_equal": (_cmp(jnp.less_equal), ("_Lesser_Equal", "_lesser_equal"), ()),
}
ELEMWISE_NAMES = {"add", "sub", "mul", "div"}

UNARY = {
    "negative": jnp.negative,
    "abs": jnp.abs,
    "sign": jnp.sign,
    "exp": jnp.exp,
    "expm1": jnp.expm1,
    "log": jnp.log,
    "log1p": jnp.log1p,
    "log2": jnp.log2,
    "log10": jnp.log10,
    "sqrt": jnp.sqrt,
    "rsqrt": jax.lax.rsqrt,
    "square": jnp.square,
    "reciprocal": jnp.reciprocal,
    "floor": jnp.floor,
    "ceil": jnp.ceil,
    "round": jnp.round,
    "trunc": jnp.trunc,
    "sin": jnp.sin,
    "cos": jnp.cos,
    "tan": jnp.tan,
    "relu": jax.nn.relu,
    "sigmoid": jax.nn.sigmoid,
    "tanh": jnp.tanh,
    "softsign": jax.nn.soft_sign,
}

SCALAR = {
    "plus": (lambda x, s: x + s, "_PlusScalar"),
    "minus": (lambda x, s: x - s, "_MinusScalar"),
    "rminus": (lambda x, s: s - x, "_RMinusScalar"),
    "mul": (lambda x, s: x * s, "_MulScalar"),
    "div": (lambda x, s: _div(x, s), "_DivScalar"),
    "rdiv": (lambda x, s: _div(s, x), "_RDivScalar"),
    "power": (lambda x, s: jnp.power(x, s), "_PowerScalar"),
    "rpower": (lambda x, s: jnp.power(s, x), "_RPowerScalar"),
    "maximum": (jnp.maximum, "_MaximumScalar"),
    "minimum": (jnp.minimum, "_MinimumScalar"),
    "equal": (_cmp(jnp.equal), "_EqualScalar"),
    "not_equal": (_cmp(jnp.not_equal), "_NotEqualScalar"),
    "greater": (_cmp(jnp.greater), "_GreaterScalar"),
    "greater_equal": (_cmp(jnp.greater_equal), "_GreaterEqualScalar"),
    "lesser": (_cmp(jnp.less), "_LesserScalar"),
    "lesser_equal": (_cmp(jnp.less_equal), "_LesserEqualScalar"),
}


def _same_shape(p, in_shapes):
    known_shape = next((s for s in in_shapes if s is not None), None)
    for shape in in_shapes:
        if shape is not None and known_shape is not None and shape != known_shape:
            raise ShapeError(
                f"inputs 'lhs' {in_shapes[0]} and 'rhs' {in_shapes[1]} must have the "
                "same shape; use the broadcast_* operator to broadcast"
            )
    return [known_shape] * 2, [known_shape], []


def _broadcast(p, in_shapes):
    if not known(*in_shapes):
        return in_shapes, [None], []
    return in_shapes, [broadcast_shapes(*in_shapes)], []


def _strict_type(p, in_types, n_out, n_aux):
    lhs, rhs = in_types
    if lhs is not None and rhs is not None and lhs != rhs:
        raise DTypeError(
            f"inputs 'lhs' ({lhs}) and 'rhs' ({rhs}) must have the same dtype; "
            "cast one with astype()"
        )
    known_type = lhs or rhs
    return [known_type] * 2, [known_type], []


def _binary_lower(fn):
    return lambda p, a, b: fn(a, b)


def _broadcast_lower(fn):
    def lower(p, a, b):
        shape = broadcast_shapes(a.shape, b.shape)
        return fn(jnp.broadcast_to(a, shape), jnp.broadcast_to(b, shape))

    return lower


def _scalar_lower(fn):
    return lambda p, x: fn(x, jnp.asarray(p.scalar, dtype=jnp.result_type(x)))


for _key, (_fn, _aliases, _bcast_aliases) in BINARY.items():
    if _key in ELEMWISE_NAMES:
        _name, _aliases = f"elemwise_{_key}", _aliases
    else:
        _name, _aliases = _aliases[0], _aliases[1:]
    register_op(_name, aliases=_aliases, arguments=["lhs", "rhs"],
                doc=f"Elementwise {_key} of two arrays of the same shape.",
                infer_shape=_same_shape, infer_type=_strict_type,
                lower=_binary_lower(_fn))
    register_op(f"broadcast_{_key}",
                aliases=tuple(f"broadcast_{a}" for a in _bcast_aliases),
                arguments=["lhs", "rhs"],
                doc=f"Elementwise {_key} with NumPy broadcasting.",
                infer_shape=_broadcast, infer_type=_strict_type,
                lower=_broadcast_lower(_fn))

def _unary(f: Callable) -> Callable:
    return lambda p, x: f(x)


for _key, _fn in UNARY.items():
    register_op(_key, doc=f"Elementwise {_key}.", infer_shape=same_as_input,
                lower=_unary(_fn))

for _key, (_fn, _alias) in SCALAR.items():
    register_op(
        f"_{_key}_scalar", aliases=(_alias,),
        params=[Float("scalar", default=1.0, doc="The scalar operand."),
                Bool("is_int", default=True, doc="Accepted for MXNet 1.9 files.")],
        doc=f"Elementwise {_key} with a scalar.",
        infer_shape=same_as_input, lower=_scalar_lower(_fn),
    )
