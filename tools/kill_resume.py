"""SIGKILL a training run at random moments; resume it each time; compare.

A child process trains a small MLP with Dropout (shuffled data, roll-over
batches, a FactorScheduler) with ``Module.fit(..., resume_from=prefix)`` and
``mx.callback.module_checkpoint(..., save_optimizer_states=True)`` every
epoch. The parent first runs it once uninterrupted, then runs it again in a
fresh folder and kills it with SIGKILL after a random delay, over and over,
until ``--kills`` kills have landed; then lets it finish. Every resume must
succeed with no epoch given by hand, and the final parameters and optimizer
states must equal the uninterrupted run's bit for bit (the children run on one
core). Prints one JSON object per optimizer and a summary.

    python tools/kill_resume.py                  # 20 kills, SGD-momentum and Adam
    python tools/kill_resume.py --kills 3 --epochs 8
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
OPTIMIZERS = {
    "sgd-momentum": ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 1e-4}),
    "adam": ("adam", {"learning_rate": 0.005}),
}


# -- the child: one training run that resumes from its folder -----------------------


def _child(args: argparse.Namespace) -> None:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core: bit-exact
    # NOTE: imported after the affinity is set, so XLA sizes its pool to one core.
    import mxlite as mx  # noqa: PLC0415

    rng = np.random.default_rng(0)
    x = rng.standard_normal((1010, 20)).astype(np.float32)
    y = (x[:, :4].argmax(axis=1)).astype(np.float32)
    mx.random.seed(7)
    data = mx.io.NDArrayIter(x, y, 50, shuffle=True, last_batch_handle="roll_over")
    net = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=64, name="fc1")
    net = mx.sym.Dropout(mx.sym.Activation(net, act_type="relu"), p=0.2)
    net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(net, num_hidden=4, name="fc2"),
                               name="softmax")
    name, params = OPTIMIZERS[args.optimizer]
    sched = mx.lr_scheduler.FactorScheduler(step=15, factor=0.8)
    mod = mx.mod.Module(net)

    def pause(_param: object) -> None:  # room for kills inside an epoch
        time.sleep(args.pause)

    pause.frequent = 4  # type: ignore[attr-defined]
    print("fit", flush=True)  # the parent times its kill from here
    mod.fit(data, num_epoch=args.epochs, optimizer=name,
            optimizer_params={**params, "lr_scheduler": sched},
            initializer=mx.init.Xavier(), batch_end_callback=[pause],
            epoch_end_callback=mx.callback.module_checkpoint(
                mod, args.prefix, save_optimizer_states=True),
            resume_from=args.prefix)


# -- the parent ---------------------------------------------------------------------


def _launch(args: argparse.Namespace, prefix: str, optimizer: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"),
           "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false"}
    cmd = [sys.executable, __file__, "--child", "--prefix", prefix, "--optimizer",
           optimizer, "--epochs", str(args.epochs), "--pause", str(args.pause)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.readline()  # "fit": mxlite is imported, training starts
    return proc


def _finish(proc: subprocess.Popen, what: str) -> None:
    _, err = proc.communicate()
    if proc.returncode != 0:
        tail = err.decode(errors="replace")[-2000:]
        raise SystemExit(f"kill_resume: {what} exited with {proc.returncode}:\n{tail}")


def _reference(args: argparse.Namespace, folder: Path, optimizer: str) -> tuple:
    """Run uninterrupted; return the seconds from the start of fit to the first
    checkpoint and to the end."""
    prefix = str(folder / "ref")
    proc, first = _launch(args, prefix, optimizer), None
    start = time.monotonic()
    while proc.poll() is None:
        if first is None and (folder / "ref-0001.manifest.json").exists():
            first = time.monotonic() - start
        time.sleep(0.02)
    _finish(proc, "the uninterrupted run")
    total = time.monotonic() - start
    return first or total, total


def _incomplete(folder: Path) -> int:
    """Files a kill left mid-write: temporaries, and epochs without a manifest."""
    names = os.listdir(folder)
    temporaries = sum(n.endswith(".tmp") for n in names)
    epochs = {n[:-7] for n in names if n.endswith(".params")}
    return temporaries + sum(f"{e}.manifest.json" not in names for e in epochs)


def _done(folder: Path) -> int:
    """The newest epoch with a manifest (a cheap look; no hashing)."""
    names = [n for n in os.listdir(folder) if n.startswith("run-")
             and n.endswith(".manifest.json")]
    return max((int(n[4:-14]) for n in names), default=0)


def _killed_run(args: argparse.Namespace, folder: Path, optimizer: str,
                timing: tuple, rng: np.random.Generator) -> dict:
    """Kill ``--kills`` times, spread over the run: kill ``i`` lands at a random
    moment of the epoch after a random target in the ``i``-th slice of the
    epochs (during startup and compiling when the run is already past it)."""
    # NOTE: mxlite is imported only where needed: a child sets its CPU affinity first.
    from mxlite.checkpoint import latest_checkpoint  # noqa: PLC0415

    prefix, (first, total) = str(folder / "run"), timing
    epoch_s = max(total - first, 1e-3) / max(args.epochs - 1, 1)
    kills, resumed_from, incomplete = 0, [], 0
    for i in range(args.kills):
        target = min(args.epochs - 1, int((i + rng.uniform()) * args.epochs / args.kills))
        resumed_from.append(latest_checkpoint(prefix) or 0)
        proc = _launch(args, prefix, optimizer)
        while proc.poll() is None and _done(folder) < target:
            time.sleep(0.01)
        try:
            proc.wait(timeout=rng.uniform(0, 1.5 * epoch_s))
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            incomplete += _incomplete(folder) > 0
            continue
        _finish(proc, f"a resumed run (after {kills} kills)")
        break  # it finished before the kill landed
    resumed_from.append(latest_checkpoint(prefix) or 0)
    if resumed_from[-1] < args.epochs:
        _finish(_launch(args, prefix, optimizer), "the last resumed run")
    return {"kills": kills, "resumed_from_epoch": resumed_from,
            "kills_with_a_write_in_progress": incomplete}


def _compare(folder: Path, epochs: int) -> dict:
    from mxlite.ndarray.serialization import load_arrays  # noqa: PLC0415

    out = {}
    for kind in ("params", "states"):
        ref = load_arrays(folder / f"ref-{epochs:04d}.{kind}")
        run = load_arrays(folder / f"run-{epochs:04d}.{kind}")
        same = sorted(ref) == sorted(run) and all(
            np.array_equal(ref[k], run[k]) for k in ref)
        diff = max((float(np.max(np.abs(ref[k].astype(np.float64) - run[k])))
                    for k in ref if k in run and ref[k].size), default=0.0)
        out[f"{kind}_bit_identical"], out[f"{kind}_max_abs_diff"] = same, diff
    return out


def trial(args: argparse.Namespace, optimizer: str, seed: int) -> dict:
    """One optimizer: the uninterrupted run, the killed run, the comparison."""
    with tempfile.TemporaryDirectory(prefix="kill_resume-") as tmp:
        folder = Path(tmp)
        start = time.monotonic()
        timing = _reference(args, folder, optimizer)
        result = _killed_run(args, folder, optimizer, timing,
                             np.random.default_rng(seed))
        result.update(_compare(folder, args.epochs))
        result.update(optimizer=optimizer, epochs=args.epochs,
                      fit_seconds_uninterrupted=round(timing[1], 2),
                      wall_seconds=round(time.monotonic() - start, 1))
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kills", type=int, default=20, help="SIGKILLs per optimizer")
    p.add_argument("--epochs", type=int, default=40, help="epochs of the run")
    p.add_argument("--optimizers", nargs="+", default=list(OPTIMIZERS),
                   choices=list(OPTIMIZERS))
    p.add_argument("--pause", type=float, default=0.005,
                   help="seconds slept every 4 batches (room for kills)")
    p.add_argument("--seed", type=int, default=0, help="seed of the kill delays")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--prefix", help=argparse.SUPPRESS)
    p.add_argument("--optimizer", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        _child(args)
        return 0
    results = [trial(args, name, args.seed + i) for i, name in enumerate(args.optimizers)]
    for result in results:
        print(json.dumps(result))
    ok = all(r["params_bit_identical"] and r["states_bit_identical"] for r in results)
    print(json.dumps({"all_bit_identical": ok,
                      "kills": sum(r["kills"] for r in results)}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
