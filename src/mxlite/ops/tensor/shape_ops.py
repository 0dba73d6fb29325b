"""Flatten and Reshape (with MXNet's special codes 0, -1, -2, -3, -4)."""

from __future__ import annotations

from math import prod

from ...base import ShapeError
from ..params import Bool, Shape
from ..registry import register_op
from ..shape import flatten2d, unary_rule

register_op(
    "Flatten", aliases=("flatten",),
    doc="Collapse all axes but the first: (N, a, b) -> (N, a*b).",
    infer_shape=unary_rule(lambda p, s: flatten2d(s)),
    lower=lambda p, x: x.reshape(x.shape[0], -1) if x.ndim else x.reshape(1, 1),
)


def _special(spec: tuple, src: tuple) -> list:
    out, i, j = [], 0, 0
    while j < len(spec):
        code = spec[j]
        if code == 0:
            out.append(src[i])
            i += 1
        elif code == -1:
            out.append(-1)
            i += 1
        elif code == -2:
            out.extend(src[i:])
            i = len(src)
        elif code == -3:
            out.append(src[i] * src[i + 1])
            i += 2
        elif code == -4:
            a, b = spec[j + 1], spec[j + 2]
            a = src[i] // b if a == -1 else a
            b = src[i] // a if b == -1 else b
            out.extend([a, b])
            i += 1
            j += 2
        else:
            out.append(code)
            i += 1
        j += 1
    return out


def reshape_target(spec: tuple, src: tuple, reverse: bool = False) -> tuple:
    """Resolve MXNet's reshape codes against a source shape."""
    try:
        if reverse:
            out = _special(tuple(reversed(spec)), tuple(reversed(src)))[::-1]
        else:
            out = _special(spec, src)
    except (IndexError, ZeroDivisionError):
        raise ShapeError(f"shape={spec} does not fit an input of shape {src}") from None
    if out.count(-1) > 1:
        raise ShapeError(f"shape={spec} has more than one -1")
    if -1 in out:
        rest = prod(d for d in out if d != -1)
        if rest == 0 or prod(src) % rest:
            raise ShapeError(f"shape={spec} cannot reshape an input of shape {src}")
        out[out.index(-1)] = prod(src) // rest
    if prod(out) != prod(src) or any(d < 0 for d in out):
        raise ShapeError(
            f"cannot reshape {src} ({prod(src)} elements) into {tuple(out)} "
            f"(from shape={spec})"
        )
    return tuple(out)


def _reshape_shape(p, in_shapes):
    data = in_shapes[0]
    if data is None:
        return in_shapes, [None], []
    return in_shapes, [reshape_target(p.shape, data, p.reverse)], []


register_op(
    "Reshape", aliases=("reshape",),
    doc="Reshape; 0 copies an axis, -1 infers one, -2 copies the rest, "
        "-3 merges two axes, -4 splits one.",
    params=[Shape("shape", default=(), allow_negative=True, doc="Target shape."),
            Bool("reverse", default=False, doc="Match special codes right to left.")],
    infer_shape=_reshape_shape,
    lower=lambda p, x: x.reshape(reshape_target(p.shape, x.shape, p.reverse)),
)
