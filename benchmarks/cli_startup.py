"""Wall time of the ``mxlite`` command's quick answers and of ``import mxlite``.

Run: PYTHONPATH=src python -m benchmarks.cli_startup [--repeat 5] [--mxlite CMD]

Each case runs in a fresh process ``--repeat`` times; the table shows the
median, the fastest and the slowest run in seconds, and the exit code. By
default the command is ``<this python> -m mxlite`` (what the ``mxlite``
console script runs); ``--mxlite mxlite`` times the installed script instead.
Nothing here is asserted: tests/cli/test_startup.py checks instead that these
paths import no JAX, h5py or matplotlib.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import subprocess
import sys
import time

CASES = [
    ("mxlite --help", ["--help"]),
    ("mxlite", []),
    ("mxlite train --help", ["train", "--help"]),
    ("mxlite train --epochs x", ["train", "--epochs", "x"]),
]


def _time(argv: list[str]) -> tuple[float, int]:
    """Seconds of one run of ``argv`` (output discarded) and its exit code."""
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          check=False)
    return time.perf_counter() - start, done.returncode


def measure(mxlite: list[str], repeat: int) -> list[tuple[str, list[float], int]]:
    """(case, the seconds of each run, exit code) for every case."""
    cases = [(name, mxlite + args) for name, args in CASES]
    cases.append(('python -c "import mxlite"', [sys.executable, "-c", "import mxlite"]))
    rows = []
    for name, argv in cases:
        runs = [_time(argv) for _ in range(repeat)]
        rows.append((name, [seconds for seconds, _ in runs], runs[-1][1]))
    return rows


def table(rows: list[tuple[str, list[float], int]]) -> str:
    """The rows as a Markdown table."""
    lines = ["| command | median s | min s | max s | exit |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for name, seconds, code in rows:
        lines.append(f"| `{name}` | {statistics.median(seconds):.3f} | "
                     f"{min(seconds):.3f} | {max(seconds):.3f} | {code} |")
    return "\n".join(lines)


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per case (default 5)")
    parser.add_argument("--mxlite", default=None,
                        help="the command to time, e.g. 'mxlite' (default: "
                        "this python -m mxlite)")
    args = parser.parse_args()
    mxlite = shlex.split(args.mxlite) if args.mxlite else [sys.executable, "-m", "mxlite"]
    print(table(measure(mxlite, args.repeat)))


if __name__ == "__main__":
    main()
