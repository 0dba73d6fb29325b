"""Recorded autograd step vs the executor's compiled step on the MXNet tutorial's MLP.

Run: PYTHONPATH=src python -m benchmarks.autograd_overhead [--batch 100] [--steps 300]
Prints milliseconds per step for: the executor (forward+backward, one compiled
call), autograd (eager recorded forward + one compiled backward), and the ratio.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import mxlite as mx


def _params(rng):
    shapes = {"fc1": (128, 784), "fc2": (64, 128), "fc3": (10, 64)}
    out = {}
    for name, shape in shapes.items():
        out[f"{name}_weight"] = rng.uniform(-0.07, 0.07, shape).astype(np.float32)
        out[f"{name}_bias"] = np.zeros(shape[0], np.float32)
    return out


def _mlp_symbol():
    data = mx.sym.flatten(mx.sym.var("data"))
    h = data
    for i, n in ((1, 128), (2, 64), (3, 10)):
        h = mx.sym.FullyConnected(h, num_hidden=n, name=f"fc{i}")
        if i < 3:
            h = mx.sym.Activation(h, act_type="relu", name=f"relu{i}")
    return mx.sym.SoftmaxOutput(h, name="softmax")


def _time(step, steps: int) -> float:
    for _ in range(5):
        step()
    mx.nd.waitall()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    mx.nd.waitall()
    return (time.perf_counter() - start) / steps * 1e3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    params = _params(rng)
    x = rng.random((args.batch, 1, 28, 28), dtype=np.float32)
    y = (np.arange(args.batch) % 10).astype(np.float32)

    exe = _mlp_symbol().simple_bind(mx.cpu(), data=x.shape)
    exe.copy_params_from({k: mx.nd.array(v) for k, v in params.items()})
    exe.forward(is_train=True, data=x, softmax_label=y)

    def executor_step():
        exe.forward(is_train=True)
        exe.backward()

    nd = {k: mx.nd.array(v) for k, v in params.items()}
    for v in nd.values():
        v.attach_grad()
    xd, yd = mx.nd.array(x), mx.nd.array(y)

    def autograd_step():
        with mx.autograd.record():
            h = mx.nd.flatten(xd)
            for i, n in ((1, 128), (2, 64), (3, 10)):
                h = mx.nd.FullyConnected(h, nd[f"fc{i}_weight"], nd[f"fc{i}_bias"], num_hidden=n)
                if i < 3:
                    h = mx.nd.Activation(h, act_type="relu")
            out = mx.nd.SoftmaxOutput(h, yd)
        out.backward()

    t_exe = _time(executor_step, args.steps)
    t_ag = _time(autograd_step, args.steps)
    print(f"batch {args.batch}: executor {t_exe:.3f} ms/step, autograd {t_ag:.3f} ms/step, "
          f"autograd/executor = {t_ag / t_exe:.2f}")


if __name__ == "__main__":
    main()
