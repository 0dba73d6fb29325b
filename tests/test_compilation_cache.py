"""The persistent compilation cache: private folder, real hits on a second run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mxlite import _platform

_RUN = textwrap.dedent("""
    import json
    import jax
    import numpy as np
    import mxlite as mx
    from mxlite.executor import cache

    # Which of mxlite's compiled programs JAX loaded from the persistent cache.
    loaded, current = [], []
    jax.monitoring.register_event_listener(
        lambda event, **_: loaded.extend(current)
        if event == "/jax/compilation_cache/cache_hits" else None)
    compiled = cache.compiled

    def watched(key, *args, **kwargs):
        current[:] = [key[0] if isinstance(key, tuple) else key]  # (kind, structure)
        try:
            return compiled(key, *args, **kwargs)
        finally:
            current[:] = []

    cache.compiled = watched
    mx.random.seed(0)
    x = np.random.default_rng(0).random((200, 1, 28, 28), dtype=np.float32)
    y = (np.arange(200) % 10).astype(np.float32)
    net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(mx.sym.flatten(mx.sym.var("data")),
                                                     num_hidden=10), name="softmax")
    mod = mx.mod.Module(net, context=mx.cpu())
    mod.fit(mx.io.NDArrayIter(x, y, 50, shuffle=True), num_epoch=1,
            optimizer_params={"learning_rate": 0.1})
    print(json.dumps(loaded))
""")


def _train(cache: Path) -> list:
    env = {**os.environ, "MXLITE_COMPILATION_CACHE": str(cache),
           "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", _RUN], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.slow
def test_second_run_loads_the_training_loop_from_the_cache(tmp_path):
    cache = tmp_path / "xla"
    assert "loop" not in _train(cache)
    assert cache.stat().st_mode & 0o777 == 0o700
    assert any(p.name.startswith("jit__loop-") for p in cache.iterdir())
    # jax#38445 rejects every CPU entry on some AVX-512 machines; this catches it.
    assert "loop" in _train(cache)


def test_cache_folder_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MXLITE_COMPILATION_CACHE", "off")
    assert _platform._cache_dir() is None
    monkeypatch.setenv("MXLITE_COMPILATION_CACHE", str(tmp_path / "mine"))
    assert _platform._cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("MXLITE_COMPILATION_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert _platform._cache_dir() == tmp_path / "mxlite" / "xla"


def test_a_folder_others_can_write_is_refused(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    assert "mode is 777" in _platform._private(shared)
    fresh = tmp_path / "a" / "b"
    assert _platform._private(fresh) is None
    assert fresh.stat().st_mode & 0o777 == 0o700


def test_a_folder_of_another_user_is_refused(monkeypatch, tmp_path):
    owner = tmp_path.stat().st_uid
    monkeypatch.setattr(_platform.os, "getuid", lambda: owner + 1)
    assert f"belongs to uid {owner}" in _platform._private(tmp_path)


def test_unsafe_folder_is_not_used(monkeypatch, tmp_path, caplog):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    monkeypatch.setenv("MXLITE_COMPILATION_CACHE", str(shared))
    if _platform.jax.config.jax_compilation_cache_dir:
        pytest.skip("this test process already has a compilation cache")
    with caplog.at_level("WARNING", logger="mxlite"):
        assert _platform.compilation_cache() is None
    assert "not using" in caplog.text and "mode is 755" in caplog.text


@pytest.mark.skipif(os.getuid() == 0, reason="root may write anywhere")
def test_unwritable_location_is_reported(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    assert "cannot create it" in _platform._private(locked / "xla")
