"""``python -m benchmarks.compare``: run the contenders, write and print the tables.

Exit codes: 0 every run succeeded; 1 some contender was missing or failed (the
tables say which and why; the files are still written); 2 bad arguments, or
``--device gpu`` without a GPU (nothing is run).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

from benchmarks.peers import _common

from . import machine, report, runner
from .aggregate import aggregate_all, run_summary
from .contenders import (
    BY_NAME,
    CONTENDERS,
    PEER_KEYS,
    applies,
    cache_names,
    python_for,
    run_env,
)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.compare",
                                description=__doc__.splitlines()[0])
    p.add_argument("--workload", default=",".join(_common.WORKLOADS),
                   help="comma-separated workloads (default: all)")
    p.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    p.add_argument("--repeat", type=int, default=3, help="interleaved repeats")
    p.add_argument("--epochs", type=int, default=3, help="timed rounds per run")
    p.add_argument("--contenders", default=None,
                   help="comma-separated (default: all that run on --device)")
    ours = ",".join(map(str, sorted(os.sched_getaffinity(0))))
    p.add_argument("--cpus", default=ours,
                   help="taskset CPU list of every run (default: all of ours)")
    p.add_argument("--out", default="benchmarks/results", help="output directory")
    p.add_argument("--tag", default="",
                   help="appended to the result files' name: <date>-<device>-<tag>")
    p.add_argument("--python", action="append", default=[], metavar="PEER=PATH",
                   help=f"interpreter of a peer ({', '.join(PEER_KEYS)}); repeatable")
    return p


def _check(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Validate the arguments and parse the lists in place (exit 2 if wrong)."""
    args.workloads = args.workload.split(",")
    if unknown := [w for w in args.workloads if w not in _common.WORKLOADS]:
        p.error(f"unknown workload(s) {unknown}; choose from {list(_common.WORKLOADS)}")
    on_device = [c.name for c in CONTENDERS if args.device == "cpu" or c.gpu]
    args.names = (args.contenders.split(",") if args.contenders
                  else [c.name for c in CONTENDERS if c.default and c.name in on_device])
    if unknown := [n for n in args.names if n not in BY_NAME]:
        p.error(f"unknown contender(s) {unknown}; choose from {list(BY_NAME)}")
    if off := [n for n in args.names if n not in on_device]:
        p.error(f"{off} do not run with --device {args.device}; "
                f"those that do: {on_device}")
    args.overrides = {}
    for item in args.python:
        peer, sep, path = item.partition("=")
        if not sep or peer not in PEER_KEYS:
            p.error(f"--python takes PEER=PATH with PEER one of {PEER_KEYS}, "
                    f"not {item!r}")
        args.overrides[peer] = path
    if args.repeat < 1 or args.epochs < 1:
        p.error("--repeat and --epochs must be at least 1")
    try:
        args.cpu_list = machine.parse_cpu_list(args.cpus)
    except ValueError:
        p.error(f"--cpus takes a taskset list such as 0,1 or 0-3, not {args.cpus!r}")


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 is for the temporary name only
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _progress(run: dict, repeats: int) -> None:
    """One stderr line per run, as it ends."""
    where = f"compare: [{run['repeat']}/{repeats}] {run['workload']} {run['contender']}:"
    if run["status"] != "ok":
        print(f"{where} {run['status']}: {run['reason']}", file=sys.stderr, flush=True)
        return
    s = run_summary(run["result"])
    print(f"{where} {s['steady']:.3f} s/round steady, first round "
          f"{run['result']['epoch_times'][0]:.3f} s, test acc "
          f"{run['result']['test_accuracy']:.4f} (load {run['load_1min']:.2f})",
          file=sys.stderr, flush=True)


def _run_all(args: argparse.Namespace, pin: list[str],
             caches: dict[str, str]) -> list[dict]:
    """Every run, interleaved: for each repeat, each workload, each contender."""
    contenders = [BY_NAME[n] for n in args.names]
    envs = {c.name: run_env(dict(os.environ), c, len(args.cpu_list), caches)
            for c in contenders}
    pythons = {c.name: python_for(c, args.overrides) for c in contenders}
    missing = {c.name: runner.probe(c, pythons[c.name], envs[c.name])
               for c in contenders}
    runs = []
    for repeat in range(1, args.repeat + 1):
        for workload in args.workloads:
            model = _common.WORKLOADS[workload]["model"]
            for c in (c for c in contenders if applies(c, model, workload)):
                run = {"repeat": repeat, "workload": workload, "contender": c.name}
                if missing[c.name]:
                    run.update(status="missing", reason=missing[c.name], result=None)
                else:
                    cmd = runner.command(pin, pythons[c.name], c, workload, args.epochs,
                                         args.device, repeat)
                    run.update(runner.run_once(cmd, envs[c.name]))
                runs.append(run)
                _progress(run, args.repeat)
    return runs


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    p = _parser()
    args = p.parse_args(argv)
    _check(p, args)
    gpu_lines = machine.gpus()
    if args.device == "gpu" and not gpu_lines:
        print("compare: --device gpu, but this machine has no GPU (nvidia-smi is "
              "missing or lists none); nothing was run", file=sys.stderr)
        return 2
    pin = ["taskset", "-c", args.cpus] if shutil.which("taskset") else []
    if not pin:
        print("compare: taskset not found; the runs are not pinned", file=sys.stderr)
    host = machine.describe(args.cpu_list, gpu_lines)
    with tempfile.TemporaryDirectory(prefix="mxlite-bench-") as tmp:  # mode 0700
        caches = {name: os.path.join(tmp, name) for name in cache_names()}
        for path in caches.values():
            os.mkdir(path, 0o700)
        runs = _run_all(args, pin, caches)
    settings = {"device": args.device, "workloads": args.workloads,
                "contenders": args.names, "repeat": args.repeat, "epochs": args.epochs,
                "cpus": args.cpus, "pinned": bool(pin), "threads": len(args.cpu_list),
                "pythons": {n: python_for(BY_NAME[n], args.overrides)
                            for n in args.names}}
    doc = {"command": shlex.join(["python", "-m", "benchmarks.compare", *argv]),
           "settings": settings, "machine": host,
           "aggregates": aggregate_all(runs, args.workloads, args.names), "runs": runs}
    markdown = report.render(doc)
    stem = Path(args.out) / "-".join(filter(None, (host["date"][:10], args.device,
                                                   args.tag)))
    _write_atomic(stem.with_suffix(".json"), json.dumps(doc, indent=1) + "\n")
    _write_atomic(stem.with_suffix(".md"), markdown)
    print(markdown, end="")
    print(f"compare: wrote {stem}.json and {stem}.md", file=sys.stderr)
    return 0 if all(r["status"] == "ok" for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
