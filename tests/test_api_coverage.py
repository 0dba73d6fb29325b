"""docs/api-coverage.md is true: supported names exist, planned modules are the
ones mxlite reports as planned, and every row that is not supported says why."""

from __future__ import annotations

import importlib
import pathlib
import re
from types import ModuleType

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "api-coverage.md"
SRC = ROOT / "src" / "mxlite"
STATUSES = {"supported", "planned", "not planned"}
# MXNet's short names for modules whose mxlite file has the long name.
ALIASES = {"nd": "ndarray", "sym": "symbol", "mod": "module", "init": "initializer",
           "test_utils": "testing", "name": "symbol.naming"}


def rows() -> list[tuple[list[str], str, list[str], str]]:
    """``(module paths, status, names, notes)`` of every table row."""
    out = []
    for line in DOC.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[1] not in STATUSES:
            continue
        paths = re.findall(r"`((?:mx|mxlite)(?:\.\w+)+)`", cells[0])
        names = re.findall(r"`(\w+)`", cells[2])
        assert paths, f"a row without a module: {line}"
        out.append((paths, cells[1], names, cells[3]))
    return out


def resolve(path: str) -> ModuleType | object:
    """``mx.nd.random`` -> the module (or object) ``mxlite.ndarray.random``."""
    parts = path.split(".")
    if parts[0] == "mx":
        parts = ["mxlite", *ALIASES.get(parts[1], parts[1]).split("."), *parts[2:]]
    obj = importlib.import_module(parts[0])
    for i, part in enumerate(parts[1:], 1):
        if not hasattr(obj, part):
            obj = importlib.import_module(".".join(parts[: i + 1]))
        else:
            obj = getattr(obj, part)
    return obj


def test_the_tables_are_read():
    statuses = {status for _, status, _, _ in rows()}
    assert statuses == STATUSES
    assert len(rows()) > 40


SUPPORTED = [(paths, names) for paths, status, names, _ in rows() if status == "supported"]


@pytest.mark.parametrize(("paths", "names"), SUPPORTED, ids=[p[0] for p, _ in SUPPORTED])
def test_supported_modules_have_the_names_listed(paths, names):
    assert names, f"{paths}: a supported row lists the names it promises"
    for path in paths:
        module = resolve(path)
        missing = [name for name in names if not hasattr(module, name)]
        assert not missing, f"{path} lacks {missing} (docs/api-coverage.md)"


def test_rows_that_are_not_supported_say_why():
    for paths, status, names, notes in rows():
        if status != "supported":
            assert not names, f"{paths}: only supported rows list names"
            assert len(notes) > 20, f"{paths}: say what is planned or why not"


def planned_top_level() -> set[str]:
    return {
        path.split(".")[1]
        for paths, status, _, _ in rows()
        if status == "planned"
        for path in paths
        if path.count(".") == 1
    }


def test_planned_modules_are_not_there_yet():
    for name in planned_top_level():
        for there in (SRC / f"{name}.py", SRC / name):
            assert not there.exists(), f"{there} exists; mark mx.{name} supported in the doc"


def test_planned_modules_match_what_mxlite_reports():
    coverage = pytest.importorskip("mxlite._coverage")
    assert planned_top_level() == set(coverage.PLANNED)
