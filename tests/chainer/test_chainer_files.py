"""Chainer 7.8.1's own files and numbers, both ways (tests/fixtures/chainer/).

The fixtures are seed 003's MLP(50, 10) in its hand-written SoftmaxClassifier,
trained 3 Adam steps by real Chainer and saved with ``save_npz``. mxlite must
load them (also into lazy, uninitialized links), give Chainer's outputs,
reproduce Chainer's 3 updates from the same initial parameters on both the
compiled and the eager path, and write files that Chainer loads back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import mxlite.chainer as chainer
from mxlite.chainer import optimizers, serializers

from ..seeds._examples import load_example

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "chainer"
CHAINER_PY = Path(os.environ.get("MXLITE_BENCH_VENVS",
                                  Path.home() / ".cache/mxlite-bench")) / "chainer/bin/python"


# The seed's own classes, as examples/mnist_chainer.py writes them.
_SEED = load_example("mnist_chainer")
MLP, SoftmaxClassifier = _SEED.MLP, _SEED.SoftmaxClassifier


@pytest.fixture(scope="module")
def ref():
    with np.load(FIX / "reference.npz", allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def _model_from(ref: dict, prefix: str) -> SoftmaxClassifier:
    model = SoftmaxClassifier(MLP(50, 10))
    for path, param in model.namedparams():
        param.array = ref[f"{prefix}{path}"]
    return model


@pytest.mark.slow
def test_chainer_model_file_loads_into_lazy_links_and_gives_chainer_outputs(ref):
    model = SoftmaxClassifier(MLP(50, 10))
    assert model.predictor.l1.W.array is None
    serializers.load_npz(str(FIX / "classifier_mlp.model"), model)
    with chainer.using_config("train", False):
        y = model.predictor(ref["x_eval"])
        loss = model(ref["x_eval"], ref["t_eval"])
    np.testing.assert_allclose(np.asarray(y.array), ref["y_eval"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(float(loss.array), ref["loss_eval"], rtol=1e-5)
    assert float(model.accuracy.array) == pytest.approx(float(ref["accuracy_eval"]))


def test_chainer_optimizer_file_restores_t_and_adam_state(ref):
    model = SoftmaxClassifier(MLP(50, 10))
    serializers.load_npz(str(FIX / "classifier_mlp.model"), model)
    opt = optimizers.Adam()
    opt.setup(model)
    serializers.load_npz(str(FIX / "mlp.state"), opt)
    assert opt.t == 3
    with np.load(FIX / "mlp.state", allow_pickle=False) as state:
        for path, param in model.namedparams():
            rule = param.update_rule
            assert rule.t == int(state[f"{path[1:]}/t"])
            for slot in ("m", "v"):
                np.testing.assert_array_equal(np.asarray(rule.state[slot]),
                                              state[f"{path[1:]}/{slot}"])


@pytest.mark.slow
@pytest.mark.parametrize("path", ["compiled", "eager"])
def test_three_adam_updates_match_chainer(ref, path):
    model = _model_from(ref, "init")
    opt = optimizers.Adam()
    opt.setup(model)
    for step in (1, 2, 3):
        x, t = ref[f"x{step}"], ref[f"t{step}"]
        if path == "compiled":
            opt.update(model, chainer.Variable(x), chainer.Variable(t))
        else:
            loss = model(chainer.Variable(x), chainer.Variable(t))
            model.cleargrads()
            loss.backward()
            opt.update()
        assert float(model.loss.array) == pytest.approx(float(ref[f"step{step}/loss"]),
                                                        rel=1e-5)
    assert opt.t == 3
    for name, param in model.namedparams():
        key = f"step3{name}"
        if key in ref:
            np.testing.assert_allclose(np.asarray(param.array), ref[key], rtol=2e-5,
                                       atol=2e-7, err_msg=name)
    with np.load(FIX / "classifier_mlp.model", allow_pickle=False) as chainer_file:
        np.testing.assert_allclose(np.asarray(model.predictor.l1.W.array),
                                   chainer_file["predictor/l1/W"], rtol=2e-5, atol=2e-7)


def test_saved_files_have_chainers_keys_and_no_pickle(tmp_path, ref):
    model = _model_from(ref, "init")
    opt = optimizers.Adam()
    opt.setup(model)
    opt.update(model, ref["x1"], ref["t1"])
    serializers.save_npz(str(tmp_path / "m.model"), model)
    serializers.save_npz(str(tmp_path / "m.state"), opt)
    with np.load(tmp_path / "m.model", allow_pickle=False) as mine, \
            np.load(FIX / "classifier_mlp.model", allow_pickle=False) as theirs:
        assert sorted(mine.files) == sorted(theirs.files)
    with np.load(tmp_path / "m.state", allow_pickle=False) as mine, \
            np.load(FIX / "mlp.state", allow_pickle=False) as theirs:
        assert sorted(mine.files) == sorted(theirs.files)
        assert int(mine["t"]) == 1


def test_save_then_load_into_a_fresh_model_gives_identical_outputs(tmp_path, ref):
    model = _model_from(ref, "init")
    opt = optimizers.Adam()
    opt.setup(model)
    opt.update(model, ref["x1"], ref["t1"])
    serializers.save_npz(str(tmp_path / "m.model"), model)
    fresh = SoftmaxClassifier(MLP(50, 10))
    serializers.load_npz(str(tmp_path / "m.model"), fresh)
    a = np.asarray(model.predictor(ref["x_eval"]).array)
    b = np.asarray(fresh.predictor(ref["x_eval"]).array)
    np.testing.assert_array_equal(a, b)


@pytest.mark.skipif(not CHAINER_PY.exists(), reason="Chainer 7.8.1 venv absent "
                    "(bash benchmarks/peers/setup_peers.sh chainer)")
@pytest.mark.slow
def test_files_written_by_mxlite_load_in_chainer(tmp_path, ref):
    model = SoftmaxClassifier(MLP(50, 10))
    serializers.load_npz(str(FIX / "classifier_mlp.model"), model)
    opt = optimizers.Adam()
    opt.setup(model)
    serializers.load_npz(str(FIX / "mlp.state"), opt)
    serializers.save_npz(str(tmp_path / "m.model"), model)
    serializers.save_npz(str(tmp_path / "m.state"), opt)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([str(CHAINER_PY), str(FIX / "check_mxlite_files.py"), "--model",
                          "mlp", str(tmp_path / "m.model"), "--state",
                          str(tmp_path / "m.state")],
                         capture_output=True, text=True, env=env, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["missing"] == [] and got["extra"] == []
    assert got["state"]["t"] == 3
    np.testing.assert_allclose(np.asarray(got["y_eval"]), ref["y_eval"], rtol=1e-6)
    assert sys.executable  # the check ran in Chainer's interpreter, not ours
