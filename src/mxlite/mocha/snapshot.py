"""Mocha's snapshots: ``snapshot-005000.jld``, resume, ``load_snapshot``.

A snapshot is an HDF5 file (the ``.jld`` name is Mocha's) written
atomically, holding

- ``params_all/<layer>/0``, ``/1``: each learned layer's arrays in Mocha's
  order (filter or weight, then bias), in mxlite's layout;
- ``solver_state``: ``iteration``, ``obj_val``, ``learning_rate``,
  ``momentum``, and what Mocha did not save: the optimizer's slots
  (momentum history, Adam's moments) under ``opt/<param>/<slot>``, the
  random key, each training data layer's position and shuffle state under
  ``data/<layer>``, and the learning-rate policy's own state.

So a run resumed from it continues exactly as if never stopped. Files are
read without pickle, every array checked against the net before use.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..base import FormatError
from ..datasets.hdf5 import read_tree, write_tree
from ..ndarray import NDArray
from .net import Net

__all__ = ["latest_snapshot", "load_snapshot", "resume", "save_snapshot", "snapshot_name"]

_NAME = re.compile(r"^snapshot-(\d+)\.jld$")
_FORMAT = "mxlite-mocha-snapshot"


def snapshot_name(iteration: int) -> str:
    """``snapshot-%06d.jld``."""
    return f"snapshot-{iteration:06d}.jld"


def latest_snapshot(directory: str | os.PathLike) -> Path | None:
    """The snapshot of HIGHEST iteration in ``directory`` (Mocha took the
    newest modification time, which a copied folder scrambles), or None."""
    found = [(int(m.group(1)), p) for p in Path(directory).iterdir()
             if (m := _NAME.match(p.name)) and p.is_file()]
    return max(found)[1] if found else None


def _params_tree(net: Net) -> dict:
    out = {}
    for layer in net.layers:
        blobs = net.states[layer.name].parameters
        if blobs:
            out[layer.name] = {str(i): b.data.asnumpy() for i, b in enumerate(blobs)}
    return out


def save_snapshot(run: Any, path: str | os.PathLike) -> None:
    """Write the net's parameters and the whole solver state to ``path``."""
    net, state = run.net, run.state
    opt = {n: {k: np.asarray(v) for k, v in slots.items()}
           for n, slots in state.opt["slots"].items()}
    policy = getattr(run.solver.rule.lr_policy, "state_dict", None)
    solver_state = {
        "iteration": int(run.iter), "obj_val": float(run.obj_val),
        "learning_rate": float(run.learning_rate or 0.0),
        "momentum": float(run.momentum or 0.0), "opt": opt,
        "key": np.asarray(state.key),
        "data": {x.name: net.states[x.name].runtime.state() for x in run.data},
        "policy": policy() if policy is not None else {}}
    write_tree(path, {"params_all": _params_tree(net), "solver_state": solver_state},
               attrs={"format": _FORMAT, "version": 1})


def _fail(path: Any, what: str) -> FormatError:
    return FormatError(f"snapshot {os.fspath(path)!r}: {what}")


def _load_params(net: Net, tree: dict, path: Any) -> None:
    stored = tree.get("params_all")
    if not isinstance(stored, dict):
        raise _fail(path, "no 'params_all' group; not a Mocha snapshot.")
    for layer in net.layers:
        blobs = net.states[layer.name].parameters
        if not blobs:
            continue
        arrays = stored.get(layer.name)
        if not isinstance(arrays, dict):
            raise _fail(path, f"no parameters for layer {layer.name!r} (it has "
                        f"{sorted(stored)}).")
        for i, blob in enumerate(blobs):
            value = arrays.get(str(i))
            if not isinstance(value, np.ndarray) or value.shape != blob.data.shape:
                got = getattr(value, "shape", value)
                raise _fail(path, f"params_all/{layer.name}/{i} ({blob.role} of layer "
                            f"{layer.name!r}) should be an array of shape "
                            f"{blob.data.shape}; got {got!r:.60}.")
            blob.data._data = NDArray(value.astype(np.float32), blob.data.context)._data


def _snapshot_file(source: str | os.PathLike) -> Path | None:
    """The snapshot ``source`` names: a file, or the latest in a folder. None
    for ``""``, a folder holding none, or a folder not made yet (a first run)."""
    if not source:
        return None
    path = Path(source)
    if path.is_dir():
        return latest_snapshot(path)
    if not path.exists() and path.suffix not in (".jld", ".h5", ".hdf5"):
        return None
    return path


def load_snapshot(net: Net, path: str | os.PathLike) -> Path | None:
    """Load parameters into ``net`` from a snapshot file, or from the latest
    one in a folder; ``""`` does nothing. The file used, or None."""
    found = _snapshot_file(path)
    if found is not None:
        _load_params(net, read_tree(found, where="load_snapshot"), found)
    return found


def _checked_opt(run: Any, tree: dict, path: Any) -> dict:
    opt = tree.get("opt", {})
    for name, slots in run.state.opt["slots"].items():
        for slot, value in slots.items():
            got = opt.get(name, {}).get(slot) if isinstance(opt.get(name), dict) else None
            if not isinstance(got, np.ndarray) or got.shape != tuple(value.shape):
                raise _fail(path, f"solver_state/opt/{name}/{slot} should be an array of "
                            f"shape {tuple(value.shape)}; got {getattr(got, 'shape', got)!r}.")
    return opt


def resume(run: Any, load_from: str | os.PathLike) -> bool:
    """Continue ``run`` from ``load_from`` (a snapshot or a folder of them).

    Returns whether a snapshot was loaded."""
    path = _snapshot_file(load_from)
    if path is None:
        return False
    tree = read_tree(path, where="solve(load_from)")
    _load_params(run.net, tree, path)
    state = tree.get("solver_state")
    if not isinstance(state, dict) or not isinstance(state.get("iteration"), (int, np.integer)):
        raise _fail(path, "no solver_state/iteration.")
    opt = _checked_opt(run, state, path)
    key = state.get("key")
    if not isinstance(key, np.ndarray) or key.shape != tuple(run.state.key.shape):
        raise _fail(path, "solver_state/key is missing or has the wrong shape.")
    for layer in run.data:
        saved = state.get("data", {}).get(layer.name)
        if saved is None:
            raise _fail(path, f"no solver_state/data/{layer.name} (the data layer's "
                        "position).")
        run.net.states[layer.name].runtime.restore(saved)
    policy = getattr(run.solver.rule.lr_policy, "load_state_dict", None)
    if policy is not None:
        policy(state.get("policy", {}))
    run.restore(int(state["iteration"]), opt, key.astype(np.uint32))
    run.resumed_from = path
    return True
