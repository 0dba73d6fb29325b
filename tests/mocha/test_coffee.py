"""mxlite.mocha's coffee breaks: timing, log lines, statistics, validation, decay."""

from __future__ import annotations

import logging
import re

import numpy as np
import pytest

from mxlite.base import ParamError
from mxlite.datasets.hdf5 import read_tree
from mxlite.mocha import (
    SGD,
    CPUBackend,
    LRPolicy,
    MomPolicy,
    Snapshot,
    Solver,
    SolverState,
    TrainingSummary,
    ValidationPerformance,
    add_coffee_break,
    forward,
    load_statistics,
    make_solver_parameters,
    setup_coffee_lounge,
    solve,
)
from mxlite.mocha import coffee as coffee_module
from mxlite.mocha import log as mocha_log
from mxlite.mocha.coffee import Coffee
from mxlite.mocha.solving import MAX_STRETCH

from . import _nets

PREFIX = r"\d\d-[A-Z][a-z]{2} \d\d:\d\d:\d\d:INFO:root:"


class Counting(Coffee):
    """Records the iteration (and epoch, obj_val on demand) at each break."""

    def __init__(self, read_obj: bool = False) -> None:
        self.iters, self.epochs, self.objs, self.params = [], [], [], []
        self.read_obj = read_obj

    def enjoy(self, run, lounge) -> None:
        self.iters.append(run.iter)
        self.epochs.append(run.epoch)
        if self.read_obj:
            self.objs.append(run.obj_val)
            self.params.append(_nets.params_of(run.net))


def _solver(max_iter, **kwargs):
    kwargs.setdefault("lr_policy", LRPolicy.Fixed(0.05))
    kwargs.setdefault("mom_policy", MomPolicy.Fixed(0.9))
    return Solver(SGD(), make_solver_parameters(SGD(), max_iter=max_iter, **kwargs))


@pytest.fixture
def mocha_stderr(monkeypatch):
    """The dialect's logging as in a script that configured none: its own
    handler, printing Mocha's format to stderr. (pytest puts its handlers on
    the root logger during each test, and the dialect defers to those.)"""
    monkeypatch.setattr(mocha_log.logger, "handlers", [])
    level = mocha_log.logger.level
    with monkeypatch.context() as m:
        m.setattr(logging.getLogger(), "handlers", [])
        mocha_log._ensure_handler()
    assert mocha_log.logger.handlers
    yield
    mocha_log.logger.setLevel(level)


# -- timing ------------------------------------------------------------------------------

def test_breaks_fire_at_iteration_zero_and_every_n():
    solver = _solver(95)
    every7, every20 = Counting(), Counting()
    add_coffee_break(solver, every7, every_n_iter=7)
    add_coffee_break(solver, every20, every_n_iter=20)
    solve(solver, _nets.memory_net())
    assert every7.iters == list(range(0, 96, 7))
    assert every20.iters == [0, 20, 40, 60, 80]


def test_every_n_epoch_fires_when_the_training_epoch_changes():
    solver = _solver(130)  # 600 samples / 20 = 30 batches an epoch
    each, second = Counting(), Counting()
    add_coffee_break(solver, each, every_n_epoch=1)
    add_coffee_break(solver, second, every_n_epoch=2)
    solve(solver, _nets.memory_net())
    assert each.iters == [30, 60, 90, 120] and each.epochs == [1, 2, 3, 4]
    assert second.iters == [60, 120]


def test_stretches_stop_at_breaks_and_are_long_otherwise(monkeypatch):
    calls = []
    train = SolverState.train

    def counting(self, count):
        calls.append((self.iter, count))
        return train(self, count)

    monkeypatch.setattr(SolverState, "train", counting)
    solver = _solver(330)
    add_coffee_break(solver, Counting(), every_n_iter=150)
    solve(solver, _nets.memory_net())
    starts = [i for i, _ in calls]
    assert sum(c for _, c in calls) == 330
    assert all(c <= MAX_STRETCH for _, c in calls)
    assert 150 in starts and 300 in starts  # a stretch begins after each break
    assert len(calls) == 5  # 100, 50 | 100, 50 | 30


def test_coffee_break_arguments_are_checked():
    solver = _solver(1)
    with pytest.raises(ParamError, match="not a coffee break"):
        add_coffee_break(solver, object(), every_n_iter=1)
    with pytest.raises(ParamError, match="give every_n_iter or every_n_epoch"):
        add_coffee_break(solver, Counting())
    with pytest.raises(ParamError, match="every_n_iter must be an integer >= 0"):
        add_coffee_break(solver, Counting(), every_n_iter=-2)
    with pytest.raises(ParamError, match="file_exists must be one of"):
        setup_coffee_lounge(solver, save_into="x.jld", file_exists="append")
    with pytest.raises(ParamError, match="unknown statistics"):
        TrainingSummary("loss_rate")


# -- obj_val and the training summary --------------------------------------------------

def test_obj_val_is_the_next_minibatch_loss_with_the_updated_weights():
    solver = _solver(60)
    seen = Counting(read_obj=True)
    add_coffee_break(solver, seen, every_n_iter=15)
    solve(solver, _nets.memory_net())
    x, y = _nets.data()
    for i, obj, params in zip(seen.iters, seen.objs, seen.params, strict=True):
        rows = np.arange(i * _nets.BATCH, (i + 1) * _nets.BATCH) % len(x)
        loss = _nets.reference_loss
        assert obj == pytest.approx(float(loss(params, x[rows], y[rows])), rel=1e-5), i
        previous = np.arange((i - 1) * _nets.BATCH, i * _nets.BATCH) % len(x)
        if i:  # not the batch just trained on
            assert obj != pytest.approx(float(loss(params, x[previous], y[previous])),
                                        rel=1e-5)


def test_obj_val_matches_forward_on_a_fresh_net():
    """forward(net) on the next batch gives the value the summary logged."""
    backend = CPUBackend()
    net = _nets.memory_net(backend)
    solver = _solver(45)
    seen = Counting(read_obj=True)
    add_coffee_break(solver, seen, every_n_iter=45)
    solve(solver, net)
    assert seen.iters == [0, 45]
    # a second net on the same backend shares the trained parameters
    x, y = _nets.data()
    rows = np.arange(45 * _nets.BATCH, 46 * _nets.BATCH) % len(x)
    probe = _nets.memory_net(backend, x=x[rows], y=y[rows])
    assert forward(probe) == pytest.approx(seen.objs[-1], rel=1e-6)


def test_training_summary_log_lines(mocha_stderr, capsys):
    solver = _solver(30)
    add_coffee_break(solver, TrainingSummary(), every_n_iter=10)
    run = solve(solver, _nets.memory_net())
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 4, lines
    for line, i in zip(lines, [0, 10, 20, 30], strict=True):
        assert re.fullmatch(PREFIX + f"{i:06d}" + r" :: TRAIN obj-val = \d+\.\d{8}", line)
    assert float(lines[-1].rsplit(" ", 1)[1]) == pytest.approx(run.obj_val, abs=1e-8)


def test_training_summary_with_learning_rate_and_momentum(mocha_stderr, capsys):
    solver = _solver(20, lr_policy=LRPolicy.Inv(0.01, 1e-4, 0.75),
                     mom_policy=MomPolicy.Linear(0.5, 0.1, 5, 0.9))
    setup_coffee_lounge(solver)
    add_coffee_break(solver, TrainingSummary("learning_rate", "momentum"), every_n_iter=10)
    solve(solver, _nets.memory_net())
    lines = capsys.readouterr().err.splitlines()
    pattern = (PREFIX + r"(\d{6}) :: TRAIN obj-val = \d+\.\d{8} "
               r"learning-rate = (\d\.\d{8}) momentum = (\d\.\d{8})")
    found = [re.fullmatch(pattern, line) for line in lines]
    assert all(found), lines
    got = [(int(m[1]), float(m[2]), float(m[3])) for m in found]
    want = [(0, 0.01, 0.5), (10, 0.01 * (1 + 1e-3) ** -0.75, 0.7),
            (20, 0.01 * (1 + 2e-3) ** -0.75, 0.9)]
    for g, w in zip(got, want, strict=True):
        assert g == pytest.approx(w, abs=1e-8)
    stats = solver.lounge.stats
    assert stats["learning_rate"][10] == pytest.approx(want[1][1])
    assert stats["momentum"][20] == pytest.approx(0.9)
    assert sorted(stats["obj_val"]) == [0, 10, 20]


# -- validation --------------------------------------------------------------------------

def test_validation_performance_block_and_statistic(mocha_stderr, capsys):
    backend = CPUBackend()
    net = _nets.memory_net(backend)
    vx, vy = _nets.data(200, seed=5)
    test = _nets.validation_net(backend, x=vx, y=vy)
    solver = _solver(40)
    setup_coffee_lounge(solver)
    add_coffee_break(solver, ValidationPerformance(test), every_n_iter=40)
    solve(solver, net)
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 12
    block = [re.sub("^" + PREFIX, "", line) for line in err[6:]]
    rule = "-" * 57
    assert block[:3] == ["", "## Performance on Validation Set", rule]
    assert block[4:] == [rule, ""]
    m = re.fullmatch(r"  Accuracy \(avg over 200\) = (\d+\.\d{4})%", block[3])
    assert m, block[3]
    params = _nets.params_of(net)
    h = np.maximum(vx @ params["ip1_weight"].T + params["ip1_bias"], 0)
    acc = np.mean(np.argmax(h @ params["ip2_weight"].T + params["ip2_bias"], 1)
                  == vy[:, 0])
    stats = solver.lounge.stats["test-accuracy-accuracy"]
    assert sorted(stats) == [0, 40]
    assert stats[40] == pytest.approx(acc) and acc > 0.5
    assert float(m[1]) == pytest.approx(acc * 100, abs=1e-4)


def test_decay_on_validation_decays_when_the_statistic_gets_worse(monkeypatch):
    values = iter([0.50, 0.60, 0.55, 0.58, 0.40])
    monkeypatch.setattr(coffee_module.functions, "statistics",
                        lambda net: {"test-accuracy-accuracy": next(values)})
    backend = CPUBackend()
    net = _nets.memory_net(backend)
    policy = LRPolicy.DecayOnValidation(0.1, "test-accuracy-accuracy", 0.5)
    solver = _solver(40, lr_policy=policy)
    rates = Counting()
    rates.enjoy = lambda run, lounge: rates.iters.append(run.learning_rate)
    add_coffee_break(solver, ValidationPerformance(_nets.validation_net(backend)),
                     every_n_iter=10)
    add_coffee_break(solver, rates, every_n_iter=10)
    solve(solver, net)
    # worse at 20 (0.55 < 0.60) and at 40 (0.40 < 0.58)
    assert rates.iters == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])
    assert policy.curr_lr == pytest.approx(0.025)


def test_decay_on_validation_changes_the_updates(monkeypatch):
    """The decayed rate reaches the compiled step (no recompilation needed)."""
    def run(values):
        it = iter(values)
        monkeypatch.setattr(coffee_module.functions, "statistics",
                            lambda net: {"test-accuracy-accuracy": next(it)})
        backend = CPUBackend()
        net = _nets.memory_net(backend)
        solver = _solver(20, lr_policy=LRPolicy.DecayOnValidation(
            0.1, "test-accuracy-accuracy", 0.1), mom_policy=MomPolicy.Fixed(0.0))
        add_coffee_break(solver, ValidationPerformance(_nets.validation_net(backend)),
                         every_n_iter=10)
        solve(solver, net)
        return _nets.params_of(net)

    better, worse = run([0.5, 0.6, 0.7]), run([0.5, 0.4, 0.3])
    assert not np.allclose(better["ip2_weight"], worse["ip2_weight"])


# -- the statistics file -----------------------------------------------------------------

def test_statistics_saved_every_n_iter_and_at_the_end(tmp_path, monkeypatch):
    saved = []
    real = coffee_module.save_statistics

    def spy(path, stats):
        saved.append(max(stats.get("obj_val", {0: 0})))
        real(path, stats)

    monkeypatch.setattr(coffee_module, "save_statistics", spy)
    path = tmp_path / "stats" / "statistics.jld"
    solver = _solver(130)
    setup_coffee_lounge(solver, save_into=path, every_n_iter=50)
    add_coffee_break(solver, TrainingSummary(), every_n_iter=25)
    solve(solver, _nets.memory_net())
    assert saved == [0, 50, 100, 125]  # at 0, 50, 100 and at the end (130)
    stats = load_statistics(path)
    assert sorted(stats["obj_val"]) == [0, 25, 50, 75, 100, 125]
    assert stats["obj_val"][100] == solver.lounge.stats["obj_val"][100]
    assert not list(path.parent.glob("*.tmp")) and not list(path.parent.glob(".*.tmp"))


def _stats_run(path, max_iter, file_exists, *names):
    solver = _solver(max_iter)
    setup_coffee_lounge(solver, save_into=path, every_n_iter=10, file_exists=file_exists)
    add_coffee_break(solver, TrainingSummary(*names), every_n_iter=10)
    solve(solver, _nets.memory_net())
    return load_statistics(path)


def test_statistics_file_exists_merge_overwrite_panic(tmp_path):
    path = tmp_path / "statistics.jld"
    first = _stats_run(path, 40, "merge")
    assert sorted(first) == ["obj_val"] and sorted(first["obj_val"]) == [0, 10, 20, 30, 40]
    merged = _stats_run(path, 20, "merge", "learning_rate")
    assert sorted(merged["obj_val"]) == [0, 10, 20, 30, 40]
    assert merged["obj_val"][40] == first["obj_val"][40]  # kept from the first run
    assert sorted(merged["learning_rate"]) == [0, 10, 20]
    fresh = _stats_run(path, 20, "overwrite")
    assert sorted(fresh) == ["obj_val"] and sorted(fresh["obj_val"]) == [0, 10, 20]
    with pytest.raises(ParamError, match=re.escape(str(path)) + ".*panic"):
        _stats_run(path, 20, "panic")
    assert load_statistics(path) == fresh  # untouched by the refused run


def test_decay_on_validation_reverts_to_the_latest_snapshot(tmp_path, monkeypatch):
    values = iter([0.5, 0.6, 0.4, 0.7])
    monkeypatch.setattr(coffee_module.functions, "statistics",
                        lambda net: {"test-accuracy-accuracy": next(values)})
    backend = CPUBackend()
    net = _nets.memory_net(backend)
    solver = _solver(30, lr_policy=LRPolicy.DecayOnValidation(
        0.1, "test-accuracy-accuracy", 0.5), load_from=str(tmp_path))
    add_coffee_break(solver, ValidationPerformance(_nets.validation_net(backend)),
                     every_n_iter=10)
    add_coffee_break(solver, Snapshot(tmp_path), every_n_iter=10)
    seen = Counting(read_obj=True)
    add_coffee_break(solver, seen, every_n_iter=10)
    solve(solver, net)
    assert seen.iters == [0, 10, 20, 30]
    at10 = read_tree(tmp_path / "snapshot-000010.jld", where="test")["params_all"]
    # worse at 20: back to the parameters of snapshot-000010 (then saved as 20's)
    np.testing.assert_array_equal(seen.params[2]["ip2_weight"], at10["ip2"]["0"])
    assert not np.array_equal(seen.params[1]["ip2_weight"], seen.params[3]["ip2_weight"])
