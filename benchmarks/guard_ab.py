"""The non-finite guard's cost in one process: ``fit`` epochs with
``nan_check`` on and off, alternated (ABBA), on random MNIST-shaped data::

    PYTHONPATH=src python benchmarks/guard_ab.py mlp 8
    PYTHONPATH=src python benchmarks/guard_ab.py lenet 4

On a loaded machine the separate processes of ``python -m benchmarks.compare``
vary by far more than the guard costs; alternating epochs in one process
puts both under the same load.
"""

from __future__ import annotations

import logging
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers"))

import _common
import mxlite_mnist

import mxlite as mx


def _epoch(module: mx.mod.Module, data: mx.io.NDArrayIter, check: bool) -> float:
    data.reset()
    start = time.perf_counter()
    module.fit(data, num_epoch=1, optimizer_params={"learning_rate": 0.1},
               nan_check=check, batch_end_callback=mx.callback.Speedometer(100, 100))
    mx.nd.waitall()
    return time.perf_counter() - start


def main() -> None:
    model = sys.argv[1] if len(sys.argv) > 1 else "mlp"
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    w = _common.WORKLOADS["lenet002" if model == "lenet" else "mlp002"]
    n = 60000 if model == "mlp" else 10000
    rng = np.random.default_rng(0)
    x = rng.random((n, 1, 28, 28), np.float32)
    y = rng.integers(0, 10, n).astype(np.float32)
    symbol = mxlite_mnist.lenet(w) if model == "lenet" else mxlite_mnist.mlp(w)
    runs = {check: (mx.mod.Module(symbol), mx.io.NDArrayIter(x, y, 100, shuffle=True))
            for check in (True, False)}
    for check, (module, data) in runs.items():  # compile and warm up
        _epoch(module, data, check)
    logging.disable(logging.INFO)
    times: dict[bool, list[float]] = {True: [], False: []}
    for r in range(rounds):
        for check in (True, False) if r % 2 == 0 else (False, True):
            times[check].append(_epoch(*runs[check], check))
    on, off = np.array(times[True]), np.array(times[False])
    print(f"{model}: on {np.round(on, 3)} off {np.round(off, 3)}")
    print(f"{model}: median on {np.median(on):.3f} s, off {np.median(off):.3f} s, "
          f"on/off {np.median(on) / np.median(off):.4f}, "
          f"median of paired ratios {np.median(on / off):.4f}")


if __name__ == "__main__":
    main()
