"""Bundled MNIST: checksums, MXNet's get_mnist dict, MXLITE_DATA, corrupt copies."""

from __future__ import annotations

import gzip
import shutil
import struct

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import FormatError, MXNetError
from mxlite.datasets import (
    DataNotFoundError,
    bundled_dir,
    load_mnist,
    load_mnist_raw,
    mnist_files,
    verify_checksums,
)
from mxlite.datasets import mnist as mnist_module

NAMES = mnist_module.MNIST_FILES


@pytest.fixture(autouse=True)
def no_env(monkeypatch):
    monkeypatch.delenv("MXLITE_DATA", raising=False)


@pytest.fixture(scope="module")
def mnist():
    return load_mnist()


def idx(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    return header + array.astype(np.uint8).tobytes()


def tiny_dir(path, n_train=5, n_test=3, gz=("train-images-idx3-ubyte",), labels=None):
    """A directory of four small MNIST-shaped IDX files, some gzipped."""
    path.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28)),
        "train-labels-idx1-ubyte": labels
        if labels is not None
        else np.arange(n_train) % 10,
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28)),
        "t10k-labels-idx1-ubyte": np.arange(n_test)[::-1] % 10,
    }
    for name, array in arrays.items():
        raw = idx(np.asarray(array))
        if name in gz:
            (path / f"{name}.gz").write_bytes(gzip.compress(raw))
        else:
            (path / name).write_bytes(raw)
    return arrays


# -- the bundled copy ---------------------------------------------------------
def test_bundled_files_and_checksums_ship():
    directory = bundled_dir()
    listed = (directory / "SHA256SUMS").read_text().split()
    assert sorted(listed[1::2]) == sorted(f"{n}.gz" for n in NAMES.values())
    for name in listed[1::2]:
        assert (directory / name).is_file()
    verify_checksums(directory)


def test_default_files_are_the_bundled_ones():
    files = mnist_files()
    assert set(files) == set(NAMES)
    assert all(
        p.parent == bundled_dir() and p.name.endswith(".gz") for p in files.values()
    )


def test_get_mnist_matches_mxnet(mnist):
    assert mx.test_utils.get_mnist is not None
    expected = {
        "train_data": ((60000, 1, 28, 28), np.float32),
        "train_label": ((60000,), np.int8),
        "test_data": ((10000, 1, 28, 28), np.float32),
        "test_label": ((10000,), np.int8),
    }
    assert set(mnist) == set(expected)
    for key, (shape, dtype) in expected.items():
        assert mnist[key].shape == shape and mnist[key].dtype == dtype, key
    for key in ("train_data", "test_data"):
        assert mnist[key].min() == 0.0 and mnist[key].max() == 1.0
    # Exactly MXNet's astype(float32) / 255 of the stored bytes.
    raw = load_mnist_raw()
    np.testing.assert_array_equal(
        mnist["test_data"][:, 0], raw["test_data"].astype(np.float32) / 255
    )
    assert raw["test_data"].dtype == np.uint8 and not raw["test_data"].flags.writeable


def test_known_content(mnist):
    assert mnist["test_label"][:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert mnist["train_label"][-1] == 8
    assert np.bincount(mnist["train_label"]).tolist() == [
        5923,
        6742,
        5958,
        6131,
        5842,
        5421,
        5918,
        6265,
        5851,
        5949,
    ]
    assert np.bincount(mnist["test_label"]).tolist() == [
        980,
        1135,
        1032,
        1010,
        982,
        892,
        958,
        1028,
        974,
        1009,
    ]
    assert abs(mnist["train_data"].mean() * 255 - 33.318) < 1e-2


def test_each_call_returns_fresh_writable_arrays(mnist):
    again = mx.test_utils.get_mnist()
    for key in again:
        assert again[key] is not mnist[key] and again[key].flags.writeable
        assert not np.shares_memory(again[key], mnist[key])


# -- a user directory -----------------------------------------------------------
def test_env_var_overrides_bundled(tmp_path, monkeypatch):
    arrays = tiny_dir(tmp_path / "d")
    monkeypatch.setenv("MXLITE_DATA", str(tmp_path / "d"))
    got = mx.test_utils.get_mnist()
    assert got["train_data"].shape == (5, 1, 28, 28)
    assert got["test_data"].shape == (3, 1, 28, 28)
    np.testing.assert_array_equal(
        got["train_data"][:, 0],
        arrays["train-images-idx3-ubyte"].astype(np.float32) / np.float32(255),
    )
    assert got["test_label"].tolist() == [2, 1, 0]


def test_path_argument_wins_over_env(tmp_path, monkeypatch):
    tiny_dir(tmp_path / "env", n_train=4)
    tiny_dir(tmp_path / "arg", n_train=6, gz=tuple(NAMES.values()))
    monkeypatch.setenv("MXLITE_DATA", str(tmp_path / "env"))
    assert load_mnist(tmp_path / "arg")["train_label"].shape == (6,)
    assert load_mnist(str(tmp_path / "arg"))["train_label"].shape == (6,)


def test_user_directory_is_checked_structurally_not_by_checksum(tmp_path):
    tiny_dir(tmp_path)
    (tmp_path / "SHA256SUMS").write_text("0" * 64 + "  train-labels-idx1-ubyte\n")
    assert load_mnist(tmp_path)["train_label"].shape == (5,)


def test_missing_directory(tmp_path, monkeypatch):
    with pytest.raises(
        DataNotFoundError, match=r"path=.*does not exist; got '.*nowhere'"
    ):
        load_mnist(tmp_path / "nowhere")
    monkeypatch.setenv("MXLITE_DATA", str(tmp_path / "gone"))
    with pytest.raises(DataNotFoundError, match=r"\$MXLITE_DATA"):
        load_mnist()


def test_missing_file(tmp_path):
    tiny_dir(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(
        DataNotFoundError, match=r"'t10k-labels-idx1-ubyte' .* is missing"
    ) as e:
        load_mnist(tmp_path)
    assert isinstance(e.value, MXNetError) and isinstance(e.value, FileNotFoundError)


def test_truncated_user_file_names_it(tmp_path):
    tiny_dir(tmp_path)
    target = tmp_path / "t10k-images-idx3-ubyte"
    target.write_bytes(target.read_bytes()[:-10])
    with pytest.raises(FormatError, match=r"t10k-images-idx3-ubyte.*truncated"):
        load_mnist(tmp_path)


def test_count_mismatch(tmp_path):
    tiny_dir(tmp_path, labels=np.arange(4))
    with pytest.raises(FormatError, match=r"holds 5 images but .* labels; got 4"):
        load_mnist(tmp_path)


def test_labels_out_of_range(tmp_path):
    tiny_dir(tmp_path, labels=np.array([0, 1, 2, 3, 12]))
    with pytest.raises(FormatError, match="label out of range; got 12"):
        load_mnist(tmp_path)


def test_wrong_kind_of_file(tmp_path):
    tiny_dir(tmp_path)
    shutil.copy(
        tmp_path / "t10k-labels-idx1-ubyte", tmp_path / "t10k-images-idx3-ubyte"
    )
    with pytest.raises(
        FormatError, match="not an MNIST image file; got uint8 with shape"
    ):
        load_mnist(tmp_path)


# -- a corrupted bundled copy -----------------------------------------------------
def test_corrupted_bundled_copy_fails_its_checksum(tmp_path, monkeypatch):
    copy = tmp_path / "bundled"
    shutil.copytree(bundled_dir(), copy)
    target = copy / "train-labels-idx1-ubyte.gz"
    blob = bytearray(target.read_bytes())
    blob[100] ^= 0x01
    target.write_bytes(bytes(blob))
    monkeypatch.setattr(mnist_module, "BUNDLED_DIR", copy)
    with pytest.raises(
        FormatError,
        match=r"checksum mismatch for '.*train-labels-idx1-"
        r"ubyte\.gz': SHA-256 expected fe03b8bd",
    ):
        load_mnist()


def test_malformed_sums_file(tmp_path):
    (tmp_path / "SHA256SUMS").write_text("not a checksum line\n")
    with pytest.raises(FormatError, match="line 1 is not '<sha256>  <file>'"):
        verify_checksums(tmp_path)


@pytest.mark.parametrize(
    "listed", ["../secret", "/etc/hostname", "sub/file", "..", "a\\b"]
)
def test_sums_file_lists_only_plain_names(tmp_path, listed):
    (tmp_path / "SHA256SUMS").write_text(f"{'0' * 64}  {listed}\n")
    with pytest.raises(FormatError, match=r"expected a plain file name"):
        verify_checksums(tmp_path)


def test_sums_file_never_reads_a_device_or_a_link(tmp_path):
    (tmp_path / "zero").symlink_to("/dev/zero")
    (tmp_path / "SHA256SUMS").write_text(f"{'0' * 64}  zero\n")
    with pytest.raises(FormatError, match=r"'zero', which is not a regular file"):
        verify_checksums(tmp_path)
