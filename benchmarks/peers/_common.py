"""Shared by every contender script: the workloads, MNIST, and the result line.

This file imports only numpy and the standard library, because each contender
runs in its own virtual environment (PyTorch, MXNet 1.9.1, Chainer, JAX) and
none of them has mxlite installed.

A contender script prints, as its last line, ``RESULT {json}`` (see
:func:`emit`); ``benchmarks.compare`` parses that line.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import platform
import resource
import struct
import sys
import time
from pathlib import Path

import numpy as np

MNIST_DIR = (
    Path(__file__).resolve().parents[2] / "src" / "mxlite" / "datasets" / "data" / "mnist"
)

# Each workload with the settings of the tutorial it comes from. "unit" is
# what one timed round is: an epoch of 60,000 images (600 batches of 100), or
# for Mocha's LeNet 937 iterations of 64 (60,000 // 64; Mocha's batches run
# across epochs, there is no padding), reported as iterations per second.
# The MXNet MNIST tutorial's settings, shared by its two models and by the
# MLP of MXNet.jl's MNIST tutorial.
_MXNET_SGD = {"batch": 100, "optimizer": "sgd", "lr": 0.1, "momentum": 0.0, "wd": 0.0,
              "scale": 255.0, "init": "uniform0.01", "unit": "epoch"}
_MLP = {"model": "mlp", "hidden": (128, 64), "act": "relu"}
_MXNET = "MXNet's MNIST tutorial"

WORKLOADS: dict[str, dict] = {
    "mlp002": {**_MXNET_SGD, **_MLP, "tutorial": _MXNET},
    "lenet002": {**_MXNET_SGD, "tutorial": _MXNET, "model": "lenet", "act": "tanh",
                 "fc_act": "tanh"},
    "mlp001": {**_MXNET_SGD, **_MLP, "tutorial": "MXNet.jl's MNIST tutorial", "momentum": 0.9,
               "wd": 1e-5},
    "chainer50": {
        "tutorial": "Chainer's MNIST tutorial",
        "model": "mlp",
        "hidden": (50, 50),
        "act": "relu",
        "batch": 100,
        "optimizer": "adam",
        "lr": 0.001,
        "scale": 255.0,
        "init": "framework",
        "unit": "epoch",
    },
    "chainer1000": {
        "tutorial": "Chainer's MNIST tutorial",
        "model": "mlp",
        "hidden": (1000, 1000),
        "act": "relu",
        "batch": 100,
        "optimizer": "adam",
        "lr": 0.001,
        "scale": 255.0,
        "init": "framework",
        "unit": "epoch",
    },
    # Mocha: conv 5x5x20 (no neuron) -> max-pool 2/2 -> conv 5x5x50 -> max-pool
    # 2/2 -> ip1 500 + ReLU -> ip2 10 -> softmax loss. SGD, momentum 0.9,
    # lr = 0.01 * (1 + 0.0001 * iter) ** -0.75 (iter from 1), biases at 2x lr
    # and no decay, weights with the L2 term 2 * 0.0005 * W added to the grad.
    "mocha_lenet": {
        "tutorial": "Mocha.jl's LeNet tutorial",
        "model": "lenet",
        "act": "identity",
        "fc_act": "relu",
        "batch": 64,
        "optimizer": "sgd_inv",
        "lr": 0.01,
        "gamma": 1e-4,
        "power": 0.75,
        "momentum": 0.9,
        "l2": 0.0005,
        "bias_lr_mult": 2.0,
        "scale": 256.0,
        "init": "xavier",
        "unit": "iterations",
        "iterations": 60000 // 64,
    },
}

TRAIN_IMAGES = 60000


def flops_per_image(name: str) -> float:
    """Multiply-adds x 2, forward + both backward GEMMs (x 3), per image."""
    w = WORKLOADS[name]
    if w["model"] == "mlp":
        sizes = (784, *w["hidden"], 10)
        macs = sum(a * b for a, b in itertools.pairwise(sizes))
        # The first layer's input gradient is not needed.
        return 2.0 * macs * 3 - 2.0 * sizes[0] * sizes[1]
    conv1 = 24 * 24 * 20 * 25
    conv2 = 8 * 8 * 50 * 20 * 25
    fc = 800 * 500 + 500 * 10
    return 2.0 * (conv1 + conv2 + fc) * 3 - 2.0 * conv1


def images_per_round(name: str) -> int:
    w = WORKLOADS[name]
    return w["iterations"] * w["batch"] if w["unit"] == "iterations" else TRAIN_IMAGES


def batches_per_round(name: str) -> int:
    w = WORKLOADS[name]
    return w["iterations"] if w["unit"] == "iterations" else TRAIN_IMAGES // w["batch"]


def _read_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        raw = f.read()
    _, _, ndim = struct.unpack(">HBB", raw[:4])
    dims = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_mnist(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train_x, train_y, test_x, test_y): float32 N x 1 x 28 x 28 scaled as the
    workload's tutorial scales them, int32 labels."""
    scale = WORKLOADS[name]["scale"]
    out = []
    for split in ("train", "t10k"):
        x = _read_idx(MNIST_DIR / f"{split}-images-idx3-ubyte.gz")
        y = _read_idx(MNIST_DIR / f"{split}-labels-idx1-ubyte.gz")
        out += [(x.astype(np.float32) / scale).reshape(-1, 1, 28, 28), y.astype(np.int32)]
    return tuple(out)


def mocha_lr(w: dict, iteration: int) -> float:
    """Mocha's LRPolicy.Inv at 1-based ``iteration``."""
    return w["lr"] * (1.0 + w["gamma"] * iteration) ** (-w["power"])


def only_default_on_cpu(name: str, args: argparse.Namespace) -> int | None:
    """Exit code 2 for a variant other than 'default', 3 for --device gpu
    (with the message), for contenders that run on CPU only; else None."""
    if args.variant != "default":
        print(f"{name}: unknown variant {args.variant!r}; only 'default'", file=sys.stderr)
        return 2
    if args.device == "gpu":
        print(f"{name}: runs CPU only in this benchmark (no --device gpu)", file=sys.stderr)
        return 3
    return None


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--workload", required=True, choices=sorted(WORKLOADS))
    p.add_argument(
        "--epochs",
        type=int,
        default=3,
        help="timed rounds (the first includes compiling/warm-up)",
    )
    p.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    p.add_argument("--variant", default="default")
    p.add_argument("--seed", type=int, default=0)
    return p


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def now() -> float:
    return time.perf_counter()


def emit(
    contender: str,
    args: argparse.Namespace,
    epoch_times: list[float],
    accuracy: float,
    versions: dict,
    *,
    warmup_s: float = 0.0,
    device_peak_mb: float | None = None,
    extra: dict | None = None,
) -> None:
    """Print the one ``RESULT {json}`` line the comparison reads."""
    result = dict(
        contender=contender,
        variant=args.variant,
        workload=args.workload,
        device=args.device,
        epoch_times=[round(t, 6) for t in epoch_times],
        warmup_s=round(warmup_s, 6),
        test_accuracy=float(accuracy),
        images_per_round=images_per_round(args.workload),
        batches_per_round=batches_per_round(args.workload),
        peak_rss_mb=round(peak_rss_mb(), 1),
        device_peak_mb=device_peak_mb,
        versions={"python": platform.python_version(), "numpy": np.__version__, **versions},
        affinity=sorted(os.sched_getaffinity(0)),
        pid=os.getpid(),
        **(extra or {}),
    )
    sys.stdout.flush()
    print("RESULT " + json.dumps(result), flush=True)
