"""Messages a newcomer can act on: wrong files say what they look like, the
``mxlite predict`` errors name both files or the accepted formats, and a missing
MNIST file names the argument and the bundled copy."""

from __future__ import annotations

import contextlib
import gzip
import io
import pathlib
import pickle
import shutil
import struct

import h5py
import matplotlib
import numpy as np
import pytest

import mxlite as mx
from mxlite._fileio import describe_file_start
from mxlite.base import DataNotFoundError, FormatError, MXNetError
from mxlite.chainer import serializers
from mxlite.checkpoint import save_checkpoint
from mxlite.cli.main import main
from mxlite.datasets import read_idx, read_images
from mxlite.datasets.hdf5 import read_tree

matplotlib.use("Agg")
import matplotlib.pyplot as plt

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
STARTS = [
    (b"", "it is empty"),
    (b"hello world, this is text\n", "it looks like a text file"),
    ("Grüße aus Köln\n".encode(), "it looks like a text file"),
    (b'\n  {"nodes": []}', "it looks like a JSON file (a -symbol.json?)"),
    (b"[1, 2, 3]", "it looks like a JSON file (a -symbol.json?)"),
    (b"<!DOCTYPE html>", "it looks like an HTML or XML file (a web page saved instead?)"),
    (b"PK\x03\x04\x14\x00", "it looks like a zip archive (a NumPy .npz or a PyTorch file?)"),
    (b"\x89HDF\r\n\x1a\n\x00", "it looks like an HDF5 file"),
    (b"\x1f\x8b\x08\x00", "it looks like a gzip file"),
    (pickle.dumps({"a": 1}, protocol=4), "it looks like a Python pickle (protocol 4; a "
     "PyTorch file?)"),
    (PNG, "it looks like a PNG image"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "it looks like a JPEG image"),
    (b"\x93NUMPY\x01\x00", "it looks like a NumPy .npy file"),
    (struct.pack("<QQQ", 0x112, 0, 0), "it looks like an MXNet NDArray file (a .params?)"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x03", "it looks like an IDX label file (MNIST format)"),
    (b"\x00\x00\x08\x03\x00\x00\x00\x03", "it looks like an IDX image file (MNIST format)"),
    (bytes(range(200, 250)), None),
    (b"\x00\x01\x02\x03", None),
]


@pytest.mark.parametrize(("head", "expected"), STARTS, ids=[str(e) for _, e in STARTS])
def test_describe_file_start(head, expected):
    assert describe_file_start(head) == expected


def test_describe_file_start_allows_a_character_cut_at_the_end():
    head = "naïve".encode()[:3]  # b"na\xc3": the ï is cut in half
    assert describe_file_start(head) == "it looks like a text file"


# -- every loader that checks a magic number says what the file looks like ----------


def test_nd_load_of_a_symbol_json(tmp_path):
    path = tmp_path / "mlp-symbol.json"
    path.write_text('{\n  "nodes": [\n    {"op": "null", "name": "data"}]}')
    with pytest.raises(FormatError) as err:
        mx.nd.load(str(path))
    magic = struct.unpack("<Q", path.read_bytes()[:8])[0]
    assert str(err.value) == (f"{path}: not an MXNet NDArray file at byte 0: found header "
                              f"magic {magic:#x}, expected 0x112; it looks like a JSON "
                              "file (a -symbol.json?)")


def test_nd_load_of_a_short_text_file(tmp_path):
    path = tmp_path / "bad.params"
    path.write_bytes(b"hello")
    with pytest.raises(FormatError, match=r"bad\.params: not an MXNet NDArray file at "
                       r"byte 0: found 5 bytes, expected an 8-byte header magic 0x112; "
                       r"it looks like a text file$"):
        mx.nd.load(str(path))


def test_nd_load_of_an_npz_and_of_an_hdf5_file(tmp_path):
    np.savez(tmp_path / "w.npz", w=np.zeros(3))
    with pytest.raises(FormatError, match=r"expected 0x112; it looks like a zip archive "
                       r"\(a NumPy \.npz or a PyTorch file\?\)$"):
        mx.nd.load(str(tmp_path / "w.npz"))
    with h5py.File(tmp_path / "w.h5", "w") as f:
        f["w"] = np.zeros(3)
    with pytest.raises(FormatError, match=r"expected 0x112; it looks like an HDF5 file$"):
        mx.nd.load(str(tmp_path / "w.h5"))


def test_read_idx_of_a_png_and_of_gzipped_text(tmp_path):
    (tmp_path / "digit.png").write_bytes(PNG + bytes(40))
    with pytest.raises(FormatError, match=r"bad magic number; got 0x89504E47\. An IDX "
                       r"file starts with .* dimensions; it looks like a PNG image\.$"):
        read_idx(tmp_path / "digit.png")
    with gzip.open(tmp_path / "notes.gz", "wb") as f:
        f.write(b"these are notes, not an IDX file\n")
    with pytest.raises(FormatError, match=r"notes\.gz'\): bad magic number.*; it looks "
                       r"like a text file\.$"):
        read_idx(tmp_path / "notes.gz")


def test_read_idx_of_a_two_byte_file(tmp_path):
    (tmp_path / "tiny").write_bytes(b"{}")
    with pytest.raises(FormatError, match=r"truncated inside the 4-byte magic number; "
                       r"got 2 bytes\. It is not an IDX file; it looks like a JSON file"):
        read_idx(tmp_path / "tiny")


def test_symbol_load_of_a_params_file(tmp_path):
    mx.nd.save(str(tmp_path / "m-0001.params"), {"arg:w": mx.nd.array([1.5, 2.5])})
    with pytest.raises(FormatError, match=r"m-0001\.params: not a UTF-8 symbol JSON file "
                       r"\(.*\); it looks like an MXNet NDArray file \(a \.params\?\)\.$"):
        mx.sym.load(str(tmp_path / "m-0001.params"))


def test_load_npz_of_an_ndarray_file(tmp_path):
    mx.nd.save(str(tmp_path / "m.params"), [mx.nd.array([1.0])])
    with pytest.raises(FormatError, match=r"is not an \.npz archive .* got a file starting "
                       r"with b'\\x12\\x01.*'; it looks like an MXNet NDArray file "
                       r"\(a \.params\?\)\. Pass a file"):
        serializers.load_npz(str(tmp_path / "m.params"), mx.chainer.Link())


def test_hdf5_reader_of_a_json_file(tmp_path):
    (tmp_path / "train.hdf5").write_text('{"data": [1, 2]}')
    with pytest.raises(FormatError, match=r"not a readable HDF5 file \(truncated or "
                       r"another format; it looks like a JSON file \(a -symbol\.json\?\)\)"):
        read_tree(tmp_path / "train.hdf5", where="HDF5DataLayer")


# -- missing MNIST files -----------------------------------------------------------


@pytest.mark.parametrize("arg", ["image", "label"])
def test_mnist_iter_names_the_missing_file_and_the_bundled_copy(arg, tmp_path,
                                                               monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = f"data/train-{'images-idx3' if arg == 'image' else 'labels-idx1'}-ubyte"
    with pytest.raises(DataNotFoundError) as err:
        mx.io.MNISTIter(**{arg: path}, batch_size=100)
    assert isinstance(err.value, FileNotFoundError) and isinstance(err.value, MXNetError)
    assert str(err.value) == (
        f"MNISTIter: {arg}={path!r}: no such file; expected an IDX file (plain or .gz). "
        "MNISTIter() without image= and label= reads the MNIST copy bundled with mxlite "
        "(or the directory in $MXLITE_DATA); mx.test_utils.get_mnist_ubyte() writes "
        "that copy into data/ as the files MXNet's tutorial names.")


def test_mnist_iter_of_a_directory(tmp_path):
    with pytest.raises(DataNotFoundError, match=r"image='.*': is a directory; expected "
                       r"an IDX file"):
        mx.io.MNISTIter(image=tmp_path, batch_size=100)


def test_dataset_readers_name_the_missing_file(tmp_path):
    with pytest.raises(DataNotFoundError, match=r"^read_idx\('.*nope'\): no such file\.$"):
        read_idx(tmp_path / "nope")
    with pytest.raises(DataNotFoundError, match=r"^load_mnist: no such file '.*nope'\.$"):
        read_images(tmp_path / "nope")


# -- mxlite predict ------------------------------------------------------------------


def _mlp() -> mx.sym.Symbol:
    data = mx.sym.flatten(mx.sym.var("data"))
    fc1 = mx.sym.FullyConnected(data, num_hidden=8, name="fc1")
    fc2 = mx.sym.FullyConnected(mx.sym.relu(fc1), num_hidden=6, name="fc2")
    fc3 = mx.sym.FullyConnected(mx.sym.relu(fc2), num_hidden=10, name="fc3")
    return mx.sym.SoftmaxOutput(fc3, name="softmax")


def _lenet() -> mx.sym.Symbol:
    conv1 = mx.sym.Convolution(mx.sym.var("data"), kernel=(5, 5), num_filter=2,
                               name="conv1")
    pool1 = mx.sym.Pooling(conv1, pool_type="max", kernel=(2, 2), stride=(2, 2))
    conv2 = mx.sym.Convolution(pool1, kernel=(5, 5), num_filter=3, name="conv2")
    fc1 = mx.sym.FullyConnected(mx.sym.flatten(conv2), num_hidden=8, name="fc1")
    fc2 = mx.sym.FullyConnected(mx.sym.tanh(fc1), num_hidden=10, name="fc2")
    return mx.sym.SoftmaxOutput(fc2, name="softmax")


def _save(prefix: pathlib.Path, sym: mx.sym.Symbol) -> None:
    """Epoch 1 of ``sym`` with random parameters of the shapes it needs."""
    shapes, _, _ = sym.infer_shape(data=(1, 1, 28, 28))
    rng = np.random.default_rng(0)
    params = {name: mx.nd.array(rng.uniform(-0.1, 0.1, shape).astype(np.float32))
              for name, shape in zip(sym.list_arguments(), shapes)
              if name not in ("data", "softmax_label")}
    save_checkpoint(str(prefix), 1, sym, params, {})


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    out = tmp_path_factory.mktemp("models")
    _save(out / "mlp", _mlp())
    _save(out / "lenet", _lenet())
    images = np.zeros((2, 28, 28), np.uint8)
    (out / "digits-idx3-ubyte").write_bytes(struct.pack(">BBBBIII", 0, 0, 8, 3, 2, 28, 28)
                                            + images.tobytes())
    return out


def _predict(prefix: pathlib.Path, *images: pathlib.Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["predict", "--model-prefix", str(prefix), "--epoch", "1",
                     *map(str, images)])
    return code, out.getvalue(), err.getvalue()


def test_predict_runs_on_a_matching_checkpoint(models):
    code, out, err = _predict(models / "mlp", models / "digits-idx3-ubyte")
    assert (code, err) == (0, "")
    assert len(out.splitlines()) == 2


def test_predict_lenet_symbol_with_mlp_parameters(models, tmp_path):
    mixed = tmp_path / "mixed"
    shutil.copy(models / "lenet-symbol.json", f"{mixed}-symbol.json")
    shutil.copy(models / "mlp-0001.params", f"{mixed}-0001.params")
    code, out, err = _predict(mixed, models / "digits-idx3-ubyte")
    assert (code, out) == (1, "")
    assert err == (f"mxlite predict: error: {mixed}-symbol.json and {mixed}-0001.params "
                   "do not belong together: the symbol needs conv1_weight and 3 more, "
                   "which the file lacks; the file has fc3_weight and 1 more, which the "
                   "symbol does not use.\n")


def test_predict_same_names_other_shapes(models, tmp_path):
    wide = tmp_path / "wide"
    data = mx.sym.flatten(mx.sym.var("data"))
    fc1 = mx.sym.FullyConnected(data, num_hidden=16, name="fc1")
    fc2 = mx.sym.FullyConnected(mx.sym.relu(fc1), num_hidden=6, name="fc2")
    fc3 = mx.sym.FullyConnected(mx.sym.relu(fc2), num_hidden=10, name="fc3")
    mx.sym.SoftmaxOutput(fc3, name="softmax").save(f"{wide}-symbol.json")
    shutil.copy(models / "mlp-0001.params", f"{wide}-0001.params")
    code, _, err = _predict(wide, models / "digits-idx3-ubyte")
    assert code == 1
    assert err == (f"mxlite predict: error: {wide}-symbol.json and {wide}-0001.params do "
                   "not belong together: fc1_weight has shape (8, 784) in the file but "
                   "the symbol needs (16, 784).\n")


def test_predict_on_a_file_that_is_no_image_lists_the_formats(models, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("7 2 1 0 4\n")
    code, out, err = _predict(models / "mlp", notes)
    assert (code, out) == (1, "")
    assert err == (f"mxlite predict: error: {notes}: not an image file mxlite predict "
                   "reads (it looks like a text file); it reads IDX image files (plain "
                   "or .gz, as t10k-images-idx3-ubyte) and 28x28 PNG images (grayscale "
                   "or RGB).\n")


def test_predict_reads_a_png_by_content_not_by_name(models, tmp_path):
    png = tmp_path / "digit.img"
    plt.imsave(png, np.zeros((28, 28)), cmap="gray", format="png")
    code, out, err = _predict(models / "mlp", png)
    assert (code, err) == (0, "")
    assert out.startswith(f"{png}  predicted ")


def test_predict_on_a_params_file_given_as_image(models):
    code, _, err = _predict(models / "mlp", models / "mlp-0001.params")
    assert code == 1
    assert "(it looks like an MXNet NDArray file (a .params?)); it reads IDX" in err
