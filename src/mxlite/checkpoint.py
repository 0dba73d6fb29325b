"""MXNet checkpoints: ``prefix-symbol.json`` and ``prefix-%04d.params``.

Parameters are stored with MXNet's keys (``arg:fc1_weight``, ``aux:bn_moving_mean``)
in MXNet's binary format, so checkpoints move both ways between mxlite and
MXNet 1.x. Every file is written atomically (temporary file, fsync, rename)
and read without pickle; a corrupt or hostile file raises FormatError.

A checkpoint is one unit: after its files, mxlite writes
``prefix-%04d.manifest.json`` (atomically, last) naming each file with its
size and SHA-256, plus what an exact resume needs (the update count, the
random key, mx.random's stream, the data iterator's position). A kill at any
moment leaves the previous complete checkpoint or the new one: files without
their manifest are not a checkpoint (:func:`latest_checkpoint` skips them),
and loading checks the manifest when there is one. MXNet's own checkpoints
have none and load as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ._fileio import atomic_write_bytes, remove_stale_temporaries
from .base import FormatError, ParamError
from .ndarray import NDArray, load, save
from .ndarray.serialization import load_arrays, save_arrays
from .symbol import Symbol
from .symbol import load as load_symbol

_log = logging.getLogger(__name__)

__all__ = [
    "latest_checkpoint",
    "load_checkpoint",
    "load_params",
    "load_states",
    "manifest_file",
    "params_file",
    "read_manifest",
    "save_checkpoint",
    "save_params",
    "save_states",
    "states_file",
    "symbol_file",
    "write_checkpoint",
]


def symbol_file(prefix: str) -> str:
    """``prefix-symbol.json``."""
    return f"{prefix}-symbol.json"


def params_file(prefix: str, epoch: int) -> str:
    """``prefix-0001.params`` for epoch 1."""
    return f"{prefix}-{int(epoch):04d}.params"


def states_file(prefix: str, epoch: int) -> str:
    """``prefix-0001.states`` for epoch 1 (the optimizer state)."""
    return f"{prefix}-{int(epoch):04d}.states"


def manifest_file(prefix: str, epoch: int) -> str:
    """``prefix-0001.manifest.json``: written last, it makes epoch 1 complete."""
    return f"{prefix}-{int(epoch):04d}.manifest.json"


def save_params(fname: str | os.PathLike, arg_params: dict[str, NDArray],
                aux_params: dict[str, NDArray]) -> None:
    """Write parameters with ``arg:``/``aux:`` keys (atomically)."""
    payload = {f"arg:{k}": v for k, v in arg_params.items()}
    payload.update({f"aux:{k}": v for k, v in aux_params.items()})
    save(fname, payload)


def save_checkpoint(prefix: str, epoch: int, symbol: Symbol | None, arg_params: dict,
                    aux_params: dict, remove_amp_cast: bool = True) -> None:
    """Save the symbol and the parameters of ``epoch`` (MXNet's file names).

    Each file is replaced atomically and ``prefix-%04d.manifest.json`` is
    written last (see the module's docstring); ``symbol=None`` writes only the
    parameters. Logs ``Saved checkpoint to "prefix-0001.params"`` as MXNet.
    """
    write_checkpoint(prefix, epoch, symbol, arg_params, aux_params)


def split_params(loaded: dict | list, fname: str) -> tuple[dict, dict]:
    """Split a loaded ``.params`` dict into (arg_params, aux_params)."""
    if not isinstance(loaded, dict):
        raise FormatError(f"{fname}: a parameter file must hold named arrays "
                          "('arg:<name>' / 'aux:<name>'); this one holds a list.")
    arg_params, aux_params = {}, {}
    for key, value in loaded.items():
        kind, _, name = key.partition(":")
        if kind == "arg" and name:
            arg_params[name] = value
        elif kind == "aux" and name:
            aux_params[name] = value
        else:
            raise FormatError(f"{fname}: key {key!r} is neither 'arg:<name>' nor "
                              "'aux:<name>'.")
    return arg_params, aux_params


def load_params(prefix: str, epoch: int) -> tuple[dict, dict]:
    """Load ``(arg_params, aux_params)`` of a checkpoint."""
    fname = params_file(prefix, epoch)
    return split_params(load(fname), fname)


def load_checkpoint(prefix: str, epoch: int) -> tuple[Symbol, dict, dict]:
    """Load ``(symbol, arg_params, aux_params)`` saved by mxlite or MXNet.

    Files that do not match the checkpoint's manifest raise FormatError;
    leftover temporaries of the prefix's files are removed first.
    """
    remove_checkpoint_temporaries(prefix)
    read_manifest(prefix, epoch)
    symbol = load_symbol(symbol_file(prefix))
    arg_params, aux_params = load_params(prefix, epoch)
    return symbol, arg_params, aux_params


_NUM_UPDATE = "__num_update__"


def _flat_state(state: Any) -> dict[str, Any]:
    leaves = jax.tree_util.tree_flatten_with_path(state)[0]
    return {jax.tree_util.keystr(path): leaf for path, leaf in leaves}


def save_states(fname: str | os.PathLike, opt_state: Any, num_update: int) -> None:
    """Write an optimizer state pytree as named arrays in MXNet's format.

    Keys are the pytree paths (``['fc1_weight'].mom``); no pickle is involved.
    """
    # NOTE: MXNet's record format has no 0-d arrays, so scalars (the update
    # count) are stored with shape (1,) and reshaped back on load.
    payload = {k: np.atleast_1d(np.asarray(v)) for k, v in _flat_state(opt_state).items()}
    payload[_NUM_UPDATE] = np.asarray([num_update], np.int64)
    save_arrays(fname, payload)


def load_states(fname: str | os.PathLike, template: Any) -> tuple[Any, int]:
    """Read a state file into the structure of ``template``; check every key."""
    loaded = load_arrays(fname)
    if not isinstance(loaded, dict) or _NUM_UPDATE not in loaded:
        raise FormatError(f"{fname}: not an mxlite optimizer state file (no "
                          f"{_NUM_UPDATE!r} entry); save it with "
                          "Module.save_optimizer_states.")
    count = loaded.pop(_NUM_UPDATE)
    if count.shape != (1,) or count.dtype.kind not in "iu":
        raise FormatError(f"{fname}: {_NUM_UPDATE!r} must be one integer; got an "
                          f"array of shape {count.shape} and dtype {count.dtype}.")
    num_update = int(count[0])
    wanted = _flat_state(template)
    if set(loaded) != set(wanted):
        missing = sorted(set(wanted) - set(loaded))[:3]
        extra = sorted(set(loaded) - set(wanted))[:3]
        raise FormatError(f"{fname}: optimizer state does not match this optimizer "
                          f"(missing {missing}, unexpected {extra}).")
    leaves, treedef = jax.tree_util.tree_flatten(template)
    paths = list(wanted)
    new_leaves = []
    for path, leaf in zip(paths, leaves):
        value = loaded[path]
        if np.ndim(leaf) == 0 and value.shape == (1,):
            value = value.reshape(())
        if value.shape != tuple(np.shape(leaf)):
            raise FormatError(f"{fname}: state {path} has shape {value.shape}; "
                              f"expected {tuple(np.shape(leaf))}.")
        new_leaves.append(jnp.asarray(value, dtype=jnp.result_type(leaf)))
    return jax.tree_util.tree_unflatten(treedef, new_leaves), num_update


# -- the checkpoint as one unit -----------------------------------------------------

_MANIFEST_FORMAT = "mxlite checkpoint"
_MANIFEST_VERSION = 1


def _own_names(prefix: str) -> re.Pattern[str]:
    """The names of a prefix's checkpoint files (for temporaries and listing)."""
    base = re.escape(os.path.basename(prefix))
    return re.compile(rf"{base}-(symbol\.json|(?P<epoch>\d{{4,}})\."
                      rf"(?P<kind>params|states|manifest\.json))")


def _folder(prefix: str) -> str:
    return os.path.dirname(os.path.abspath(prefix))


def remove_checkpoint_temporaries(prefix: str) -> list[str]:
    """Delete what a killed write of the prefix's checkpoint files left behind."""
    if not os.path.isdir(_folder(prefix)):
        return []
    removed = remove_stale_temporaries(_folder(prefix), names=_own_names(prefix))
    for path in removed:
        _log.info('Removed "%s", left by an interrupted checkpoint write', path)
    return removed


def check_folder(prefix: str, *, create: bool = False) -> None:
    """Make sure checkpoints of ``prefix`` can be written (create its folder).

    Raises:
        ParamError: the folder is missing (and not created) or not writable.
    """
    folder = _folder(prefix)
    if create:
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as err:
            raise ParamError(f"checkpoint prefix {prefix!r}: cannot create its folder "
                             f"{folder!r} ({err.strerror or err}).") from None
    if not os.path.isdir(folder):
        raise ParamError(f"checkpoint prefix {prefix!r}: the folder {folder!r} does "
                         "not exist; create it first.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ParamError(f"checkpoint prefix {prefix!r}: the folder {folder!r} is not "
                         "writable.")


def _record(path: str) -> dict:
    with open(path, "rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    return {"name": os.path.basename(path), "size": os.path.getsize(path),
            "sha256": digest}


def write_checkpoint(prefix: str, epoch: int, symbol: Symbol | None, arg_params: dict,
                     aux_params: dict, *, states: tuple | None = None,
                     resume: dict | None = None) -> None:
    """Write the checkpoint of ``epoch`` as one unit; its manifest goes last.

    Args:
        prefix, epoch, symbol, arg_params, aux_params: as :func:`save_checkpoint`.
        states: ``(optimizer state pytree, update count)`` for ``prefix-%04d.states``.
        resume: JSON data an exact resume needs (kept in the manifest).
    """
    check_folder(prefix)
    remove_checkpoint_temporaries(prefix)
    manifest = manifest_file(prefix, epoch)
    # Rewriting an epoch: it stops being a checkpoint until its new manifest lands.
    with contextlib.suppress(FileNotFoundError):
        os.unlink(manifest)
    files = {}
    if symbol is not None:
        symbol.save(files.setdefault("symbol", symbol_file(prefix)))
    save_params(files.setdefault("params", params_file(prefix, epoch)), arg_params,
                aux_params)
    if states is not None:
        save_states(files.setdefault("states", states_file(prefix, epoch)), *states)
    record = {"format": _MANIFEST_FORMAT, "version": _MANIFEST_VERSION,
              "epoch": int(epoch), "files": {k: _record(v) for k, v in files.items()},
              "resume": resume or {}}
    atomic_write_bytes(manifest, (json.dumps(record, indent=1) + "\n").encode())
    _log.info('Saved checkpoint to "%s"', files["params"])


def read_manifest(prefix: str, epoch: int) -> dict | None:
    """The manifest of a checkpoint, its files checked; None if it has none.

    Raises:
        FormatError: the manifest is malformed, or a file it names is missing
            or differs in size or SHA-256 (an interrupted or altered write).
    """
    path = manifest_file(prefix, epoch)
    try:
        with open(path, "rb") as f:
            text = f.read(1 << 20)
    except FileNotFoundError:
        return None
    try:
        manifest = json.loads(text)
    except ValueError as err:
        raise FormatError(f"{path}: not a checkpoint manifest ({err}).") from None
    if (not isinstance(manifest, dict) or manifest.get("format") != _MANIFEST_FORMAT
            or not isinstance(manifest.get("files"), dict)):
        raise FormatError(f"{path}: not an mxlite checkpoint manifest (no "
                          f"'format': {_MANIFEST_FORMAT!r} with 'files').")
    for kind, want in manifest["files"].items():
        _check_file(path, kind, want)
    return manifest


def _check_file(manifest: str, kind: str, want: Any) -> None:
    if not isinstance(want, dict) or not isinstance(want.get("name"), str) \
            or os.path.basename(want["name"]) != want["name"]:
        raise FormatError(f"{manifest}: entry {kind!r} must name a file in the "
                          f"checkpoint's folder; got {want!r}.")
    path = os.path.join(os.path.dirname(manifest), want["name"])
    if not os.path.isfile(path):
        raise FormatError(f"{manifest}: lists {want['name']!r}, which does not exist; "
                          "the checkpoint is incomplete.")
    got = _record(path)
    for field in ("size", "sha256"):
        if got[field] != want.get(field):
            raise FormatError(f"{path}: {field} is {got[field]}, but the checkpoint's "
                              f"manifest says {want.get(field)}; the file was changed "
                              "after the checkpoint was written.")


def latest_checkpoint(prefix: str) -> int | None:
    """The epoch of the newest complete checkpoint of ``prefix``; None if none.

    Where mxlite wrote manifests, the newest epoch whose manifest and files
    check out (an interrupted write is skipped). Where there is none (MXNet's
    checkpoints), the newest ``prefix-%04d.params``.

    Example:
        >>> import tempfile, os
        >>> latest_checkpoint(os.path.join(tempfile.mkdtemp(), "net")) is None
        True
    """
    folder = _folder(prefix)
    if not os.path.isdir(folder):
        return None
    pattern, found = _own_names(prefix), {"params": set(), "manifest.json": set()}
    for name in os.listdir(folder):
        match = pattern.fullmatch(name)
        if match and match["kind"] in found:
            found[match["kind"]].add(int(match["epoch"]))
    if not found["manifest.json"]:
        return max(found["params"], default=None)
    for epoch in sorted(found["manifest.json"], reverse=True):
        try:
            read_manifest(prefix, epoch)
        except FormatError as err:
            _log.debug("Skipping checkpoint %d of %r: %s", epoch, prefix, err)
            continue
        return epoch
    return None
