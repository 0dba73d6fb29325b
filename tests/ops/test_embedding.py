import jax
import numpy as np
import pytest

from mxlite.base import ParamError
from mxlite.ops import get_op
from mxlite.testing import OpCase, case

OP = get_op("Embedding")


def embedding_reference(data, weight, *, input_dim, **_):
    idx = np.clip(np.trunc(data), 0, input_dim - 1).astype(np.int64)
    return weight[idx]


class TestEmbedding(OpCase):
    op = "Embedding"
    no_grad = ("data",)
    cases = (
        case({"input_dim": 6, "output_dim": 3}, data=(4,)),
        case({"input_dim": 5, "output_dim": 2}, data=(2, 3)),
        case({"input_dim": 1, "output_dim": 4}, data=(3, 1, 2)),
        case({"input_dim": 7, "output_dim": 3, "dtype": "float64"}, data=(2, 2),
             dtype="float64"),
    )

    def make_input(self, name, shape, dtype, rng):
        if name == "data":  # indices as MXNet passes them: floats, some out of range
            return rng.integers(-2, 9, size=shape).astype(dtype)
        return rng.uniform(-1.0, 1.0, size=shape).astype(dtype)

    def reference(self, data, weight, **params):
        return embedding_reference(data, weight, **params)


class TestEmbeddingBehaviour:
    def apply(self, data, weight, **params):
        p = OP.parse({"input_dim": weight.shape[0], "output_dim": weight.shape[1], **params})
        return np.asarray(OP.apply(p, [data, weight])[0][0])

    def test_mxnet_clipping_and_truncation(self):
        w = np.arange(12, dtype=np.float32).reshape(4, 3)
        data = np.array([-3, -0.5, 0.7, 2.9, 3.5, 10], np.float32)
        # Printed by MXNet 1.9.1's mx.nd.Embedding.
        want = [[0, 1, 2], [0, 1, 2], [0, 1, 2], [6, 7, 8], [9, 10, 11], [9, 10, 11]]
        np.testing.assert_array_equal(self.apply(data, w), want)

    def test_integer_indices_and_output_dtype(self):
        w = np.arange(12, dtype=np.float32).reshape(4, 3)
        out = self.apply(np.array([[1, 5], [-1, 0]], np.int32), w)
        assert out.dtype == np.float32 and out.shape == (2, 2, 3)
        np.testing.assert_array_equal(out[:, :, 0], [[3, 9], [0, 0]])
        big = self.apply(np.array([1e10, -1e10], np.float32), w)
        np.testing.assert_array_equal(big[:, 0], [9, 0])

    def test_weight_gradient_accumulates_repeats(self):
        p = OP.parse({"input_dim": 3, "output_dim": 2})
        data = np.array([0.0, 2.0, 2.0, 7.0])
        g = jax.grad(lambda w: OP.apply(p, [data, w])[0][0].sum())(np.zeros((3, 2)))
        np.testing.assert_array_equal(np.asarray(g), [[1, 1], [0, 0], [3, 3]])

    def test_types(self):
        p = OP.parse({"input_dim": 3, "output_dim": 2})
        assert OP.run_infer_type(p, ["int32", None]) == (["int32", "float32"], ["float32"], [])
        assert OP.run_infer_type(p, ["float32", "float64"])[1] == ["float64"]
        p16 = OP.parse({"input_dim": 3, "output_dim": 2, "dtype": "float16"})
        assert OP.run_infer_type(p16, ["float32", None])[1] == ["float16"]

    def test_shapes(self):
        p = OP.parse({"input_dim": 10, "output_dim": 4})
        assert OP.run_infer_shape(p, [(2, 5), None]) == ([(2, 5), (10, 4)], [(2, 5, 4)], [])
        assert OP.run_infer_shape(p, [None, None]) == ([None, (10, 4)], [None], [])

    def test_params(self):
        with pytest.raises(ParamError, match=r"Embedding: required parameter 'output_dim' "
                           r"is missing"):
            OP.parse({"input_dim": 3})
        with pytest.raises(ParamError, match=r"input_dim must be an int >= 1; got 0"):
            OP.parse({"input_dim": 0, "output_dim": 2})
        p = OP.parse({"input_dim": "3", "output_dim": "2", "dtype": "float32",
                      "sparse_grad": "False"})
        assert (p.input_dim, p.output_dim, p.dtype, p.sparse_grad) == (3, 2, "float32", False)
