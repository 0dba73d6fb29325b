"""The layering of docs/architecture.md is enforced with import-linter.

The contracts are in pyproject.toml; docs/contributing.md states them.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_imports_only_point_down():
    lint = shutil.which("lint-imports") or str(pathlib.Path(sys.executable).parent / "lint-imports")
    if not os.path.exists(lint):
        pytest.fail("import-linter is not installed; install the 'test' extra")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), *sys.path])}
    result = subprocess.run([lint, "--config", str(ROOT / "pyproject.toml")], cwd=ROOT,
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken." in result.stdout
