"""``Updater``/``get_updater`` and the optimizer-states file format.

MXNet pickled ``(states, optimizer)`` into ``.states`` files, so loading one
could run arbitrary code. mxlite writes the MXNet NDArray-list format instead
(``mx.nd.save``'s bytes) with flattened keys, ``"<index>/<slot>"`` (e.g.
``"3/mom"``, ``"fc1_weight/mean"``), plus one uint8 array holding a small
JSON header: the format name and version, each index with its slot names and
shapes, the update counts and, with ``dump_optimizer=True``, the optimizer's
configuration. Loading never unpickles and checks everything it reads.

Differences from MXNet 1.9.1:

- ``.states`` files are not pickles (MXNet's own ``.states`` files are refused
  with a clear error rather than unpickled).
- The per-parameter update counts and ``num_update`` are saved and restored
  even without ``dump_optimizer``; MXNet lost them, so after a resume Adam's
  bias correction and the lr schedule started again from the beginning.
"""

from __future__ import annotations

import json
import numbers
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import lr_scheduler as _lr_scheduler
from ..base import FormatError, ParamError
from ..context import Context, cpu
from ..ndarray import NDArray
from ..ndarray.serialization import dumps_arrays, loads_arrays
from .julia import JuliaADAM, JuliaSGD
from .optimizer import Optimizer

__all__ = ["Updater", "dumps_state", "get_updater", "loads_state"]

_HEADER_KEY = "__mxlite_optimizer_states__"
_FORMAT = "mxlite-optimizer-states"
_VERSION = 1
_MASTER = "weight32"
_UNREGISTERED = {"juliasgd": JuliaSGD, "juliaadam": JuliaADAM}


class Updater:
    """Apply an optimizer to weights by index, keeping one state per index.

    ``updater(index, grad, weight)`` creates the state on first use and then
    calls ``optimizer.update_multi_precision``; lists of indices work too.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = optimizer
        self.states: dict = {}
        self.states_synced: dict = {}
        self._master: dict = {}

    def __call__(self, index: Any, grad: NDArray, weight: NDArray) -> None:
        if isinstance(index, (list, tuple)):
            for i, g, w in zip(index, grad, weight):
                self(i, g, w)
            return
        if isinstance(index, bytes):
            index = index.decode("utf-8")
        opt = self.optimizer
        if index not in self.states:
            self.states[index] = opt.create_state_multi_precision(index, weight)
            self._master[index] = opt._wants_master(weight._data.dtype)
            self.states_synced[index] = True
        elif not self.states_synced[index]:
            self.states[index] = self.sync_state_context(self.states[index],
                                                         weight.context)
            self.states_synced[index] = True
        opt._update_one(index, weight, grad, self.states[index],
                        master=self._master[index])

    def sync_state_context(self, state: Any, context: Context) -> Any:
        """``state`` with every NDArray moved to ``context``."""
        if isinstance(state, NDArray):
            return state.as_in_context(context)
        if isinstance(state, (tuple, list)):
            return type(state)(self.sync_state_context(s, context) for s in state)
        return state

    def get_states(self, dump_optimizer: bool = False) -> bytes:
        """Serialize the states (and, optionally, the optimizer) to bytes."""
        opt = self.optimizer
        entries = {}
        for index, state in self.states.items():
            slots = opt._unpack(state, self._master.get(index, False))
            entries[index] = {k: v.asnumpy() for k, v in slots.items()}
        extra = {"num_update": int(opt.num_update),
                 "counts": _counts_to_json(opt._all_index_update_counts)}
        if dump_optimizer:
            extra["optimizer"] = _optimizer_to_json(opt)
        return _dumps(entries, extra)

    def set_states(self, states: bytes) -> None:
        """Load bytes from :meth:`get_states`; arrays move to each weight's
        device at its next update.

        Raises:
            FormatError: the bytes are not an mxlite optimizer-states file
                (MXNet's pickled ``.states`` included) or are inconsistent.
        """
        header, entries = _loads(states, "Updater.set_states")
        if header.get("optimizer") is not None:
            self.optimizer = _optimizer_from_json(header["optimizer"])
        opt = self.optimizer
        _restore_counts(opt, header)
        self.states, self.states_synced, self._master = {}, {}, {}
        for index, slots in entries.items():
            arrays = {k: NDArray(jnp.asarray(v), cpu()) for k, v in slots.items()}
            try:
                self.states[index] = opt._pack(arrays)
            except KeyError as err:
                raise FormatError(f"Updater.set_states: index {index!r} lacks state "
                                  f"array {err} that {type(opt).__name__} needs with "
                                  "these settings.") from None
            self._master[index] = _MASTER in arrays
            self.states_synced[index] = False


def get_updater(optimizer: Optimizer) -> Updater:
    """Return an :class:`Updater` for ``optimizer`` (MXNet's ``get_updater``)."""
    if not isinstance(optimizer, Optimizer):
        raise ParamError(f"mx.optimizer.get_updater: expected an Optimizer; got "
                         f"{type(optimizer).__name__}.")
    return Updater(optimizer)


# ---------------------------------------------------------------------------
# The pure state (opt.init_state / opt.apply) in the same file format


def dumps_state(optimizer: Optimizer, state: dict, dump_optimizer: bool = False, *,
                num_update: int = 0) -> bytes:
    """Serialize a pure optimizer state (from ``init_state``/``apply``) to bytes.

    Keys are the parameter names (``"fc1_weight/mom"``); ``Updater.set_states``
    reads the result with the names as indices. ``num_update`` is the training
    state's step counter (updates done), saved beside the slots.
    """
    entries = {name: {k: np.asarray(v) for k, v in slots.items()}
               for name, slots in state["slots"].items()}
    count = int(num_update)
    extra = {"num_update": count,
             "counts": [[0, name, count] for name in state["slots"]]}
    if dump_optimizer:
        extra["optimizer"] = _optimizer_to_json(optimizer)
    return _dumps(entries, extra)


def loads_state(optimizer: Optimizer, data: bytes,
                params: dict[str, jax.Array]) -> tuple[dict, int]:
    """Read bytes from :func:`dumps_state` back: ``(pure state for params, num_update)``.

    Arrays are placed on the device of the parameter they belong to.

    Raises:
        FormatError: malformed bytes, or names, slots or shapes that do not fit
            ``params`` and ``optimizer``.
    """
    where = "mx.optimizer.loads_state"
    header, entries = _loads(data, where)
    expected = optimizer.init_state(params)
    if set(entries) != set(params):
        raise FormatError(f"{where}: the file has states for {sorted(map(str, entries))} "
                          f"but the parameters are {sorted(params)}.")
    slots = {}
    for name, want in expected["slots"].items():
        got = entries[name]
        if set(got) != set(want) or any(got[k].shape != tuple(want[k].shape)
                                        for k in want):
            raise FormatError(
                f"{where}: state of {name!r} has arrays "
                f"{ {k: v.shape for k, v in got.items()} } but {type(optimizer).__name__}"
                f" needs { {k: tuple(v.shape) for k, v in want.items()} }.")
        device = _device_of(params[name])
        slots[name] = {k: jax.device_put(jnp.asarray(got[k], want[k].dtype), device)
                       for k in want}
    return {"slots": slots}, int(header["num_update"])


def _device_of(x: Any) -> Any:
    devices = getattr(x, "devices", None)
    return next(iter(devices())) if callable(devices) else None


# ---------------------------------------------------------------------------
# File format


def _dumps(entries: dict, extra: dict) -> bytes:
    arrays: dict[str, np.ndarray] = {}
    listing = []
    for index, slots in entries.items():
        if not isinstance(index, (str, int)) or isinstance(index, bool):
            raise ParamError(f"get_states: state indices must be ints or strings; got "
                             f"{index!r}.")
        listing.append([index, {k: list(np.shape(v)) for k, v in slots.items()}])
        for slot, value in slots.items():
            value = np.asarray(value)
            arrays[f"{index}/{slot}"] = value.reshape(value.shape or (1,))
    header = {"format": _FORMAT, "version": _VERSION, "states": listing, **extra}
    raw = json.dumps(header, sort_keys=True).encode("utf-8")
    return dumps_arrays({_HEADER_KEY: np.frombuffer(raw, np.uint8), **arrays})


def _fail(where: str, problem: str) -> FormatError:
    return FormatError(f"{where}: not a valid mxlite optimizer-states file: {problem}.")


def _loads(data: Any, where: str) -> tuple[dict, dict]:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ParamError(f"{where}: expected the bytes from get_states; got "
                         f"{type(data).__name__}.")
    try:
        arrays = loads_arrays(data)
    except FormatError as err:
        raise _fail(where, f"{err}. (MXNet's own .states files are Python pickles and "
                    "are never loaded: unpickling can run arbitrary code)") from None
    if not isinstance(arrays, dict) or _HEADER_KEY not in arrays:
        raise _fail(where, "it is an NDArray file without the mxlite states header")
    header = _parse_header(arrays.pop(_HEADER_KEY), where)
    entries = {}
    for item in header["states"]:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[1], dict)
                and isinstance(item[0], (str, int)) and not isinstance(item[0], bool)):
            raise _fail(where, f"bad state entry {item!r} in the header")
        index, shapes = item
        entries[index] = {slot: _take(arrays, f"{index}/{slot}", shape, where)
                          for slot, shape in shapes.items()}
    if arrays:
        raise _fail(where, f"unexpected arrays {sorted(arrays)[:5]}")
    return header, entries


def _parse_header(raw: np.ndarray, where: str) -> dict:
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise _fail(where, f"the header is {raw.dtype} with shape {raw.shape}, "
                    "expected 1-D uint8")
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise _fail(where, f"the header is not JSON ({err})") from None
    if not isinstance(header, dict) or header.get("format") != _FORMAT:
        raise _fail(where, "the header does not name the mxlite states format")
    if header.get("version") != _VERSION:
        raise _fail(where, f"version {header.get('version')!r}; this mxlite reads "
                    f"version {_VERSION}")
    if not isinstance(header.get("states"), list) or not isinstance(
            header.get("num_update"), int) or not isinstance(header.get("counts"), list):
        raise _fail(where, "the header lacks 'states', 'num_update' or 'counts'")
    return header


def _take(arrays: dict, key: str, shape: Any, where: str) -> np.ndarray:
    if key not in arrays:
        raise _fail(where, f"array {key!r} named in the header is missing")
    if not (isinstance(shape, list) and all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)):
        raise _fail(where, f"bad shape {shape!r} for {key!r}")
    value = arrays.pop(key)
    if value.size != int(np.prod(shape)):
        raise _fail(where, f"array {key!r} has {value.size} elements but the header "
                    f"says shape {tuple(shape)}")
    return value.reshape(shape)


# ---------------------------------------------------------------------------
# Update counts and optimizer configuration (JSON, no pickle)


def _counts_to_json(all_counts: dict) -> list:
    return [[device, index, count] for device, counts in all_counts.items()
            for index, count in counts.items()]


def _restore_counts(opt: Optimizer, header: dict) -> None:
    all_counts: dict = {0: {}}
    for item in header["counts"]:
        if not (isinstance(item, list) and len(item) == 3 and all(
                isinstance(x, (int, str)) for x in item)):
            raise FormatError(f"Updater.set_states: bad update count entry {item!r}.")
        device, index, count = item
        all_counts.setdefault(device, {})[index] = count
    opt._all_index_update_counts = all_counts
    opt._index_update_count = all_counts[0]
    opt.num_update = header["num_update"]


def _pairs(table: dict) -> list:
    return [[k, v] for k, v in table.items()]


def _optimizer_to_json(opt: Optimizer) -> dict:
    sched = opt.lr_scheduler
    sched_json = None
    if sched is not None:
        cls = type(sched).__name__
        if getattr(_lr_scheduler, cls, None) is not type(sched):
            raise ParamError(f"get_states(dump_optimizer=True): cannot save the "
                             f"lr_scheduler {cls}; only mx.lr_scheduler classes can "
                             "be saved.")
        sched_json = {"class": cls, "attrs": {k: v for k, v in vars(sched).items()
                                              if not k.startswith("_")}}
    return {"class": type(opt).__name__, "config": opt._config(),
            "lr_mult": _pairs(opt.lr_mult), "wd_mult": _pairs(opt.wd_mult),
            "idx2name": _pairs(opt.idx2name), "lr_scheduler": sched_json}


def _optimizer_from_json(spec: Any) -> Optimizer:
    where = "Updater.set_states"
    try:
        name = spec["class"].lower()
        cls = Optimizer.opt_registry.get(name) or _UNREGISTERED[name]
        opt = cls(**spec["config"])
        opt.idx2name = dict(spec["idx2name"])
        opt.lr_mult = dict(spec["lr_mult"])
        opt.wd_mult = dict(spec["wd_mult"])
        opt.lr_scheduler = _scheduler_from_json(spec["lr_scheduler"])
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise FormatError(f"{where}: the saved optimizer cannot be rebuilt "
                          f"({type(err).__name__}: {err}).") from None
    return opt


def _scheduler_from_json(spec: Any) -> Any:
    if spec is None:
        return None
    cls = getattr(_lr_scheduler, spec["class"])
    if not (isinstance(cls, type) and issubclass(cls, _lr_scheduler.LRScheduler)):
        raise ValueError(f"{spec['class']!r} is not an lr_scheduler class")
    sched = cls.__new__(cls)
    sched._logged_stage = 0
    sched._memo = None
    for key, value in spec["attrs"].items():
        if key.startswith("_") or not isinstance(value, (numbers.Real, str, list,
                                                         type(None))):
            raise ValueError(f"bad scheduler attribute {key}={value!r}")
        setattr(sched, key, value)
    return sched
