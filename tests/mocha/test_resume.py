"""mxlite.mocha's snapshots: content, prediction, hostile files, exact resume, SIGKILL."""

from __future__ import annotations

import os
import random
import runpy
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from mxlite.base import FormatError
from mxlite.datasets.hdf5 import read_tree
from mxlite.mocha import (
    SGD,
    CPUBackend,
    LRPolicy,
    MomPolicy,
    Snapshot,
    Solver,
    SolverState,
    add_coffee_break,
    forward,
    get_layer,
    load_snapshot,
    load_statistics,
    make_solver_parameters,
    solve,
)

from . import _nets

SRC = Path(__file__).resolve().parents[2] / "src"


def _solver(max_iter, snapshots=None, every=10, load_from=""):
    solver = Solver(SGD(), make_solver_parameters(
        SGD(), max_iter=max_iter, lr_policy=LRPolicy.Inv(0.01, 1e-4, 0.75),
        mom_policy=MomPolicy.Fixed(0.9), load_from=str(load_from)))
    if snapshots is not None:
        add_coffee_break(solver, Snapshot(snapshots), every_n_iter=every)
    return solver


def _assert_same(a, b, atol=1e-6):
    assert sorted(a) == sorted(b)
    for name in a:
        np.testing.assert_allclose(a[name], b[name], rtol=0, atol=atol, err_msg=name)


# -- the snapshot file -------------------------------------------------------------------

def test_snapshot_names_and_content(tmp_path):
    net = _nets.memory_net(shuffle=True)
    run = solve(_solver(25, tmp_path / "snaps", every=10), net)
    names = sorted(p.name for p in (tmp_path / "snaps").iterdir())
    assert names == ["snapshot-000000.jld", "snapshot-000010.jld", "snapshot-000020.jld"]
    tree = read_tree(tmp_path / "snaps" / "snapshot-000020.jld", where="test")
    assert sorted(tree["params_all"]) == ["ip1", "ip2"]
    assert tree["params_all"]["ip1"]["0"].shape == (32, 64)
    assert tree["params_all"]["ip1"]["1"].shape == (32,)
    state = tree["solver_state"]
    assert state["iteration"] == 20
    assert state["learning_rate"] == pytest.approx(0.01 * (1 + 20e-4) ** -0.75)
    assert state["momentum"] == pytest.approx(0.9)
    assert sorted(state["opt"]) == ["ip1_bias", "ip1_weight", "ip2_bias", "ip2_weight"]
    assert state["opt"]["ip2_weight"]["param_history"].shape == (10, 32)
    assert np.abs(state["opt"]["ip2_weight"]["param_history"]).max() > 0
    assert state["key"].shape == run.state.key.shape
    assert state["data"]["train-data"]["position"] == 20 * _nets.BATCH % _nets.N_SAMPLES
    final = _nets.params_of(net)
    # the last snapshot is at 20, the net trained on to 25
    assert not np.array_equal(tree["params_all"]["ip2"]["0"], final["ip2_weight"])


def test_load_snapshot_into_a_prediction_net(tmp_path):
    train_backend = CPUBackend()
    net = _nets.memory_net(train_backend)
    solve(_solver(30, tmp_path, every=30), net)
    x, _ = _nets.data(5, seed=9)
    # the trained net's probabilities, through a net sharing its parameters
    ref = _nets.predict_net(train_backend)
    get_layer(ref, "data").data[0][...] = x
    forward(ref)
    want = ref.output_blobs["prob"].asnumpy()

    run_net = _nets.predict_net(CPUBackend())  # fresh, differently initialized
    get_layer(run_net, "data").data[0][...] = x
    forward(run_net)
    assert not np.allclose(run_net.output_blobs["prob"].asnumpy(), want, atol=1e-3)
    assert load_snapshot(run_net, tmp_path / "snapshot-000030.jld") == (
        tmp_path / "snapshot-000030.jld")
    forward(run_net)
    np.testing.assert_allclose(run_net.output_blobs["prob"].asnumpy(), want, atol=1e-6)
    assert load_snapshot(run_net, "") is None
    assert load_snapshot(run_net, tmp_path) == tmp_path / "snapshot-000030.jld"


@pytest.fixture(scope="module")
def a_snapshot(tmp_path_factory):
    folder = tmp_path_factory.mktemp("snap")
    solve(_solver(5, folder, every=5), _nets.memory_net())
    return folder / "snapshot-000005.jld"


def _hostile(src: Path, dst: Path, edit) -> Path:
    if isinstance(edit, tuple):  # ("bytes", fn): rewrite the raw file
        dst.write_bytes(edit[1](src.read_bytes()))
        return dst
    dst.write_bytes(src.read_bytes())
    with h5py.File(dst, "r+") as f:
        edit(f)
    return dst


def _wrong_shape(f):
    del f["params_all/ip2/0"]
    f["params_all/ip2/0"] = np.zeros((10, 31), np.float32)


@pytest.mark.parametrize("edit, match", [
    (lambda f: f.__delitem__("params_all/ip2"), r"no parameters for layer 'ip2'"),
    (_wrong_shape, r"params_all/ip2/0 \(weight of layer 'ip2'\).*\(10, 32\).*\(10, 31\)"),
    (lambda f: f.__delitem__("params_all"), r"no 'params_all' group"),
    (("bytes", lambda b: b"this is not HDF5 at all" * 100), None),
    (("bytes", lambda b: b[:len(b) // 2]), None),
], ids=["missing-layer", "wrong-shape", "no-params", "garbage", "truncated"])
def test_hostile_snapshots_are_refused_clearly(a_snapshot, tmp_path, edit, match):
    bad = _hostile(a_snapshot, tmp_path / "snapshot-000007.jld", edit)
    with pytest.raises(FormatError, match=match) as err:
        load_snapshot(_nets.predict_net(CPUBackend()), bad)
    assert str(bad) in str(err.value)
    with pytest.raises(FormatError, match=match) as err:
        solve(_solver(10, load_from=bad), _nets.memory_net())
    assert str(bad) in str(err.value)


@pytest.mark.parametrize("edit, match", [
    (lambda f: f.__delitem__("solver_state"), r"no solver_state/iteration"),
    (lambda f: f.__delitem__("solver_state/opt/ip1_bias"),
     r"solver_state/opt/ip1_bias/param_history"),
    (lambda f: f.__delitem__("solver_state/key"), r"solver_state/key"),
    (lambda f: f.__delitem__("solver_state/data"), r"solver_state/data/train-data"),
], ids=["no-solver-state", "no-slot", "no-key", "no-data-position"])
def test_snapshots_without_solver_state_cannot_resume(a_snapshot, tmp_path, edit, match):
    bad = _hostile(a_snapshot, tmp_path / "snapshot-000007.jld", edit)
    with pytest.raises(FormatError, match=match) as err:
        solve(_solver(10, load_from=tmp_path), _nets.memory_net())
    assert str(bad) in str(err.value)
    load_snapshot(_nets.predict_net(CPUBackend()), bad)  # parameters alone still load


# -- resuming exactly ---------------------------------------------------------------------

def test_load_from_a_folder_takes_the_highest_iteration(tmp_path, monkeypatch):
    solve(_solver(30, tmp_path, every=10), _nets.memory_net())
    future = time.time() + 1000
    os.utime(tmp_path / "snapshot-000010.jld", (future, future))  # newest by mtime
    seen = []
    monkeypatch.setattr(SolverState, "train", lambda self, n: seen.append(self.iter)
                        or setattr(self, "iter", self.iter + n))
    run = solve(_solver(40, load_from=tmp_path), _nets.memory_net())
    assert seen == [30] and run.resumed_from == tmp_path / "snapshot-000030.jld"


@pytest.mark.slow
@pytest.mark.parametrize("source", ["memory", "memory-shuffled", "hdf5-shuffled"])
def test_a_resumed_run_equals_an_uninterrupted_one(tmp_path, source):
    list_file = _nets.write_hdf5(tmp_path / "data")

    def net():
        if source == "hdf5-shuffled":
            return _nets.hdf5_net(list_file)
        return _nets.memory_net(shuffle=source.endswith("shuffled"))

    whole = net()
    solve(_solver(77), whole)  # 77 > 30 batches an epoch: crosses two reshuffles
    part = net()
    solve(_solver(43, tmp_path / "snaps", every=20), part)  # last snapshot at 40
    resumed = net()
    run = solve(_solver(77, load_from=tmp_path / "snaps"), resumed)
    assert run.iter == 77
    _assert_same(_nets.params_of(resumed), _nets.params_of(whole))


def test_resuming_at_max_iter_trains_nothing(tmp_path, monkeypatch):
    net = _nets.memory_net()
    solve(_solver(20, tmp_path, every=20), net)
    trained = _nets.params_of(net)
    monkeypatch.setattr(SolverState, "train", lambda self, n: pytest.fail("trained"))
    fresh = _nets.memory_net()
    run = solve(_solver(20, load_from=tmp_path), fresh)
    assert run.iter == 20
    _assert_same(_nets.params_of(fresh), trained, atol=0)


# -- SIGKILL --------------------------------------------------------------------------------

CHILD = '''
import os, sys, time
from pathlib import Path

import numpy as np


def train(work, max_iter, markers=False):
    import mxlite.datasets.hdf5 as h5mod
    from mxlite._fileio import atomic_writer
    from mxlite.mocha import (SGD, HDF5DataLayer, InnerProductLayer, LRPolicy, MomPolicy,
                              Net, Neurons, CPUBackend, Snapshot, Solver, SoftmaxLossLayer,
                              TrainingSummary, add_coffee_break, coffee,
                              make_solver_parameters, setup_coffee_lounge, solve, srand)
    if markers:
        real_save = coffee.save_snapshot

        def save(run, path):
            print(f"SAVE {run.iter}", flush=True)
            real_save(run, path)

        def atomic(path, data):
            with atomic_writer(path) as f:  # a slow write, to be killed in
                f.write(data[:len(data) // 2])
                f.flush()
                print(f"MID {os.path.basename(path)}", flush=True)
                time.sleep(0.01)
                f.write(data[len(data) // 2:])

        coffee.save_snapshot, h5mod.atomic_write_bytes = save, atomic
    work = Path(work)
    srand(1)
    layers = [HDF5DataLayer(name="train-data", source=str(work / "data" / "train.txt"),
                            batch_size=20, shuffle=True),
              InnerProductLayer(name="ip1", output_dim=32, neuron=Neurons.ReLU(),
                                bottoms=["data"], tops=["ip1"]),
              InnerProductLayer(name="ip2", output_dim=10, bottoms=["ip1"], tops=["ip2"]),
              SoftmaxLossLayer(name="loss", bottoms=["ip2", "label"])]
    net = Net("train", CPUBackend(), layers)
    snaps = work / "snapshots"
    solver = Solver(SGD(), make_solver_parameters(
        SGD(), max_iter=max_iter, lr_policy=LRPolicy.Inv(0.01, 1e-4, 0.75),
        mom_policy=MomPolicy.Fixed(0.9), load_from=str(snaps)))
    setup_coffee_lounge(solver, save_into=snaps / "statistics.jld", every_n_iter=4)
    add_coffee_break(solver, TrainingSummary(), every_n_iter=2)
    add_coffee_break(solver, Snapshot(snaps), every_n_iter=3)
    solve(solver, net)
    return {n: b.data.asnumpy() for n, b in net.params.items()}


if __name__ == "__main__":
    params = train(sys.argv[1], int(sys.argv[2]), markers=True)
    np.savez(Path(sys.argv[1]) / "final.npz", **params)
    print("DONE", flush=True)
'''


def _kill_and_restart(work: Path, max_iter: int, kills: list[tuple[str, int]]) -> int:
    """Run the child until DONE, SIGKILLing it at the ``(marker, nth)`` moments
    given (one per start); the number of starts."""
    script = work / "child.py"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    starts = 0
    while True:
        starts += 1
        plan = kills[starts - 1] if starts <= len(kills) else None
        with open(work / f"stderr-{starts}.txt", "wb") as err:
            child = subprocess.Popen([sys.executable, str(script), str(work), str(max_iter)],
                                     stdout=subprocess.PIPE, stderr=err, env=env, text=True)
            seen, done = 0, False
            for line in child.stdout:
                done = done or line.startswith("DONE")
                if plan and line.startswith(plan[0]):
                    seen += 1
                    if seen == plan[1]:
                        os.kill(child.pid, signal.SIGKILL)
                        break
            child.stdout.close()
            code = child.wait(timeout=120)
        if plan is None or (done and code == 0):
            assert code == 0 and done, (work / f"stderr-{starts}.txt").read_text()[-3000:]
            return starts
        assert code == -signal.SIGKILL, (work / f"stderr-{starts}.txt").read_text()[-3000:]


def _check_after_kills(work: Path, max_iter: int) -> None:
    child = runpy.run_path(str(work / "child.py"), run_name="child")
    ref_dir = work / "reference"
    (ref_dir / "data").mkdir(parents=True)
    for name in ("train.hdf5", "train.txt"):
        (ref_dir / "data" / name).write_bytes((work / "data" / name).read_bytes())
    want = child["train"](ref_dir, max_iter)
    got = dict(np.load(work / "final.npz"))
    _assert_same(got, want)
    snaps = work / "snapshots"
    assert not [p.name for p in snaps.iterdir() if p.name.endswith(".tmp")]
    for path in snaps.glob("*.jld"):
        read_tree(path, where="test")  # every file whole
    stats, ref = (load_statistics(snaps / "statistics.jld"),
                  load_statistics(ref_dir / "snapshots" / "statistics.jld"))
    assert sorted(stats["obj_val"]) == list(range(0, max_iter + 1, 2))
    for i, value in ref["obj_val"].items():
        assert stats["obj_val"][i] == pytest.approx(value, abs=1e-6), i


def _prepare(tmp_path: Path) -> Path:
    _nets.write_hdf5(tmp_path / "data")
    (tmp_path / "child.py").write_text(CHILD)
    return tmp_path


@pytest.mark.slow
def test_sigkill_mid_snapshot_write_then_resume(tmp_path):
    work = _prepare(tmp_path)
    # the 4th write is snapshot-000006's (stats 0, snap 0, snap 3, then snap 6...)
    starts = _kill_and_restart(work, 30, [("MID snapshot", 3)])
    assert starts == 2
    _check_after_kills(work, 30)


@pytest.mark.slow
def test_sigkill_at_random_moments_then_resume(tmp_path):
    work = _prepare(tmp_path)
    rng = random.Random(15)
    kills = [(rng.choice(["MID snapshot", "MID statistics", "SAVE"]), rng.randint(1, 4))
             for _ in range(6)]
    starts = _kill_and_restart(work, 60, kills)
    assert starts == len(kills) + 1
    _check_after_kills(work, 60)
