"""MXNet checkpoints: ``prefix-symbol.json`` and ``prefix-%04d.params``.

Parameters are stored with MXNet's keys (``arg:fc1_weight``, ``aux:bn_moving_mean``)
in MXNet's binary format, so checkpoints move both ways between mxlite and
MXNet 1.x. Every file is written atomically (temporary file, fsync, rename)
and read without pickle; a corrupt or hostile file raises FormatError.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .base import FormatError
from .ndarray import NDArray, load, save
from .ndarray.serialization import load_arrays, save_arrays
from .symbol import Symbol
from .symbol import load as load_symbol

_log = logging.getLogger(__name__)

__all__ = [
    "load_checkpoint",
    "load_params",
    "load_states",
    "params_file",
    "save_checkpoint",
    "save_params",
    "save_states",
    "symbol_file",
]


def symbol_file(prefix: str) -> str:
    """``prefix-symbol.json``."""
    return f"{prefix}-symbol.json"


def params_file(prefix: str, epoch: int) -> str:
    """``prefix-0001.params`` for epoch 1."""
    return f"{prefix}-{int(epoch):04d}.params"


def save_params(fname: str | os.PathLike, arg_params: dict[str, NDArray],
                aux_params: dict[str, NDArray]) -> None:
    """Write parameters with ``arg:``/``aux:`` keys (atomically)."""
    payload = {f"arg:{k}": v for k, v in arg_params.items()}
    payload.update({f"aux:{k}": v for k, v in aux_params.items()})
    save(fname, payload)


def save_checkpoint(prefix: str, epoch: int, symbol: Symbol | None, arg_params: dict,
                    aux_params: dict, remove_amp_cast: bool = True) -> None:
    """Save the symbol and the parameters of ``epoch`` (MXNet's file names).

    Each file is replaced atomically; ``symbol=None`` writes only the
    parameters. Logs ``Saved checkpoint to "prefix-0001.params"`` as MXNet.
    """
    if symbol is not None:
        symbol.save(symbol_file(prefix))
    fname = params_file(prefix, epoch)
    save_params(fname, arg_params, aux_params)
    _log.info('Saved checkpoint to "%s"', fname)


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
    """Load ``(symbol, arg_params, aux_params)`` saved by mxlite or MXNet."""
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
