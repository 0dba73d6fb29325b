"""The ``mxlite`` command: train, predict, info, and its one-line errors.

The command runs in-process through ``mxlite.cli.main.main([...])``; one
test runs ``python -m mxlite info`` in a subprocess.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import pathlib
import struct
import subprocess
import sys

import matplotlib
import numpy as np
import pytest

import mxlite as mx
from mxlite.cli import train as train_cmd
from mxlite.cli.main import main
from mxlite.cli.progress import ProgressCallback
from mxlite.datasets import load_mnist_raw

matplotlib.use("Agg")
import matplotlib.pyplot as plt

ROOT = pathlib.Path(__file__).resolve().parents[1]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """``main(argv)`` with its stdout and stderr captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One epoch of the seed MLP (lr 0.1, momentum 0.9) written to a directory."""
    out = tmp_path_factory.mktemp("train")
    code, stdout, stderr = run_cli(["train", "--model", "mlp", "--epochs", "1",
                                    "--lr", "0.1", "--momentum", "0.9", "--seed", "3",
                                    "--out", str(out)])
    return {"out": out, "code": code, "stdout": stdout, "stderr": stderr}


# -- train ---------------------------------------------------------------------


def test_train_exits_0_and_prints_accuracy_and_paths(trained):
    assert trained["code"] == 0, trained["stderr"]
    out = trained["out"]
    lines = trained["stdout"].splitlines()
    assert lines[0].startswith("test accuracy: 0.")
    for name in ("mlp-symbol.json", "mlp-0001.params", "mlp-0001.states", "run.json",
                 "metrics.json", "learning_curve.png"):
        assert str(out / name) in trained["stdout"]
        assert (out / name).is_file()
    assert f"mxlite train --resume {out} --epochs 2" in trained["stdout"]


def test_train_logs_mxnet_lines_and_no_jax_noise_or_bar(trained):
    err = trained["stderr"]
    # Speedometer's lines come from the mxlite.callback logger; Module's from
    # its logger argument, which defaults to MXNet's (the root logger).
    assert "INFO:mxlite.callback:Epoch[0] Batch [0-100]\tSpeed: " in err
    assert "INFO:mxlite.callback:Epoch[0] Batch [400-500]\tSpeed: " in err
    assert "INFO:root:Epoch[0] Train-accuracy=" in err
    assert "INFO:root:Epoch[0] Train-cross-entropy=" in err
    assert "INFO:root:Epoch[0] Time cost=" in err
    assert "INFO:root:Epoch[0] Validation-accuracy=" in err
    assert "Unable to initialize backend" not in err
    assert "jax" not in err
    assert "batch/s" not in err  # the progress bar is for terminals only


def test_train_logs_its_settings_first(trained):
    first = trained["stderr"].splitlines()[0]
    assert first == (
        "INFO:mxlite.cli.train:training: model=mlp init=xavier Xavier(rnd_type="
        "'gaussian', factor_type='avg', magnitude=2.34) optimizer=sgd lr=0.1 "
        f"momentum=0.9 batch_size=100 epochs=1 seed=3 ctx=cpu out={trained['out']}")


def test_one_mlp_epoch_learns(trained):
    report = json.loads((trained["out"] / "metrics.json").read_text())
    assert report["init"] == "xavier"
    assert report["test_accuracy"] > 0.9


def test_train_metrics_json(trained):
    report = json.loads((trained["out"] / "metrics.json").read_text())
    assert report["model"] == "mlp" and report["epochs"] == 1
    assert report["epochs_done"] == 1
    assert report["batch_size"] == 100 and report["optimizer"] == "sgd"
    assert report["learning_rate"] == 0.1 and report["momentum"] == 0.9
    assert report["seed"] == 3 and report["context"] == "cpu"
    assert f"test accuracy: {report['test_accuracy']:.4f}" in trained["stdout"]
    [epoch] = report["history"]
    assert epoch["epoch"] == 0 and epoch["seconds"] > 0 and epoch["val_seconds"] > 0
    assert 0.5 < epoch["train_accuracy"] <= 1
    assert 0 < epoch["train_cross-entropy"] < 1
    assert epoch["val_accuracy"] == report["test_accuracy"]
    assert 0 < epoch["val_cross-entropy"] < 0.5
    for path in report["files"].values():
        assert os.path.isfile(path)


def test_metrics_seconds_is_the_logged_time_cost(trained):
    [line] = [x for x in trained["stderr"].splitlines() if "Time cost=" in x]
    report = json.loads((trained["out"] / "metrics.json").read_text())
    assert f"{report['history'][0]['seconds']:.3f}" == line.split("Time cost=")[1]


def test_metrics_json_holds_the_curve_every_20_batches(trained):
    report = json.loads((trained["out"] / "metrics.json").read_text())
    curve = report["curve"]
    assert curve["every_batches"] == 20
    # batch 0 alone, then every 20 batches, then the epoch's last (600 batches)
    assert curve["epoch"][:3] == [round(1 / 600, 5), round(21 / 600, 5),
                                  round(41 / 600, 5)]
    assert curve["epoch"][-1] == 1.0 and len(curve["epoch"]) == 31
    assert len(curve["accuracy"]) == len(curve["cross-entropy"]) == 31
    assert curve["cross-entropy"][0] > 2 > 0.5 > curve["cross-entropy"][-1]
    assert curve["accuracy"][0] < 0.3 < 0.85 < curve["accuracy"][-1]
    # the points are means over their stretches: weighted, they give the epoch's
    weights = np.diff([0.0] + curve["epoch"])
    assert np.dot(weights, curve["accuracy"]) == pytest.approx(
        report["history"][0]["train_accuracy"], abs=1e-4)
    text = (trained["out"] / "metrics.json").read_text()
    assert len(text.splitlines()) < 60  # each curve list on one line


def test_train_learning_curve_is_a_png(trained):
    data = (trained["out"] / "learning_curve.png").read_bytes()
    assert data[:8] == PNG_MAGIC
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1000, 400)


def test_train_checkpoint_loads_with_module_load(trained):
    report = json.loads((trained["out"] / "metrics.json").read_text())
    mod = mx.mod.Module.load(str(trained["out"] / "mlp"), 1)
    mnist = mx.test_utils.get_mnist()
    val = mx.io.NDArrayIter(mnist["test_data"], mnist["test_label"], 100)
    mod.bind(data_shapes=val.provide_data, label_shapes=val.provide_label,
             for_training=False)
    assert dict(mod.score(val, "acc"))["accuracy"] == pytest.approx(
        report["test_accuracy"], abs=1e-6)
    arg_params, _ = mod.get_params()
    assert sorted(arg_params) == ["fc1_bias", "fc1_weight", "fc2_bias", "fc2_weight",
                                  "fc3_bias", "fc3_weight"]


def test_progress_bar_only_on_a_terminal(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    args = train_cmd.argparse.Namespace(no_progress=False, batch_size=100)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert [type(c) for c in train_cmd._batch_callbacks(args, 60000)] == [
        mx.callback.Speedometer]
    monkeypatch.setattr(sys, "stderr", Tty())
    speedometer, bar = train_cmd._batch_callbacks(args, 60000)
    assert isinstance(bar, ProgressCallback) and bar.total == 600
    assert speedometer.frequent % bar.frequent == 0  # few distinct compiled chunks
    args.no_progress = True
    assert len(train_cmd._batch_callbacks(args, 60000)) == 1


def test_progress_callback_advances_and_closes(monkeypatch):
    bar = ProgressCallback(5, frequent=2)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    for nbatch in range(4):
        bar(mx.callback.BatchEndParam(0, nbatch, None, None))
    assert bar._bar.n == 4
    bar(mx.callback.BatchEndParam(0, 4, None, None))
    assert bar._bar is None


# -- predict -------------------------------------------------------------------


def _prefix(trained) -> str:
    return str(trained["out"] / "mlp")


def test_predict_samples_the_test_set(trained):
    code, out, err = run_cli(["predict", "--model-prefix", _prefix(trained),
                              "--epoch", "1", "--count", "20", "--seed", "1"])
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 21
    assert all(line.startswith("test[") and " label " in line for line in lines[:20])
    assert lines[-1].startswith("accuracy on 20 test images: ")
    assert float(lines[-1].split()[5]) >= 0.7


def _write_idx(path: pathlib.Path, images: np.ndarray) -> None:
    header = struct.pack(">BBBBIII", 0, 0, 0x08, 3, *images.shape)
    path.write_bytes(header + images.astype(np.uint8).tobytes())


def _expected(trained, images_u8: np.ndarray) -> np.ndarray:
    mod = mx.mod.Module.load(_prefix(trained), 1)
    data = images_u8[:, None].astype(np.float32) / 255
    mod.bind(data_shapes=[("data", data.shape)], for_training=False)
    return mod.predict(data).asnumpy().argmax(1)


def test_predict_idx_file(trained, tmp_path):
    images = load_mnist_raw()["test_data"][:7]
    _write_idx(tmp_path / "digits-idx3-ubyte", images)
    code, out, err = run_cli(["predict", "--model-prefix", _prefix(trained), "--epoch",
                              "1", str(tmp_path / "digits-idx3-ubyte")])
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 7
    assert lines[0].startswith(f"{tmp_path / 'digits-idx3-ubyte'}[0]")
    got = [int(line.split("predicted ")[1].split()[0]) for line in lines]
    assert got == list(_expected(trained, images))


def test_predict_png_files(trained, tmp_path):
    raw = load_mnist_raw()["test_data"][:3]
    paths = []
    for i, image in enumerate(raw):
        paths.append(str(tmp_path / f"digit{i}.png"))
        plt.imsave(paths[-1], image, cmap="gray", vmin=0, vmax=255)
    code, out, err = run_cli(["predict", "--model-prefix", _prefix(trained),
                              "--epoch", "1", *paths])
    assert code == 0, err
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == paths
    got = [int(line.split("predicted ")[1].split()[0]) for line in lines]
    assert got == list(_expected(trained, raw))


def test_predict_rejects_a_wrong_size_png(trained, tmp_path):
    plt.imsave(tmp_path / "big.png", np.zeros((32, 30)), cmap="gray")
    code, out, err = run_cli(["predict", "--model-prefix", _prefix(trained),
                              "--epoch", "1", str(tmp_path / "big.png")])
    assert code == 1 and out == ""
    assert err.splitlines() == [(f"mxlite predict: error: {tmp_path / 'big.png'}: MNIST "
                                "models take 28x28 images; got 30x32. Resize it first.")]


# -- errors --------------------------------------------------------------------

NO_GPU = mx.num_gpus() == 0

BAD_ARGS = [
    (["train", "--model", "resnet"], ("mxlite train: error: argument --model: invalid "
     "choice: 'resnet'")),
    (["train", "--epochs", "-3"], ("mxlite train: error: argument --epochs: must be > 0; "
     "got -3")),
    (["train", "--epochs", "two"], ("mxlite train: error: argument --epochs: expected an "
     "int; got 'two'")),
    (["train", "--batch-size", "0"], ("mxlite train: error: argument --batch-size: must "
     "be > 0")),
    (["train", "--lr", "-0.1"], "mxlite train: error: argument --lr: must be > 0"),
    (["train", "--momentum", "1.5"], ("mxlite train: error: argument --momentum: must be "
     "in [0, 1)")),
    (["train", "--optimizer", "sgdd"], ("mxlite train: error: --optimizer sgdd: "
     "mx.optimizer.create: unknown optimizer 'sgdd'. Did you mean 'sgd'?")),
    (["train", "--optimizer", "adam", "--momentum", "0.9"], ("mxlite train: error: "
     "--momentum: optimizer 'adam' takes no momentum")),
    (["train", "--ctx", "tpu"], "mxlite train: error: argument --ctx: invalid choice"),
    (["train", "--data-dir", "/no/such/dir"], ("mxlite train: error: --data-dir "
     "/no/such/dir: no such directory")),
    (["train", "--bogus"], "mxlite: error: unrecognized arguments: --bogus"),
    (["frobnicate"], ("mxlite: error: argument {train,predict,info,mnist-hdf5}: invalid choice: "
     "'frobnicate'")),
    (["predict", "--epoch", "1"], ("mxlite predict: error: the following arguments are "
     "required: --model-prefix")),
    (["predict", "--model-prefix", "/no/such/model", "--epoch", "1"],
     ("mxlite predict: error: --model-prefix /no/such/model --epoch 1: no such file "
     "/no/such/model-symbol.json (no checkpoint with this prefix)")),
    (["predict", "--model-prefix", "x", "--epoch", "-1"], ("mxlite predict: error: "
     "argument --epoch: must be >= 0; got -1")),
]
if NO_GPU:
    BAD_ARGS.append((["train", "--ctx", "gpu"], ("mxlite train: error: --ctx gpu: JAX "
                     "found no GPU on this machine; use --ctx cpu")))


@pytest.mark.parametrize(("argv", "start"), BAD_ARGS, ids=[" ".join(a) or "(none)"
                                                           for a, _ in BAD_ARGS])
def test_bad_arguments_give_one_line_and_exit_2(argv, start):
    code, out, err = run_cli(argv)
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1 and err.endswith("\n"), err
    assert err.startswith(start), err


def test_unknown_optimizer_lists_the_known_ones():
    _, _, err = run_cli(["train", "--optimizer", "sgdd"])
    assert "adam" in err and "sgd" in err and "nag" in err


def test_missing_epoch_names_the_epochs_there(trained):
    code, out, err = run_cli(["predict", "--model-prefix", _prefix(trained), "--epoch",
                              "7"])
    assert (code, out) == (2, "")
    assert err == (f"mxlite predict: error: --model-prefix {_prefix(trained)} --epoch 7: "
                   f"no such file {_prefix(trained)}-0007.params (epochs found: 1)\n")


def test_missing_image_exits_2(trained, tmp_path):
    code, out, err = run_cli(["predict", "--model-prefix", _prefix(trained), "--epoch",
                              "1", str(tmp_path / "nope.png")])
    assert (code, out) == (2, "")
    assert err == f"mxlite predict: error: {tmp_path / 'nope.png'}: no such file\n"


def test_unusable_inputs_exit_1_with_one_line(trained, tmp_path):
    labels = tmp_path / "labels-idx1-ubyte"
    labels.write_bytes(struct.pack(">BBBBI", 0, 0, 0x08, 1, 3) + bytes([1, 2, 3]))
    code, _, err = run_cli(["predict", "--model-prefix", _prefix(trained), "--epoch",
                            "1", str(labels)])
    assert code == 1
    assert err.splitlines() == [(f"mxlite predict: error: {labels}: expected IDX images "
                                "of shape (N, 28, 28); got (3,). Is it a label file?")]
    corrupt = tmp_path / "bad"
    (tmp_path / "bad-symbol.json").write_bytes(
        (trained["out"] / "mlp-symbol.json").read_bytes())
    (tmp_path / "bad-0001.params").write_bytes(b"not a params file")
    code, out, err = run_cli(["predict", "--model-prefix", str(corrupt), "--epoch", "1"])
    assert (code, out) == (1, "")
    assert len(err.splitlines()) == 1 and err.startswith("mxlite predict: error: ")


def test_out_that_is_a_file_exits_2(tmp_path):
    (tmp_path / "f").write_text("x")
    code, _, err = run_cli(["train", "--out", str(tmp_path / "f")])
    assert code == 2
    assert err == f"mxlite train: error: --out {tmp_path / 'f'}: exists and is not a " \
        "directory\n"


def test_help_exits_0(capsys):
    assert main(["train", "--help"]) == 0
    assert "--model {mlp,lenet}" in capsys.readouterr().out


# -- info and python -m mxlite -------------------------------------------------


def test_info_in_process():
    code, out, err = run_cli(["info"])
    assert (code, err) == (0, "")
    assert out.startswith(f"mxlite     {mx.__version__} ")
    assert "jax " in out
    platform = "gpu:0" if mx.num_gpus() else "cpu:0"
    assert f"device     {platform} " in out


@pytest.mark.slow
def test_python_m_mxlite_info_subprocess():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), *sys.path])}
    result = subprocess.run([sys.executable, "-m", "mxlite", "info"], env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no "Unable to initialize backend 'tpu'" noise
    lines = result.stdout.splitlines()
    assert lines[0].startswith("mxlite ")
    assert any(line.startswith("device ") for line in lines)
    assert any(line.startswith("gpus ") for line in lines)
