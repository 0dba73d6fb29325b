"""A checkpoint is one unit (manifest written last, checked on load, leftovers
cleaned), ``latest_checkpoint`` finds the newest complete one, and
``Module.fit(..., resume_from=prefix)`` continues exactly, data order included."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import mxlite as mx
from mxlite import checkpoint
from mxlite.base import FormatError, ParamError

from .helpers import CLASSES, as_np, dataset, max_diff, tiny

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mxnet"
ROOT = Path(__file__).resolve().parents[2]


def dropout_net() -> mx.sym.Symbol:
    net = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=16, name="fc1")
    net = mx.sym.Dropout(mx.sym.Activation(net, act_type="relu"), p=0.3)
    net = mx.sym.FullyConnected(net, num_hidden=CLASSES, name="fc2")
    return mx.sym.SoftmaxOutput(net, name="softmax")


def _fit(prefix: str | None, num_epoch: int, seed: int, resume: bool = False) -> dict:
    """Adam with a schedule, Dropout, shuffled roll-over batches, one checkpoint an
    epoch; a fresh iterator and Module, as a new process would make them."""
    mx.random.seed(seed)
    it = mx.io.NDArrayIter(*dataset(230), 50, shuffle=True, last_batch_handle="roll_over")
    mod = mx.mod.Module(dropout_net())
    saver = (mx.callback.module_checkpoint(mod, prefix, save_optimizer_states=True)
             if prefix else None)
    sched = mx.lr_scheduler.FactorScheduler(step=3, factor=0.7)
    mod.fit(it, num_epoch=num_epoch, optimizer="adam", initializer=mx.init.Xavier(),
            optimizer_params={"learning_rate": 0.01, "lr_scheduler": sched},
            epoch_end_callback=saver, resume_from=prefix if resume else None)
    return as_np(mod.get_params()[0])


@pytest.mark.slow
def test_fit_resume_from_continues_exactly(tmp_path):
    """3 epochs straight == 1 epoch, then a new iterator, Module and seed that
    resume from the checkpoint: data order, key, schedule and slots come back."""
    straight = _fit(None, 3, seed=5)
    prefix = str(tmp_path / "run")
    _fit(prefix, 1, seed=5)
    assert checkpoint.latest_checkpoint(prefix) == 1
    resumed = _fit(prefix, 3, seed=99, resume=True)
    assert max_diff(straight, resumed) == 0
    assert checkpoint.latest_checkpoint(prefix) == 3
    assert max_diff(straight, _fit(None, 3, seed=6)) > 1e-4  # the seed matters


@pytest.mark.slow
def test_resume_from_nothing_trains_from_the_start(tmp_path, caplog):
    prefix = str(tmp_path / "new" / "run")
    with caplog.at_level("INFO"):
        params = _fit(prefix, 1, seed=5, resume=True)
    assert max_diff(params, _fit(None, 1, seed=5)) == 0
    assert f'no checkpoint of "{prefix}" yet' in caplog.text
    assert checkpoint.latest_checkpoint(prefix) == 1


# -- the manifest ------------------------------------------------------------------


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A trained Module's checkpoint with optimizer states, epoch 2."""
    folder = tmp_path_factory.mktemp("ck")
    mx.random.seed(1)
    mod = mx.mod.Module(tiny())
    mod.fit(mx.io.NDArrayIter(*dataset(100), 50), num_epoch=1,
            optimizer_params={"learning_rate": 0.1, "momentum": 0.9})
    mod.save_checkpoint(str(folder / "m"), 2, save_optimizer_states=True)
    return folder


def _copy(saved, tmp_path) -> Path:
    for name in os.listdir(saved):
        shutil.copy(saved / name, tmp_path / name)
    return tmp_path


def test_the_manifest_names_every_file_with_size_and_sha256(saved):
    manifest = json.loads((saved / "m-0002.manifest.json").read_text())
    assert manifest["format"] == "mxlite checkpoint" and manifest["epoch"] == 2
    assert sorted(manifest["files"]) == ["params", "states", "symbol"]
    for entry in manifest["files"].values():
        raw = (saved / entry["name"]).read_bytes()
        assert entry["size"] == len(raw)
        assert entry["sha256"] == hashlib.sha256(raw).hexdigest()
    assert manifest["files"]["states"]["name"] == "m-0002.states"
    resume = manifest["resume"]
    assert resume["num_update"] == 2 and len(resume["key"]) == 2
    assert set(resume["random"]) == {"seed", "counter"}


@pytest.mark.parametrize("name", ["m-0002.params", "m-0002.states", "m-symbol.json"])
def test_a_file_changed_after_the_manifest_is_refused(saved, tmp_path, name):
    folder = _copy(saved, tmp_path)
    raw = bytearray((folder / name).read_bytes())
    raw[-1] ^= 1  # same size, other content
    (folder / name).write_bytes(bytes(raw))
    with pytest.raises(FormatError, match=r"sha256 is .* but the checkpoint's manifest") \
            as info:
        mx.mod.Module.load(str(folder / "m"), 2, load_optimizer_states=True)
    assert str(folder / name) in str(info.value)
    assert checkpoint.latest_checkpoint(str(folder / "m")) is None


def test_a_missing_states_file_makes_the_checkpoint_incomplete(saved, tmp_path):
    folder = _copy(saved, tmp_path)
    os.unlink(folder / "m-0002.states")
    with pytest.raises(FormatError, match=r"lists 'm-0002\.states', which does not exist"):
        mx.model.load_checkpoint(str(folder / "m"), 2)


def test_latest_checkpoint_skips_epochs_without_a_good_manifest(saved, tmp_path):
    folder = _copy(saved, tmp_path)
    prefix = str(folder / "m")
    assert mx.model.latest_checkpoint(prefix) == 2
    shutil.copy(folder / "m-0002.params", folder / "m-0003.params")  # killed mid-save
    (folder / "m-0004.manifest.json").write_text("{not json")
    assert mx.model.latest_checkpoint(prefix) == 2
    assert mx.model.latest_checkpoint(str(folder / "other")) is None
    assert mx.model.latest_checkpoint(str(tmp_path / "nowhere" / "m")) is None


def test_mxnet_checkpoints_have_no_manifest_and_still_count(tmp_path):
    shutil.copy(FIXTURES / "mlp-symbol.json", tmp_path / "mlp-symbol.json")
    shutil.copy(FIXTURES / "mlp-0001.params", tmp_path / "mlp-0001.params")
    shutil.copy(FIXTURES / "mlp-0001.params", tmp_path / "mlp-0007.params")
    assert mx.model.latest_checkpoint(str(tmp_path / "mlp")) == 7
    symbol, arg, _ = mx.model.load_checkpoint(str(tmp_path / "mlp"), 1)
    assert "fullyconnected0_weight" in arg and len(symbol.list_outputs()) == 1


def test_leftover_temporaries_go_when_a_checkpoint_is_written_or_loaded(saved, tmp_path):
    folder = _copy(saved, tmp_path)
    mine = [".m-0003.params.a1b2c3d4.tmp", ".m-symbol.json.zz99yy88.tmp",
            ".m-0002.manifest.json.q1w2e3r4.tmp"]
    others = [".n-0003.params.a1b2c3d4.tmp", ".notes.txt.a1b2c3d4.tmp"]
    for name in mine + others:
        (folder / name).write_bytes(b"half")
    mx.model.load_checkpoint(str(folder / "m"), 2)
    assert sorted(n for n in os.listdir(folder) if n.endswith(".tmp")) == sorted(others)
    (folder / mine[0]).write_bytes(b"half")
    symbol, arg, aux = mx.model.load_checkpoint(str(folder / "m"), 2)
    mx.model.save_checkpoint(str(folder / "m"), 3, symbol, arg, aux)
    assert sorted(n for n in os.listdir(folder) if n.endswith(".tmp")) == sorted(others)
    assert mx.model.latest_checkpoint(str(folder / "m")) == 3


# -- the folder ---------------------------------------------------------------------


@pytest.mark.parametrize("make", [mx.callback.do_checkpoint,
                                  lambda p: mx.callback.module_checkpoint(None, p)])
def test_checkpoint_callbacks_create_their_folder_before_training(tmp_path, make):
    prefix = str(tmp_path / "a" / "b" / "net")
    make(prefix)
    assert (tmp_path / "a" / "b").is_dir()
    (tmp_path / "file").write_text("")
    with pytest.raises(ParamError, match=r"checkpoint prefix '.*file/net': cannot "
                       r"create its folder"):
        make(str(tmp_path / "file" / "net"))


def test_saving_into_a_missing_folder_names_the_prefix(saved, tmp_path):
    symbol, arg, aux = mx.model.load_checkpoint(str(saved / "m"), 2)
    with pytest.raises(ParamError, match=r"checkpoint prefix '.*gone/m': the folder "
                       r"'.*gone' does not exist"):
        mx.model.save_checkpoint(str(tmp_path / "gone" / "m"), 1, symbol, arg, aux)


# -- the state that makes a resume exact ----------------------------------------------


@pytest.mark.parametrize("handle", ["pad", "roll_over", "discard"])
def test_ndarray_iter_state_restores_the_next_epochs(handle):
    def batches(it, n):
        out = []
        for _ in range(n):
            out.append([b.index.tolist() for b in it])
            it.reset()
        return out

    mx.random.seed(3)
    x, y = dataset(23)
    it = mx.io.NDArrayIter(x, y, 5, shuffle=True, last_batch_handle=handle)
    batches(it, 2)
    state = json.loads(json.dumps(it.get_state()))  # JSON data
    want = batches(it, 3)
    mx.random.seed(4)
    other = mx.io.NDArrayIter(x, y, 5, shuffle=True, last_batch_handle=handle)
    other.set_state(state)
    assert batches(other, 3) == want
    with pytest.raises(ParamError, match=r"the state does not fit this iterator"):
        mx.io.NDArrayIter(x[:20], y[:20], 5, shuffle=True).set_state(state)


def test_random_state_round_trips():
    mx.random.seed(12)
    mx.random.next_key()
    state = mx.random.get_state()
    assert state == {"seed": 12, "counter": 1}
    want = np.asarray(mx.random.next_key())
    mx.random.seed(0)
    mx.random.set_state(state)
    np.testing.assert_array_equal(np.asarray(mx.random.next_key()), want)
    with pytest.raises(ParamError, match=r"random\.set_state: state must be"):
        mx.random.set_state({"seed": -1, "counter": 0})


# -- SIGKILL at random moments -----------------------------------------------------------


@pytest.mark.slow
def test_killed_runs_resume_to_the_uninterrupted_runs_parameters():
    """tools/kill_resume.py, shortened: 2 kills per optimizer (SGD-momentum and
    Adam), each resume with no epoch given; final .params and .states equal the
    uninterrupted run's bit for bit (children pinned to one core)."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "kill_resume.py"), "--kills", "2",
         "--epochs", "6"], capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r.get("optimizer") for r in rows[:2]] == ["sgd-momentum", "adam"]
    for row in rows[:2]:
        assert row["params_bit_identical"] and row["states_bit_identical"], row
        assert row["resumed_from_epoch"][-1] <= 6
    assert rows[2]["all_bit_identical"] is True
    assert rows[2]["kills"] >= 1
