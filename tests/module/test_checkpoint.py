"""Checkpoints: MXNet's file names and formats, atomic writes, faithful resume,
MXNet 1.9.1 fixtures, and clear errors for corrupt or foreign files."""

from __future__ import annotations

import json
import logging
import os
import pickle
import shutil
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest

import mxlite as mx
import mxlite.jl
from mxlite import checkpoint
from mxlite.base import FormatError
from mxlite.ndarray.serialization import load_arrays

from .helpers import (
    FEATURES,
    as_nd,
    as_np,
    dataset,
    max_diff,
    tiny,
    tiny_bn,
    tiny_params,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mxnet"
OPT = {"learning_rate": 0.1, "momentum": 0.9, "wd": 1e-3}


def trained(symbol=tiny, epochs: int = 1, n: int = 200) -> mx.mod.Module:
    x, y = dataset(n)
    mx.random.seed(2)
    mod = mx.mod.Module(symbol())
    mod.fit(mx.io.NDArrayIter(x, y, 50), num_epoch=epochs, initializer=mx.init.Xavier(),
            optimizer_params=OPT)
    return mod


def listing(directory: Path) -> list[str]:
    return sorted(os.listdir(directory))


# -- round trips ----------------------------------------------------------------------------


@pytest.mark.slow
def test_save_then_load_gives_identical_predictions(tmp_path, caplog):
    mod = trained(tiny_bn)
    prefix = str(tmp_path / "net")
    with caplog.at_level(logging.INFO):
        mod.save_checkpoint(prefix, 3)
    assert listing(tmp_path) == ["net-0003.manifest.json", "net-0003.params",
                                 "net-symbol.json"]
    assert f'Saved checkpoint to "{prefix}-0003.params"' in caplog.messages
    assert "mxlite.checkpoint" in [r.name for r in caplog.records]
    keys = sorted(load_arrays(f"{prefix}-0003.params"))
    assert keys == ["arg:bn1_beta", "arg:bn1_gamma", "arg:fc1_bias", "arg:fc1_weight",
                    "arg:fc2_bias", "arg:fc2_weight", "aux:bn1_moving_mean",
                    "aux:bn1_moving_var"]
    x, y = dataset(70, seed=8)
    want = mod.predict(mx.io.NDArrayIter(x, y, 20)).asnumpy()
    loaded = mx.mod.Module.load(prefix, 3)
    loaded.bind([("data", (20, FEATURES))], for_training=False)
    np.testing.assert_array_equal(loaded.predict(mx.io.NDArrayIter(x, y, 20)).asnumpy(), want)
    arg, aux = mod.get_params()
    arg2, aux2 = loaded.get_params()
    assert max_diff(as_np(arg), as_np(arg2)) == 0 and max_diff(as_np(aux), as_np(aux2)) == 0
    assert np.abs(aux2["bn1_moving_mean"].asnumpy()).max() > 0  # the aux state was trained


@pytest.mark.slow
def test_model_level_save_and_load_checkpoint(tmp_path):
    mod = trained()
    arg, aux = mod.get_params()
    prefix = str(tmp_path / "m")
    mx.model.save_checkpoint(prefix, 1, mod.symbol, arg, aux)
    symbol, arg2, aux2 = mx.model.load_checkpoint(prefix, 1)
    assert symbol.tojson() == mod.symbol.tojson()
    assert max_diff(as_np(arg), as_np(arg2)) == 0 and aux2 == {}
    checkpoint.save_checkpoint(str(tmp_path / "only"), 2, None, arg, aux)
    assert "only-0002.params" in listing(tmp_path)
    assert "only-symbol.json" not in listing(tmp_path)


def test_save_params_and_load_params(tmp_path):
    mod = trained()
    mod.save_params(str(tmp_path / "p.params"))
    other = mx.mod.Module(tiny())
    other.bind([("data", (5, FEATURES))], for_training=False)
    other.init_params()
    other.load_params(str(tmp_path / "p.params"))
    assert max_diff(as_np(other.get_params()[0]), as_np(mod.get_params()[0])) == 0


def test_optimizer_states_round_trip(tmp_path):
    mod = trained()
    fname = str(tmp_path / "s.states")
    mod.save_optimizer_states(fname)
    slots = lambda: mod._train_state.opt["slots"]["fc1_weight"]  # noqa: E731
    before = {k: np.asarray(v) for k, v in slots().items()}
    assert np.abs(before["mom"]).max() > 0
    count = int(mod._train_state.step)
    mod._train_state = mod._train_state._replace(step=jnp.int32(0))
    mod.load_optimizer_states(fname)
    after = {k: np.asarray(v) for k, v in slots().items()}
    assert max_diff(before, after) == 0
    # the one step counter: the state's, the host's mirror and MXNet's attribute
    assert int(mod._train_state.step) == count == mod._num_update == 4
    assert mod._optimizer.num_update == 4


# -- resume ----------------------------------------------------------------------------------


def _straight(shuffle: bool, schedule: bool) -> dict:
    x, y = dataset(500)
    mx.random.seed(5)
    it = mx.io.NDArrayIter(x, y, 50, shuffle=shuffle)
    mod = mx.mod.Module(tiny())
    mod.fit(it, num_epoch=2, initializer=mx.init.Xavier(), optimizer_params=_opt(schedule))
    return as_np(mod.get_params()[0])


def _opt(schedule: bool) -> dict:
    if not schedule:
        return dict(OPT)
    return {**OPT, "learning_rate": None,
            "lr_scheduler": mx.lr_scheduler.FactorScheduler(step=7, factor=0.5, base_lr=0.1)}


def _resumed(tmp_path, shuffle: bool, schedule: bool, load_states: bool = True) -> dict:
    x, y = dataset(500)
    mx.random.seed(5)
    it = mx.io.NDArrayIter(x, y, 50, shuffle=shuffle)
    first = mx.mod.Module(tiny())
    first.fit(it, num_epoch=1, initializer=mx.init.Xavier(), optimizer_params=_opt(schedule))
    prefix = str(tmp_path / "run")
    first.save_checkpoint(prefix, 1, save_optimizer_states=True)
    # A fresh Module from the files continues with the same iterator object, so
    # both runs see the same orders. (fit(..., resume_from=prefix) also restores
    # a re-created iterator's order: tests/module/test_resume.py.)
    second = mx.mod.Module.load(prefix, 1, load_optimizer_states=load_states)
    second.fit(it, begin_epoch=1, num_epoch=2, optimizer_params=_opt(schedule))
    return as_np(second.get_params()[0])


@pytest.mark.slow
@pytest.mark.parametrize("shuffle", [False, True])
def test_resume_from_checkpoint_continues_exactly(tmp_path, shuffle):
    """2 epochs straight == 1 epoch + save + Module.load + 1 epoch, bit for bit
    (momentum buffers and the update count come back from the .states file)."""
    assert max_diff(_straight(shuffle, False), _resumed(tmp_path, shuffle, False)) == 0


@pytest.mark.slow
def test_resume_keeps_the_learning_rate_schedule(tmp_path):
    """The update count is restored, so FactorScheduler continues at update 11."""
    assert max_diff(_straight(True, True), _resumed(tmp_path, True, True)) == 0


def test_resume_without_optimizer_states_differs(tmp_path):
    """Sanity check of the test above: the momentum buffers matter."""
    assert max_diff(_straight(False, False), _resumed(tmp_path, False, False, False)) > 1e-4


def test_load_optimizer_states_requires_the_file(tmp_path):
    trained().save_checkpoint(str(tmp_path / "n"), 1)
    with pytest.raises(FileNotFoundError, match=r"n-0001\.states"):
        mx.mod.Module.load(str(tmp_path / "n"), 1, load_optimizer_states=True)


# -- MXNet 1.9.1 files ---------------------------------------------------------------------


def test_mxnet_checkpoint_predicts_what_mxnet_predicted():
    expected = json.loads((FIXTURES / "mlp_predict.json").read_text())
    x = np.asarray(expected["inputs"], np.float32)
    want = np.asarray(expected["outputs"], np.float32)
    mod = mx.mod.Module.load(str(FIXTURES / "mlp"), 1)
    mod.bind([("data", (100, 1, 28, 28))], [("softmax_label", (100,))], for_training=False)
    np.testing.assert_allclose(mod.predict(x).asnumpy(), want, rtol=0, atol=1e-5)
    with pytest.warns(DeprecationWarning, match="FeedForward is deprecated"):
        ff = mx.model.FeedForward.load(str(FIXTURES / "mlp"), 1)
    np.testing.assert_allclose(ff.predict(x), want, rtol=0, atol=1e-5)
    it = mx.io.NDArrayIter(x, batch_size=4)
    ff_jl = mxlite.jl.FeedForward.load(str(FIXTURES / "mlp"), 1)
    np.testing.assert_allclose(mxlite.jl.predict(ff_jl, it), want, rtol=0, atol=1e-5)


def test_mxlite_checkpoint_is_mxnet_format_byte_for_byte(tmp_path):
    """Re-saving MXNet's checkpoint gives MXNet's bytes (so MXNet can read ours)."""
    symbol, arg, aux = mx.model.load_checkpoint(str(FIXTURES / "mlp"), 1)
    mx.model.save_checkpoint(str(tmp_path / "mlp"), 1, symbol, arg, aux)
    ours = load_arrays(tmp_path / "mlp-0001.params")
    theirs = load_arrays(FIXTURES / "mlp-0001.params")
    assert sorted(ours) == sorted(theirs)
    assert all(np.array_equal(ours[k], theirs[k]) for k in ours)
    assert (tmp_path / "mlp-0001.params").read_bytes() == (
        FIXTURES / "mlp-0001.params").read_bytes()
    ours_json = json.loads((tmp_path / "mlp-symbol.json").read_text())
    theirs_json = json.loads((FIXTURES / "mlp-symbol.json").read_text())
    assert ours_json["nodes"] == theirs_json["nodes"]
    assert ours_json["heads"] == theirs_json["heads"]


# -- atomic writes -----------------------------------------------------------------------------


def _crash_on(monkeypatch, suffix: str) -> None:
    real = os.replace

    def replace(src, dst, *args, **kwargs):
        if str(dst).endswith(suffix):
            raise OSError(28, "No space left on device (simulated)")
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".params", ".states", "symbol.json", "manifest.json"])
def test_a_crash_while_saving_leaves_the_previous_checkpoint(tmp_path, monkeypatch, suffix):
    mod = trained()
    prefix = str(tmp_path / "ck")
    mod.save_checkpoint(prefix, 1, save_optimizer_states=True)
    before = {name: (tmp_path / name).read_bytes() for name in listing(tmp_path)}
    mod.fit(mx.io.NDArrayIter(*dataset(100), 50), begin_epoch=1, num_epoch=2)
    _crash_on(monkeypatch, suffix)
    with pytest.raises(OSError, match="simulated"):
        mod.save_checkpoint(prefix, 2, save_optimizer_states=True)
    monkeypatch.undo()
    assert not [n for n in listing(tmp_path) if n.endswith(".tmp")]
    assert "ck-0002.manifest.json" not in listing(tmp_path)
    for name, content in before.items():
        assert (tmp_path / name).read_bytes() == content, name
    assert mx.model.latest_checkpoint(prefix) == 1  # epoch 2 is not a checkpoint
    loaded = mx.mod.Module.load(prefix, 1, load_optimizer_states=True)
    loaded.bind([("data", (50, FEATURES))], [("softmax_label", (50,))])
    loaded.init_optimizer(optimizer_params=OPT)  # the .states file still loads


# -- corrupt and foreign files -----------------------------------------------------------------


@pytest.fixture()
def fixture_copy(tmp_path):
    shutil.copy(FIXTURES / "mlp-symbol.json", tmp_path / "m-symbol.json")
    shutil.copy(FIXTURES / "mlp-0001.params", tmp_path / "m-0001.params")
    return tmp_path


def _damage(path: Path, how: str) -> None:
    raw = path.read_bytes()
    if how == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif how == "wrong magic":
        path.write_bytes(b"\x13" + raw[1:])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "no arg:/aux: keys":
        mx.nd.save(str(path), {"fullyconnected0_weight": mx.nd.ones((2,))})
    elif how == "unnamed arrays":
        mx.nd.save(str(path), [mx.nd.ones((2,))])


@pytest.mark.parametrize("how, match", [
    ("truncated", "truncated"),
    ("wrong magic", "magic"),
    ("empty", "truncated"),
    ("no arg:/aux: keys", "neither 'arg:<name>' nor 'aux:<name>'"),
    ("unnamed arrays", "named arrays"),
])
def test_a_corrupt_params_file_raises_format_error_naming_it(fixture_copy, how, match):
    params = fixture_copy / "m-0001.params"
    _damage(params, how)
    with pytest.raises(FormatError, match=match) as info:
        mx.mod.Module.load(str(fixture_copy / "m"), 1)
    assert str(params) in str(info.value)
    with pytest.raises(FormatError):
        mx.model.load_checkpoint(str(fixture_copy / "m"), 1)


def test_a_corrupt_symbol_file_raises_format_error(fixture_copy):
    (fixture_copy / "m-symbol.json").write_text('{"nodes": [')
    with pytest.raises(FormatError, match=r"m-symbol\.json"):
        mx.mod.Module.load(str(fixture_copy / "m"), 1)


class _Boom:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


@pytest.mark.parametrize("kind", ["pickle", "params", "other optimizer", "junk"])
def test_a_states_file_that_is_not_ours_raises_format_error(tmp_path, kind):
    mod = trained()
    fname = tmp_path / "x.states"
    if kind == "pickle":  # MXNet's own .states files are pickles: never unpickled
        fname.write_bytes(pickle.dumps({0: _Boom()}))
    elif kind == "params":
        shutil.copy(FIXTURES / "mlp-0001.params", fname)
    elif kind == "other optimizer":
        adam = mx.mod.Module(tiny())
        adam.bind([("data", (50, FEATURES))], [("softmax_label", (50,))])
        adam.init_params(arg_params=as_nd(tiny_params()))
        adam.init_optimizer(optimizer="adam")
        adam.save_optimizer_states(str(fname))
    else:
        fname.write_bytes(os.urandom(64))
    with pytest.raises(FormatError) as info:
        mod.load_optimizer_states(str(fname))
    assert str(fname) in str(info.value)
