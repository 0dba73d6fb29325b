"""``mxlite train``'s run folders: a new one per run, ``--overwrite`` and
``--resume``, and the checks made before any folder is touched.

The runs train the MLP for an epoch on a 600-image slice of MNIST written as
IDX files (``--data-dir``), so each takes a few seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import struct

import numpy as np
import pytest

from mxlite.cli import runs
from mxlite.datasets import load_mnist_raw
from mxlite.ndarray.serialization import load_arrays

from ..test_cli import run_cli


def _write_idx(path, array: np.ndarray) -> None:
    dims = struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(bytes([0, 0, 0x08, array.ndim]) + dims
                     + array.astype(np.uint8).tobytes())


@pytest.fixture(scope="module")
def small_mnist(tmp_path_factory):
    """600 training and 200 test images in an IDX folder (6 and 2 batches)."""
    folder = tmp_path_factory.mktemp("mnist")
    raw = load_mnist_raw()
    for prefix, split, n in (("train", "train", 600), ("t10k", "test", 200)):
        _write_idx(folder / f"{prefix}-images-idx3-ubyte", raw[f"{split}_data"][:n])
        _write_idx(folder / f"{prefix}-labels-idx1-ubyte", raw[f"{split}_label"][:n])
    return str(folder)


def train(small_mnist, *argv: str) -> tuple[int, str, str]:
    return run_cli(["train", "--data-dir", small_mnist, "--epochs", "1", *argv])


@pytest.fixture(scope="module")
def first_run(small_mnist, tmp_path_factory):
    """One epoch with momentum (so the optimizer has states) in its own folder."""
    out = tmp_path_factory.mktemp("first") / "run"
    code, _, stderr = train(small_mnist, "--momentum", "0.9", "--lr", "0.05",
                                 "--out", str(out))
    assert code == 0, stderr
    return out


def _copy(first_run, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(first_run, out)
    return out


def _one_error(code: int, out: str, err: str, start: str) -> None:
    assert (code, out) == (2, ""), err
    assert len(err.splitlines()) == 1 and err.startswith(start), err


# -- a new folder per run ----------------------------------------------------------


@pytest.mark.slow
def test_runs_without_out_get_numbered_folders(small_mnist, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs" / "mlp-007").mkdir(parents=True)
    (tmp_path / "runs" / "lenet-009").mkdir()
    code, out, err = train(small_mnist)
    assert code == 0, err
    assert "runs/mlp-008/metrics.json" in out
    assert "out=runs/mlp-008" in err.splitlines()[0]
    assert sorted(os.listdir("runs/mlp-008")) == [
        "learning_curve.png", "metrics.json", "mlp-0001.manifest.json",
        "mlp-0001.params", "mlp-0001.states", "mlp-symbol.json", "run.json"]
    code, out, err = train(small_mnist)
    assert code == 0, err
    assert "runs/mlp-009/metrics.json" in out
    assert sorted(os.listdir("runs")) == ["lenet-009", "mlp-007", "mlp-008", "mlp-009"]


def test_a_folder_taken_meanwhile_is_skipped(tmp_path, monkeypatch):
    # Two runs that list runs/ at the same moment: os.mkdir decides.
    monkeypatch.setattr(runs.os, "listdir", lambda _: [])
    plan = runs.RunPlan(None)
    first = runs.make_folder(plan, "lenet", root=str(tmp_path))
    second = runs.make_folder(plan, "lenet", root=str(tmp_path))
    assert (first, second) == (str(tmp_path / "lenet-001"), str(tmp_path / "lenet-002"))


def test_run_json_holds_the_settings(first_run):
    saved = json.loads((first_run / "run.json").read_text())
    assert saved == {"model": "mlp", "init": "xavier", "optimizer": "sgd", "lr": 0.05,
                     "momentum": 0.9, "batch_size": 100, "seed": 42, "epochs": 1,
                     "ctx": "cpu", "data_dir": saved["data_dir"]}
    assert os.path.isdir(saved["data_dir"])


# -- an --out that holds a run --------------------------------------------------------


def test_out_with_a_run_is_refused_and_left_alone(small_mnist, first_run):
    before = {p: os.path.getmtime(first_run / p) for p in os.listdir(first_run)}
    code, out, err = train(small_mnist, "--out", str(first_run))
    _one_error(code, out, err, f"mxlite train: error: --out {first_run}: holds a run (")
    assert "pass --resume to continue it, --overwrite to replace it" in err
    assert {p: os.path.getmtime(first_run / p) for p in os.listdir(first_run)} == before


@pytest.mark.parametrize("name", ["metrics.json", "run.json", "lenet-0003.params"])
def test_any_run_file_counts_as_a_run(small_mnist, tmp_path, name):
    (tmp_path / name).write_text("{}")
    code, out, err = train(small_mnist, "--out", str(tmp_path))
    _one_error(code, out, err, f"mxlite train: error: --out {tmp_path}: holds a run "
               f"({name})")


def test_out_with_other_files_only_is_used(small_mnist, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    code, _, err = train(small_mnist, "--out", str(tmp_path))
    assert code == 0, err
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "mlp-0001.params").is_file()


@pytest.mark.slow
def test_overwrite_removes_only_the_runs_files(small_mnist, first_run, tmp_path):
    out = _copy(first_run, tmp_path)
    keep = ["notes.txt", "mlp-best.params", "other-0001.params", ".hidden"]
    for name in keep:
        (out / name).write_text("mine")
    (out / "mlp-0002.params").write_bytes((out / "mlp-0001.params").read_bytes())
    (out / ".metrics.json.abcd1234.tmp").write_text("half written")
    code, _, err = train(small_mnist, "--out", str(out), "--overwrite", "--init",
                         "uniform")
    assert code == 0, err
    assert sorted(os.listdir(out)) == sorted(
        [*keep, "learning_curve.png", "metrics.json", "mlp-0001.manifest.json",
         "mlp-0001.params", "mlp-0001.states", "mlp-symbol.json", "run.json"])
    assert all((out / name).read_text() == "mine" for name in keep)
    report = json.loads((out / "metrics.json").read_text())
    assert report["init"] == "uniform" and report["momentum"] == 0.0
    assert [row["epoch"] for row in report["history"]] == [0]


def test_remove_run_names_what_it_removed(tmp_path):
    for name in ("run.json", "lenet-symbol.json", "lenet-0012.states", "lenet.txt",
                 "mlp-12.params", ".run.json.x1y2z3w4.tmp", ".notes.x1y2z3w4.tmp"):
        (tmp_path / name).write_text("")
    assert runs.remove_run(str(tmp_path)) == [
        ".run.json.x1y2z3w4.tmp", "lenet-0012.states", "lenet-symbol.json", "run.json"]
    assert sorted(os.listdir(tmp_path)) == [".notes.x1y2z3w4.tmp", "lenet.txt",
                                            "mlp-12.params"]


# -- --resume ---------------------------------------------------------------------------


@pytest.mark.slow
def test_resume_continues_with_the_saved_settings_and_optimizer_state(
        small_mnist, first_run, tmp_path):
    out = _copy(first_run, tmp_path)
    first = json.loads((out / "metrics.json").read_text())
    code, stdout, err = run_cli(["train", "--data-dir", small_mnist, "--out", str(out),
                                 "--resume", "--epochs", "2"])
    assert code == 0, err
    assert err.splitlines()[0].startswith(
        "INFO:mxlite.cli.train:resuming after epoch 1: model=mlp init=xavier ")
    assert "lr=0.05 momentum=0.9 " in err.splitlines()[0]
    assert "Epoch[0]" not in err and "INFO:root:Epoch[1] Train-accuracy=" in err
    assert "WARNING" not in err
    report = json.loads((out / "metrics.json").read_text())
    assert report["momentum"] == 0.9 and report["learning_rate"] == 0.05
    assert report["history"][0] == first["history"][0]
    assert [row["epoch"] for row in report["history"]] == [0, 1]
    assert report["curve"]["epoch"][:6] == first["curve"]["epoch"]
    assert report["curve"]["epoch"][-1] == 2.0 and len(report["curve"]["epoch"]) == 12
    assert json.loads((out / "run.json").read_text())["epochs"] == 2
    assert "mlp-0002.params" in stdout
    # The optimizer went on from the saved state: 6 updates per epoch, 12 in all.
    assert _num_update(out / "mlp-0001.states") == 6
    assert _num_update(out / "mlp-0002.states") == 12


@pytest.mark.slow
def test_a_resumed_run_ends_as_an_uninterrupted_one(small_mnist, first_run, tmp_path):
    """1 epoch, then --resume DIR --epochs 2 (after a kill left a temporary and
    a params file without its manifest) == 2 epochs straight, bit for bit:
    the data order, random state and optimizer state come back."""
    out = _copy(first_run, tmp_path)
    (out / ".mlp-0002.params.abcd1234.tmp").write_bytes(b"half written")
    shutil.copy(out / "mlp-0001.params", out / "mlp-0002.params")  # no manifest
    code, _, err = run_cli(["train", "--data-dir", small_mnist, "--resume", str(out),
                            "--epochs", "2"])
    assert code == 0, err
    assert not (out / ".mlp-0002.params.abcd1234.tmp").exists()
    straight = tmp_path / "straight"
    code, _, err = train(small_mnist, "--momentum", "0.9", "--lr", "0.05", "--out",
                         str(straight), "--epochs", "2")
    assert code == 0, err
    for name in ("mlp-0002.params", "mlp-0002.states"):
        ours, theirs = load_arrays(str(out / name)), load_arrays(str(straight / name))
        assert sorted(ours) == sorted(theirs)
        assert all(np.array_equal(ours[k], theirs[k]) for k in ours), name


def _num_update(path) -> int:
    return int(load_arrays(str(path))["__num_update__"][0])


def test_resume_without_epochs_reaches_the_runs_own(small_mnist, first_run, tmp_path):
    out = _copy(first_run, tmp_path)
    saved = json.loads((out / "run.json").read_text())
    (out / "run.json").write_text(json.dumps({**saved, "epochs": 2}))
    (out / "mlp-0001.states").rename(out / "keep.states")  # epoch 1 incomplete now
    code, _, err = run_cli(["train", "--data-dir", small_mnist, "--out", str(out),
                            "--resume"])
    _one_error(code, _, err, f"mxlite train: error: --resume --out {out}: the run has "
               "no complete epoch checkpoint (mlp-NNNN.params with its .states)")
    (out / "keep.states").rename(out / "mlp-0001.states")
    code, _, err = run_cli(["train", "--data-dir", small_mnist, "--out", str(out),
                            "--resume"])
    assert code == 0, err
    assert "epochs=2 " in err.splitlines()[0]
    assert (out / "mlp-0002.states").is_file()


RESUME_ERRORS = [
    (["--model", "lenet"], "the run was trained with --model mlp; got --model lenet. "
     "A resumed run keeps its settings: drop --model, or start a new run"),
    (["--model", "mlp", "--lr", "0.1"], "the run was trained with --lr 0.05; got --lr "
     "0.1."),
    (["--batch-size", "100", "--momentum", "0"], "the run was trained with --momentum "
     "0.9; got --momentum 0.0."),
    (["--epochs", "1"], "the run has done 1 epochs; pass --epochs greater than 1 to "
     "train on"),
]


@pytest.mark.parametrize(("argv", "message"), RESUME_ERRORS,
                         ids=[" ".join(a) for a, _ in RESUME_ERRORS])
def test_resume_refuses_other_settings(small_mnist, first_run, argv, message):
    code, out, err = run_cli(["train", "--data-dir", small_mnist, "--out",
                              str(first_run), "--resume", *argv])
    _one_error(code, out, err, f"mxlite train: error: --resume --out {first_run}: "
               f"{message}")


def test_resume_needs_a_run(tmp_path):
    code, out, err = run_cli(["train", "--out", str(tmp_path), "--resume"])
    _one_error(code, out, err, f"mxlite train: error: --resume --out {tmp_path}: no "
               "run to resume there (no run.json); train into it without --resume")
    code, out, err = run_cli(["train", "--resume"])
    _one_error(code, out, err, "mxlite train: error: --resume needs the folder of the "
               "run: --resume DIR (or --out DIR --resume)")
    code, out, err = run_cli(["train", "--resume", str(tmp_path), "--out", "other"])
    _one_error(code, out, err, f"mxlite train: error: --resume {tmp_path}: the run's "
               "folder; got another --out other")
    code, out, err = run_cli(["train", "--out", str(tmp_path), "--resume",
                              "--overwrite"])
    _one_error(code, out, err, "mxlite train: error: argument --overwrite: not allowed "
               "with argument --resume")


def test_resume_reads_only_a_json_object(tmp_path):
    (tmp_path / "run.json").write_text("[1, 2]")
    code, out, err = run_cli(["train", "--out", str(tmp_path), "--resume"])
    _one_error(code, out, err, f"mxlite train: error: --resume --out {tmp_path}: "
               f"{tmp_path / 'run.json'} does not hold a JSON object")


# -- checks before any folder is made -----------------------------------------------


def test_batch_larger_than_the_training_set_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["train", "--batch-size", "100000"])
    _one_error(code, out, err, "mxlite train: error: --batch-size 100000: larger than "
               "the training set, which has 60000 examples")
    assert os.listdir(tmp_path) == []  # no run folder made


def test_run_args_check_without_touching_files(tmp_path):
    args = argparse.Namespace(out=str(tmp_path / "new"), resume=False, overwrite=True,
                              given=frozenset())
    assert runs.plan(args) == runs.RunPlan(str(tmp_path / "new"))
    assert not (tmp_path / "new").exists()
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "metrics.json").write_text("{}")
    args.out = str(tmp_path / "old")
    assert runs.plan(args) == runs.RunPlan(args.out, overwrite=True)
    assert os.listdir(args.out) == ["metrics.json"]
