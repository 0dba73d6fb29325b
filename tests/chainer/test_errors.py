"""Bad input to the Chainer dialect: one clear mxlite error naming the link or
function, what it saw and what it expected."""

from __future__ import annotations

import numpy as np
import pytest

import mxlite.chainer as chainer
from mxlite.base import DTypeError, MissingKeyError, ShapeError
from mxlite.chainer import functions as F
from mxlite.chainer import links as L
from mxlite.chainer import serializers


class Two(chainer.Chain):
    def __init__(self) -> None:
        super().__init__()
        with self.init_scope():
            self.l1 = L.Linear(None, 3)
            self.l2 = L.Linear(3, 2)

    def forward(self, x):
        return self.l2(self.l1(x))


def test_linear_already_initialized_refuses_another_input_size():
    model = Two()
    model(np.zeros((2, 4), np.float32))
    with pytest.raises(ShapeError, match=r"Linear 'l1': input of shape \(2, 5\) has 5 "
                                         r"features per example, but W was initialized "
                                         r"as \(3, 4\) for 4"):
        model(np.zeros((2, 5), np.float32))


def test_float_labels_and_int_regression_targets_are_refused():
    y = chainer.Variable(np.zeros((4, 3), np.float32))
    with pytest.raises(DTypeError, match=r"softmax_cross_entropy: t must hold integer class "
                                         r"labels \(int32\); got float32 of shape \(4,\)"):
        F.softmax_cross_entropy(y, np.zeros(4, np.float32))
    with pytest.raises(DTypeError, match=r"mean_squared_error: x1 must be a floating-point "
                                         r"array; got int32"):
        F.mean_squared_error(y, np.zeros((4, 3), np.int32))
    with pytest.raises(ShapeError, match=r"softmax_cross_entropy: t has shape \(5,\); "
                                         r"expected \(4,\)"):
        F.softmax_cross_entropy(y, np.zeros(5, np.int32))


def test_npz_missing_a_key_names_the_key_and_the_file(tmp_path):
    model = Two()
    model(np.zeros((2, 4), np.float32))
    path = tmp_path / "m.npz"
    serializers.save_npz(str(path), model.l2)  # only l2's keys: W, b
    with pytest.raises(MissingKeyError, match=r"m\.npz' has no key 'l1/W'. It holds 2 keys"):
        serializers.load_npz(str(path), model)


def test_embed_id_refuses_ids_outside_the_table():
    emb = L.EmbedID(5, 3)
    with pytest.raises(Exception, match=r"embed_id: labels range over \[0, 7\] but there "
                                        r"are 5 classes"):
        emb(np.array([0, 7], np.int32))
    ignoring = L.EmbedID(5, 3, ignore_label=-1)
    out = np.asarray(ignoring(np.array([0, -1], np.int32)).array)
    assert out.shape == (2, 3) and not out[1].any()
