"""MXNet modules mxlite does not have yet say so, whichever way they are reached."""

from __future__ import annotations

import importlib
import sys

import pytest

import mxlite
from mxlite._coverage import PLANNED, PlannedFinder, install_finder

NAMES = ["gluon", "np", "npx", "kv", "kvstore", "image", "recordio", "contrib", "onnx",
         "viz", "operator", "rnn"]


def _message(name: str) -> str:
    return (f"mxlite.{name} ({PLANNED[name]}) is planned but not in mxlite yet; see "
            "docs/api-coverage.md for what is supported")


def test_the_table_is_exactly_the_planned_modules():
    assert sorted(PLANNED) == sorted(NAMES)
    assert PLANNED["gluon"] == "MXNet's Gluon API"
    assert PLANNED["viz"] == "plot_network, print_summary"


@pytest.mark.parametrize("name", NAMES)
def test_import_statement_says_planned(name):
    with pytest.raises(ModuleNotFoundError) as err:
        importlib.import_module(f"mxlite.{name}")
    assert str(err.value) == _message(name)
    assert f"mxlite.{name}" not in sys.modules


@pytest.mark.parametrize("name", NAMES)
def test_from_import_says_planned(name):
    with pytest.raises(ImportError) as err:
        exec(f"from mxlite import {name}", {})
    assert str(err.value) == _message(name)


@pytest.mark.parametrize("name", NAMES)
def test_attribute_says_planned(name):
    with pytest.raises(AttributeError) as err:
        getattr(mxlite, name)
    assert str(err.value) == _message(name)
    assert name not in dir(mxlite) and name not in mxlite.__all__


def test_the_gluon_message_word_for_word():
    with pytest.raises(ModuleNotFoundError, match=r"^mxlite\.gluon \(MXNet's Gluon API\) "
                       r"is planned but not in mxlite yet; see docs/api-coverage\.md "
                       r"for what is supported$"):
        import mxlite.gluon  # noqa: F401, PLC0415  (the statement is what is tested)


def test_other_missing_names_keep_python_s_error():
    with pytest.raises(ModuleNotFoundError, match=r"^No module named 'mxlite\.nosuch'$"):
        importlib.import_module("mxlite.nosuch")
    with pytest.raises(ModuleNotFoundError, match=r"^No module named 'gluon'$"):
        importlib.import_module("gluon")  # only mxlite.<name> is answered


def test_a_real_module_of_a_planned_name_wins(tmp_path, monkeypatch):
    (tmp_path / "gluon.py").write_text("WHO = 'the real one'\n")
    monkeypatch.setattr(mxlite, "__path__", [*mxlite.__path__, str(tmp_path)])
    try:
        module = importlib.import_module("mxlite.gluon")
        assert module.WHO == "the real one"
        assert mxlite.gluon is module
    finally:
        sys.modules.pop("mxlite.gluon", None)
        mxlite.__dict__.pop("gluon", None)


def test_the_finder_is_installed_once_and_after_the_path_finder():
    install_finder()
    install_finder()
    finders = [f for f in sys.meta_path if isinstance(f, PlannedFinder)]
    assert len(finders) == 1
    position = sys.meta_path.index(finders[0])
    assert any(f is importlib.machinery.PathFinder for f in sys.meta_path[:position])
