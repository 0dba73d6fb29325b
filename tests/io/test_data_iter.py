"""DataDesc, DataBatch, the DataIter protocol and ResizeIter."""

from __future__ import annotations

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import ParamError
from mxlite.io import DataBatch, DataDesc, DataIter, NDArrayIter, ResizeIter


def test_data_desc_is_a_name_shape_tuple_with_dtype_and_layout():
    desc = DataDesc("data", (100, 1, 28, 28))
    name, shape = desc
    assert (name, shape) == ("data", (100, 1, 28, 28)) and desc == ("data", shape)
    assert desc.dtype == np.float32 and desc.layout == "NCHW"
    assert repr(desc) == "DataDesc[data,(100, 1, 28, 28),<class 'numpy.float32'>,NCHW]"
    assert DataDesc("x", (2,), np.int32, "TNC").dtype == np.int32
    assert DataDesc.get_batch_axis("TNC") == 1 and DataDesc.get_batch_axis(None) == 0
    descs = DataDesc.get_list(
        [("a", (1,)), ("b", (2,))], [("a", np.int8), ("b", np.float16)]
    )
    assert [(d.name, d.dtype) for d in descs] == [("a", np.int8), ("b", np.float16)]
    assert DataDesc.get_list([("a", (1,))], None)[0].dtype == np.float32


def test_data_batch():
    x = mx.nd.ones((2, 3))
    batch = DataBatch([x], [x], pad=1)
    assert batch.pad == 1 and batch.index is None and batch.bucket_key is None
    assert str(batch) == "DataBatch: data shapes: [(2, 3)] label shapes: [(2, 3)]"
    assert DataBatch([x]).pad == 0 and DataBatch([x], pad=None).pad == 0
    with pytest.raises(
        ParamError, match=r"data must be a list of NDArrays; got NDArray"
    ):
        DataBatch(x)
    with pytest.raises(ParamError, match=r"label must be a list"):
        DataBatch([x], x)


class Countdown(DataIter):
    """An MXNet-style custom iterator built on iter_next/getdata."""

    def __init__(self, n: int) -> None:
        super().__init__(batch_size=1)
        self.n, self.i = n, 0
        self.provide_data = [DataDesc("data", (1,))]
        self.provide_label = [DataDesc("softmax_label", (1,))]

    def reset(self) -> None:
        self.i = 0

    def iter_next(self) -> bool:
        self.i += 1
        return self.i <= self.n

    def getdata(self) -> list:
        return [mx.nd.array([self.i])]

    def getlabel(self) -> list:
        return [mx.nd.array([-self.i])]


def test_custom_iterator_protocol():
    it = Countdown(3)
    assert [b.data[0].asnumpy().tolist() for b in it] == [[1.0], [2.0], [3.0]]
    assert it.device_epoch() is None
    it.reset()
    batch = next(it)
    assert batch.pad == 0 and batch.index is None and batch.label[0].asnumpy()[0] == -1


def test_resize_iter_wraps_a_short_iterator_and_cuts_a_long_one():
    it = ResizeIter(Countdown(3), 5)
    assert it.provide_data == [DataDesc("data", (1,))] and it.batch_size == 1
    assert [b.data[0].asnumpy()[0] for b in it] == [1, 2, 3, 1, 2]
    it.reset()
    assert [b.data[0].asnumpy()[0] for b in it] == [1, 2, 3, 1, 2]
    short = ResizeIter(NDArrayIter(np.arange(10), batch_size=2), 2)
    assert [b.data[0].asnumpy().tolist() for b in short] == [[0, 1], [2, 3]]


def test_resize_iter_without_internal_reset_continues():
    it = ResizeIter(Countdown(3), 2, reset_internal=False)
    assert [b.data[0].asnumpy()[0] for b in it] == [1, 2]
    it.reset()
    assert [b.data[0].asnumpy()[0] for b in it] == [3, 1]


def test_resize_iter_bad_size():
    with pytest.raises(ParamError, match="size must be an int >= 0"):
        ResizeIter(Countdown(1), -1)


def test_mx_io_namespace():
    assert mx.io.NDArrayIter is NDArrayIter
    for name in (
        "DataDesc",
        "DataBatch",
        "DataIter",
        "NDArrayIter",
        "MNISTIter",
        "PrefetchingIter",
        "ResizeIter",
    ):
        assert name in mx.io.__all__
