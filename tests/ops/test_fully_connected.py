import numpy as np
import pytest

from mxlite.base import ParamError, ShapeError
from mxlite.ops import get_op
from mxlite.testing import OpCase, case


class TestFullyConnected(OpCase):
    op = "FullyConnected"
    cases = (
        case({"num_hidden": 4}, data=(2, 3)),
        case({"num_hidden": 4, "no_bias": True}, data=(2, 3)),
        case({"num_hidden": 5}, data=(2, 3, 4)),
        case({"num_hidden": 5, "flatten": False}, data=(2, 3, 4)),
        case({"num_hidden": 3}, data=(1, 7), dtype="float64"),
    )

    def reference(self, data, weight, bias=None, *, num_hidden, no_bias, flatten):
        x = data.reshape(len(data), -1) if flatten else data
        return x @ weight.T + (0 if bias is None else bias)


class TestFullyConnectedErrors:
    def test_bad_num_hidden(self):
        with pytest.raises(
            ParamError, match=r"FullyConnected.*num_hidden must be an int >= 1; got -3"
        ):
            get_op("FullyConnected").parse({"num_hidden": -3})

    def test_unknown_param_suggests(self):
        with pytest.raises(ParamError, match="Did you mean 'num_hidden'"):
            get_op("FullyConnected").parse({"num_hiden": 3})

    def test_one_axis_data(self):
        op = get_op("FullyConnected")
        with pytest.raises(ShapeError, match=r"FullyConnected\(name='fc1'\).*\(5,\)"):
            op.run_infer_shape(op.parse({"num_hidden": 2}), [(5,), None, None], node="fc1")

    def test_mxnet_shapes(self):
        op = get_op("FullyConnected")
        ins, outs, _ = op.run_infer_shape(
            op.parse({"num_hidden": 128}), [(100, 1, 28, 28), None, None]
        )
        assert ins[1:] == [(128, 784), (128,)] and outs == [(100, 128)]
        assert np.prod(outs[0]) == 12800
