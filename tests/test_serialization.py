"""MXNet NDArray-list files: byte identity with MXNet 1.9.1, loading every record
version, round trips, hostile input and atomic saving."""

from __future__ import annotations

import contextlib
import json
import os
import struct
from pathlib import Path

import numpy as np
import pytest

from mxlite._fileio import atomic_write_bytes, atomic_writer
from mxlite.base import DTypeError, FormatError, ShapeError
from mxlite.ndarray.serialization import (
    dumps_arrays,
    load_arrays,
    loads_arrays,
    save_arrays,
)

FIXTURES = Path(__file__).parent / "fixtures" / "mxnet"
ALL_DTYPES = [
    "float32",
    "float64",
    "float16",
    "uint8",
    "int32",
    "int8",
    "int64",
    "bool",
    "int16",
    "uint16",
    "uint32",
    "uint64",
]
V2 = 0xF993FAC9


def expected(name: str):
    """Arrays described by a fixture JSON (dict or list)."""
    spec = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))

    def build(d):
        return np.array(d["values"], dtype=d["dtype"]).reshape(d["shape"])

    if isinstance(spec, dict):
        return {k: build(v) for k, v in spec.items()}
    return [build(v) for v in spec]


def assert_same(got, want):
    assert type(got) is type(want)
    assert len(got) == len(want)
    if isinstance(want, dict):
        assert list(got) == list(want)
        pairs = [(got[k], want[k]) for k in want]
    else:
        pairs = list(zip(got, want))
    for g, w in pairs:
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g, w)


def file_bytes(records: list[bytes], names=(), count=None, n_names=None) -> bytes:
    out = struct.pack("<QQQ", 0x112, 0, len(records) if count is None else count)
    out += b"".join(records)
    out += struct.pack("<Q", len(names) if n_names is None else n_names)
    for name in names:
        raw = name if isinstance(name, bytes) else name.encode()
        out += struct.pack("<Q", len(raw)) + raw
    return out


def v2_record(shape, flag=0, data=None, stype=0, magic=V2) -> bytes:
    head = struct.pack(f"<Iii{len(shape)}q", magic, stype, len(shape), *shape)
    if data is None:
        data = np.zeros(int(np.prod(shape)), "<f4").tobytes()
    return head + struct.pack("<iii", 1, 0, flag) + data


# ---------------------------------------------------------------- MXNet fixtures


@pytest.mark.parametrize("name", ["arrays_named", "arrays_list"])
def test_dumps_is_byte_identical_to_mxnet(name):
    assert dumps_arrays(expected(name)) == (FIXTURES / f"{name}.params").read_bytes()


@pytest.mark.parametrize(
    "name",
    [
        "arrays_named",
        "arrays_list",
        "legacy_v0",
        "legacy_v0_named",
        "v1_record",
        "v3_np_shape",
    ],
)
def test_fixture_loads_like_mxnet(name):
    got = load_arrays(FIXTURES / f"{name}.params")
    assert_same(got, expected(name))
    for arr in got.values() if isinstance(got, dict) else got:
        assert arr.flags.writeable and arr.flags.owndata


def test_legacy_v0_matches_mxnet_unittest_layout():
    data = (FIXTURES / "legacy_v0.params").read_bytes()
    assert len(data) == 3224
    arrays = loads_arrays(data)
    assert len(arrays) == 6
    for arr in arrays:
        np.testing.assert_array_equal(arr, np.arange(128, dtype=np.float32))


def test_mlp_checkpoint_params_reproduce_mxnet_predictions():
    params = load_arrays(FIXTURES / "mlp-0001.params")
    names = [f"arg:fullyconnected{i}_{p}" for i in range(3) for p in ("weight", "bias")]
    assert list(params) == names
    assert params["arg:fullyconnected0_weight"].shape == (128, 784)
    pred = json.loads((FIXTURES / "mlp_predict.json").read_text())
    h = np.asarray(pred["inputs"], dtype=np.float32).reshape(4, -1)
    for i in range(3):
        h = (
            h @ params[f"arg:fullyconnected{i}_weight"].T
            + params[f"arg:fullyconnected{i}_bias"]
        )
        if i < 2:
            h = np.maximum(h, 0)
    prob = np.exp(h - h.max(axis=1, keepdims=True))
    prob /= prob.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(prob, pred["outputs"], rtol=1e-5, atol=1e-7)


# ------------------------------------------------------------------ round trips


def sample(dtype: str, shape=(2, 3)) -> np.ndarray:
    values = np.arange(int(np.prod(shape))) % 7 - (
        0 if dtype.startswith(("u", "b")) else 3
    )
    return values.astype(dtype).reshape(shape)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_round_trip_every_dtype(dtype):
    arrays = {"x": sample(dtype), "y": sample(dtype, (4,))}
    assert_same(loads_arrays(dumps_arrays(arrays)), arrays)
    assert_same(
        loads_arrays(dumps_arrays(list(arrays.values()))), list(arrays.values())
    )


def test_round_trip_bfloat16():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    arr = np.array([1.5, -2.0, 3.25], dtype=ml_dtypes.bfloat16)
    blob = dumps_arrays([arr])
    assert struct.unpack_from("<i", blob, 24 + 12 + 8 + 8)[0] == 12
    assert_same(loads_arrays(blob), [arr])


@pytest.mark.parametrize("shape", [(0,), (0, 3), (2, 0, 4), (1,) * 32])
def test_round_trip_odd_shapes(shape):
    arrays = [np.ones(shape, dtype=np.float32)]
    assert_same(loads_arrays(dumps_arrays(arrays)), arrays)


def test_round_trip_empty_containers():
    # With no names stored, an empty dict reads back as an empty list (as in MXNet).
    assert loads_arrays(dumps_arrays({})) == []
    assert loads_arrays(dumps_arrays([])) == []


def test_non_native_and_non_contiguous_inputs_are_normalized():
    big = np.arange(6, dtype=">f8").reshape(2, 3)
    strided = np.arange(12, dtype=np.int32).reshape(3, 4).T
    assert dumps_arrays([big]) == dumps_arrays([big.astype("<f8")])
    assert_same(
        loads_arrays(dumps_arrays([big, strided])), [big.astype("f8"), strided.copy()]
    )


def test_save_and_load_file(tmp_path):
    arrays = {"arg:w": sample("float32"), "aux:m": sample("int64", (3,))}
    target = tmp_path / "model-0001.params"
    save_arrays(target, arrays)
    assert target.read_bytes() == dumps_arrays(arrays)
    assert_same(load_arrays(str(target)), arrays)


# ----------------------------------------------------------------- save errors


def test_save_rejects_zero_d_arrays():
    with pytest.raises(ShapeError, match=r"'s'.*0-d"):
        dumps_arrays({"s": np.float32(1.0)})


@pytest.mark.parametrize(
    "dtype", ["complex64", "float128", "U3", "object", "datetime64[s]"]
)
def test_save_rejects_unsupported_dtypes(dtype):
    if dtype == "float128" and not hasattr(np, "float128"):
        pytest.skip("no float128 on this platform")
    with pytest.raises(DTypeError, match=rf"'bad'.*{dtype[:5]}"):
        dumps_arrays({"ok": np.ones(2, np.float32), "bad": np.zeros(2, dtype=dtype)})


def test_save_rejects_bad_containers_and_names():
    with pytest.raises(TypeError, match="must be str"):
        dumps_arrays({1: np.ones(2)})
    with pytest.raises(TypeError, match="dict of str"):
        dumps_arrays("weights")


# --------------------------------------------------------------- hostile input


SMALL = (FIXTURES / "arrays_named.params").read_bytes()


@pytest.mark.parametrize(
    "name", ["arrays_named", "arrays_list", "legacy_v0_named", "v1_record"]
)
def test_every_truncation_raises_format_error(name):
    data = (FIXTURES / f"{name}.params").read_bytes()
    for end in range(len(data)):
        with pytest.raises(FormatError, match="at byte"):
            loads_arrays(data[:end])


def test_random_corruption_never_raises_anything_else():
    rng = np.random.default_rng(0)
    base = np.frombuffer(SMALL, np.uint8)
    for _ in range(5000):
        mutated = base.copy()
        spots = rng.integers(0, len(base), size=rng.integers(1, 4))
        mutated[spots] = rng.integers(0, 256, size=len(spots))
        with contextlib.suppress(FormatError):
            loads_arrays(mutated.tobytes())


HOSTILE = {
    "wrong magic": (
        b"\x13" + SMALL[1:],
        r"not an MXNet NDArray file at byte 0: found header magic 0x113",
    ),
    "huge ndim": (
        file_bytes([struct.pack("<Iii", V2, 0, 1000)]),
        r"record 0 at byte 32: found ndim 1000",
    ),
    "legacy huge ndim": (
        file_bytes([struct.pack("<I", 77)]),
        r"found 0x0000004d, expected a record magic",
    ),
    "negative dim": (file_bytes([v2_record((-3,), data=b"")]), r"negative dimension"),
    "product overflows int64": (
        file_bytes([v2_record((2**62, 2**62, 4), data=b"")]),
        r"more bytes than int64 holds",
    ),
    "data past end of file": (
        file_bytes([v2_record((1000,), data=b"\0" * 12)]),
        (
            r"truncated NDArray record 0 at byte 56: "
            r"needs 4000 bytes of float32 data, 20 remain"
        ),
    ),
    "2**60 arrays": (file_bytes([], count=2**60), r"claims 1152921504606846976 arrays"),
    "names count mismatch": (
        file_bytes([v2_record((2,))] * 2, names=["a"], n_names=1),
        r"found 1 names for 2 arrays",
    ),
    "trailing garbage": (
        file_bytes([v2_record((2,))]) + b"junk",
        r"trailing garbage.*4 bytes",
    ),
    "duplicate names": (
        file_bytes([v2_record((2,))] * 2, names=["w", "w"]),
        r"duplicate array name 'w'",
    ),
    "bad utf-8": (
        file_bytes([v2_record((2,))], names=[b"\xff\xfe"]),
        r"bad name 0 .*invalid utf-8",
    ),
    "huge name length": (
        file_bytes([v2_record((2,))], names=["w"])[:-9]
        + struct.pack("<Q", 2**63)
        + b"w",
        r"truncated name 0 .*needs 9223372036854775808 bytes",
    ),
    "unknown type flag": (
        file_bytes([v2_record((2,), flag=99)]),
        r"unknown type flag 99",
    ),
    "row_sparse": (
        file_bytes([v2_record((2,), stype=1)]),
        r"sparse storage \(row_sparse\) is not supported",
    ),
    "csr": (
        file_bytes([v2_record((2,), stype=2)]),
        r"sparse storage \(csr\) is not supported",
    ),
    "unknown stype": (
        file_bytes([v2_record((2,), stype=7)]),
        r"unknown storage type 7",
    ),
    "v2 none record": (file_bytes([struct.pack("<Iii", V2, 0, 0)]), r"'none'"),
    "legacy none record": (file_bytes([struct.pack("<I", 0)]), r"'none'"),
    "v3 none record": (file_bytes([struct.pack("<Iii", 0xF993FACA, 0, -1)]), r"'none'"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_input_raises_format_error(case):
    data, pattern = HOSTILE[case]
    with pytest.raises(FormatError, match=pattern):
        loads_arrays(data)


def test_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "model-0001.params"
    bad.write_bytes(SMALL[:100])
    with pytest.raises(
        FormatError, match=rf"^{bad}: truncated NDArray record \d+ at byte \d+: needs"
    ):
        load_arrays(bad)
    with pytest.raises(FileNotFoundError):
        load_arrays(tmp_path / "missing.params")


# ---------------------------------------------------------------- atomic write


def test_failed_replace_keeps_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "net-0001.params"
    save_arrays(target, [np.zeros(3, np.float32)])
    before = target.read_bytes()

    def boom(src, dst):
        raise OSError("disk unplugged")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk unplugged"):
        save_arrays(target, [np.ones(1000, np.float32)])
    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == [target.name]


def test_failed_fsync_and_failed_write_keep_old_file(tmp_path, monkeypatch):
    target = tmp_path / "f.bin"
    atomic_write_bytes(target, b"old")
    with pytest.raises(RuntimeError), atomic_writer(target) as f:
        f.write(b"half of the new")
        raise RuntimeError("crash mid-write")
    monkeypatch.setattr(
        os, "fsync", lambda fd: (_ for _ in ()).throw(OSError("no fsync"))
    )
    with pytest.raises(OSError, match="no fsync"):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["f.bin"]


def test_bad_array_fails_before_any_file_is_created(tmp_path):
    with pytest.raises(DTypeError):
        save_arrays(
            tmp_path / "x.params", [np.ones(2, np.float32), np.ones(2, np.complex64)]
        )
    assert os.listdir(tmp_path) == []


def test_saved_file_gets_normal_permissions(tmp_path):
    if not hasattr(os, "fchmod"):
        pytest.skip("no POSIX permissions")
    mask = os.umask(0o022)
    os.umask(mask)
    target = tmp_path / "p.params"
    save_arrays(target, [np.ones(2, np.float32)])
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask


def test_empty_array_with_huge_dimensions_is_a_format_error():
    blob = (struct.pack("<QQQ", 0x112, 0, 1) + struct.pack("<Iii", 0xF993FAC9, 0, 3)
            + struct.pack("<3q", 0, 2**62, 2**62) + struct.pack("<iii", 1, 0, 0)
            + struct.pack("<Q", 0))
    with pytest.raises(FormatError, match=r"record 0 at byte 32: shape \(0, 4611"):
        loads_arrays(blob)
