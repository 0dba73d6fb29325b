"""The GPU training program, checked on a machine without a GPU.

``jax.export`` lowers a function for platforms that are not present. The
training loop that ``Module.fit`` would compile on a GPU (the graph traced
with its GPU lowerings, each stretch a ``lax.scan``) is exported for CUDA,
which proves every operator in it lowers there, and for the CPU as well, so
the very same program runs here and must train like the CPU path.
"""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import export

import mxlite as mx
from mxlite.executor.compiler import graph_function
from mxlite.training import GraphProgram, Stretch, TrainStep


def _lenet(filters: tuple[int, int], hidden: int) -> mx.sym.Symbol:
    """Seed 002's LeNet with the given widths."""
    net = mx.sym.var("data")
    for i, f in enumerate(filters, 1):
        net = mx.sym.Convolution(net, kernel=(5, 5), num_filter=f, name=f"conv{i}")
        net = mx.sym.Activation(net, act_type="tanh")
        net = mx.sym.Pooling(net, pool_type="max", kernel=(2, 2), stride=(2, 2))
    net = mx.sym.Activation(mx.sym.FullyConnected(mx.sym.flatten(net), num_hidden=hidden),
                            act_type="tanh")
    return mx.sym.SoftmaxOutput(mx.sym.FullyConnected(net, num_hidden=10), name="softmax")


def _trainers(symbol: mx.sym.Symbol, batch: int):
    """A bound Module's training step on the CPU, and the same step as a GPU traces it."""
    mx.random.seed(3)
    mod = mx.mod.Module(symbol, context=mx.cpu())
    mod.bind([("data", (batch, 1, 28, 28))], [("softmax_label", (batch,))])
    mod.init_params(mx.init.Xavier())
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.1,
                                                          "momentum": 0.9})
    metric = mx.metric.create("acc")
    cpu = mod._trainer_for(metric)
    fields = {k: getattr(cpu.program, k) for k in GraphProgram.__dataclass_fields__}
    program = GraphProgram(**{**fields, "graph": graph_function(symbol._heads, "gpu")})
    gpu = TrainStep(program, cpu.optimizer, metric=cpu.metric)
    return mod, metric, cpu, gpu


def _epoch(mod, metric, trainer, batches: int, batch: int) -> tuple:
    """The arguments of ``TrainStep.steps`` for ``batches`` batches of random data."""
    rng = np.random.default_rng(0)
    n = batches * batch
    sources = {"data": jnp.asarray(rng.random((n, 1, 28, 28), np.float32)),
               "softmax_label": jnp.asarray(rng.integers(0, 10, n).astype(np.float32))}
    idx = jnp.asarray(rng.permutation(n).reshape(batches, batch).astype(np.int32))
    state = mod._state_now()._replace(metric=metric.get_state())
    pads = jnp.zeros(batches, jnp.int32)
    stretch = Stretch(idx, pads, jnp.int32(0), jnp.int32(batches))
    return state, sources, {}, trainer.hyper(), stretch


def _ops(exported: export.Exported) -> list[str]:
    return re.findall(r"\b(stablehlo\.[a-z_]+|custom_call @\w+)", exported.mlir_module())


def test_the_seed_lenet_training_loop_lowers_for_cuda_with_cudnn_convolutions():
    mod, metric, cpu, gpu = _trainers(_lenet((20, 50), 500), 100)
    args = _epoch(mod, metric, gpu, 2, 100)
    on_gpu = _ops(export.export(jax.jit(gpu._scan), platforms=("cuda",))(*args))
    on_cpu = _ops(export.export(jax.jit(cpu._scan), platforms=("cpu",))(*args))
    # Forward: two convolutions; backward: the data gradient of conv2 and the
    # weight gradients of both (conv1's data gradient is not needed).
    assert on_gpu.count("stablehlo.convolution") == 5
    assert "stablehlo.while" in on_gpu  # the stretch is one compiled loop
    assert not [op for op in on_gpu if op.startswith("custom_call")]
    # The CPU program computes the same convolutions as patch GEMMs.
    assert on_cpu.count("stablehlo.convolution") == 0
    assert on_cpu.count("stablehlo.dot_general") > on_gpu.count("stablehlo.dot_general")


@pytest.mark.slow
def test_the_gpu_program_run_on_the_cpu_trains_like_the_cpu_path():
    mod, metric, cpu, gpu = _trainers(_lenet((4, 6), 16), 8)
    args = _epoch(mod, metric, gpu, 3, 8)
    program = export.export(jax.jit(gpu._scan), platforms=("cpu", "cuda"))(*args)
    assert program.platforms == ("cpu", "cuda")
    before = np.asarray(args[0].params["conv1_weight"])
    ran = program.call(*args)
    state, sources, fixed, _, stretch = args
    expected = cpu.steps(state, sources, fixed, stretch)  # donates the state
    assert int(ran.step) == int(expected.step) == 3
    for name, value in expected.params.items():
        np.testing.assert_allclose(ran.params[name], value, rtol=2e-5, atol=2e-6,
                                   err_msg=name)
    assert not np.allclose(ran.params["conv1_weight"], before)
