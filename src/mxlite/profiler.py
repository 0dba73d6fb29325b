"""``mx.profiler``: MXNet's profiler API, recorded by ``jax.profiler``.

The calls are MXNet 1.9.1's::

    mx.profiler.set_config(profile_all=True, filename="profile.json")
    mx.profiler.set_state("run")
    ...                                  # the code to profile
    mx.profiler.set_state("stop")
    mx.profiler.dump()

Where the results go: :func:`dump` writes ``filename`` as Chrome trace-event
JSON (``{"traceEvents": [...]}``, gzip-compressed when the name ends in
``.gz``), which https://ui.perfetto.dev and ``chrome://tracing`` open, and
keeps JAX's TensorBoard log directory next to it, named after the file
without ``.json``/``.json.gz`` plus ``_tensorboard`` (``profile.json`` ->
``profile_tensorboard/``; open it with ``tensorboard --logdir
profile_tensorboard``, tab "Profile"). Until then the recording sits in a
temporary directory.

Differences: the trace is XLA's (compiled programs, their kernels, host
threads and Python calls), not MXNet's per-operator and C API events; the
``profile_*``, ``continuous_dump``, ``dump_period`` and ``aggregate_stats``
settings are accepted and change nothing. ``set_state('stop')`` while not
running is an error (MXNet ignored it), and an unknown state is a
ParamError naming the two (MXNet: a KeyError). Each :func:`dump` writes what was recorded since the
previous one. :func:`pause` ends the current JAX trace and :func:`resume`
starts another; their events are put on one time line. The ``Domain``,
``Task``, ``Frame``, ``Event``, ``Counter`` and ``Marker`` objects are not
provided (use ``jax.profiler.TraceAnnotation``).
"""

from __future__ import annotations

import atexit
import collections
import gzip
import json
import os
import pathlib
import shutil
import tempfile
import threading
import time
from typing import Any

from jax import profiler as jax_profiler

from . import _platform  # noqa: F401  (JAX config: x64 before any array)
from ._fileio import atomic_write_bytes
from .base import MXNetError, ParamError, did_you_mean

__all__ = ["dump", "dumps", "pause", "resume", "set_config", "set_state"]

_DEFAULTS: dict[str, Any] = {
    "filename": "profile.json",
    "profile_all": False,
    "profile_symbolic": True,
    "profile_imperative": True,
    "profile_memory": True,
    "profile_api": True,
    "continuous_dump": True,
    "dump_period": 1.0,
    "aggregate_stats": False,
    "profile_process": "worker",
}
_STATES = ("run", "stop")
_SORT_KEYS = {"total": 1, "avg": 4, "min": 2, "max": 3, "count": 0}


class _Recording:
    """The profiler's state: settings, and the JAX traces not yet dumped."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.config = dict(_DEFAULTS)
        self.running = False  # between set_state('run') and set_state('stop')
        self.tracing = False  # a JAX trace is open (running and not paused)
        self.log_dir: pathlib.Path | None = None
        self.sessions: list[tuple[pathlib.Path, float]] = []  # (log dir, start time)
        self.stats_from = 0  # first session that dumps() counts (after reset=True)


_rec = _Recording()


def set_config(**kwargs: Any) -> None:
    """Set the profiler's options (keywords only, MXNet's names).

    Args:
        **kwargs: ``filename`` (the trace file :func:`dump` writes, default
            ``profile.json``) and ``profile_process`` (``'worker'`` only) take
            effect; ``profile_all``, ``profile_symbolic``,
            ``profile_imperative``, ``profile_memory``, ``profile_api``,
            ``continuous_dump``, ``dump_period`` and ``aggregate_stats`` are
            accepted and ignored: the JAX trace records everything.

    Raises:
        ParamError: an unknown option, a bad value, or the profiler is running.

    Example:
        >>> set_config(profile_all=True, filename="profile.json")
    """
    unknown = sorted(set(kwargs) - set(_DEFAULTS))
    if unknown:
        raise ParamError(
            f"profiler.set_config: unknown option(s) {', '.join(unknown)}; expected "
            f"{', '.join(_DEFAULTS)}.{did_you_mean(unknown[0], _DEFAULTS)}"
        )
    if "profile_process" in kwargs:
        _check_process(kwargs["profile_process"], "set_config")
    if "filename" in kwargs and not isinstance(kwargs["filename"], (str, os.PathLike)):
        raise ParamError(
            f"profiler.set_config: filename must be a path; got {kwargs['filename']!r}."
        )
    with _rec.lock:
        if _rec.running:
            raise ParamError(
                "profiler.set_config: the profiler is running; call "
                "set_state('stop') first."
            )
        _rec.config.update(kwargs)


def set_state(state: str = "stop", profile_process: str = "worker") -> None:
    """Start (``'run'``) or stop (``'stop'``) recording.

    Raises:
        ParamError: ``state`` is neither, or ``'stop'`` while not running.
    """
    _check_process(profile_process, "set_state")
    if state not in _STATES:
        raise ParamError(
            f"profiler.set_state: state must be 'run' or 'stop'; got {state!r}."
            f"{did_you_mean(str(state), _STATES)}"
        )
    with _rec.lock:
        if state == "run":
            if not _rec.running:
                _rec.running = True
                _start_trace()
            return
        if not _rec.running:
            raise ParamError(
                "profiler.set_state('stop'): the profiler is not running; call "
                "set_state('run') first."
            )
        _stop_trace()
        _rec.running = False


def pause(profile_process: str = "worker") -> None:
    """Stop recording for a while, without leaving the ``'run'`` state."""
    _check_process(profile_process, "pause")
    with _rec.lock:
        _stop_trace()


def resume(profile_process: str = "worker") -> None:
    """Record again after :func:`pause`."""
    _check_process(profile_process, "resume")
    with _rec.lock:
        if _rec.running and not _rec.tracing:
            _start_trace()


def dump(finished: bool = True, profile_process: str = "worker") -> None:
    """Write what was recorded since the last dump to the configured ``filename``.

    Also moves the TensorBoard log directory next to the file (see the
    module docstring).

    Args:
        finished: stop the profiler too (MXNet's meaning); with False it
            goes on recording, and the next dump holds what follows.
        profile_process: ``'worker'`` only.

    Raises:
        MXNetError: nothing was recorded.
    """
    _check_process(profile_process, "dump")
    with _rec.lock:
        _stop_trace()
        if not _rec.sessions:
            raise MXNetError(
                "profiler.dump: nothing was recorded since the last dump; call "
                "set_state('run') before the code to profile."
            )
        path = pathlib.Path(_rec.config["filename"])
        path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps(_merged_trace()).encode("utf-8")
        atomic_write_bytes(path, gzip.compress(data) if path.suffix == ".gz" else data)
        _keep_log_dir(_rec.log_dir, _tensorboard_dir(path))
        _rec.log_dir, _rec.sessions, _rec.stats_from = None, [], 0
        _rec.running = _rec.running and not finished
        if _rec.running:
            _start_trace()


def dumps(
    reset: bool = False, format: str = "table", sort_by: str = "total",
    ascending: bool = False,
) -> str:
    """Time per event name, as MXNet's aggregate statistics (``'table'`` or ``'json'``).

    Events are grouped by the trace's process (``/host:CPU``, a device);
    times are in milliseconds. ``reset=True`` starts the counts afresh.
    """
    if format not in ("table", "json") or sort_by not in _SORT_KEYS:
        raise ParamError(
            f"profiler.dumps: format must be 'table' or 'json' and sort_by one of "
            f"{', '.join(_SORT_KEYS)}; got format={format!r}, sort_by={sort_by!r}."
        )
    with _rec.lock:
        if _rec.tracing:  # flush the open trace so its events can be read
            _stop_trace()
            _start_trace()
        stats = _aggregate(_rec.sessions[_rec.stats_from :])
        if reset:
            _rec.stats_from = len(_rec.sessions)
    key = _SORT_KEYS[sort_by]
    ordered = {
        group: dict(sorted(rows.items(), key=lambda kv: kv[1][key], reverse=not ascending))
        for group, rows in stats.items()
    }
    return _json_stats(ordered) if format == "json" else _table(ordered)


def _check_process(profile_process: Any, where: str) -> None:
    if profile_process != "worker":
        raise ParamError(
            f"profiler.{where}: profile_process must be 'worker'; got "
            f"{profile_process!r}. A 'server' needs a distributed kvstore, "
            "which mxlite does not have."
        )


def _start_trace() -> None:
    if _rec.log_dir is None:
        _rec.log_dir = pathlib.Path(tempfile.mkdtemp(prefix="mxlite-profile-"))
    session = _rec.log_dir / str(len(_rec.sessions))
    try:
        jax_profiler.start_trace(session, create_perfetto_trace=True)
    except RuntimeError as err:
        raise MXNetError(
            f"profiler.set_state('run'): JAX's profiler would not start ({err}). "
            "Stop any jax.profiler trace of your own first."
        ) from err
    _rec.sessions.append((session, time.time()))
    _rec.tracing = True


def _stop_trace() -> None:
    if _rec.tracing:
        _rec.tracing = False
        jax_profiler.stop_trace()


def _session_events(session: pathlib.Path) -> list[dict]:
    traces = sorted(session.glob("plugins/profile/*/perfetto_trace.json.gz"))
    events = []
    for trace in traces:
        with gzip.open(trace, "rb") as f:
            events += json.load(f).get("traceEvents", [])
    return events


def _merged_trace() -> dict:
    """The sessions' events on one time line (each session's clock starts at 0)."""
    origin = _rec.sessions[0][1]
    events, seen = [], set()
    for session, started in _rec.sessions:
        shift = (started - origin) * 1e6  # trace times are in microseconds
        for event in _session_events(session):
            if event.get("ph") == "M":
                key = (event.get("pid"), event.get("tid"), event.get("name"))
                if key in seen:
                    continue
                seen.add(key)
            elif "ts" in event:
                event = {**event, "ts": event["ts"] + shift}
            events.append(event)
    return {"displayTimeUnit": "ns", "traceEvents": events}


def _tensorboard_dir(path: pathlib.Path) -> pathlib.Path:
    name = path.name
    for suffix in (".json.gz", ".gz", ".json"):
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    return path.with_name(name + "_tensorboard")


def _keep_log_dir(log_dir: pathlib.Path, target: pathlib.Path) -> None:
    """Move the temporary log directory to ``target``, beside earlier dumps' runs."""
    target.mkdir(parents=True, exist_ok=True)
    taken = {p.name for p in target.iterdir()}
    for session in sorted(log_dir.iterdir(), key=lambda p: int(p.name)):
        number = 0
        while str(number) in taken:
            number += 1
        taken.add(str(number))
        shutil.move(os.fspath(session), os.fspath(target / str(number)))
    shutil.rmtree(log_dir, ignore_errors=True)


def _aggregate(sessions: list) -> dict[str, dict[str, list[float]]]:
    """``{process: {name: [count, total, min, max, avg]}}`` of complete events, in ms."""
    stats: dict = collections.defaultdict(dict)
    for session, _ in sessions:
        events = _session_events(session)
        process = {
            e.get("pid"): e["args"]["name"]
            for e in events
            if e.get("ph") == "M" and e.get("name") == "process_name"
        }
        for e in events:
            if e.get("ph") != "X":
                continue
            ms = e.get("dur", 0) / 1000.0
            row = stats[process.get(e.get("pid"), str(e.get("pid")))].setdefault(
                e["name"], [0, 0.0, ms, ms, 0.0]
            )
            row[0] += 1
            row[1] += ms
            row[2], row[3] = min(row[2], ms), max(row[3], ms)
            row[4] = row[1] / row[0]
    return dict(stats)


def _table(stats: dict) -> str:
    lines = ["", "Profile Statistics:", "\tNote the difference in units for different entries."]
    header = ("Name", "Total Count", "Time (ms)", "Min Time (ms)", "Max Time (ms)",
              "Avg Time (ms)")
    layout = "{:<30}{:>11}{:>17}{:>17}{:>17}{:>17}"
    for group, rows in stats.items():
        lines += [group, "=================", layout.format(*header),
                  layout.format(*("-" * len(h) for h in header))]
        lines += [f"{name[:29]:<30}{row[0]:>11}" + "".join(f"{v:>17.4f}" for v in row[1:])
                  for name, row in rows.items()]
        lines.append("")
    return "\n".join(lines)


def _json_stats(stats: dict) -> str:
    fields = ("Count", "Total", "Min", "Max", "Avg")
    time_stats = {
        group: {name: dict(zip(fields, row)) for name, row in rows.items()}
        for group, rows in stats.items()
    }
    return json.dumps({"Time": time_stats, "Unit": {"Time": "ms"}}, indent=4)


@atexit.register
def _discard_undumped() -> None:
    """Remove the temporary recording of a process that ended without dump()."""
    if _rec.log_dir is not None:
        shutil.rmtree(_rec.log_dir, ignore_errors=True)
