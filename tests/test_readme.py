"""The README's Python example runs as printed and reaches the tutorial's accuracy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_example() -> str:
    text = README.read_text()
    section = text[text.index("## In Python"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.mark.slow  # ten MLP epochs
def test_readme_python_example_trains_an_mlp():
    code = _python_example()
    scope: dict = {}
    exec(compile(code, str(README), "exec"), scope)
    mx, mod = scope["mx"], scope["mod"]
    accuracy = dict(mod.score(scope["val_iter"], mx.metric.Accuracy()))["accuracy"]
    assert accuracy > 0.96  # the tutorial's own check after its ten epochs
