"""ruff check over the code base, with the rules chosen in pyproject.toml."""

from __future__ import annotations

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHECKED = ["src", "tests", "benchmarks", "examples", "tools", "conftest.py"]


def test_ruff_check_is_clean():
    # ruff is in the test extra (pyproject.toml); `python -m ruff` runs its binary.
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format",
         "concise", *CHECKED],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"ruff check found problems:\n{done.stdout}{done.stderr}"
