"""Convolution as im2col + GEMM, the CPU lowering of ``Convolution``.

The input is held as (C, N, *S): the patch matrix is (C * prod(kernel),
N * prod(out)) and the product ``weight @ patches`` is already the output in
the same swapped layout, (F, N, *out). The patch extraction and the product
each have their own gradient, written for what XLA:CPU runs fast.
"""

from __future__ import annotations

import functools
import itertools
from math import prod
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

__all__ = ["Window", "patch_gemm"]


class Window(NamedTuple):
    """A convolution's geometry over the spatial axes (tuples, one entry per axis)."""

    kernel: tuple
    stride: tuple
    dilate: tuple
    out: tuple


def patch_gemm(xs, w, window: Window, groups: int):
    """(C, N, *S) padded input and (F, C/groups, *kernel) weight -> (F, N, *out)."""
    f, n = w.shape[0], xs.shape[1]
    parts = _BATCH_PARTS if n % _BATCH_PARTS == 0 and n >= 16 * _BATCH_PARTS else 1
    m = n // parts
    ys = [_gemm(w, _im2col(xs[:, i * m:(i + 1) * m], window), groups) for i in range(parts)]
    return jnp.concatenate([v.reshape(f, m, -1) for v in ys],
                           axis=1).reshape(f, n, *window.out)


def _taps(window: Window):
    """Per kernel offset, the (start, limit) of its strided slice."""
    kernel, stride, dilate, out = window
    for offset in itertools.product(*(range(k) for k in kernel)):
        start = [o * d for o, d in zip(offset, dilate)]
        limit = [a + (m - 1) * s + 1 for a, m, s in zip(start, out, stride)]
        yield start, limit


@functools.partial(jax.custom_vjp, nondiff_argnums=(1,))
def _im2col(xs, window: Window):
    """(C, N, *S) padded input -> (C * prod(kernel), N * prod(out)) patch matrix.

    Rows are ordered (channel, kernel offset) like MXNet's weight; columns
    (batch, output position) like the swapped output. The gradient is the
    custom :func:`_col2im`: JAX's own transpose of the slices is one padded
    full-size copy per kernel offset (25 for 5x5), which XLA then fuses into
    its consumers and recomputes, 4x slower on CPU at LeNet sizes.
    """
    c, n = xs.shape[:2]
    # Materialize the input once: otherwise XLA fuses its producer (a pooling
    # max, a gather) into each of the prod(kernel) slices and recomputes it.
    xs = lax.optimization_barrier(xs)
    cols = [lax.slice(xs, (0, 0, *a), (c, n, *b), (1, 1, *window.stride))
            for a, b in _taps(window)]
    return jnp.stack(cols, axis=1).reshape(c * prod(window.kernel), n * prod(window.out))


def _im2col_fwd(xs, window: Window):
    return _im2col(xs, window), xs.shape


def _col2im(window: Window, shape, g):
    """Sum each patch entry back onto its input cell, one spatial axis at a time.

    ``g`` (C * prod(kernel), N * prod(out)) -> (C, N, *S). Stage ``a`` adds
    the ``k_a`` taps of spatial axis ``a`` (a pad with interior padding undoes
    a strided slice) for every offset of the axes before it; the barrier keeps
    XLA from fusing the stages back into one ``prod(kernel)``-way sum per cell.
    Each term is a whole (C, N, ...) block, so every pad reads contiguous rows.
    """
    kernel, stride, dilate, out = window
    nd = len(kernel)
    d = g.reshape(shape[0], *kernel, shape[1], *out)
    for a in reversed(range(nd)):
        sums = []
        for prefix in itertools.product(*(range(k) for k in kernel[:a])):
            total = None
            for t in range(kernel[a]):
                part = d[(slice(None), *prefix, t)]        # (C, N, *spatial)
                low = t * dilate[a]
                config = [(0, 0, 0)] * part.ndim
                config[2 + a] = (low, shape[2 + a] - low - (out[a] - 1) * stride[a] - 1,
                                 stride[a] - 1)
                padded = lax.pad(part, jnp.zeros((), part.dtype), config)
                total = padded if total is None else total + padded
            sums.append(total)
        if a == 0:
            d = sums[0]
        else:
            d = jnp.stack(sums, axis=1)
            d = lax.optimization_barrier(d.reshape(d.shape[0], *kernel[:a], *d.shape[2:]))
    return (d,)


_im2col.defvjp(_im2col_fwd, _col2im)


# The batch is cut into this many independent im2col -> GEMM (-> col2im)
# chains. XLA:CPU runs each elementwise fusion (the patch copies, the col2im
# adds) on one thread, but runs independent chains concurrently: LeNet's step
# on 2 cores went from 6.0-6.3 to 5.3-5.9 s/epoch (4 parts: no better).
_BATCH_PARTS = 2


def _gemm(w, cols, groups):
    """(F, Cg, *k) weight times the (C * K, M) patch matrix -> (F, M)."""
    f = w.shape[0]
    if groups == 1:
        return _weight_times_cols(w.reshape(f, -1), cols)
    return jnp.einsum("gfk,gkm->gfm", w.reshape(groups, f // groups, -1),
                      cols.reshape(groups, -1, cols.shape[1]),
                      precision=_HIGHEST).reshape(f, -1)


# HIGHEST: no TF32 should this run on a GPU; a no-op on CPU.
_HIGHEST = lax.Precision.HIGHEST
_NN, _NT, _TN = ((((1,), (0,)), ((), ())), (((1,), (1,)), ((), ())),
                 (((0,), (0,)), ((), ())))
# A weight of at most this many entries gets its gradient position-major.
_THIN_WEIGHT = 4096


@jax.custom_vjp
def _weight_times_cols(w, cols):
    """(F, K) weight @ (K, M) patches, with its own gradient (below)."""
    return lax.dot_general(w, cols, _NN, precision=_HIGHEST)


def _weight_times_cols_fwd(w, cols):
    return _weight_times_cols(w, cols), (w, cols)


def _weight_times_cols_bwd(res, g):
    """The weight gradient ``g @ cols.T`` sums over the M positions. For a
    small weight (LeNet's first layer: 20 x 25) XLA:CPU gives that NT product
    to YNNPACK as one output tile on one thread, the slowest thunk of LeNet's
    step; with both operands transposed to position-major (the barrier stops
    XLA folding the transposes back into the product) it runs in Eigen on
    every core: LeNet's epoch took 5-13% less over six interleaved pairs. A
    larger weight (the second layer's 50 x 500) is faster as it was."""
    w, cols = res
    d_cols = lax.dot_general(w, g, _TN, precision=_HIGHEST)
    if w.size > _THIN_WEIGHT:
        return lax.dot_general(g, cols, _NT, precision=_HIGHEST), d_cols
    g_t, cols_t = lax.optimization_barrier((g.T, cols.T))
    return lax.dot_general(g_t, cols_t, _TN, precision=_HIGHEST), d_cols


_weight_times_cols.defvjp(_weight_times_cols_fwd, _weight_times_cols_bwd)
