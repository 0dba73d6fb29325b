"""NDArrayIter: batches from in-memory arrays, gathered on the device.

The arrays are placed on the device once, at construction. Each epoch is a plan:
one matrix of row indices (one row per batch) and the padding of each batch,
made on the host from a permutation when ``shuffle=True``. A batch is one
compiled gather (``jnp.take``) with a row of that matrix, so no data goes
through the host after construction. :meth:`NDArrayIter.device_epoch` hands the
same plan to a compiled training loop.

Differences from MXNet 1.9.1, on purpose:

- Shuffling draws from ``mx.random`` (MXNet used NumPy's global generator, so
  ``mx.random.seed`` did not make it reproducible): one draw at construction
  roots the iterator's own stream, and epoch ``k``'s order derives from that
  root and ``k``, so :meth:`NDArrayIter.get_state` (JSON data, kept in
  checkpoints) restores the order of every later epoch.
- ``DataBatch.index`` holds the example indices of each batch (MXNet: None).
- Inputs are checked: all arrays must have the same number of examples, names
  must be unique, ``batch_size``, ``last_batch_handle`` and ``layout`` are
  validated with a clear error (MXNet failed later or not at all).
- All arrays live on one context: the first NDArray input's, else the current
  context (MXNet left each where it was).
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any, NamedTuple

import jax
import numpy as np

from .. import random
from ..base import MXNetError, ParamError, ShapeError, did_you_mean
from ..context import Context, current_context
from ..ndarray import NDArray, array
from .data_iter import DataBatch, DataDesc, DataIter, DeviceEpoch, take_rows

_log = logging.getLogger(__name__)

__all__ = ["NDArrayIter"]

_HANDLES = ("pad", "discard", "roll_over")


class _Plan(NamedTuple):
    """One epoch: row indices per batch, padding per batch, rows left over."""

    indices: np.ndarray
    pad: np.ndarray
    leftover: np.ndarray


@partial(jax.jit, static_argnums=2)
def _gather(arrays: tuple, rows: jax.Array, axis: int) -> tuple:
    return tuple(take_rows(a, rows, axis) for a in arrays)


class NDArrayIter(DataIter):
    """Iterate over NumPy arrays or NDArrays in batches (MXNet's NDArrayIter).

    Args:
        data: an array, a list of arrays (named ``_0_data``, ``_1_data``...) or a
            dict of name to array. Inputs are sorted by name. NumPy arrays and
            lists become float32 (``mx.nd.array``'s default); NDArrays keep their
            dtype.
        label: the same forms, or None.
        batch_size: examples per batch.
        shuffle: draw a new order at every :meth:`reset` (from ``mx.random``).
        last_batch_handle: for an incomplete last batch, ``'pad'`` fills it with
            examples from the start of the epoch's order (``pad`` says how
            many); ``'discard'`` drops it; ``'roll_over'`` keeps its examples
            for the first batch of the next epoch, whose ``pad`` is the number
            of examples rolled over (MXNet's convention).
        data_name: the name of a single data array.
        label_name: the name of a single label array.
        layout: axis names; the examples are along ``'N'``.

    Example:
        >>> import numpy as np
        >>> it = NDArrayIter(np.arange(10).reshape(5, 2), np.arange(5), batch_size=2)
        >>> [(b.data[0].shape, b.pad) for b in it]
        [((2, 2), 0), ((2, 2), 0), ((2, 2), 1)]
        >>> it.provide_label
        [DataDesc[softmax_label,(2,),<class 'numpy.float32'>,NCHW]]
    """

    def __init__(
        self,
        data: Any,
        label: Any = None,
        batch_size: int = 1,
        shuffle: bool = False,
        last_batch_handle: str = "pad",
        data_name: str = "data",
        label_name: str = "softmax_label",
        layout: str = "NCHW",
    ) -> None:
        super().__init__(_check_batch_size(batch_size))
        self.last_batch_handle = _check_handle(last_batch_handle)
        self.layout = layout
        self._axis = _batch_axis(layout)
        self.shuffle = bool(shuffle)
        ctx = _pick_context(data, label)
        self.data = _init_data(data, data_name, ctx, allow_empty=False)
        self.label = _init_data(label, label_name, ctx, allow_empty=True)
        self._ctx = ctx
        self.num_data = _num_examples(self.data + self.label, self._axis)
        self.data_list = [a for _, a in self.data] + [a for _, a in self.label]
        self.num_source = len(self.data_list)
        self._arrays = tuple(a._data for a in self.data_list)
        self._leftover = np.empty(0, np.int64)
        self._carry_ready = False
        self._root = random.seed_words() if self.shuffle else None
        self._epoch = -1  # epochs begun, less one
        self._new_epoch(carry=np.empty(0, np.int64))
        if self.num_data < self.batch_size and last_batch_handle == "discard":
            _log.warning(
                "NDArrayIter: %d examples with batch_size=%d and "
                "last_batch_handle='discard' give no batch at all.",
                self.num_data,
                self.batch_size,
            )

    # -- descriptions -----------------------------------------------------
    @property
    def provide_data(self) -> list[DataDesc]:
        """DataDescs of the data arrays, with ``batch_size`` on the batch axis."""
        return [self._desc(name, a) for name, a in self.data]

    @property
    def provide_label(self) -> list[DataDesc]:
        """DataDescs of the label arrays."""
        return [self._desc(name, a) for name, a in self.label]

    def _desc(self, name: str, a: NDArray) -> DataDesc:
        shape = list(a.shape)
        shape[self._axis] = self.batch_size
        return DataDesc(name, tuple(shape), a.dtype, layout=self.layout)

    # -- epochs -----------------------------------------------------------
    def reset(self) -> None:
        """Start the next epoch (a new order when shuffling).

        With ``'roll_over'``, the examples left over by an epoch read to its end
        open the next one.
        """
        carry = self._leftover if self._carry_ready else np.empty(0, np.int64)
        self._new_epoch(carry)

    def hard_reset(self) -> None:
        """Start the next epoch, dropping any rolled-over examples."""
        self._new_epoch(np.empty(0, np.int64))

    def _new_epoch(self, carry: np.ndarray) -> None:
        self._epoch += 1
        self._carry_in = carry
        order = (
            np.random.default_rng([*self._root, self._epoch]).permutation(self.num_data)
            if self._root is not None
            else np.arange(self.num_data)
        )
        self._plan = self._epoch_plan(order, carry)
        self._leftover = self._plan.leftover
        self._carry_ready = False
        self._pos = -1
        self._rows_dev: list[jax.Array] | None = None
        self._indices_dev: jax.Array | None = None
        self._current: tuple | None = None

    def get_state(self) -> dict:
        """Where the next unread epoch starts, as JSON data for a checkpoint.

        That epoch is the current one if none of its batches was read, else
        the next; the state holds its number, the shuffle stream's root and
        the examples rolled over into it.
        """
        if self._pos < 0:
            epoch, carry = self._epoch, self._carry_in
        else:
            epoch = self._epoch + 1
            carry = self._leftover if self._carry_ready else np.empty(0, np.int64)
        return {"epoch": epoch, "root": None if self._root is None else list(self._root),
                "carry": [int(i) for i in carry], "num_data": self.num_data}

    def set_state(self, state: dict) -> None:
        """Start the epoch :meth:`get_state` described (same data, same order)."""
        try:
            epoch, root, carry = state["epoch"], state["root"], state["carry"]
            carry = np.asarray(carry, np.int64).reshape(-1)
            ok = (isinstance(epoch, int) and epoch >= 0 and state["num_data"] ==
                  self.num_data and (root is None) == (self._root is None)
                  and all(0 <= i < self.num_data for i in carry))
        except (KeyError, TypeError, ValueError):
            ok = False
        if not ok:
            raise ParamError(f"NDArrayIter.set_state: the state does not fit this "
                             f"iterator ({self.num_data} examples, shuffle="
                             f"{self.shuffle}); got {state!r}.")
        if root is not None:
            self._root = tuple(int(w) for w in root)
        self._epoch = epoch - 1
        self._new_epoch(carry)

    def _epoch_plan(self, order: np.ndarray, carry: np.ndarray) -> _Plan:
        """The batches of the next epoch; iterators with other rules override it."""
        return _make_plan(order, carry, self.batch_size, self.last_batch_handle)

    def _device_indices(self) -> jax.Array:
        if self._indices_dev is None:
            self._indices_dev = jax.device_put(self._plan.indices, self._ctx.jax_device)
        return self._indices_dev

    # -- batch by batch ---------------------------------------------------
    def iter_next(self) -> bool:
        """Move to the next batch; False (and the epoch is over) at the end."""
        if self._pos + 1 < len(self._plan.indices):
            self._pos += 1
            self._current = None
            return True
        self._finish()
        return False

    def _finish(self) -> None:
        self._pos = len(self._plan.indices)
        self._current = None
        self._carry_ready = self.last_batch_handle == "roll_over"

    def next(self) -> DataBatch:
        """The next batch; raises ``StopIteration`` at the end of the epoch."""
        if not self.iter_next():
            raise StopIteration
        return DataBatch(
            data=self.getdata(),
            label=self.getlabel(),
            pad=self.getpad(),
            index=self.getindex(),
        )

    def _batch(self) -> tuple:
        if not 0 <= self._pos < len(self._plan.indices):
            raise MXNetError(
                "NDArrayIter: there is no current batch; call iter_next() "
                "first (or reset() after the end of an epoch)."
            )
        if self._current is None:
            if self._rows_dev is None:
                self._rows_dev = list(self._device_indices())
            self._current = _gather(self._arrays, self._rows_dev[self._pos], self._axis)
        return self._current

    def getdata(self) -> list[NDArray]:
        """The data arrays of the current batch."""
        return [NDArray(x, self._ctx) for x in self._batch()[: len(self.data)]]

    def getlabel(self) -> list[NDArray]:
        """The label arrays of the current batch."""
        return [NDArray(x, self._ctx) for x in self._batch()[len(self.data) :]]

    def getpad(self) -> int:
        """Padding rows at the end of the current batch."""
        return (
            int(self._plan.pad[self._pos])
            if 0 <= self._pos < len(self._plan.pad)
            else 0
        )

    def getindex(self) -> np.ndarray | None:
        """The example indices (rows of the input arrays) of the current batch."""
        if 0 <= self._pos < len(self._plan.indices):
            return self._plan.indices[self._pos].astype(np.int64)
        return None

    # -- the whole epoch at once ------------------------------------------
    def device_epoch(self) -> DeviceEpoch | None:
        """The rest of this epoch as device arrays plus a batch index matrix.

        Gives exactly the batches :meth:`next` would give, and consumes them.
        Returns None when the examples are not along axis 0 of the layout.
        """
        if self._axis != 0:
            return None
        start = self._pos + 1
        indices = self._device_indices()
        if start > 0:
            indices = indices[start:]
        pad = self._plan.pad[start:].copy()
        self._finish()
        return DeviceEpoch(
            data={name: a._data for name, a in self.data},
            label={name: a._data for name, a in self.label},
            indices=indices,
            pad=pad,
        )


def _make_plan(
    order: np.ndarray, carry: np.ndarray, batch_size: int, handle: str
) -> _Plan:
    """Row indices and padding of every batch of one epoch, as MXNet 1.9.1 had them."""
    num_data = len(order)
    if handle == "pad":
        count = -(-num_data // batch_size)
        indices = order[np.arange(count * batch_size) % num_data]
        pad = np.zeros(count, np.int64)
        pad[-1:] = count * batch_size - num_data
        return _Plan(
            indices.reshape(count, batch_size).astype(np.int32),
            pad,
            np.empty(0, np.int64),
        )
    seq = np.concatenate([carry, order]) if handle == "roll_over" else order
    count = len(seq) // batch_size
    indices = seq[: count * batch_size].reshape(count, batch_size).astype(np.int32)
    pad = np.zeros(count, np.int64)
    pad[:1] = len(carry) if handle == "roll_over" else 0
    return _Plan(indices, pad, seq[count * batch_size :])


def _check_batch_size(batch_size: Any) -> int:
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, (int, np.integer))
        or batch_size < 1
    ):
        raise ParamError(
            f"NDArrayIter: batch_size must be an int >= 1; got {batch_size!r}."
        )
    return int(batch_size)


def _check_handle(handle: Any) -> str:
    if handle not in _HANDLES:
        raise ParamError(
            f"NDArrayIter: last_batch_handle must be one of "
            f"{', '.join(map(repr, _HANDLES))}; got {handle!r}."
            f"{did_you_mean(str(handle), _HANDLES)}"
        )
    return handle


def _batch_axis(layout: Any) -> int:
    if not isinstance(layout, str) or "N" not in layout:
        raise ParamError(
            f"NDArrayIter: layout must be a string with an 'N' axis for "
            f"the examples; got {layout!r}. Use e.g. 'NCHW' or 'TNC'."
        )
    return layout.find("N")


def _pick_context(*inputs: Any) -> Context:
    """The context of the first NDArray among the inputs, else the current one."""
    for value in inputs:
        values = (
            value.values()
            if isinstance(value, dict)
            else (value if isinstance(value, (list, tuple)) else [value])
        )
        for v in values:
            if isinstance(v, NDArray):
                return v.context
    return current_context()


def _init_data(
    data: Any, default_name: str, ctx: Context, allow_empty: bool
) -> list[tuple[str, NDArray]]:
    """MXNet's canonical form: sorted ``[(name, NDArray)]`` on ``ctx``."""
    if data is None:
        data = []
    if isinstance(data, (np.ndarray, NDArray, jax.Array)):
        data = [data]
    if isinstance(data, (list, tuple)):
        if len(data) == 1:
            data = {default_name: data[0]}
        else:
            data = {f"_{i}_{default_name}": d for i, d in enumerate(data)}
    if not isinstance(data, dict):
        raise ParamError(
            f"NDArrayIter: {default_name} must be an array, a list of "
            f"arrays or a dict of name to array; got "
            f"{type(data).__name__}."
        )
    if not data and not allow_empty:
        raise ParamError(
            f"NDArrayIter: {default_name} must hold at least one array; got none."
        )
    return sorted((str(name), _to_ndarray(v, name, ctx)) for name, v in data.items())


def _to_ndarray(value: Any, name: str, ctx: Context) -> NDArray:
    if isinstance(value, jax.Array):
        value = NDArray(value, ctx)
    try:
        converted = array(value, ctx=ctx)
    except (TypeError, ValueError, MXNetError) as err:
        raise ParamError(
            f"NDArrayIter: input {name!r} must be an NDArray or array-"
            f"like; got {type(value).__name__} ({err})."
        ) from None
    if converted.ndim == 0:
        raise ShapeError(
            f"NDArrayIter: input {name!r} must have at least one axis "
            "(the examples); got a scalar."
        )
    return converted


def _num_examples(named: list[tuple[str, NDArray]], axis: int) -> int:
    names = [name for name, _ in named]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ParamError(
            f"NDArrayIter: data and label names must differ; got "
            f"{duplicates} in both. Pass data_name=/label_name= or dicts."
        )
    counts = {}
    for name, a in named:
        if a.ndim <= axis:
            raise ShapeError(
                f"NDArrayIter: input {name!r} has shape {a.shape}; the "
                f"layout puts the examples on axis {axis}, which it lacks."
            )
        counts[name] = a.shape[axis]
    first = names[0]
    for name, count in counts.items():
        if count != counts[first]:
            raise ShapeError(
                f"NDArrayIter: every input must have the same number of "
                f"examples; {first!r} has {counts[first]} but {name!r} "
                f"has {count}; got shapes "
                f"{ {n: a.shape for n, a in named} }."
            )
    if counts[first] == 0:
        raise ShapeError(
            f"NDArrayIter: the inputs hold no examples; got shape "
            f"{named[0][1].shape} for {first!r}."
        )
    return counts[first]
