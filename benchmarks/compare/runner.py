"""One contender run as a pinned subprocess, and the ``RESULT`` line it prints."""

from __future__ import annotations

import json
import os
import subprocess
import time

from .contenders import REPO, Contender


def parse_result(stdout: str) -> dict | None:
    """The JSON of the last ``RESULT {json}`` line of ``stdout``, or None."""
    for line in reversed(stdout.splitlines()):
        if line.startswith("RESULT "):
            try:
                return json.loads(line[len("RESULT "):])
            except json.JSONDecodeError:
                return None
    return None


def last_line(text: str, default: str) -> str:
    """The last non-blank line of ``text`` (why a process failed), else ``default``."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else default


def probe(contender: Contender, python: str, env: dict[str, str]) -> str | None:
    """None if ``contender`` can run here, else why it is missing."""
    if not os.path.exists(python):
        return f"no interpreter at {python}"
    if not contender.script.exists():
        return f"{contender.script.relative_to(REPO)} not found"
    try:
        done = subprocess.run([python, "-c", f"import {contender.imports}"], env=env,
                              capture_output=True, text=True, check=False, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"{python}: {err}"
    if done.returncode:
        why = last_line(done.stderr, "no message")
        return f"import {contender.imports} failed: {why}"
    return None


def command(pin: list[str], python: str, contender: Contender, workload: str,
            epochs: int, device: str, seed: int) -> list[str]:
    """The command line of one run."""
    return [*pin, python, str(contender.script), "--workload", workload,
            "--epochs", str(epochs), "--device", device, "--variant", contender.variant,
            "--seed", str(seed)]


def run_once(cmd: list[str], env: dict[str, str]) -> dict:
    """Run ``cmd`` from the repository root: status "ok" with its RESULT, or
    "failed" with the reason (the last stderr line)."""
    load = os.getloadavg()[0]
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True,
                          check=False)
    wall = round(time.perf_counter() - start, 3)
    record = {"cmd": cmd, "load_1min": load, "wall_s": wall,
              "returncode": done.returncode, "status": "ok", "reason": None,
              "result": parse_result(done.stdout)}
    if done.returncode:
        record.update(status="failed", result=None, reason=f"exit {done.returncode}: "
                      + last_line(done.stderr, "no stderr"))
    elif record["result"] is None:
        record.update(status="failed", reason="no RESULT line: "
                      + last_line(done.stderr, "no stderr"))
    return record
