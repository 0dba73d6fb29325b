"""Seed 003, Chainer's MNIST MLP with a hand-written loop: ``examples/mnist_chainer.py``
is ``train_mnist_1_minimum.py`` with its imports changed; real Chainer 7.8.1
reaches test accuracy 0.97 after 20 epochs."""

from __future__ import annotations

import re

import numpy as np
import pytest

from ._examples import load_example


@pytest.fixture(scope="module")
def tutorial():
    return load_example("mnist_chainer")


@pytest.mark.slow
def test_one_epoch_prints_the_tutorials_lines_and_saves_three_files(tutorial, capsys,
                                                                     tmp_path):
    acc = tutorial.main(["--epoch", "1", "--out", str(tmp_path / "r")])
    out = capsys.readouterr().out.splitlines()
    assert out[:6] == ["GPU: -1", "# unit: 50", "# Minibatch-size: 100", "# epoch: 1",
                       f"out directory: {tmp_path / 'r'}", "epoch 1"]
    number = r"\d+\.\d+(e-?\d+)?"
    assert re.fullmatch(rf"train mean loss={number}, accuracy={number}, "
                        rf"throughput={number} images/sec", out[6])
    assert re.fullmatch(rf"test  mean loss={number}, accuracy={number}", out[7])
    assert acc > 0.9
    for name in ("classifier_mlp.model", "mlp.model", "mlp.state"):
        with np.load(tmp_path / "r" / name, allow_pickle=False) as f:
            assert f.files
    with np.load(tmp_path / "r" / "mlp.model", allow_pickle=False) as f:
        assert sorted(f.files) == ["l1/W", "l1/b", "l2/W", "l2/b", "l3/W", "l3/b"]


@pytest.mark.slow
def test_twenty_epochs_reach_0965(tutorial, tmp_path):
    assert tutorial.main(["--epoch", "20", "--out", str(tmp_path / "r")]) >= 0.965
