import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from mxlite.base import ParamError, ShapeError
from mxlite.ops import get_op
from mxlite.testing import OpCase, case


def pool_reference(data, *, kernel, pool_type, global_pool, pooling_convention, stride,
                   pad, p_value, count_include_pad, layout, **_):
    """MXNet's pool.h loops: clip each window to the input, divide avg by the
    window clipped to the padded input (or to the input if not count_include_pad)."""
    last = layout in ("NWC", "NHWC", "NDHWC")
    x = np.moveaxis(data, -1, 1) if last else data
    spatial = x.shape[2:]
    nd = len(spatial)
    if global_pool:
        kernel, stride, pad = spatial, (1,) * nd, (0,) * nd
    stride, pad = stride or (1,) * nd, pad or (0,) * nd
    out_sp = []
    for n, k, s, q in zip(spatial, kernel, stride, pad):
        if global_pool:
            out_sp.append(1)
        elif pooling_convention == "valid":
            out_sp.append((n + 2 * q - k) // s + 1)
        elif pooling_convention == "full":
            out_sp.append(int(np.ceil((n + 2 * q - k) / s)) + 1)
        else:
            out_sp.append(int(np.ceil((n + 2 * q) / s)))
    out = np.zeros(x.shape[:2] + tuple(out_sp))
    for pos in itertools.product(*(range(m) for m in out_sp)):
        lo = [o * s - q for o, s, q in zip(pos, stride, pad)]
        hi_pad = [min(a + k, n + q) for a, k, n, q in zip(lo, kernel, spatial, pad)]
        clip = tuple(slice(max(a, 0), min(a + k, n)) for a, k, n in zip(lo, kernel, spatial))
        win = x[(slice(None), slice(None)) + clip].reshape(x.shape[:2] + (-1,))
        win = win.astype(np.float64)
        if pool_type == "max":
            val = win.max(-1) if win.shape[-1] else np.finfo(data.dtype).min
        elif pool_type == "lp":
            total = (win ** p_value).sum(-1)
            val = np.sign(total) * np.abs(total) ** (1.0 / p_value)
        else:
            val = win.sum(-1)
            if pool_type == "avg":
                if count_include_pad is False:
                    size = np.prod([c.stop - c.start for c in clip])
                else:
                    size = np.prod([h - a for a, h in zip(lo, hi_pad)])
                val = val / max(size, 1)
        out[(slice(None), slice(None)) + pos] = val
    out = out.astype(data.dtype)
    return np.moveaxis(out, 1, -1) if last else out


class TestPooling(OpCase):
    op = "Pooling"
    rtol, atol = 1e-5, 1e-6
    cases = (
        case({"kernel": (2, 2), "stride": (2, 2)}, data=(2, 3, 4, 6)),
        case({"kernel": (3, 2), "pool_type": "max", "pooling_convention": "full",
              "stride": (2, 2), "pad": (1, 0)}, data=(2, 2, 6, 5)),
        case({"kernel": (2, 2), "pool_type": "avg"}, data=(2, 2, 4, 5)),
        case({"kernel": (3, 3), "pool_type": "avg", "stride": (2, 2), "pad": (1, 1),
              "pooling_convention": "full"}, data=(1, 2, 6, 5)),
        case({"kernel": (3, 3), "pool_type": "avg", "stride": (2, 2), "pad": (1, 1),
              "count_include_pad": False}, data=(1, 2, 5, 5)),
        case({"kernel": (2, 3), "pool_type": "sum", "stride": (1, 2),
              "pooling_convention": "full"}, data=(2, 1, 4, 6)),
        case({"pool_type": "avg", "global_pool": True}, data=(2, 3, 3, 4)),
        case({"kernel": (2, 2), "pool_type": "lp", "p_value": 2, "stride": (2, 2)},
             data=(1, 2, 4, 4)),
        case({"kernel": (3,), "pool_type": "lp", "p_value": 3, "stride": (2,),
              "pad": (1,)}, data=(2, 2, 7)),
        case({"kernel": (3,), "stride": (2,), "pooling_convention": "same"}, data=(2, 2, 7)),
        case({"kernel": (2, 2), "stride": (2, 1), "layout": "NHWC"}, data=(2, 4, 3, 3),
             dtype="float64"),
        # Disjoint tiles (kernel == stride, no pad): the strided-slice max with
        # its own gradient; odd sizes leave a remainder that 'valid' drops.
        case({"kernel": (2, 3), "stride": (2, 3)}, data=(2, 2, 5, 7)),
        case({"kernel": (2,), "stride": (2,)}, data=(1, 3, 9), dtype="float64"),
        case({"kernel": (2, 2, 2), "stride": (2, 2, 2)}, data=(1, 2, 4, 4, 5)),
        case({"kernel": (2, 2), "stride": (2, 2), "layout": "NHWC"}, data=(2, 4, 6, 3)),
    )

    def reference(self, data, **params):
        return pool_reference(data, **params)


class TestPoolingBehaviour:
    op = get_op("Pooling")

    def shapes(self, params, data, node="pool1"):
        return self.op.run_infer_shape(self.op.parse(params), [data], node=node)

    def test_defaults_are_mxnet(self):
        """docs/semantics.md: stride defaults to 1 per axis, convention 'valid'."""
        p = self.op.parse({"kernel": (2, 2)})
        assert p.stride == () and p.pooling_convention == "valid" and p.pool_type == "max"
        assert p.count_include_pad is None and p.p_value is None
        _, outs, _ = self.shapes({"kernel": (2, 2)}, (1, 1, 5, 5))
        assert outs == [(1, 1, 4, 4)]  # stride 1, not 2
        x = np.arange(25, dtype=np.float32).reshape(1, 1, 5, 5)
        got = np.asarray(self.op.apply(p, [x])[0][0])
        np.testing.assert_array_equal(got[0, 0], x[0, 0, 1:, 1:])

    @pytest.mark.parametrize("params", [
        {"kernel": (2, 2, 2), "pool_type": "avg", "stride": (1, 2, 2), "pad": (0, 1, 0),
         "pooling_convention": "full"},
        {"kernel": (3, 2, 2), "pool_type": "max", "global_pool": True},
    ])
    def test_three_d(self, params):
        x = np.random.default_rng(0).uniform(-1, 1, (1, 2, 3, 4, 4)).astype(np.float32)
        got = np.asarray(self.op.apply(self.op.parse(params), [x])[0][0])
        want = pool_reference(x, **dict(self.op.parse(params)))
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)

    def test_lenet_shapes(self):
        params = {"kernel": (2, 2), "stride": (2, 2), "pool_type": "max"}
        assert self.shapes(params, (100, 20, 24, 24))[1] == [(100, 20, 12, 12)]
        assert self.shapes(params, (100, 50, 8, 8))[1] == [(100, 50, 4, 4)]

    def test_full_convention_rounds_up(self):
        valid = self.shapes({"kernel": (3, 3), "stride": (2, 2)}, (1, 1, 6, 6))[1]
        full = self.shapes({"kernel": (3, 3), "stride": (2, 2),
                            "pooling_convention": "full"}, (1, 1, 6, 6))[1]
        assert valid == [(1, 1, 2, 2)] and full == [(1, 1, 3, 3)]

    def test_same_convention_counts_pad(self):
        assert self.shapes({"kernel": (3,), "stride": (2,), "pad": (1,),
                            "pooling_convention": "same"}, (1, 1, 7))[1] == [(1, 1, 5)]

    def test_global_pool_ignores_kernel(self):
        assert self.shapes({"kernel": (3, 3), "global_pool": True,
                            "pooling_convention": "same"}, (2, 3, 5, 7))[1] == [(2, 3, 1, 1)]

    def test_max_window_in_overhang_is_lowest(self):
        p = self.op.parse({"kernel": (2, 2), "stride": (2, 2), "pad": (1, 1),
                           "pooling_convention": "full"})
        x = np.arange(25, dtype=np.float32).reshape(1, 1, 5, 5)
        got = np.asarray(self.op.apply(p, [x])[0][0])[0, 0]
        assert got.shape == (4, 4) and got[0, 0] == 0 and got[2, 2] == 24
        assert (got[3] == np.finfo(np.float32).min).all()

    def test_lp_gradient_zero_where_output_zero(self):
        p = self.op.parse({"kernel": (2,), "stride": (2,), "pool_type": "lp", "p_value": 2})
        x = np.array([[[0.0, 0.0, 3.0, 4.0]]])
        g = jax.grad(lambda v: self.op.apply(p, [v])[0][0].sum())(x)
        np.testing.assert_allclose(np.asarray(g), [[[0.0, 0.0, 0.6, 0.8]]])

    def test_unknown_data(self):
        assert self.shapes({"kernel": (2, 2)}, None) == ([None], [None], [])

    def test_kernel_larger_than_padded_input(self):
        with pytest.raises(ShapeError, match=r"Pooling\(name='pool1'\): kernel=\(5, 5\) "
                           r"exceeds input 'data' \(1, 1, 3, 8\) on axis 2: 5 > 3 padded to 3"):
            self.shapes({"kernel": (5, 5), "pad": (0, 1)}, (1, 1, 3, 8))

    def test_data_rank_must_match_kernel(self):
        with pytest.raises(ShapeError, match=r"input 'data' has shape \(100, 784\) \(2-D\), "
                           r"but Pooling needs 4-D NCHW input for kernel=\(2, 2\)"):
            self.shapes({"kernel": (2, 2)}, (100, 784))

    def test_missing_kernel(self):
        with pytest.raises(ParamError, match=r"kernel must be .* unless global_pool=True"):
            self.shapes({"pool_type": "avg"}, (1, 1, 4, 4))

    def test_stride_length_mismatch(self):
        with pytest.raises(ParamError, match=r"stride=\(2,\) has 1 entries but kernel=\(2, 2\)"):
            self.shapes({"kernel": (2, 2), "stride": (2,)}, (1, 1, 4, 4))

    def test_lp_needs_p_value(self):
        with pytest.raises(ParamError, match=r"pool_type='lp' needs p_value 1, 2 or 3; "
                           r"got p_value=None"):
            self.shapes({"kernel": (2, 2), "pool_type": "lp"}, (1, 1, 4, 4))

    def test_bad_pool_type(self):
        with pytest.raises(ParamError, match=r"pool_type must be one of 'max', 'avg', "
                           r"'sum', 'lp'; got 'mean'"):
            self.op.parse({"kernel": (2, 2), "pool_type": "mean"})

    def test_mxnet_json_attributes_parse(self):
        p = self.op.parse({"kernel": "(2, 2)", "stride": "(2, 2)", "pool_type": "max",
                           "count_include_pad": "None", "p_value": "None",
                           "global_pool": "False", "layout": "None"})
        assert p.kernel == (2, 2) and p.stride == (2, 2) and p.count_include_pad is None

    def test_tile_max_gradient_goes_to_the_first_maximum(self):
        # MXNet's unpool_max and XLA's select_and_scatter give a tied window's
        # gradient to its first maximum in row-major order, not shared out.
        x = jnp.array([[[[1.0, 3.0, 2.0, 2.0],
                         [3.0, 0.0, 2.0, 2.0]]]])
        p = self.op.parse({"kernel": (2, 2), "stride": (2, 2)})

        def pooled_sum(v):
            (y,), _ = self.op.apply(p, [v])
            return jnp.sum(y * jnp.array([10.0, 100.0]).reshape(1, 1, 1, 2))

        grad = np.asarray(jax.grad(pooled_sum)(x))
        want = np.array([[[[0, 10, 100, 0], [0, 0, 0, 0]]]], np.float32)
        np.testing.assert_array_equal(grad, want)
