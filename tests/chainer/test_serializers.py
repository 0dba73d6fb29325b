"""chainer.serializers: the NPZ round trip, key layout, and errors for bad files."""

from __future__ import annotations

import io
import os
import zipfile

import jax.numpy as jnp
import numpy as np
import pytest

import mxlite as mx
from mxlite.base import DTypeError, FormatError, MissingKeyError, MXNetError, ShapeError
from mxlite.chainer.serializers import (
    DictionarySerializer,
    NpzDeserializer,
    NpzReader,
    load_npz,
    save_npz,
)


class FakeLink:
    """A Link-like object: values and children, serialized by name."""

    def __init__(self, values=None, **children):
        self.values = dict(values or {})
        self.children = children

    def serialize(self, serializer):
        for name in sorted(self.values):
            self.values[name] = serializer(name, self.values[name])
        for name in sorted(self.children):
            self.children[name].serialize(serializer[name])


def mlp(n_in=4, scale=1.0):
    def linear(n_out, n):
        w = np.arange(n_out * n, dtype=np.float32).reshape(n_out, n) * scale
        return FakeLink({"W": w, "b": np.full(n_out, scale, np.float32)})

    return FakeLink(predictor=FakeLink(l1=linear(3, n_in), l2=linear(2, 3)))


def raising_after_first_value():
    class Boom(FakeLink):
        def serialize(self, serializer):
            serializer("ok", np.zeros(2))
            raise RuntimeError("boom midway")

    return Boom()


def leaf(model, path):
    for part in path.split("/")[:-1]:
        model = model.children[part]
    return model.values[path.split("/")[-1]]


KEYS = ["predictor/l1/W", "predictor/l1/b", "predictor/l2/W", "predictor/l2/b"]


# ---- round trip and layout ---------------------------------------------------------


@pytest.mark.parametrize("compression", [True, False])
def test_round_trip_and_key_layout(tmp_path, compression):
    path = tmp_path / "model.npz"
    save_npz(path, mlp(scale=2.0), compression=compression)
    with np.load(path, allow_pickle=False) as f:
        assert sorted(f.files) == KEYS
        np.testing.assert_array_equal(f["predictor/l1/b"], [2, 2, 2])
    model = mlp(scale=0.0)
    load_npz(str(path), model)
    for key in KEYS:
        np.testing.assert_array_equal(leaf(model, key), leaf(mlp(scale=2.0), key))


def test_members_are_compressed_only_when_asked(tmp_path):
    save_npz(tmp_path / "a.npz", mlp(), compression=True)
    save_npz(tmp_path / "b.npz", mlp(), compression=False)
    with zipfile.ZipFile(tmp_path / "a.npz") as a, zipfile.ZipFile(tmp_path / "b.npz") as b:
        assert {i.compress_type for i in a.infolist()} == {zipfile.ZIP_DEFLATED}
        assert {i.compress_type for i in b.infolist()} == {zipfile.ZIP_STORED}


def test_file_objects_are_written_and_read_directly():
    buffer = io.BytesIO()
    save_npz(buffer, mlp(scale=3.0))
    buffer.seek(0)
    model = mlp(scale=0.0)
    load_npz(buffer, model)
    assert leaf(model, "predictor/l2/b").tolist() == [3.0, 3.0]


def test_dictionary_serializer_protocol():
    s = DictionarySerializer()
    child = s["/predictor/"]
    w = np.ones(2)
    assert child("/W", w) is w
    assert child["l1"]("b", 3) == 3
    assert sorted(s.target) == ["predictor/W", "predictor/l1/b"]
    assert s.target["predictor/l1/b"].shape == ()
    with pytest.raises(DTypeError, match=r"DictionarySerializer: the value of 'x' is a dict"):
        s("x", {"a": 1})


def test_python_scalars_keep_their_type(tmp_path):
    save_npz(tmp_path / "opt.npz", FakeLink({"t": 7, "lr": 0.5, "flag": True}))
    opt = FakeLink({"t": 0, "lr": 0.0, "flag": False})
    load_npz(tmp_path / "opt.npz", opt)
    assert opt.values == {"t": 7, "lr": 0.5, "flag": True}
    assert [type(v) for v in opt.values.values()] == [int, float, bool]


def test_immutable_targets_get_the_loaded_value_returned(tmp_path):
    save_npz(tmp_path / "m.npz", FakeLink({"W": np.arange(3.0)}))
    frozen = np.zeros(3, np.float32)
    frozen.setflags(write=False)
    link = FakeLink({"W": frozen})
    load_npz(tmp_path / "m.npz", link)
    assert link.values["W"] is not frozen and link.values["W"].dtype == np.float32
    assert link.values["W"].tolist() == [0.0, 1.0, 2.0]


def test_writable_numpy_targets_are_also_filled_in_place(tmp_path):
    save_npz(tmp_path / "m.npz", FakeLink({"W": np.arange(3.0)}))
    target = np.zeros(3)
    d = NpzDeserializer(np.load(tmp_path / "m.npz"))
    assert d("W", target) is target and target.tolist() == [0.0, 1.0, 2.0]
    assert d("W", None).tolist() == [0.0, 1.0, 2.0]


def test_path_strict_and_ignore_names(tmp_path):
    snapshot = FakeLink(updater=FakeLink(**{"model:main": mlp(scale=5.0)}))
    save_npz(tmp_path / "snap.npz", snapshot)
    model = mlp(scale=0.0)
    load_npz(tmp_path / "snap.npz", model, path="updater/model:main/")
    assert leaf(model, "predictor/l1/b").tolist() == [5.0] * 3
    model = mlp(scale=0.0)
    load_npz(tmp_path / "snap.npz", model, path="updater/model:main/",
             ignore_names=["updater/model:main/predictor/l1/b",
                           lambda key: key.endswith("l2/W")])  # fmt: skip
    assert leaf(model, "predictor/l1/b").tolist() == [0.0] * 3
    assert leaf(model, "predictor/l2/W").sum() == 0 and leaf(model, "predictor/l2/b")[0] == 5
    extra = FakeLink({"not_saved": 1.5}, predictor=mlp().children["predictor"])
    load_npz(tmp_path / "snap.npz", extra, path="updater/model:main/", strict=False)
    assert extra.values["not_saved"] == 1.5


# ---- None values ----------------------------------------------------------------------


def test_none_is_not_pickled_and_loads_back_as_none(tmp_path):
    save_npz(tmp_path / "lazy.npz", FakeLink({"W": None, "b": np.zeros(2)}))
    with np.load(tmp_path / "lazy.npz", allow_pickle=False) as f:
        assert "W" not in f.files and f["b"].shape == (2,)
        assert all(f[key].dtype != object for key in f.files)
    link = FakeLink({"W": None, "b": np.ones(2)})
    load_npz(tmp_path / "lazy.npz", link)
    assert link.values["W"] is None


_pickle_ran = []


class _Evil:
    def __reduce__(self):
        return (_pickle_ran.append, ("ran",))


def test_chainers_pickled_none_reads_as_none_without_unpickling(tmp_path):
    evil = np.empty((), dtype=object)
    evil[()] = _Evil()
    np.savez(tmp_path / "chainer.npz", W=evil, b=np.asarray(None), c=np.zeros(2))
    link = FakeLink({"W": np.ones(2), "b": None, "c": np.ones(2)})
    load_npz(tmp_path / "chainer.npz", link)
    assert link.values["W"] is None and link.values["b"] is None
    assert _pickle_ran == []


def test_object_arrays_of_other_shapes_are_refused(tmp_path):
    np.savez(tmp_path / "obj.npz", W=np.array([_Evil(), None], dtype=object))
    with pytest.raises(FormatError, match=r"obj\.npz' holds a pickled object array at key 'W'"):
        load_npz(tmp_path / "obj.npz", FakeLink({"W": None}))
    assert _pickle_ran == []


# ---- errors ----------------------------------------------------------------------------


def test_missing_key_names_the_key_the_file_and_a_close_key(tmp_path):
    path = tmp_path / "model.npz"
    save_npz(path, mlp())
    bad = FakeLink(predictor=FakeLink(l1=FakeLink({"w": np.zeros((3, 4))})))
    with pytest.raises(MissingKeyError) as info:
        load_npz(path, bad)
    message = str(info.value)
    assert "has no key 'predictor/l1/w'" in message and os.fspath(path) in message
    assert "Did you mean 'predictor/l1/W'?" in message and "strict=False" in message
    assert isinstance(info.value, KeyError) and isinstance(info.value, MXNetError)


def test_missing_key_without_close_match_lists_keys(tmp_path):
    save_npz(tmp_path / "m.npz", mlp())
    with pytest.raises(MissingKeyError, match=r"It holds 4 keys: 'predictor/l1/W', "):
        load_npz(tmp_path / "m.npz", FakeLink({"zzz": 1}))


def test_wrong_shape_names_file_key_and_both_shapes(tmp_path):
    path = tmp_path / "model.npz"
    save_npz(path, mlp(n_in=4))
    with pytest.raises(ShapeError) as info:
        load_npz(path, mlp(n_in=5))
    message = str(info.value)
    assert os.fspath(path) in message and "'predictor/l1/W'" in message
    assert "(3, 4)" in message and "(3, 5)" in message


def test_wrong_dtype_kind_is_refused(tmp_path):
    save_npz(tmp_path / "m.npz", FakeLink({"W": np.ones(2, np.float32), "t": 1.5}))
    with pytest.raises(DTypeError, match=r"key 'W' holds float32; the target is int32"):
        load_npz(tmp_path / "m.npz", FakeLink({"W": np.zeros(2, np.int32), "t": 1.5}))
    with pytest.raises(DTypeError, match=r"key 't' holds float64.*Python int"):
        load_npz(tmp_path / "m.npz", FakeLink({"W": np.zeros(2, np.float32), "t": 0}))


def test_truncated_file_is_a_format_error(tmp_path):
    path = tmp_path / "model.npz"
    save_npz(path, mlp())
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 3):
        path.write_bytes(data[:cut])
        with pytest.raises(FormatError, match=r"load_npz: '.*model\.npz' is not"):
            load_npz(path, mlp())


def test_text_file_named_npz_is_a_format_error(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("these are not arrays\n")
    with pytest.raises(FormatError, match=r"notes\.npz' is not an \.npz archive.*b'these a"):
        load_npz(path, mlp())


def test_corrupt_member_names_file_and_key(tmp_path):
    path = tmp_path / "model.npz"
    save_npz(path, FakeLink({"W": np.arange(1000.0)}), compression=False)
    data = bytearray(path.read_bytes())
    start = data.index(b"\x93NUMPY") + 200
    data[start : start + 16] = b"\xff" * 16
    path.write_bytes(bytes(data))
    with pytest.raises(FormatError, match=r"model\.npz' cannot be read at key 'W'.*CRC"):
        load_npz(path, FakeLink({"W": np.zeros(1000)}))


def test_header_promising_more_than_the_member_holds(tmp_path):
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w") as archive, archive.open("W.npy", "w") as f:
        np.lib.format.write_array_header_1_0(
            f, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)}
        )
        f.write(b"\0" * 64)
    with pytest.raises(FormatError, match=r"declares a float64 array of shape \(1000000000000,\)"):
        load_npz(path, FakeLink({"W": None}))


def test_single_npy_file_is_not_an_archive(tmp_path):
    path = tmp_path / "array.npz"
    with open(path, "wb") as f:
        np.save(f, np.zeros(3))
    with pytest.raises(FormatError, match=r"holds a single \.npy array"):
        load_npz(path, mlp())


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_npz(tmp_path / "nope.npz", mlp())


# ---- atomic writes ----------------------------------------------------------------------


def test_save_leaves_no_temporary_files(tmp_path):
    save_npz(tmp_path / "model.npz", mlp())
    save_npz(tmp_path / "model.npz", mlp(scale=2.0))
    assert os.listdir(tmp_path) == ["model.npz"]


def test_failed_save_leaves_the_old_file_untouched(tmp_path):
    path = tmp_path / "model.npz"
    save_npz(path, mlp())
    before = path.read_bytes()
    with pytest.raises(RuntimeError, match="boom midway"):
        save_npz(path, raising_after_first_value())
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["model.npz"]


def test_failed_write_leaves_the_old_file_untouched(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    save_npz(path, mlp())
    before = path.read_bytes()
    calls = []

    def failing_write_array(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return original(*args, **kwargs)

    original = np.lib.format.write_array
    monkeypatch.setattr(np.lib.format, "write_array", failing_write_array)
    with pytest.raises(OSError, match="disk full"):
        save_npz(path, mlp(scale=3.0))
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["model.npz"]


# ---- mxlite arrays -----------------------------------------------------------------------


def test_jax_and_ndarray_values_round_trip(tmp_path):
    saved = FakeLink({"W": jnp.arange(6.0, dtype=jnp.float32).reshape(2, 3),
                      "h": jnp.arange(4, dtype=jnp.bfloat16), "n": mx.nd.ones((2,))})  # fmt: skip
    save_npz(tmp_path / "m.npz", saved)
    link = FakeLink({"W": jnp.zeros((2, 3), jnp.float32), "h": jnp.zeros(4, jnp.bfloat16),
                     "n": mx.nd.zeros((2,))})  # fmt: skip
    load_npz(tmp_path / "m.npz", link)
    assert isinstance(link.values["W"], np.ndarray) and link.values["W"][1, 2] == 5.0
    assert link.values["h"].dtype == jnp.bfloat16 and link.values["h"].tolist() == [0, 1, 2, 3]
    assert link.values["n"].tolist() == [1.0, 1.0]


def test_malformed_none_key_list_is_a_format_error(tmp_path):
    np.savez(tmp_path / "m.npz", _mxlite_none_keys=np.zeros(3))
    with pytest.raises(FormatError, match=r"malformed '_mxlite_none_keys' member"):
        load_npz(tmp_path / "m.npz", FakeLink({"W": None}))


def test_encrypted_member_is_a_format_error(tmp_path):
    buf = io.BytesIO()
    np.savez(buf, W=np.ones((2, 3), np.float32))
    blob = bytearray(buf.getvalue())
    central = blob.index(b"PK\x01\x02")
    blob[central + 8] |= 0x01  # general-purpose flag bit 0: encrypted
    path = tmp_path / "locked.npz"
    path.write_bytes(bytes(blob))
    with (pytest.raises(FormatError, match=r"locked\.npz.*encrypted"),
          NpzReader(str(path)) as reader):
        reader.get("W")
