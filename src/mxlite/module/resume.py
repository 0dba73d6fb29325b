"""``Module.fit(..., resume_from=prefix)``: continue from the newest complete
checkpoint as if training had never stopped.

A checkpoint written by ``Module.save_checkpoint(..., save_optimizer_states=
True)`` (``mx.callback.module_checkpoint``) during ``fit`` holds, besides the
parameters and optimizer slots, the update count (the learning-rate
schedule's position), the step's random key, mx.random's stream and the data
iterator's position at the epoch boundary; all of it comes back here. MXNet
resumed only the weights (``begin_epoch`` plus ``arg_params``).
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .. import checkpoint, random

__all__ = ["ResumePoint", "find", "resume_state", "restore"]


class ResumePoint(NamedTuple):
    """A checkpoint to continue from: its epoch, parameters and saved state."""

    prefix: str
    epoch: int
    arg_params: dict
    aux_params: dict
    states: str | None
    resume: dict


def find(prefix: str, logger: Any) -> ResumePoint | None:
    """The newest complete checkpoint of ``prefix``, loaded; None if none."""
    epoch = checkpoint.latest_checkpoint(prefix)
    if epoch is None:
        logger.info('Module.fit: no checkpoint of "%s" yet; training from the start',
                    prefix)
        return None
    manifest = checkpoint.read_manifest(prefix, epoch) or {}
    _, arg_params, aux_params = checkpoint.load_checkpoint(prefix, epoch)
    states = checkpoint.states_file(prefix, epoch)
    listed = manifest.get("files", {}).get("states")
    if (listed is None and manifest) or not os.path.isfile(states):
        logger.warning('Module.fit: checkpoint "%s" has no optimizer states; the '
                       "optimizer starts afresh", checkpoint.params_file(prefix, epoch))
        states = None
    logger.info('Module.fit: resuming from "%s" (epoch %d done)',
                checkpoint.params_file(prefix, epoch), epoch)
    return ResumePoint(prefix, epoch, arg_params, aux_params, states,
                       manifest.get("resume") or {})


def resume_state(module: Any) -> dict:
    """What an exact resume needs beyond the files, as JSON data."""
    key = module._train_state.key
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        key = jax.random.key_data(key)
    data = getattr(module, "_fit_data", None)
    get_state = getattr(data, "get_state", None)
    return {"num_update": module._step_count,
            "key": np.asarray(key).astype(np.uint32).ravel().tolist(),
            "key_shape": list(np.shape(key)),
            "random": random.get_state(),
            "data": get_state() if get_state is not None else None}


def restore(module: Any, point: ResumePoint, train_data: Any) -> None:
    """Give a bound, initialized module the checkpoint's optimizer state, key,
    mx.random's stream and the data iterator's position."""
    if point.states is not None:
        module.load_optimizer_states(point.states)
    saved = point.resume
    state = module._train_state
    key = saved.get("key")
    if key is not None and not jnp.issubdtype(state.key.dtype, jax.dtypes.prng_key) \
            and list(np.shape(state.key)) == saved.get("key_shape"):
        module._train_state = state._replace(
            key=jnp.asarray(np.asarray(key, np.uint32).reshape(state.key.shape)))
    data = saved.get("data")
    if data is not None:
        set_state = getattr(train_data, "set_state", None)
        if set_state is None:
            module.logger.warning("Module.fit: train_data has no set_state(); it "
                                  "starts where it is, not where the checkpoint was")
        else:
            set_state(data)
    if saved.get("random") is not None:
        random.set_state(saved["random"])
