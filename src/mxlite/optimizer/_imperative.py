"""MXNet's imperative optimizer API on NDArrays, over the pure rule.

``opt.create_state(index, weight)`` and ``opt.update(index, weight, grad,
state)`` (through ``mx.optimizer.get_updater``) run the same ``_rule`` as
the compiled training step, under a ``jax.jit`` cached per rule structure;
the hyper-parameters are traced arguments, so changing one never reuses a
stale program. Update counts are kept per index, as MXNet did.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from ..base import DTypeError, ParamError, ShapeError
from ..ndarray import NDArray
from ._rule import MASTER as _MASTER

__all__ = ["ImperativeAPI"]


class ImperativeAPI:
    """Mixin: ``create_state``/``update`` on NDArrays by index (MXNet's API)."""

    def create_state(self, index: Any, weight: NDArray) -> Any:
        """The state for one weight, shaped as MXNet's: None, an NDArray or a tuple."""
        slots = self._init_slots(weight._data)
        return self._pack({k: NDArray(v, weight.context) for k, v in slots.items()})

    def create_state_multi_precision(self, index: Any, weight: NDArray) -> Any:
        """Like ``create_state``; with multi_precision and a float16 weight,
        ``(state, float32 master copy)``."""
        slots = self._init_weight_state(weight._data)
        return self._pack({k: NDArray(v, weight.context) for k, v in slots.items()})

    def _pack(self, slots: dict[str, NDArray]) -> Any:
        """Named state arrays -> MXNet's state object."""
        if _MASTER in slots:
            inner = {k: v for k, v in slots.items() if k != _MASTER}
            return (self._pack(inner), slots[_MASTER])
        names = self._slot_names()
        if not names:
            return None
        if len(names) == 1 and not self._tuple_state:
            return slots[names[0]]
        return tuple(slots[name] for name in names)

    def _unpack(self, state: Any, master: bool) -> dict[str, NDArray]:
        """MXNet's state object -> named state arrays."""
        where = f"{type(self).__name__}.update"
        if master:
            if not (isinstance(state, tuple) and len(state) == 2):
                raise ParamError(f"{where}: a multi-precision state is (state, "
                                 f"weight32); got {type(state).__name__}.")
            return {**self._unpack(state[0], False), _MASTER: state[1]}
        names = self._slot_names()
        if not names:
            arrays = [] if state is None else None
        elif len(names) == 1 and not self._tuple_state:
            arrays = [state]
        else:
            arrays = list(state) if isinstance(state, (tuple, list)) else None
        if arrays is None or len(arrays) != len(names) or not all(
                isinstance(a, NDArray) for a in arrays):
            raise ParamError(f"{where}: the state does not fit {type(self).__name__} "
                             f"with these settings (expected arrays {list(names)}); "
                             f"got {state!r}. Create it with create_state.")
        return dict(zip(names, arrays))

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        """Update ``weight`` (and ``state``) in place from ``grad``, MXNet style."""
        if isinstance(index, (list, tuple)):
            for i, w, g, s in zip(index, weight, grad, state):
                self.update(i, w, g, s)
            return
        self._update_one(index, weight, grad, state, master=False)

    def update_multi_precision(self, index: Any, weight: NDArray, grad: NDArray,
                               state: Any) -> None:
        """``update``, using the float32 master copy when there is one."""
        if isinstance(index, (list, tuple)):
            for i, w, g, s in zip(index, weight, grad, state):
                self.update_multi_precision(i, w, g, s)
            return
        master = self._wants_master(weight._data.dtype)
        self._update_one(index, weight, grad, state, master=master)

    def _update_one(self, index: Any, weight: NDArray, grad: NDArray, state: Any,
                    master: bool) -> None:
        where = f"{type(self).__name__}.update(index={index!r})"
        if not isinstance(weight, NDArray) or not isinstance(grad, NDArray):
            raise DTypeError(f"{where}: weight and grad must be NDArrays; got "
                             f"{type(weight).__name__} and {type(grad).__name__}.")
        if weight.shape != grad.shape:
            raise ShapeError(f"{where}: weight has shape {weight.shape} but grad has "
                             f"shape {grad.shape}.")
        slots = self._unpack(state, master)
        self._update_count(index)
        lr = jnp.float32(self._get_lr(index))
        wd = jnp.float32(self._get_wd(index))
        t = jnp.int32(self._index_update_count[index])
        h = self.hyper_tree(())["rule"]
        step = self._compiled_step()
        new_w, new_slots = step(weight._data, grad._data,
                                {k: v._data for k, v in slots.items()}, lr, wd,
                                t=t, h=h)
        weight._data = new_w
        for name, arr in slots.items():
            arr._data = new_slots[name]

    def _compiled_step(self) -> Any:
        key = self._structure()
        cache = self.__dict__.setdefault("_jit_cache", {})
        step = cache.get(key)
        if step is None:
            step = cache[key] = jax.jit(self._step)
        return step

    def _set_current_context(self, device_id: int) -> None:
        if device_id not in self._all_index_update_counts:
            self._all_index_update_counts[device_id] = {}
        self._index_update_count = self._all_index_update_counts[device_id]

    def _update_count(self, index: Any) -> None:
        indices = index if isinstance(index, (list, tuple)) else [index]
        for idx in indices:
            count = self._index_update_count.get(idx, self.begin_num_update) + 1
            self._index_update_count[idx] = count
            self.num_update = max(count, self.num_update)
