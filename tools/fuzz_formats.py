"""Mutation fuzzing of every file loader: valid files, damaged, loaded.

Each format has a small valid file (made by mxlite's own writer, or encoded
by hand for the MXNet record versions mxlite reads but never writes) and the
public loader that reads it. A case applies a few mutations (byte flips,
overwritten integer fields, cuts, insertions, duplicated spans) and loads
the result: the loader must return or raise :class:`~mxlite.base.FormatError`
naming the file. Any other exception, or a message without the file name,
is a finding. ``tests/test_fuzz_loaders.py`` drives it with hypothesis;
``tools/fuzz_loaders.py`` runs long campaigns.
"""

from __future__ import annotations

import gzip
import io
import os
import random
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from mxlite import symbol as sym
from mxlite.base import FormatError
from mxlite.chainer.serializers import NpzReader
from mxlite.checkpoint import load_states, save_states
from mxlite.datasets.idx import read_idx
from mxlite.ndarray.serialization import dumps_arrays, load_arrays

__all__ = ["FORMATS", "Mutation", "apply", "random_mutations", "run_case"]

Mutation = tuple[str, int, int]
"""(kind, position, value): one edit, kept as plain data so hypothesis shrinks it."""

KINDS = ("flip", "byte", "int32", "int64", "cut", "insert", "repeat")
_INTERESTING = (0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF_FFFF, 0xFFFF_FFFF,
                2**31, 2**62, 2**63 - 1, 2**64 - 1, 0x112, 0xF993FAC9)


def apply(blob: bytes, mutations: Sequence[Mutation]) -> bytes:
    """``blob`` with each mutation applied in turn (positions wrap around)."""
    data = bytearray(blob)
    for kind, pos, value in mutations:
        at = pos % (len(data) + 1)
        if kind == "flip" and data:
            data[at % len(data)] ^= 1 << (value % 8)
        elif kind == "byte" and data:
            data[at % len(data)] = value % 256
        elif kind in ("int32", "int64"):
            size = 4 if kind == "int32" else 8
            number = _INTERESTING[value % len(_INTERESTING)] % (1 << 8 * size)
            data[at:at + size] = number.to_bytes(size, "little" if value % 2 else "big")
        elif kind == "cut":
            del data[at:]
        elif kind == "insert":
            data[at:at] = random.Random(value).randbytes(value % 17)
        elif kind == "repeat":
            data[at:at] = data[at:at + value % 64]
    return bytes(data)


def random_mutations(rng: random.Random) -> list[Mutation]:
    """One to four mutations drawn from ``rng``."""
    return [(rng.choice(KINDS), rng.randrange(1 << 16), rng.randrange(1 << 32))
            for _ in range(rng.randint(1, 4))]


# ----------------------------------------------------------------- formats


def _records_file(records: list[bytes], names: list[str]) -> bytes:
    out = struct.pack("<QQQ", 0x112, 0, len(records)) + b"".join(records)
    out += struct.pack("<Q", len(names))
    return out + b"".join(struct.pack("<Q", len(n)) + n.encode() for n in names)


def _record(version: str, arr: np.ndarray) -> bytes:
    flag = {"float32": 0, "int64": 6}[arr.dtype.name]
    dims = arr.shape
    if version == "legacy":
        head = struct.pack(f"<I{len(dims)}I", len(dims), *dims)
    else:
        magic = {"v1": 0xF993FAC8, "v2": 0xF993FAC9, "v3": 0xF993FACA}[version]
        stype = b"" if version == "v1" else struct.pack("<i", 0)
        head = (struct.pack("<I", magic) + stype
                + struct.pack(f"<i{len(dims)}q", len(dims), *dims))
    data = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
    return head + struct.pack("<iii", 1, 0, flag) + data


_W = np.arange(6, dtype=np.float32).reshape(2, 3)
_M = np.array([3, -4], dtype=np.int64)


def _params(version: str) -> bytes:
    if version == "v2":
        return dumps_arrays({"arg:fc_weight": _W, "aux:bn_moving_mean": _M})
    return _records_file([_record(version, _W), _record(version, _M)],
                         ["arg:fc_weight", "aux:bn_moving_mean"])


def _symbol_json() -> bytes:
    fc = sym.FullyConnected(sym.var("data"), num_hidden=4, name="fc1")
    act = sym.Activation(fc, act_type="relu", name="relu1")
    out = sym.SoftmaxOutput(act, name="softmax")
    return out.tojson().encode()


_STATE = {"fc_weight": {"mom": np.ones((2, 3), np.float32)}}


def _states() -> bytes:
    return _via_file(lambda path: save_states(path, _STATE, 7))


def _idx(compress: bool) -> bytes:
    raw = bytes([0, 0, 0x08, 3]) + struct.pack(">3I", 2, 3, 4) + bytes(range(24))
    return gzip.compress(raw, mtime=0) if compress else raw


def _npz() -> bytes:
    buf = io.BytesIO()
    np.savez(buf, W=_W, b=np.zeros(2, np.float32))
    return buf.getvalue()


def _hdf5() -> bytes:
    from mxlite.datasets.hdf5 import write_tree  # noqa: PLC0415  (h5py is optional)

    tree = {"params_all": {"ip1": {"0": _W, "1": np.zeros(2, np.float32)}},
            "solver_state": {"iteration": 5, "learning_rate": 0.01}}
    return _via_file(lambda path: write_tree(path, tree))


def _via_file(write: Callable[[str], None]) -> bytes:
    import tempfile  # noqa: PLC0415  (only the writers that need a path)

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "f")
        write(path)
        with open(path, "rb") as f:
            return f.read()


def _load_npz(path: str) -> object:
    with NpzReader(path) as reader:
        names = reader.keys()
        return {key: reader.get(key) for key in names}


def _load_hdf5(path: str) -> object:
    from mxlite.datasets.hdf5 import read_tree  # noqa: PLC0415  (h5py is optional)

    return read_tree(path, where="fuzz")


@dataclass(frozen=True)
class Format:
    """A file format under test: how to make a valid file, how to load one."""

    name: str
    make: Callable[[], bytes]
    load: Callable[[str], object]


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("params-v1", lambda: _params("v1"), load_arrays),
    Format("params-v2", lambda: _params("v2"), load_arrays),
    Format("params-v3", lambda: _params("v3"), load_arrays),
    Format("params-legacy", lambda: _params("legacy"), load_arrays),
    Format("symbol-json", _symbol_json, sym.load),
    Format("states", _states, lambda path: load_states(path, _STATE)),
    Format("idx", lambda: _idx(False), read_idx),
    Format("idx-gzip", lambda: _idx(True), read_idx),
    Format("chainer-npz", _npz, _load_npz),
    Format("mocha-hdf5", _hdf5, _load_hdf5),
)}
"""Every fuzzed format by name."""


def run_case(fmt: Format, blob: bytes, path: str) -> str:
    """Write ``blob`` to ``path``, load it, and name the outcome.

    Returns:
        ``"loaded"`` or ``"FormatError"`` (the allowed outcomes), else a
        description of the finding: ``"escaped ValueError: ..."`` or
        ``"FormatError without the file name: ..."``.
    """
    with open(path, "wb") as f:
        f.write(blob)
    try:
        fmt.load(path)
    except FormatError as err:
        if os.path.basename(path) not in str(err):
            return f"FormatError without the file name: {err}"
        return "FormatError"
    except Exception as err:  # noqa: BLE001  (the point: anything else is a finding)
        return f"escaped {type(err).__name__}: {str(err)[:200]}"
    return "loaded"
