"""Small Mocha nets and data shared by the solve, coffee-break and resume tests.

A 64-feature, 10-class problem: InnerProduct(32, ReLU) -> InnerProduct(10)
-> SoftmaxLoss, fed from memory or from a small HDF5 file (one net per
fresh ``CPUBackend()``, so parameters are never shared across tests).
"""

from __future__ import annotations

from pathlib import Path

import h5py
import jax
import jax.numpy as jnp
import numpy as np

from mxlite.mocha import (
    AccuracyLayer,
    CPUBackend,
    HDF5DataLayer,
    InnerProductLayer,
    MemoryDataLayer,
    Net,
    Neurons,
    SoftmaxLayer,
    SoftmaxLossLayer,
    srand,
)

N_SAMPLES, FEATURES, CLASSES, HIDDEN, BATCH = 600, 64, 10, 32, 20


def data(n: int = N_SAMPLES, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Learnable synthetic data: (n, 64) float32 features, (n, 1) float labels;
    ``seed`` draws the samples, the class centres are always the same."""
    centres = np.random.default_rng(0).normal(size=(CLASSES, FEATURES))
    rng = np.random.default_rng(seed + 1)
    labels = rng.integers(0, CLASSES, size=n)
    x = centres[labels] + 0.8 * rng.normal(size=(n, FEATURES)).astype(np.float32)
    return x.astype(np.float32), labels.reshape(n, 1).astype(np.float32)


def common_layers() -> list:
    """ip1 (32, ReLU) and ip2 (10): the learned part, shared by name."""
    return [InnerProductLayer(name="ip1", output_dim=HIDDEN, neuron=Neurons.ReLU(),
                              bottoms=["data"], tops=["ip1"]),
            InnerProductLayer(name="ip2", output_dim=CLASSES, bottoms=["ip1"],
                              tops=["ip2"])]


def memory_net(backend=None, *, seed: int = 1, batch: int = BATCH, x=None, y=None,
               shuffle: bool = False) -> Net:
    """The training net on a MemoryDataLayer."""
    srand(seed)
    if x is None:
        x, y = data()
    layer = MemoryDataLayer(name="train-data", batch_size=batch, data=[x, y],
                            shuffle=shuffle)
    return Net("train", backend or CPUBackend(),
               [layer, *common_layers(), SoftmaxLossLayer(name="loss",
                                                          bottoms=["ip2", "label"])])


def write_hdf5(folder: Path, name: str = "train", n: int = N_SAMPLES,
               seed: int = 0) -> str:
    """A Mocha HDF5 file and its source list; the list's path."""
    folder.mkdir(parents=True, exist_ok=True)
    x, y = data(n, seed)
    with h5py.File(folder / f"{name}.hdf5", "w") as f:
        f["data"] = x
        f["label"] = y
    source = folder / f"{name}.txt"
    source.write_text(f"{name}.hdf5\n")
    return str(source)


def hdf5_net(source: str, backend=None, *, seed: int = 1, batch: int = BATCH,
             shuffle: bool = True) -> Net:
    """The training net on an HDF5DataLayer (shuffled by default)."""
    srand(seed)
    layer = HDF5DataLayer(name="train-data", source=source, batch_size=batch,
                          shuffle=shuffle)
    return Net("train", backend or CPUBackend(),
               [layer, *common_layers(), SoftmaxLossLayer(name="loss",
                                                          bottoms=["ip2", "label"])])


def validation_net(backend, *, n: int = 200, seed: int = 5, batch: int = 50, x=None,
             y=None) -> Net:
    """A validation net sharing ip1/ip2 with the training net on ``backend``."""
    if x is None:
        x, y = data(n, seed)
    layer = MemoryDataLayer(name="test-data", batch_size=batch, data=[x, y])
    return Net("test", backend, [layer, *common_layers(),
                                 AccuracyLayer(name="test-accuracy",
                                               bottoms=["ip2", "label"])])


def predict_net(backend, batch: int = 5) -> Net:
    """The seed's prediction net: MemoryDataLayer -> ip1 -> ip2 -> SoftmaxLayer."""
    layer = MemoryDataLayer(name="data", tops=["data"], batch_size=batch,
                            data=[np.zeros((batch, FEATURES), np.float32)])
    return Net("predict", backend, [layer, *common_layers(),
                                    SoftmaxLayer(name="prob", bottoms=["ip2"],
                                                 tops=["prob"])])


def params_of(net: Net) -> dict[str, np.ndarray]:
    """Every learned array of ``net`` as NumPy, by graph name."""
    return {n: b.data.asnumpy().copy() for n, b in net.params.items()}


def reference_loss(params, x, y):
    """The training net's objective, written out in JAX (for references)."""
    h = jnp.maximum(x @ params["ip1_weight"].T + params["ip1_bias"][None, :], 0.0)
    z = h @ params["ip2_weight"].T + params["ip2_bias"][None, :]
    logp = jax.nn.log_softmax(z, axis=1)
    return -jnp.mean(jnp.take_along_axis(logp, y.astype(jnp.int32).reshape(-1, 1), 1))
