"""The seed networks (MXNet tutorial 002) as symbols, and NumPy/JAX twins."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import mxlite as mx


def mlp() -> mx.sym.Symbol:
    """Seed 002 MLP: flatten, 128 relu, 64 relu, 10, SoftmaxOutput."""
    with mx.name.NameManager():
        data = mx.sym.flatten(data=mx.sym.var("data"))
        fc1 = mx.sym.FullyConnected(data=data, num_hidden=128, name="fc1")
        act1 = mx.sym.Activation(data=fc1, act_type="relu", name="act1")
        fc2 = mx.sym.FullyConnected(data=act1, num_hidden=64, name="fc2")
        act2 = mx.sym.Activation(data=fc2, act_type="relu", name="act2")
        fc3 = mx.sym.FullyConnected(data=act2, num_hidden=10, name="fc3")
        return mx.sym.SoftmaxOutput(data=fc3, name="softmax")


def lenet() -> mx.sym.Symbol:
    """Seed 002 LeNet: two tanh conv/max-pool blocks, fc 500 tanh, fc 10."""
    with mx.name.NameManager():
        data = mx.sym.var("data")
        conv1 = mx.sym.Convolution(data=data, kernel=(5, 5), num_filter=20)
        tanh1 = mx.sym.Activation(data=conv1, act_type="tanh")
        pool1 = mx.sym.Pooling(data=tanh1, pool_type="max", kernel=(2, 2), stride=(2, 2))
        conv2 = mx.sym.Convolution(data=pool1, kernel=(5, 5), num_filter=50)
        tanh2 = mx.sym.Activation(data=conv2, act_type="tanh")
        pool2 = mx.sym.Pooling(data=tanh2, pool_type="max", kernel=(2, 2), stride=(2, 2))
        flat = mx.sym.flatten(data=pool2)
        fc1 = mx.sym.FullyConnected(data=flat, num_hidden=500)
        tanh3 = mx.sym.Activation(data=fc1, act_type="tanh")
        fc2 = mx.sym.FullyConnected(data=tanh3, num_hidden=10)
        return mx.sym.SoftmaxOutput(data=fc2, name="softmax")


def random_params(symbol: mx.sym.Symbol, data_shape: tuple, seed: int = 0,
                  scale: float = 0.1) -> dict[str, np.ndarray]:
    """Deterministic float32 values for every learnable argument."""
    shapes, _, _ = symbol.infer_shape(data=data_shape)
    rng = np.random.default_rng(seed)
    return {name: rng.uniform(-scale, scale, shape).astype(np.float32)
            for name, shape in zip(symbol.list_arguments(), shapes)
            if name not in ("data", "softmax_label")}


def jax_mlp_loss(params: dict, x: jax.Array, label: jax.Array) -> jax.Array:
    """Plain-JAX MLP whose gradient is SoftmaxOutput's (summed cross-entropy)."""
    h = x.reshape(x.shape[0], -1)
    for i, act in ((1, True), (2, True), (3, False)):
        h = h @ params[f"fc{i}_weight"].T + params[f"fc{i}_bias"][None, :]
        h = jax.nn.relu(h) if act else h
    logp = jax.nn.log_softmax(h, axis=-1)
    return -jnp.take_along_axis(logp, label.astype(jnp.int32)[:, None], axis=1).sum()


def batch(shape: tuple, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """A random image batch and labels 0..9."""
    rng = np.random.default_rng(seed)
    x = rng.random(shape, dtype=np.float32)
    return x, (np.arange(shape[0]) % 10).astype(np.float32)
