"""Seed 002, MXNet's "Handwritten Digit Recognition": the tutorial's accuracies.

``examples/mnist_mxnet.py`` is the tutorial's code (``import mxlite as mx``)
with its own settings: batch 100, SGD lr 0.1, Speedometer(100, 100),
Module.fit's default Uniform(0.01) init, seed 42, 10 epochs. The tutorial
asserts MLP > 0.96 and LeNet > 0.98 on the 10,000 test images.
"""

from __future__ import annotations

import pytest

from ._examples import load_example, root_logging_restored


@pytest.fixture(scope="module")
def tutorial():
    return load_example("mnist_mxnet")


@pytest.mark.slow
def test_mlp_reaches_096_after_10_epochs(tutorial, caplog):
    with root_logging_restored():
        acc = tutorial.main(["--model", "mlp", "--epochs", "10"])["mlp"]
    assert acc > 0.96
    assert "Epoch[9] Validation-accuracy=" in caplog.text


@pytest.mark.slow
def test_lenet_reaches_098_after_10_epochs(tutorial, caplog):
    with root_logging_restored():
        acc = tutorial.main(["--model", "lenet", "--epochs", "10"])["lenet"]
    assert acc > 0.98
    assert "Epoch[9] Validation-accuracy=" in caplog.text


@pytest.mark.slow
def test_mlp_example_runs_one_epoch(tutorial, capsys, caplog):
    with root_logging_restored():
        accs = tutorial.main(["--model", "mlp", "--epochs", "1"])
    assert list(accs) == ["mlp"] and 0.1 < accs["mlp"] <= 1
    assert capsys.readouterr().out.startswith("EvalMetric: {'accuracy': ")
    assert "Epoch[0] Batch [100-200]\tSpeed: " in caplog.text
