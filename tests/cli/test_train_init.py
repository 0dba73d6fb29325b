"""``mxlite train --help`` (every default, the initializers) and ``--init``:
the default initializer makes one LeNet epoch learn."""

from __future__ import annotations

import argparse
import contextlib
import io
import json

import pytest

from mxlite.cli.main import build_parser, main
from mxlite.cli.models import INITIALIZERS

from ..test_cli import run_cli


def _train_parser() -> argparse.ArgumentParser:
    [sub] = [a for a in build_parser()._actions
             if isinstance(a, argparse._SubParsersAction)]
    return sub.choices["train"]


def _help() -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["train", "--help"]) == 0
    return " ".join(out.getvalue().split())


def test_help_shows_every_default():
    text = _help()
    options = [a for a in _train_parser()._actions
               if a.option_strings and a.nargs != 0]  # not --help nor the flags
    assert {a.dest for a in options} >= {"model", "init", "epochs", "batch_size",
                                         "optimizer", "lr", "momentum", "seed", "ctx",
                                         "out", "data_dir"}
    for action in options:
        assert "(default: " in action.help, action.dest
        if "%(default)s" in action.help:
            assert f"(default: {action.default}" in text, action.dest
    assert "(default: runs/<model>-NNN, the next free number)" in text
    for fragment in ("learning rate (default: 0.1)", "(default: 10; with --resume",
                     "(default: 100)", "(default: sgd)", "(default: 0.0)",
                     "(default: 42)", "(default: cpu)", "(default: xavier)"):
        assert fragment in text


def test_help_names_each_initializer_as_it_is_built():
    text = _help()
    [init] = [a for a in _train_parser()._actions if a.dest == "init"]
    assert sorted(init.choices) == sorted(INITIALIZERS)
    for name, make in INITIALIZERS.items():
        assert f"{name} = {make()!r}" in text
    assert repr(INITIALIZERS["uniform"]()) == "Uniform(scale=0.01)"


def test_help_says_what_seconds_means_and_what_resume_restores():
    text = _help()
    assert "'seconds' is the epoch's training time as the log's 'Time cost' says" in text
    assert "random state and data order, so a killed and resumed run ends as an " \
        "uninterrupted one would" in text


def test_unknown_init_is_a_usage_error():
    code, out, err = run_cli(["train", "--init", "xavierr"])
    assert (code, out) == (2, "")
    assert err.startswith("mxlite train: error: argument --init: invalid choice: "
                          "'xavierr' (choose from ")


@pytest.mark.slow
def test_one_lenet_epoch_learns_with_the_default_init(tmp_path):
    # With Uniform(0.01) (MXNet's tutorial) this run ends at 0.1135.
    code, _, err = run_cli(["train", "--model", "lenet", "--epochs", "1", "--out",
                              str(tmp_path)])
    assert code == 0, err
    report = json.loads((tmp_path / "metrics.json").read_text())
    assert report["init"] == "xavier"
    assert report["test_accuracy"] > 0.95
    assert report["curve"]["accuracy"][-1] > 0.9
