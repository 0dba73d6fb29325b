"""The IDX reader: round trips for every type, and every way a file can be broken."""

from __future__ import annotations

import gzip
import re
import struct

import numpy as np
import pytest

from mxlite.base import FormatError, MXNetError, ParamError
from mxlite.datasets import IDX_TYPES, read_idx

CODES = {
    np.dtype(np.uint8): 0x08,
    np.dtype(np.int8): 0x09,
    np.dtype(np.int16): 0x0B,
    np.dtype(np.int32): 0x0C,
    np.dtype(np.float32): 0x0D,
    np.dtype(np.float64): 0x0E,
}


def idx_bytes(array: np.ndarray, code: int | None = None) -> bytes:
    """Encode ``array`` as an IDX file (big-endian header and items)."""
    code = CODES[array.dtype] if code is None else code
    header = bytes([0, 0, code, array.ndim]) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(tmp_path, name: str, payload: bytes, compress: bool = False):
    path = tmp_path / name
    path.write_bytes(gzip.compress(payload) if compress else payload)
    return path


def sample(dtype, shape=(3, 4, 5)) -> np.ndarray:
    values = np.arange(np.prod(shape)).reshape(shape) - 17
    if np.dtype(dtype) == np.uint8:
        values = values % 256
    return (values * (1.5 if np.dtype(dtype).kind == "f" else 1)).astype(dtype)


# -- round trips ------------------------------------------------------------
@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gz"])
@pytest.mark.parametrize("dtype", list(CODES), ids=[d.name for d in CODES])
@pytest.mark.parametrize("shape", [(7,), (3, 4, 5), (2, 1, 3, 2), (0, 4)])
def test_round_trip(tmp_path, dtype, shape, compress):
    original = sample(dtype, shape)
    path = write(tmp_path, "a.idx", idx_bytes(original), compress)
    back = read_idx(path)
    assert back.dtype == dtype and back.dtype.isnative
    assert back.shape == shape
    np.testing.assert_array_equal(back, original)


def test_every_type_code_is_known():
    assert sorted(IDX_TYPES) == [0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E]


def test_big_endian_items_are_converted(tmp_path):
    raw = bytes([0, 0, 0x0B, 1, 0, 0, 0, 2, 0x01, 0x02, 0xFF, 0xFE])
    assert read_idx(write(tmp_path, "x", raw)).tolist() == [258, -2]


def test_gzip_is_recognised_by_content_not_name(tmp_path):
    data = sample(np.uint8, (4,))
    assert (
        read_idx(write(tmp_path, "plain.gz", idx_bytes(data))).tolist() == data.tolist()
    )
    assert (
        read_idx(write(tmp_path, "zipped", idx_bytes(data), True)).tolist()
        == data.tolist()
    )


def test_path_like_and_str(tmp_path):
    path = write(tmp_path, "s", idx_bytes(sample(np.int32, (2, 2))))
    np.testing.assert_array_equal(read_idx(str(path)), read_idx(path))


# -- corruption -------------------------------------------------------------
GOOD = idx_bytes(sample(np.int16, (3, 4)))

CASES = {
    "bad magic": (b"\x01" + GOOD[1:], r"bad magic number; got 0x010\w+"),
    "second magic byte": (b"\x00\x07" + GOOD[2:], r"bad magic number"),
    "unknown type 0x07": (
        GOOD[:2] + b"\x07" + GOOD[3:],
        r"unknown IDX type code; got 0x07",
    ),
    "unknown type 0x0A": (
        GOOD[:2] + b"\x0a" + GOOD[3:],
        r"unknown IDX type code; got 0x0A",
    ),
    "zero dims": (GOOD[:3] + b"\x00" + GOOD[4:], r"declares 0 dimensions"),
    "wrong type": (
        GOOD[:2] + b"\x0c" + GOOD[3:],
        r"truncated: shape \(3, 4\) of int32 needs 48 bytes of data; got 24",
    ),
    "wrong ndim": (GOOD[:3] + b"\x01" + GOOD[4:], r"too long: shape \(3,\) of int16"),
    "truncated payload": (GOOD[:-1], r"truncated: .* needs 24 bytes of data; got 23"),
    "trailing byte": (GOOD + b"\x00", r"too long: .* needs 24 bytes of data; got more"),
    "truncated dims": (GOOD[:10], r"truncated inside the dimensions"),
    "empty": (b"", r"truncated inside the 4-byte magic number; got 0 bytes"),
    "huge dims": (
        GOOD[:4] + struct.pack(">2I", 2**32 - 1, 2**32 - 1),
        r"more than max_bytes",
    ),
}


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gz"])
@pytest.mark.parametrize("case", list(CASES))
def test_corruption_raises_format_error_naming_the_file(tmp_path, case, compress):
    payload, message = CASES[case]
    path = write(tmp_path, "broken-idx2-short", payload, compress)
    with pytest.raises(FormatError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, MXNetError) and isinstance(info.value, ValueError)


def test_declared_size_is_refused_before_reading(tmp_path):
    # 4 GiB declared by a 12-byte file: refused from the header alone.
    path = write(
        tmp_path, "bomb", bytes([0, 0, 0x08, 1]) + struct.pack(">I", 2**32 - 1)
    )
    with pytest.raises(FormatError, match="more than max_bytes=1000"):
        read_idx(path, max_bytes=1000)
    with pytest.raises(FormatError, match="truncated"):
        read_idx(path)


def test_gzip_bomb_is_not_expanded(tmp_path, monkeypatch):
    # 16 MiB of zeros behind a header that declares 10 bytes: at most 11 bytes read.
    payload = bytes([0, 0, 0x08, 1]) + struct.pack(">I", 10) + bytes(16 << 20)
    path = write(tmp_path, "bomb.gz", payload, compress=True)
    reads = []
    original = gzip.GzipFile.read

    def counting_read(self, size=-1):
        reads.append(size)
        return original(self, size)

    monkeypatch.setattr(gzip.GzipFile, "read", counting_read)
    with pytest.raises(FormatError, match="too long"):
        read_idx(path)
    assert all(0 <= size <= 11 for size in reads)


def test_truncated_plain_file_at_every_offset(tmp_path):
    path = tmp_path / "cut"
    for offset in range(len(GOOD)):
        path.write_bytes(GOOD[:offset])
        with pytest.raises(FormatError, match=re.escape(repr(str(path)))):
            read_idx(path)


def test_truncated_gzip_at_many_offsets(tmp_path):
    blob = gzip.compress(idx_bytes(sample(np.float32, (20, 30))))
    path = tmp_path / "cut.gz"
    for offset in list(range(40)) + list(range(40, len(blob), 7)):
        path.write_bytes(blob[:offset])
        with pytest.raises(FormatError, match=r"cut\.gz"):
            read_idx(path)


@pytest.mark.parametrize("where", [12, -6, -2])
def test_flipped_byte_in_gzip_stream(tmp_path, where):
    blob = bytearray(gzip.compress(idx_bytes(sample(np.uint8, (50, 20)))))
    blob[where] ^= 0xFF
    path = write(tmp_path, "flip.gz", bytes(blob))
    with pytest.raises(FormatError, match=r"flip\.gz"):
        read_idx(path)


def test_garbage_after_gzip_member(tmp_path):
    blob = gzip.compress(idx_bytes(sample(np.uint8, (5,)))) + b"garbage!"
    path = write(tmp_path, "tail.gz", blob)
    with pytest.raises(FormatError, match="gzip stream is corrupt"):
        read_idx(path)


def test_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope")


@pytest.mark.parametrize("bad", [-1, 1.5, True, "10"])
def test_bad_max_bytes(tmp_path, bad):
    path = write(tmp_path, "ok", GOOD)
    with pytest.raises(ParamError, match="max_bytes must be an int >= 0"):
        read_idx(path, max_bytes=bad)


def test_gzip_trailer_smaller_than_header_is_refused_unread(tmp_path, monkeypatch):
    # The header claims 1 GiB; the trailer records the 18 bytes really there.
    payload = bytes([0, 0, 0x08, 1]) + struct.pack(">I", 1 << 30) + bytes(10)
    path = write(tmp_path, "liar.gz", payload, compress=True)
    reads = []
    original = gzip.GzipFile.read

    def counting_read(self, size=-1):
        reads.append(size)
        return original(self, size)

    monkeypatch.setattr(gzip.GzipFile, "read", counting_read)
    with pytest.raises(FormatError, match=r"by its gzip trailer.*truncated.*got 10"):
        read_idx(path)
    assert reads == [4, 4]  # the magic and the one dimension, no payload


def test_empty_shape_with_huge_other_dimensions_is_a_format_error(tmp_path):
    payload = bytes([0, 0, 0x08, 4]) + struct.pack(">4I", 0, 2**32 - 1, 2**32 - 1, 9)
    path = write(tmp_path, "empty-huge", payload)
    with pytest.raises(FormatError, match=r"empty-huge.*empty, but its other dimensions"):
        read_idx(path)
