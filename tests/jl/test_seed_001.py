"""Seed 001, the MXNet.jl MNIST tutorial, translated to Python.

``examples/mnist_mxnet_jl.py``: ``mx.chain`` MLP, ``mx.FeedForward``,
``mx.SGD(lr=0.1, momentum=0.9, weight_decay=0.00001)``, MNIST providers of
batch 100 (train shuffled, eval not), ``mx.fit(..., n_epoch=20)``,
``mx.predict``; the tutorial reached 97.39% on the eval set.
"""

from __future__ import annotations

import pytest

from ..seeds._examples import load_example, root_logging_restored

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def tutorial():
    return load_example("mnist_mxnet_jl")


@pytest.mark.slow
def test_mlp_reaches_97_percent_after_20_epochs(tutorial, tmp_path, capsys, caplog):
    with root_logging_restored():
        accuracy = tutorial.main(["--epochs", "20", "--out", str(tmp_path)])
    assert accuracy > 97.0
    out = capsys.readouterr().out
    assert f"Accuracy on eval set: {accuracy:.2f}%" in out
    assert "== Epoch 020 ==========" in caplog.text


@pytest.mark.slow
def test_example_runs_one_epoch(tutorial, tmp_path, capsys, caplog):
    with root_logging_restored():
        accuracy = tutorial.main(["--epochs", "1", "--out", str(tmp_path)])
    assert 80.0 < accuracy <= 100.0  # momentum 0.9: ~95% after one epoch
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "trainY[n] = 8.0"  # the tutorial's output for n = 60000
    assert f"Accuracy on eval set: {accuracy:.2f}%" in lines
    assert lines[-2] == "1"  # the label of test digit n = 144, as in the tutorial
    for name in ("test_digit_143.png", "train_digit_59999.png"):
        assert (tmp_path / name).read_bytes()[:8] == PNG_MAGIC
    for line in ("Start training on [CPU0]", "Initializing parameters...",
                 "== Epoch 001 ==========", "## Training summary",
                 "## Validation summary"):
        assert line in caplog.text
