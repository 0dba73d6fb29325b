"""STYLE.md's size budgets, checked: op files, modules and function bodies.

Run as a script (``python tests/test_size_budget.py``; ``.ci/run`` does) it
prints the line count of every package, the way tinygrad's ``sz.py`` does, so
growth shows up in every CI log.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "mxlite"
OP_FILE_LINES = 260  # "an op file stays under about 250 lines"
MODULE_LINES = 800
BODY_LINES = 40
NOT_OP_FILES = {"registry.py", "params.py", "shape.py", "__init__.py"}


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def _is_op_file(path: Path) -> bool:
    return "ops" in path.relative_to(SRC).parts[:-1] and path.name not in NOT_OP_FILES


def _body_lines(func: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    body = func.body
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring does not count
    return body[-1].end_lineno - body[0].lineno + 1 if body else 0


def over_budget() -> list[str]:
    """Every module and function over its budget, as readable lines."""
    found = []
    for path in _modules():
        text = path.read_text()
        name = path.relative_to(SRC.parent)
        limit = OP_FILE_LINES if _is_op_file(path) else MODULE_LINES
        if len(text.splitlines()) > limit:
            found.append(f"{name}: {len(text.splitlines())} lines (budget {limit})")
        for node in ast.walk(ast.parse(text)):
            is_function = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            if is_function and (lines := _body_lines(node)) > BODY_LINES:
                found.append(f"{name}:{node.lineno} {node.name}: body of {lines} "
                             f"lines (budget {BODY_LINES})")
    return found


def test_modules_and_functions_within_budget():
    assert over_budget() == []


def test_the_check_sees_an_oversized_function():
    source = "def f():\n    '''doc'''\n" + "    x = 1\n" * 41
    func = ast.parse(source).body[0]
    assert _body_lines(func) == 41
    assert _is_op_file(SRC / "ops" / "nn" / "convolution.py")
    assert not _is_op_file(SRC / "ops" / "registry.py")


def main() -> None:
    """Print lines per package, largest first, and the total."""
    counts = Counter()
    for path in _modules():
        counts[str(path.parent.relative_to(SRC.parent))] += len(path.read_text().splitlines())
    for package, lines in counts.most_common():
        print(f"{package:<32} {lines:>6}")
    print(f"{'total':<32} {sum(counts.values()):>6}")
    for line in over_budget():
        print("over budget:", line)


if __name__ == "__main__":
    main()
