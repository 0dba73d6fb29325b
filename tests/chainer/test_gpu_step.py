"""The compiled Chainer step for a GPU, checked on a machine without one.

A model whose parameters and inputs sit on a GPU context is traced exactly as
``optimizer.update`` would trace it there (registry operators pick their GPU
lowerings from the inputs' context), and the training step is exported for
CUDA with ``jax.export``: every operator in it lowers for the GPU.
"""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import export

import mxlite.chainer as chainer
from mxlite.chainer import functions as F
from mxlite.chainer import links as L
from mxlite.chainer import optimizers
from mxlite.context import Context
from mxlite.training import traced
from mxlite.training.step import _Batch


class ConvNet(chainer.Chain):
    def __init__(self) -> None:
        super().__init__()
        with self.init_scope():
            self.conv = L.Convolution2D(1, 4, 3)
            self.fc = L.Linear(None, 10)

    def forward(self, x, t):
        h = F.max_pooling_2d(F.relu(self.conv(x)), 2)
        self.loss = F.softmax_cross_entropy(self.fc(F.dropout(h, 0.5)), t)
        return self.loss


def _on(ctx: Context, model: chainer.Link) -> None:
    """Put the model on ``ctx`` without touching a device (none exists here)."""
    for link in model.links():
        object.__setattr__(link, "_ctx", ctx)
    for param in model.params():
        param._ctx = ctx


def _exported(platform: str) -> list[str]:
    gpu = Context("gpu", 0)
    model = ConvNet()
    opt = optimizers.Adam()
    opt.setup(model)
    model(np.zeros((2, 1, 12, 12), np.float32), np.zeros(2, np.int32))  # create fc.W
    _on(gpu, model)
    rng = np.random.default_rng(0)
    x = chainer.Variable._wrap(rng.random((8, 1, 12, 12), np.float32), gpu)
    t = chainer.Variable._wrap(rng.integers(0, 10, 8).astype(np.int32), gpu)
    trainer = opt._trainer
    call = traced._Args((x, t), {}, opt._view.binding().unwrap)
    entry = trainer._discover(model, call, 0)
    state = trainer.state_for(0)
    batch = _Batch({f"in{i}": jnp.asarray(a) for i, a in enumerate(call.arrays)},
                   jnp.int32(0), None)
    fn = jax.jit(entry.trainer._one)
    mlir = export.export(fn, platforms=(platform,))(state, batch, {},
                                                    entry.trainer.hyper()).mlir_module()
    return re.findall(r"\b(stablehlo\.[a-z_]+|custom_call @\w+)", mlir)


@pytest.mark.slow
def test_the_chainer_step_lowers_for_cuda_with_native_convolutions():
    on_gpu = _exported("cuda")
    assert on_gpu.count("stablehlo.convolution") >= 2  # forward + weight gradient
    assert "stablehlo.rng_bit_generator" in on_gpu or "stablehlo.xor" in on_gpu  # dropout
    assert not [op for op in on_gpu if op.startswith("custom_call")]
