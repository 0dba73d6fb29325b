"""The ``mxlite`` command answers --help and usage errors without heavy imports.

Timings are measured by benchmarks/cli_startup.py, never asserted; these
tests check the cause instead: which modules a quick answer imports.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import json
import logging
import os
import pathlib
import subprocess
import sys

import pytest

import mxlite
import mxlite.context
import mxlite.initializer
import mxlite.ndarray
import mxlite.symbol.naming
import mxlite.testing
from mxlite import nd
from mxlite.cli import main as cli_main

ROOT = pathlib.Path(__file__).resolve().parents[2]
HEAVY = ("jax", "numpy", "h5py", "matplotlib", "tqdm")

# Runs each argv through main() in one fresh interpreter and reports the exit
# codes and which heavy modules got imported.
PROBE = """
import contextlib, io, json, sys
from mxlite.cli.main import main
codes = []
for argv in json.loads(sys.argv[1]):
    with contextlib.redirect_stdout(io.StringIO()), \\
            contextlib.redirect_stderr(io.StringIO()):
        codes.append(main(argv))
print(json.dumps({"codes": codes,
                  "imported": [m for m in json.loads(sys.argv[2]) if m in sys.modules]}))
"""


def _python(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), *sys.path])}
    return subprocess.run([sys.executable, *args], env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def test_help_and_usage_errors_import_no_jax_h5py_or_matplotlib():
    argvs = [["--help"], [], ["train", "--help"], ["train", "--epochs", "x"],
             ["predict", "--help"], ["predict", "--epoch", "-1"], ["info", "--help"],
             ["mnist-hdf5", "--help"], ["mnist-hdf5"], ["frobnicate"]]
    result = _python("-c", PROBE, json.dumps(argvs), json.dumps(HEAVY))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["codes"] == [0, 2, 0, 2, 0, 2, 0, 0, 2, 2]
    assert report["imported"] == []


def test_import_mxlite_imports_no_jax():
    result = _python("-c", "import json, sys, mxlite; mxlite.__version__; dir(mxlite); "
                     f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_mxlite_alone_prints_usage_and_every_command_and_exits_2():
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main.main([])
    assert (code, out.getvalue()) == (2, "")
    text = err.getvalue()
    assert text.startswith("usage: mxlite [-h] {train,predict,info,mnist-hdf5} ...\n")
    lines = [line.split() for line in text.splitlines()]
    for command in cli_main.COMMANDS:
        [row] = [words for words in lines if words[:1] == [command]]
        assert len(row) > 2, f"{command} has no help line"  # the command, then its help
    assert text.endswith("mxlite: error: no command given; choose one of the commands "
                         "above\n")


def test_every_command_has_a_module_with_run():
    for command, module in cli_main.COMMANDS.items():
        assert callable(importlib.import_module(f"mxlite.cli.{module}").run), command


@pytest.mark.slow
def test_info_subprocess_shows_no_jax_log_lines():
    result = _python("-m", "mxlite", "info")
    assert result.returncode == 0, result.stderr
    assert "jax._src" not in result.stderr
    assert "Unable to initialize backend" not in result.stderr
    assert result.stdout.startswith("mxlite ")


def test_cli_logging_hides_jax_info_and_shows_a_jax_warning_once(capsys):
    jax_logger = logging.getLogger("jax._src.xla_bridge")
    with cli_main._cli_logging():
        jax_logger.info("Unable to initialize backend 'tpu'")
        jax_logger.warning("a real JAX warning")
        logging.getLogger("mxlite.callback").info("Epoch[0] Batch [0-100]")
        logging.getLogger("jaxfoo").info("not JAX")
    err = capsys.readouterr().err
    assert "tpu" not in err
    assert err.count("a real JAX warning") == 1
    assert "INFO:mxlite.callback:Epoch[0] Batch [0-100]" in err
    assert "INFO:jaxfoo:not JAX" in err


# -- the lazy package --------------------------------------------------------------

@pytest.mark.parametrize("name", mxlite.__all__)
def test_every_public_name_resolves(name):
    assert getattr(mxlite, name) is not None
    assert name in dir(mxlite)


def test_aliases_and_attributes_are_the_real_objects():
    assert nd is mxlite.nd is mxlite.ndarray
    assert mxlite.sym is mxlite.symbol and mxlite.mod is mxlite.module
    assert mxlite.init is mxlite.initializer and mxlite.test_utils is mxlite.testing
    assert mxlite.name is mxlite.symbol.naming
    assert mxlite.cpu is mxlite.context.cpu and mxlite.Context is mxlite.context.Context
    assert mxlite.MXNetError is mxlite.base.MXNetError
    assert nd.array([1, 2]).asnumpy().tolist() == [1.0, 2.0]


def test_dir_holds_all_and_the_lazy_table_matches_all():
    assert set(mxlite.__all__) <= set(dir(mxlite))
    assert set(mxlite._LAZY) == set(mxlite.__all__)


def test_an_unknown_name_is_a_plain_attribute_error():
    with pytest.raises(AttributeError, match="module 'mxlite' has no attribute 'ndd'"):
        mxlite.ndd  # noqa: B018
    assert not hasattr(mxlite, "ndd")


@pytest.mark.slow
def test_each_public_name_imports_alone_in_a_fresh_interpreter():
    """No name depends on another having been imported first (import cycles)."""
    failed = {}
    for name in mxlite.__all__:
        # JAX's config (x64) must be set by whatever imported JAX.
        result = _python("-c", f"import sys, mxlite; mxlite.{name}; "
                         "had_jax = 'jax' in sys.modules; import jax; "
                         "assert not had_jax or jax.config.jax_enable_x64")
        if result.returncode:
            failed[name] = result.stderr.strip().splitlines()[-1]
    assert failed == {}
