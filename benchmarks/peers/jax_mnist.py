"""JAX + optax contender: the workloads written as JAX's own MNIST example trains.

As jax/examples/mnist_classifier.py does: the parameters are a pytree, one
``@jax.jit`` train step (``value_and_grad`` and an optax update; the state is
donated) is called from a Python loop over the batches, and the batch indices
are sliced on the host from a per-round ``numpy`` permutation. Unlike the
example the images live on the device (moved there before the first round), so
the step gathers its batch from them. The batch loss is read to the host every
100 batches. Convolutions are ``lax.conv_general_dilated`` in NCHW/OIHW.

Runs in its own virtual environment: imports jax, optax, numpy, the standard
library and ``_common`` only (never mxlite).
"""

from __future__ import annotations

import functools
import itertools
import os
import sys
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common
import jax
import jax.numpy as jnp
import jaxlib
import numpy as np
import optax
from jax import lax
from jax.nn import initializers

LOG_EVERY = 100
EVAL_BATCH = 1000


def init_params(w: dict, key: jax.Array) -> dict:
    """The workload's parameters: {"layers": [{"w": ..., "b": ...}, ...]}.

    Dense weights are (fan_in, fan_out), conv weights OIHW. "framework" is
    LeCun normal weights and zero biases (Flax's Dense default; Chainer's too).
    """
    if w["model"] == "mlp":
        sizes = (784, *w["hidden"], 10)
        shapes = list(itertools.pairwise(sizes))
    else:
        shapes = [(20, 1, 5, 5), (50, 20, 5, 5), (800, 500), (500, 10)]
    layers = []
    for shape, k in zip(shapes, jax.random.split(key, len(shapes))):
        conv = len(shape) == 4
        axes = {"in_axis": 1, "out_axis": 0} if conv else {}
        if w["init"] == "uniform0.01":
            weight = jax.random.uniform(k, shape, jnp.float32, -0.01, 0.01)
        elif w["init"] == "xavier":
            weight = initializers.glorot_uniform(**axes)(k, shape, jnp.float32)
        else:  # "framework"
            weight = initializers.lecun_normal(**axes)(k, shape, jnp.float32)
        layers.append({"w": weight, "b": jnp.zeros(shape[0] if conv else shape[1])})
    return {"layers": layers}


def _act(name: str) -> Callable[[jax.Array], jax.Array]:
    return {"relu": jax.nn.relu, "tanh": jnp.tanh, "identity": lambda v: v}[name]


def forward(w: dict, params: dict, x: jax.Array) -> jax.Array:
    """Logits of the workload's MLP or LeNet for NCHW images ``x``."""
    layers = params["layers"]
    if w["model"] == "mlp":
        h = x.reshape(x.shape[0], -1)
        for layer in layers[:-1]:
            h = _act(w["act"])(h @ layer["w"] + layer["b"])
        return h @ layers[-1]["w"] + layers[-1]["b"]
    h = x
    for layer in layers[:2]:
        h = lax.conv_general_dilated(h, layer["w"], (1, 1), "VALID",
                                     dimension_numbers=("NCHW", "OIHW", "NCHW"))
        h = _act(w["act"])(h + layer["b"][None, :, None, None])
        h = lax.reduce_window(h, -np.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
    h = h.reshape(h.shape[0], -1)
    h = _act(w["fc_act"])(h @ layers[2]["w"] + layers[2]["b"])
    return h @ layers[3]["w"] + layers[3]["b"]


def make_optimizer(w: dict, params: dict) -> optax.GradientTransformation:
    """The workload's optax transformation.

    Mocha's "inv" policy is an optax schedule of the step count kept in the
    optimizer state, so the lr changes every iteration inside the compiled
    step without recompiling; weights get the 2 * l2 * W term, biases twice
    the lr and no decay (``optax.multi_transform``).
    """
    if w["optimizer"] == "adam":
        return optax.adam(w["lr"], b1=0.9, b2=0.999, eps=1e-8)
    if w["optimizer"] == "sgd":
        sgd = optax.sgd(w["lr"], momentum=w["momentum"] or None)
        return optax.chain(optax.add_decayed_weights(w["wd"]), sgd) if w["wd"] else sgd

    def schedule(count):  # optax counts from 0, Mocha's iterations from 1
        return _common.mocha_lr(w, count + 1)

    labels = {"layers": [{"w": "weight", "b": "bias"} for _ in params["layers"]]}
    return optax.multi_transform({
        "weight": optax.chain(optax.add_decayed_weights(2 * w["l2"]),
                              optax.sgd(schedule, momentum=w["momentum"])),
        "bias": optax.sgd(lambda count: w["bias_lr_mult"] * schedule(count),
                          momentum=w["momentum"]),
    }, labels)


def main() -> int:
    args = _common.parser(__doc__.splitlines()[0]).parse_args()
    if args.variant not in ("default", "optax"):
        print(f"jax_mnist: unknown variant {args.variant!r}", file=sys.stderr)
        return 2
    if args.device == "cpu":  # a CUDA jaxlib would otherwise default to the GPU
        jax.config.update("jax_platforms", "cpu")
    try:
        device = jax.devices("gpu" if args.device == "gpu" else "cpu")[0]
    except RuntimeError as err:
        print(f"jax_mnist: --device {args.device} but JAX has no such device: "
              f"{str(err).splitlines()[0]}", file=sys.stderr)
        return 3
    threads = len(os.sched_getaffinity(0))
    w = _common.WORKLOADS[args.workload]
    batch, batches = w["batch"], _common.batches_per_round(args.workload)

    train_x, train_y, test_x, test_y = _common.load_mnist(args.workload)
    x_all, y_all = jax.device_put((train_x, train_y), device)
    params = jax.device_put(init_params(w, jax.random.key(args.seed)), device)
    tx = make_optimizer(w, params)
    state = (params, tx.init(params))

    def loss_fn(params, x, y):
        logits = forward(w, params, x)
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    @functools.partial(jax.jit, donate_argnums=0)
    def train_step(state, x_all, y_all, idx):
        params, opt_state = state
        loss, grads = jax.value_and_grad(loss_fn)(params, x_all[idx], y_all[idx])
        updates, opt_state = tx.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), loss

    rng = np.random.RandomState(args.seed)
    epoch_times = []
    for _ in range(args.epochs):
        start = _common.now()
        perm = rng.permutation(len(train_x))
        for i in range(batches):
            idx = perm[i * batch:(i + 1) * batch]
            state, loss = train_step(state, x_all, y_all, idx)
            if (i + 1) % LOG_EVERY == 0:
                print(f"batch {i + 1}/{batches} loss {float(loss):.4f}",
                      file=sys.stderr)
        jax.block_until_ready(state)
        epoch_times.append(_common.now() - start)

    predict = jax.jit(lambda params, x: jnp.argmax(forward(w, params, x), axis=1))
    test_x, test_y = jax.device_put((test_x, test_y), device)
    correct = sum(int((predict(state[0], test_x[s:s + EVAL_BATCH])
                       == test_y[s:s + EVAL_BATCH]).sum())
                  for s in range(0, len(test_x), EVAL_BATCH))
    stats = device.memory_stats() if args.device == "gpu" else None
    peak = stats["peak_bytes_in_use"] / 2**20 if stats else None
    _common.emit("jax", args, epoch_times, correct / len(test_x),
                 {"jax": jax.__version__, "jaxlib": jaxlib.__version__,
                  "optax": optax.__version__},
                 device_peak_mb=peak, extra={"threads": threads})
    return 0


if __name__ == "__main__":
    sys.exit(main())
