"""dot and batch_dot.

MXNet 1.x semantics: ``dot`` on N-D arrays contracts the last axis of ``lhs``
(first if ``transpose_a``) with the first axis of ``rhs`` (last if
``transpose_b``); results that would be 0-d have shape ``(1,)``.
"""

from __future__ import annotations

import jax.numpy as jnp

from ...base import ShapeError
from ..params import Bool, Enum
from ..registry import register_op
from ..shape import known


def _drop(shape, axis):
    return shape[:axis] + shape[axis + 1 :]


def _dot_axes(p, lhs, rhs):
    la = 0 if p.transpose_a else len(lhs) - 1
    ra = len(rhs) - 1 if p.transpose_b else 0
    return la, ra


def _dot_shape(p, in_shapes):
    lhs, rhs = in_shapes
    if not known(lhs, rhs):
        return in_shapes, [None], []
    if not lhs or not rhs:
        raise ShapeError(
            f"inputs 'lhs' {lhs} and 'rhs' {rhs} must have at least 1 axis"
        )
    if len(lhs) == 1 and len(rhs) == 1 and (p.transpose_a or p.transpose_b):
        raise ShapeError(f"cannot transpose vectors: 'lhs' {lhs}, 'rhs' {rhs}")
    la, ra = _dot_axes(p, lhs, rhs)
    if lhs[la] != rhs[ra]:
        raise ShapeError(
            f"inputs 'lhs' {lhs} and 'rhs' {rhs} do not fit: dot contracts axis {la} "
            f"of lhs (size {lhs[la]}) with axis {ra} of rhs (size {rhs[ra]}) "
            f"(transpose_a={p.transpose_a}, transpose_b={p.transpose_b})"
        )
    return in_shapes, [(_drop(lhs, la) + _drop(rhs, ra)) or (1,)], []


def _dot(p, a, b):
    la, ra = _dot_axes(p, a.shape, b.shape)
    out = jnp.tensordot(a, b, axes=([la], [ra]))
    return out.reshape(out.shape or (1,))


def _batch_dot_shape(p, in_shapes):
    lhs, rhs = in_shapes
    if not known(lhs, rhs):
        return in_shapes, [None], []
    ok = len(lhs) >= 3 and len(lhs) == len(rhs) and lhs[:-2] == rhs[:-2]
    if ok:
        m, k = (lhs[-1], lhs[-2]) if p.transpose_a else lhs[-2:]
        k2, n = (rhs[-1], rhs[-2]) if p.transpose_b else rhs[-2:]
        ok = k == k2
    if not ok:
        raise ShapeError(
            f"inputs 'lhs' {lhs} and 'rhs' {rhs} do not fit: batch_dot needs N-D "
            "inputs (N >= 3) with equal leading batch axes and matching inner sizes "
            f"(transpose_a={p.transpose_a}, transpose_b={p.transpose_b})"
        )
    return in_shapes, [lhs[:-2] + (m, n)], []


def _batch_dot(p, a, b):
    a = jnp.swapaxes(a, -1, -2) if p.transpose_a else a
    b = jnp.swapaxes(b, -1, -2) if p.transpose_b else b
    return jnp.matmul(a, b)


_DOT_PARAMS = [
    Bool(
        "transpose_a",
        default=False,
        doc="Transpose lhs (N-D: contract its first axis).",
    ),
    Bool(
        "transpose_b", default=False, doc="Transpose rhs (N-D: contract its last axis)."
    ),
    Enum(
        "forward_stype",
        ("csr", "default", "row_sparse"),
        default=None,
        doc="Sparse output storage; accepted for MXNet files, always dense here.",
    ),
]
register_op(
    "dot",
    doc="Dot product: contract lhs's last axis with rhs's first.",
    params=_DOT_PARAMS,
    arguments=["lhs", "rhs"],
    infer_shape=_dot_shape,
    lower=_dot,
)
register_op(
    "batch_dot",
    doc="Batched matrix product over the leading axes.",
    params=_DOT_PARAMS,
    arguments=["lhs", "rhs"],
    infer_shape=_batch_dot_shape,
    lower=_batch_dot,
)
