"""Seconds per training epoch of the seed MLP and LeNet: mxlite vs PyTorch.

Run (from the repository root)::

    MXLITE_TORCH_PYTHON=/path/to/venv-with-torch/bin/python \\
        .venv/bin/python benchmarks/epoch_times.py [--epochs 5] [--models mlp,lenet]

Each run is its own process, one after the other, pinned with ``taskset -c
0,1`` (``--cpus``): first mxlite, through ``Module.fit``
exactly as seed 002 trains (NDArrayIter batch 100 shuffled, SGD lr 0.1,
Uniform(0.01), accuracy metric, ``Speedometer(100, 100)``, no validation),
then the same loop in eager, idiomatic PyTorch (the data as tensors in
memory, a shuffled permutation per epoch, ``nn.CrossEntropyLoss``,
``torch.optim.SGD(lr=0.1)``, weights U(-0.01, 0.01) and zero biases, the
accuracy counted on the tensors and read every 100 batches), once per
``torch.set_num_threads`` value of ``--threads`` (default 1 and 2: on a busy
machine PyTorch's second OpenMP thread can cost more than it gives). Both get
the same MNIST arrays (pixels / 255).

Reported per run: the first epoch (compile and warm-up included) apart from
the median of epochs 2..N, best of ``--repeat`` tries run interleaved (the
machine may be shared: the other tries' medians and the load are printed). PyTorch comes from the interpreter named by
``--torch-python`` or ``$MXLITE_TORCH_PYTHON`` (it is never a dependency of
mxlite); if it has no torch, the table says "missing" and the exit code is 1
(``--no-torch`` skips it on purpose).

This file runs under both interpreters: at the top level it imports only the
standard library and NumPy; mxlite and torch are imported by their workers.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
BATCH = 100
LR = 0.1
INIT_SCALE = 0.01
LOG_EVERY = 100


# -- mxlite worker ---------------------------------------------------------------


def _mxlite_worker(model: str, epochs: int, data_file: str) -> dict:
    import mxlite as mx
    from mxlite.cli.models import MODELS

    arrays = np.load(data_file)
    mx.random.seed(42)
    train_iter = mx.io.NDArrayIter(arrays["x"], arrays["y"], BATCH, shuffle=True)
    mod = mx.mod.Module(MODELS[model](), context=mx.cpu())
    stamps = [time.perf_counter()]
    metric = mx.metric.Accuracy()
    mod.fit(train_iter, eval_metric=metric, optimizer="sgd",
            optimizer_params={"learning_rate": LR},
            initializer=mx.init.Uniform(INIT_SCALE),
            batch_end_callback=mx.callback.Speedometer(BATCH, LOG_EVERY),
            epoch_end_callback=lambda *_: stamps.append(time.perf_counter()),
            num_epoch=epochs)
    import jax

    return {"epoch_seconds": list(np.diff(stamps)), "train_accuracy": dict(metric.get_global_name_value())["accuracy"],
            "version": f"mxlite {mx.__version__}, jax {jax.__version__}"}


# -- PyTorch worker --------------------------------------------------------------


def _torch_net(model: str):
    from torch import nn

    if model == "mlp":
        net = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(),
                            nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
    else:
        net = nn.Sequential(nn.Conv2d(1, 20, 5), nn.Tanh(), nn.MaxPool2d(2, 2),
                            nn.Conv2d(20, 50, 5), nn.Tanh(), nn.MaxPool2d(2, 2),
                            nn.Flatten(), nn.Linear(800, 500), nn.Tanh(),
                            nn.Linear(500, 10))
    for layer in net:
        if isinstance(layer, (nn.Linear, nn.Conv2d)):  # MXNet's Uniform(0.01)
            nn.init.uniform_(layer.weight, -INIT_SCALE, INIT_SCALE)
            nn.init.zeros_(layer.bias)
    return net


def _torch_epoch(net, opt, x, y) -> float:
    import torch

    loss_fn = torch.nn.CrossEntropyLoss()
    perm = torch.randperm(len(x))
    correct = torch.zeros((), dtype=torch.int64)
    seen = 0
    for nbatch, start in enumerate(range(0, len(x), BATCH)):
        idx = perm[start:start + BATCH]
        xb, yb = x[idx], y[idx]
        out = net(xb)
        loss = loss_fn(out, yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        correct += (out.argmax(1) == yb).sum()
        seen += len(idx)
        if (nbatch + 1) % LOG_EVERY == 0:  # a Speedometer line reads the metric
            _ = correct.item() / seen
    return correct.item() / seen


def _torch_worker(model: str, epochs: int, data_file: str, threads: int) -> dict:
    import torch

    torch.manual_seed(42)
    torch.set_num_threads(threads)
    arrays = np.load(data_file)
    x = torch.from_numpy(arrays["x"])
    y = torch.from_numpy(arrays["y"].astype(np.int64))
    net = _torch_net(model)
    opt = torch.optim.SGD(net.parameters(), lr=LR)
    stamps, acc = [time.perf_counter()], 0.0
    for _ in range(epochs):
        acc = _torch_epoch(net, opt, x, y)
        stamps.append(time.perf_counter())
    return {"epoch_seconds": list(np.diff(stamps)), "train_accuracy": acc,
            "version": f"torch {torch.__version__}"}


# -- driver ------------------------------------------------------------------------


def _pin(cpus: str | None) -> list[str]:
    if cpus and shutil.which("taskset"):
        return ["taskset", "-c", cpus]
    if cpus:
        print("epoch_times: taskset not found; running unpinned", file=sys.stderr)
    return []


def _has_torch(python: str) -> str | None:
    """None if ``python`` imports torch, else why not."""
    try:
        result = subprocess.run([python, "-c", "import torch"], capture_output=True,
                                text=True, timeout=300, check=False)
    except OSError as err:
        return f"{python}: {err.strerror}"
    if result.returncode:
        lines = result.stderr.strip().splitlines() or ["import torch failed"]
        return f"{python}: {lines[-1]}"
    return None


def _threads(args: argparse.Namespace) -> list[int]:
    return [int(n) for n in args.threads.split(",")]


def _run_worker(python: str, framework: str, model: str, args: argparse.Namespace,
                data_file: str, threads: int = 1) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    cmd = [*_pin(args.cpus), python, str(pathlib.Path(__file__).resolve()), "--worker",
           framework, "--model", model, "--epochs", str(args.epochs), "--data", data_file,
           "--threads", str(threads)]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if result.returncode:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"epoch_times: the {framework} {model} run failed "
                         f"(exit {result.returncode})")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _summary(run: dict) -> dict:
    seconds = run["epoch_seconds"]
    return {**run, "first": seconds[0],
            "median": statistics.median(seconds[1:]) if len(seconds) > 1 else None}


def _row(model: str, label: str, run: dict | None, base: dict) -> str:
    if run is None:
        return f"| {model} | {label} | missing | missing | | | |"
    median = "n/a" if run["median"] is None else f"{run['median']:.3f}"
    ratio = ""
    if run is not base and run["median"] and base["median"]:
        ratio = f"{run['median'] / base['median']:.2f}"
    spread = ", ".join("n/a" if m is None else f"{m:.3f}" for m in run["medians"])
    return (f"| {model} | {label} | {median} | {run['first']:.3f} | {spread} | "
            f"{run['train_accuracy']:.4f} | {ratio} |")


def _table(results: dict, models: list[str], threads: list[int]) -> str:
    rows = [("| model | run | s/epoch (median of epochs 2..N) | epoch 1 (compile, "
             "warm-up) | medians of all tries | train accuracy, last epoch "
             "| time / mxlite's |"),
            "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for model in models:
        base = results[("mxlite", model)]
        rows.append(_row(model, "mxlite Module.fit", base, base))
        for n in threads:
            rows.append(_row(model, f"PyTorch eager, {n} thread{'s' * (n > 1)}",
                             results.get((f"torch{n}", model)), base))
    return "\n".join(rows)


def _cpu_name() -> str:
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _write_data(directory: str) -> str:
    import mxlite as mx

    mnist = mx.test_utils.get_mnist()
    path = os.path.join(directory, "mnist_train.npz")
    np.savez(path, x=mnist["train_data"], y=mnist["train_label"].astype(np.int32))
    return path


def _runs(args: argparse.Namespace, torch_python: str, torch_ok: bool) -> list:
    """``(key, python, framework, threads)`` of every run, in order."""
    runs = []
    for model in args.models.split(","):
        runs.append((("mxlite", model), sys.executable, "mxlite", 1))
        for n in _threads(args) if torch_ok else []:
            runs.append(((f"torch{n}", model), torch_python, "torch", n))
    return runs


def _best(tries: list[dict]) -> dict:
    """The try with the lowest median, with every try's median beside it."""
    best = min(tries, key=lambda t: t["median"] if t["median"] is not None else 1e9)
    return {**best, "medians": [t["median"] for t in tries],
            "loads": [t["load"] for t in tries]}


def _drive(args: argparse.Namespace) -> int:
    models = args.models.split(",")
    torch_python = args.torch_python or os.environ.get("MXLITE_TORCH_PYTHON") \
        or sys.executable
    missing = None if args.no_torch else _has_torch(torch_python)
    runs = _runs(args, torch_python, not args.no_torch and missing is None)
    tries: dict = {key: [] for key, *_ in runs}
    with tempfile.TemporaryDirectory() as tmp:
        data_file = _write_data(tmp)
        for _ in range(args.repeat):  # interleaved, so a busy minute hits every run
            for key, python, framework, threads in runs:
                load = os.getloadavg()[0]
                run = _run_worker(python, framework, key[1], args, data_file, threads)
                tries[key].append({**_summary(run), "load": load})
    results = {key: _best(found) for key, found in tries.items()}
    _report(args, results, models, missing)
    return 1 if missing else 0


def _report(args: argparse.Namespace, results: dict, models: list[str],
            missing: str | None) -> None:
    versions = sorted({r["version"] for r in results.values()})
    loads = [load for r in results.values() for load in r["loads"]]
    print(f"machine: {_cpu_name()}, {os.cpu_count()} CPUs; pinned to "
          f"{args.cpus or 'none'}; 1-min load average at the runs' starts "
          f"{min(loads):.2f} to {max(loads):.2f}")
    print(f"versions: {'; '.join(versions)}; python {platform.python_version()}")
    print(f"epochs per run: {args.epochs}, batch {BATCH}, SGD lr {LR}; best of "
          f"{args.repeat} interleaved tries (lowest median)")
    print()
    print(_table(results, models, [] if args.no_torch else _threads(args)))
    if missing:
        print(f"\nPyTorch missing: {missing}", file=sys.stderr)
    if args.json:
        rows = [{"run": f, "model": m, **r} for (f, m), r in results.items()]
        pathlib.Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4, help="epochs per run (>= 2)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="tries of each run, interleaved; the best is reported")
    parser.add_argument("--models", default="mlp,lenet")
    parser.add_argument("--cpus", default="0,1", help="taskset CPU list ('' for none)")
    parser.add_argument("--threads", default="1,2",
                        help="torch.set_num_threads values, one run each (default 1,2)")
    parser.add_argument("--torch-python", default=None,
                        help="interpreter with torch (default $MXLITE_TORCH_PYTHON)")
    parser.add_argument("--no-torch", action="store_true", help="mxlite only")
    parser.add_argument("--json", default=None, help="also write the raw runs here")
    parser.add_argument("--worker", choices=["mxlite", "torch"], help=argparse.SUPPRESS)
    parser.add_argument("--model", choices=["mlp", "lenet"], help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.epochs < 2:
        parser.error(f"--epochs must be >= 2 (epoch 1 includes compiling); got {args.epochs}")
    if args.worker == "mxlite":
        print(json.dumps(_mxlite_worker(args.model, args.epochs, args.data)))
        return 0
    if args.worker == "torch":
        print(json.dumps(_torch_worker(args.model, args.epochs, args.data,
                                       int(args.threads))))
        return 0
    return _drive(args)


if __name__ == "__main__":
    sys.exit(main())
