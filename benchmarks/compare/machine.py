"""What a comparison ran on: CPU, GPUs, load, date, Python."""

from __future__ import annotations

import datetime
import os
import platform
import shutil
import subprocess
from pathlib import Path


def cpu_model() -> str:
    """The first "model name" of /proc/cpuinfo, else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# The SIMD extensions XLA's CPU code generator uses, widest last.
_VECTOR_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_bf16", "amx_tile")


def vector_extensions() -> list[str]:
    """Which of the SIMD extensions XLA can use the CPU has (from /proc/cpuinfo)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                return [f for f in _VECTOR_FLAGS if f in flags]
    except OSError:
        pass
    return []


def gpus() -> list[str]:
    """``nvidia-smi -L``'s GPU lines; empty without nvidia-smi or a GPU."""
    if not shutil.which("nvidia-smi"):
        return []
    try:
        done = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True,
                              check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line.strip() for line in done.stdout.splitlines() if line.startswith("GPU")]


def parse_cpu_list(spec: str) -> list[int]:
    """CPU numbers of a taskset list such as "0,1" or "0-3,8"."""
    cpus: list[int] = []
    for part in spec.split(","):
        first, _, last = part.strip().partition("-")
        cpus += range(int(first), int(last or first) + 1)
    return sorted(set(cpus))


def revision() -> str:
    """The repository's commit, with "+dirty" if tracked files are changed."""
    repo = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True, timeout=30)
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True, text=True,
                               check=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def describe(cpus: list[int], gpu_lines: list[str]) -> dict:
    """The machine record of the JSON and the markdown header."""
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu_model": cpu_model(), "vector_extensions": vector_extensions(),
        "cpu_count": os.cpu_count(), "pinned_cpus": cpus,
        "gpus": gpu_lines, "loadavg": list(os.getloadavg()),
        "python": platform.python_version(), "platform": platform.platform(),
        "revision": revision(),
    }
