"""Print the compiled training loop of an MNIST model as normalized HLO op counts.

Run it with two checkouts' ``src`` on PYTHONPATH and diff the outputs, to
check that a refactor leaves the compiled step the same (or smaller)::

    PYTHONPATH=src python benchmarks/step_hlo.py mlp > new.txt
    PYTHONPATH=../base/src python benchmarks/step_hlo.py mlp > old.txt
    diff old.txt new.txt

It trains one short epoch of the MLP or LeNet with MXNet's MNIST tutorial's
settings (SGD lr 0.1, batch 100, Speedometer every 100 batches) on random
data and prints, for the multi-batch loop program, the count of each HLO opcode in XLA's optimized
module and the total, and XLA's cost estimate (flops, bytes accessed).
``--no-nan-check`` trains with ``fit(..., nan_check=False)``: the diff is
what the non-finite guard adds to the compiled loop.
"""

from __future__ import annotations

import collections
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers"))

import _common
import mxlite_mnist

import mxlite as mx


def _stores(mod: mx.mod.Module) -> list[dict]:
    """The compiled-program stores of the module's training steps (any version)."""
    found = []
    owners = [mod] + [getattr(mod, "_runner", None)] * hasattr(mod, "_runner")
    for owner in owners:
        for value in vars(owner).values():
            if isinstance(getattr(value, "_compiled", None), dict):
                found.append(value._compiled)
            if isinstance(value, dict):
                found += [v._compiled for v in value.values()
                          if isinstance(getattr(v, "_compiled", None), dict)]
    return found


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--no-nan-check"]
    model = args[0] if args else "mlp"
    w = _common.WORKLOADS["lenet002" if model == "lenet" else "mlp002"]
    rng = np.random.default_rng(0)
    x = rng.random((1000, 1, 28, 28), np.float32)
    y = rng.integers(0, 10, 1000).astype(np.float32)
    symbol = mxlite_mnist.lenet(w) if model == "lenet" else mxlite_mnist.mlp(w)
    mod = mx.mod.Module(symbol)
    mod.fit(mx.io.NDArrayIter(x, y, 100, shuffle=True), num_epoch=1,
            optimizer_params={"learning_rate": 0.1}, eval_metric="acc",
            batch_end_callback=mx.callback.Speedometer(100, 100),
            nan_check="--no-nan-check" not in sys.argv)
    seen = set()
    for store in _stores(mod):
        for key, exe in store.items():
            if id(exe) in seen:
                continue
            seen.add(id(exe))
            kind = key[0][0] if isinstance(key[0], tuple) else key[0]
            if kind != "loop":
                continue
            ops = collections.Counter(re.findall(r"= \S+ (\w[\w-]*)\(", exe.as_text()))
            print(f"{model} loop program: {sum(ops.values())} HLO instructions")
            for op, count in sorted(ops.items()):
                print(f"  {op:28s} {count}")
            cost = exe.cost_analysis() or {}
            cost = cost[0] if isinstance(cost, list) else cost
            print(f"  cost: {cost.get('flops', 0):,.0f} flops, "
                  f"{cost.get('bytes accessed', 0):,.0f} bytes accessed (per loop body)")


if __name__ == "__main__":
    main()
