"""mx.profiler: MXNet's calls, a JAX trace written as Perfetto JSON plus a
TensorBoard log directory. A trace takes about a second here."""

from __future__ import annotations

import gzip
import json

import pytest

import mxlite as mx
from mxlite import profiler
from mxlite.base import MXNetError, ParamError


@pytest.fixture(autouse=True)
def fresh_profiler(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    yield
    with profiler._rec.lock:  # leave no JAX trace open for the next test
        profiler._stop_trace()
        profiler._rec.running = False
    profiler.set_config(filename="profile.json")


def compute() -> None:
    a = mx.nd.ones((64, 64))
    mx.nd.dot(a, a + 1).wait_to_read()


def events(path) -> list:
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt") as f:
        trace = json.load(f)
    assert isinstance(trace["traceEvents"], list)
    return trace["traceEvents"]


def test_run_stop_dump_writes_a_trace_and_a_tensorboard_dir(tmp_path):
    profiler.set_config(profile_all=True, aggregate_stats=True, filename="out/run.json")
    profiler.set_state("run")
    compute()
    profiler.set_state("stop")
    profiler.dump()
    trace = events(tmp_path / "out" / "run.json")
    timed = [e for e in trace if e.get("ph") == "X"]
    assert timed and all("ts" in e and "dur" in e for e in timed)
    assert any(e.get("name") == "process_name" for e in trace)
    runs = list((tmp_path / "out" / "run_tensorboard").glob("*/plugins/profile/*/*.xplane.pb"))
    assert len(runs) == 1
    with pytest.raises(MXNetError, match="nothing was recorded since the last dump"):
        profiler.dump()


@pytest.mark.slow
def test_gz_name_pause_resume_and_dumps(tmp_path):
    profiler.set_config(filename="trace.json.gz")
    profiler.set_state("run")
    compute()
    profiler.pause()
    profiler.resume()
    compute()
    table = profiler.dumps(sort_by="count")
    assert "Profile Statistics:" in table and "Total Count" in table
    stats = json.loads(profiler.dumps(format="json", reset=True))
    assert stats["Unit"] == {"Time": "ms"}
    rows = [row for group in stats["Time"].values() for row in group.values()]
    assert rows and all(row["Count"] >= 1 and row["Min"] <= row["Max"] for row in rows)
    profiler.dump(finished=False)  # goes on recording
    assert len(events(tmp_path / "trace.json.gz")) > 0
    compute()
    profiler.set_state("stop")
    profiler.dump()
    # One JAX trace per stretch: run, resume, two dumps() flushes, after dump().
    sessions = sorted(p.name for p in (tmp_path / "trace_tensorboard").iterdir())
    assert sessions == ["0", "1", "2", "3", "4"]


def test_errors_name_what_is_accepted():
    with pytest.raises(ParamError, match="state must be 'run' or 'stop'; got 'start'"):
        profiler.set_state("start")
    with pytest.raises(ParamError, match=r"set_state\('stop'\): the profiler is not running"):
        profiler.set_state("stop")
    with pytest.raises(ParamError, match=r"unknown option.*profile_al; expected filename, "
                                         r"profile_all.*Did you mean 'profile_all'"):
        profiler.set_config(profile_al=True)
    with pytest.raises(ParamError, match="profile_process must be 'worker'; got 'server'"):
        profiler.set_state("run", profile_process="server")
    with pytest.raises(ParamError, match="sort_by one of total, avg, min, max, count"):
        profiler.dumps(sort_by="mean")
    profiler.set_state("run")
    with pytest.raises(ParamError, match="the profiler is running"):
        profiler.set_config(filename="other.json")
