"""Seed 004, Mocha.jl's LeNet tutorial: ``examples/mnist_mocha.py`` is
``examples/mnist/mnist.jl`` with ``from mxlite.mocha import *``, then the
tutorial's prediction from the last snapshot and its learning curve. The seed's
log shows 96.05% validation accuracy after 2,000 iterations; Mocha's LeNet
reaches about 99% after the tutorial's 10,000."""

from __future__ import annotations

import hashlib
import logging
import re

import numpy as np
import pytest

from mxlite.mocha import convert_mnist, load_statistics

from ._examples import load_example

RULE = "-" * 57
TRAIN = re.compile(r"(\d{6}) :: TRAIN obj-val = (\d+\.\d{8})")
ACCURACY = re.compile(r"  Accuracy \(avg over 10000\) = (\d{1,3}\.\d{4})%")


@pytest.fixture(scope="module")
def tutorial():
    return load_example("mnist_mocha")


@pytest.fixture(scope="module")
def mnist_hdf5(tmp_path_factory):
    """The seed's data/ (about 220 MB), written once for the module."""
    data = tmp_path_factory.mktemp("mocha-mnist")
    convert_mnist(data)
    return data


def _run(tutorial, caplog, workdir, data, *extra):
    """main(...) on a short schedule; (its result, its Mocha log messages)."""
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="mxlite.mocha"):
        result = tutorial.main(["--dir", str(workdir), "--data", str(data), *extra])
    messages = [r.getMessage() for r in caplog.records if r.name == "mxlite.mocha"]
    return result, messages


def _train_lines(messages):
    return [(int(m[1]), float(m[2])) for m in map(TRAIN.fullmatch, messages) if m]


def _validations(messages):
    """Each validation block's accuracy (in %), checking the block's lines."""
    out = []
    for i, line in enumerate(messages):
        if line == "## Performance on Validation Set":
            block = messages[i - 1:i + 5]
            assert block[0] == block[5] == "" and block[2] == block[4] == RULE, block
            m = ACCURACY.fullmatch(block[3])
            assert m, block[3]
            out.append(float(m[1]))
    return out


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow  # ~25 s: the fast suite keeps the Mocha unit tests
def test_short_run_logs_snapshots_predicts_plots_and_resumes(tutorial, mnist_hdf5,
                                                             tmp_path, caplog, capsys):
    schedule = ["--max-iter", "300", "--snapshot-every", "100", "--validate-every", "100",
                "--save-every", "100"]
    result, log = _run(tutorial, caplog, tmp_path, mnist_hdf5, *schedule)

    # TrainingSummary every 100 iterations, from iteration 0, in the seed's format.
    train = _train_lines(log)
    assert [i for i, _ in train] == [0, 100, 200, 300]
    assert train[0][1] > 1.5 and train[-1][1] < 0.6  # ln(10) = 2.3 at the start
    accuracies = _validations(log)
    assert len(accuracies) == 4 and accuracies[0] < 30 and accuracies[-1] >= 93
    assert result["accuracy"] == pytest.approx(accuracies[-1] / 100, abs=5e-7)

    snapshots = tmp_path / "snapshots"
    assert sorted(p.name for p in snapshots.iterdir()) == [
        "snapshot-000000.jld", "snapshot-000100.jld", "snapshot-000200.jld",
        "snapshot-000300.jld", "statistics.jld"]
    stats = load_statistics(snapshots / "statistics.jld")
    assert list(stats["obj_val"]) == [0, 100, 200, 300]
    assert [round(v, 8) for v in stats["obj_val"].values()] == [v for _, v in train]
    assert list(stats["test-accuracy-accuracy"]) == [0, 100, 200, 300]
    png = tmp_path / "learning_curve.png"
    assert result["learning_curve"] == png
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # The prediction: the first test image is a 7 (0-based label).
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == ["Correct label index: 7", "Label probability vector:"]
    probs = result["probabilities"]
    assert result["label"] == 7 and probs.shape == (10,)
    assert abs(float(probs.sum()) - 1.0) < 1e-5 and int(probs.argmax()) == 7

    # Run again: load_from resumes at iteration 300, which is max_iter. Nothing
    # is trained; the breaks due at 300 run again, the snapshot is not rewritten.
    before = {p.name: _digest(p) for p in snapshots.glob("snapshot-*.jld")}
    again, log2 = _run(tutorial, caplog, tmp_path, mnist_hdf5, *schedule)
    assert _train_lines(log2) == [train[-1]]
    assert _validations(log2) == [accuracies[-1]]
    assert {p.name: _digest(p) for p in snapshots.glob("snapshot-*.jld")} == before
    np.testing.assert_array_equal(again["probabilities"], probs)


def test_max_iter_must_be_a_multiple_of_the_snapshot_interval(tutorial, tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        tutorial.main(["--dir", str(tmp_path), "--max-iter", "150"])
    assert info.value.code == 2
    assert "must be a multiple of --snapshot-every" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


@pytest.mark.slow
def test_10000_iterations_reach_95_percent_at_2000_and_985_at_the_end(
        tutorial, mnist_hdf5, tmp_path, caplog):
    result, log = _run(tutorial, caplog, tmp_path, mnist_hdf5)
    accuracies = _validations(log)  # at 0, 1000, ..., 10000 iterations
    assert len(accuracies) == 11
    assert accuracies[2] >= 95.0  # after 2,000 iterations (the seed's log: 96.05%)
    assert sorted(p.name for p in (tmp_path / "snapshots").glob("snapshot-*")) == [
        "snapshot-000000.jld", "snapshot-005000.jld", "snapshot-010000.jld"]
    assert result["accuracy"] >= 0.985
    assert int(result["probabilities"].argmax()) == 7
