"""Small networks and data shared by the Module and checkpoint tests.

Compilation dominates these tests' time, so the nets are tiny and the data
synthetic: 20 features, 10 classes, labels from a fixed linear rule (so a net
can learn them in a few epochs).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import mxlite as mx

FEATURES = 20
CLASSES = 10


def tiny() -> mx.sym.Symbol:
    """data (N, 20) -> fc1 16 relu -> fc2 10 -> SoftmaxOutput 'softmax'."""
    with mx.name.NameManager():
        data = mx.sym.var("data")
        fc1 = mx.sym.FullyConnected(data=data, num_hidden=16, name="fc1")
        act = mx.sym.Activation(data=fc1, act_type="relu", name="relu1")
        fc2 = mx.sym.FullyConnected(data=act, num_hidden=CLASSES, name="fc2")
        return mx.sym.SoftmaxOutput(data=fc2, name="softmax")


def tiny_bn() -> mx.sym.Symbol:
    """Like :func:`tiny` with a BatchNorm (aux states) after fc1."""
    with mx.name.NameManager():
        data = mx.sym.var("data")
        fc1 = mx.sym.FullyConnected(data=data, num_hidden=16, name="fc1")
        bn = mx.sym.BatchNorm(data=fc1, name="bn1")
        act = mx.sym.Activation(data=bn, act_type="relu", name="relu1")
        fc2 = mx.sym.FullyConnected(data=act, num_hidden=CLASSES, name="fc2")
        return mx.sym.SoftmaxOutput(data=fc2, name="softmax")


def dataset(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` rows of float32 features and float32 labels 0..9 (learnable)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, FEATURES)).astype(np.float32)
    w = np.random.default_rng(1234).standard_normal((FEATURES, CLASSES))
    return x, (x @ w).argmax(axis=1).astype(np.float32)


def tiny_params(seed: int = 0) -> dict[str, np.ndarray]:
    """Deterministic parameters for :func:`tiny` (non-zero biases)."""
    rng = np.random.default_rng(seed)
    shapes = {"fc1_weight": (16, FEATURES), "fc1_bias": (16,),
              "fc2_weight": (CLASSES, 16), "fc2_bias": (CLASSES,)}
    return {k: rng.uniform(-0.3, 0.3, s).astype(np.float32) for k, s in shapes.items()}


def tiny_logits(params: dict, x: jax.Array) -> jax.Array:
    """Plain-JAX twin of :func:`tiny` up to the softmax."""
    h = jax.nn.relu(x @ params["fc1_weight"].T + params["fc1_bias"][None, :])
    return h @ params["fc2_weight"].T + params["fc2_bias"][None, :]


def tiny_loss(params: dict, x: jax.Array, label: jax.Array) -> jax.Array:
    """Summed cross-entropy: its gradient is SoftmaxOutput's backward."""
    logp = jax.nn.log_softmax(tiny_logits(params, x), axis=-1)
    return -jnp.take_along_axis(logp, label.astype(jnp.int32)[:, None], axis=1).sum()


def as_nd(params: dict[str, np.ndarray]) -> dict[str, mx.nd.NDArray]:
    return {k: mx.nd.array(v) for k, v in params.items()}


def as_np(params: dict) -> dict[str, np.ndarray]:
    return {k: v.asnumpy() for k, v in params.items()}


def max_diff(a: dict, b: dict) -> float:
    assert sorted(a) == sorted(b)
    return max(float(np.abs(np.asarray(a[k]) - np.asarray(b[k])).max()) for k in a)
