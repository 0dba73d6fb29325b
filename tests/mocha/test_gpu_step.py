"""Mocha's compiled stretch for a GPU, checked on a machine without one.

``solve`` on a ``GPUBackend`` runs each stretch between coffee breaks as the
training package's fixed-length ``lax.scan`` (``TrainStep._scan``); here the
seed's LeNet net is lowered with the registry's GPU lowerings and that scan
is exported for CUDA with ``jax.export``: every operator in it lowers for the
GPU, with native convolutions and no host callbacks.
"""

from __future__ import annotations

import dataclasses
import re

import jax
import jax.numpy as jnp
import numpy as np
from jax import export

from mxlite.executor.compiler import graph_function
from mxlite.mocha import (
    SGD,
    ConvolutionLayer,
    CPUBackend,
    InnerProductLayer,
    LRPolicy,
    MemoryDataLayer,
    MomPolicy,
    Net,
    Neurons,
    PoolingLayer,
    SoftmaxLossLayer,
    Solver,
    make_solver_parameters,
)
from mxlite.mocha.solving import SolverState
from mxlite.training import Stretch, TrainStep


def _lenet() -> Net:
    x = np.zeros((64, 1, 28, 28), np.float32)
    y = np.zeros((64, 1), np.float32)
    layers = [
        MemoryDataLayer(name="data", batch_size=16, data=[x, y]),
        ConvolutionLayer(name="conv1", n_filter=4, kernel=(5, 5), bottoms=["data"],
                         tops=["conv1"]),
        PoolingLayer(name="pool1", kernel=(2, 2), stride=(2, 2), bottoms=["conv1"],
                     tops=["pool1"]),
        InnerProductLayer(name="ip1", output_dim=16, neuron=Neurons.ReLU(),
                          bottoms=["pool1"], tops=["ip1"]),
        InnerProductLayer(name="ip2", output_dim=10, bottoms=["ip1"], tops=["ip2"]),
        SoftmaxLossLayer(name="loss", bottoms=["ip2", "label"]),
    ]
    return Net("gpu-export", CPUBackend(), layers)


def _exported_stretch(platform: str, lowering: str = "gpu") -> list[str]:
    net = _lenet()
    solver = Solver(SGD(), make_solver_parameters(
        SGD(), max_iter=10, mom_policy=MomPolicy.Fixed(0.9),
        lr_policy=LRPolicy.Inv(0.01, 0.0001, 0.75)))
    run = SolverState(solver, net)
    heads = net.loss_symbol()._heads
    program = dataclasses.replace(run.step.program, graph=graph_function(heads, lowering))
    step = TrainStep(program, solver.rule)
    rows = 4 * 16
    sources = {"data": jnp.zeros((rows, 1, 28, 28), jnp.float32),
               "label": jnp.zeros((rows, 1), jnp.float32)}
    stretch = Stretch(jnp.arange(rows, dtype=jnp.int32).reshape(4, 16),
                      jnp.zeros(4, jnp.int32), jnp.int32(0), jnp.int32(4))
    fn = export.export(jax.jit(lambda s, src, h, st: step._scan(s, src, {}, h, st)),
                       platforms=(platform,))
    mlir = fn(run.state, sources, step.hyper(), stretch).mlir_module()
    return re.findall(r"\b(stablehlo\.[a-z_]+|custom_call @\w+)", mlir)


def test_the_mocha_stretch_lowers_for_cuda_with_native_convolutions():
    ops = _exported_stretch("cuda")
    assert ops.count("stablehlo.convolution") >= 2  # forward and the weight gradient
    assert "stablehlo.while" in ops  # the stretch is one loop on the device
    assert not [op for op in ops if op.startswith("custom_call")]


def test_the_cpu_lowering_of_the_same_stretch_has_no_native_convolution():
    # On the CPU the registry lowers convolutions to patches and GEMMs: the
    # GPU test above sees the GPU lowerings, not whatever the host picked.
    assert "stablehlo.convolution" not in _exported_stretch("cpu", lowering="cpu")
