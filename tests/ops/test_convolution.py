import itertools

import jax
import numpy as np
import pytest

from mxlite.base import ParamError, ShapeError
from mxlite.ops import get_op
from mxlite.ops.nn import im2col
from mxlite.testing import OpCase, case


def conv_reference(data, weight, bias=None, *, kernel, stride=(), dilate=(), pad=(),
                   num_filter, num_group=1, no_bias=False, **_):
    """Direct loop over output positions, one tensordot per position and group."""
    nd = len(kernel)
    stride, dilate, pad = stride or (1,) * nd, dilate or (1,) * nd, pad or (0,) * nd
    x = np.pad(data.astype(np.float64), [(0, 0), (0, 0)] + [(q, q) for q in pad])
    n, c = data.shape[:2]
    cg, fg = c // num_group, num_filter // num_group
    out_sp = [(x.shape[2 + i] - dilate[i] * (kernel[i] - 1) - 1) // stride[i] + 1
              for i in range(nd)]
    out = np.zeros((n, num_filter, *out_sp))
    for g in range(num_group):
        wg = weight[g * fg:(g + 1) * fg].astype(np.float64)
        for pos in itertools.product(*(range(m) for m in out_sp)):
            window = tuple(slice(o * s, o * s + d * (k - 1) + 1, d)
                           for o, s, d, k in zip(pos, stride, dilate, kernel))
            patch = x[(slice(None), slice(g * cg, (g + 1) * cg)) + window]
            axes = list(range(1, nd + 2))
            out[(slice(None), slice(g * fg, (g + 1) * fg)) + pos] = np.tensordot(
                patch, wg, axes=(axes, axes))
    if bias is not None:
        out += bias.reshape((1, -1) + (1,) * nd)
    return out.astype(data.dtype)


CASES = [
    case({"kernel": (3, 3), "num_filter": 4}, data=(2, 3, 6, 5)),
    case({"kernel": (3, 3), "num_filter": 2, "stride": (2, 2), "pad": (1, 1)},
         data=(2, 2, 7, 6)),
    case({"kernel": (2, 2), "num_filter": 4, "num_group": 2}, data=(2, 4, 4, 4)),
    case({"kernel": (2, 3), "num_filter": 3, "no_bias": True, "pad": (1, 0)},
         data=(2, 1, 4, 5)),
    case({"kernel": (3,), "num_filter": 2, "stride": (2,), "pad": (1,)}, data=(2, 3, 7)),
    case({"kernel": (2, 2, 2), "num_filter": 2, "layout": "NCDHW"}, data=(1, 2, 3, 3, 3)),
    case({"kernel": (3, 2), "num_filter": 2, "stride": (1, 2), "dilate": (2, 2),
          "pad": (2, 1), "num_group": 2}, data=(1, 2, 6, 7), dtype="float64"),
    # Batches of 32+ are cut into independent halves on CPU (im2col._BATCH_PARTS).
    case({"kernel": (3, 3), "num_filter": 3, "stride": (2, 1)}, data=(32, 2, 5, 6)),
    case({"kernel": (2, 2), "num_filter": 4, "num_group": 2, "pad": (1, 0)},
         data=(34, 4, 3, 3), dtype="float64"),
]


# The CPU lowering takes a small weight's gradient position-major (both operands
# transposed) and a larger one's as it comes: one case on each side of
# im2col._THIN_WEIGHT, both cut into batch halves, plus a grouped one.
GRADIENT_CASES = [
    case({"kernel": (5, 5), "num_filter": 4}, data=(32, 1, 9, 9)),
    case({"kernel": (3, 3), "num_filter": 32, "pad": (1, 1)}, data=(32, 16, 4, 5)),
    CASES[-1],
]


class TestConvolution(OpCase):
    op = "Convolution"
    cases = CASES
    rtol, atol = 1e-5, 1e-5

    def reference(self, *args, **params):
        return conv_reference(*args, **params)


class TestConvolutionLowerings:
    """The GPU lowering (lax.conv_general_dilated) agrees with the CPU im2col one."""

    @pytest.mark.slow
    @pytest.mark.parametrize("c", CASES, ids=[str(c) for c in CASES])
    def test_default_lowering_matches_reference(self, c):
        helper = TestConvolution()
        args, _ = helper.inputs(c)
        p = helper.parsed(c)
        got = get_op("Convolution").lowering("default")(p, *args)
        np.testing.assert_allclose(np.asarray(got), conv_reference(*args, **dict(p)),
                                   rtol=1e-5, atol=1e-5)

    def test_gradient_cases_cover_both_weight_gradients(self):
        sizes = [4 * 1 * 5 * 5, 32 * 16 * 3 * 3]
        assert sizes[0] <= im2col._THIN_WEIGHT < sizes[1]

    @pytest.mark.slow
    @pytest.mark.parametrize("c", GRADIENT_CASES, ids=[str(c) for c in GRADIENT_CASES])
    def test_lowerings_have_same_gradients(self, c):
        helper = TestConvolution()
        args, _ = helper.inputs(c, dtype="float64")
        p, op = helper.parsed(c), get_op("Convolution")

        def grads(platform):
            fn = op.lowering(platform)
            def loss(*a):
                return (fn(p, *a) ** 2).sum()

            return jax.grad(loss, argnums=tuple(range(len(args))))(*args)

        for a, b in zip(grads("cpu"), grads("default")):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-10, atol=1e-10)

    def test_cpu_lowering_is_not_lax_conv(self):
        op = get_op("Convolution")
        assert op.lowering("cpu") is not op.lowering("default")
        assert op.lowering("gpu") is op.lowering("default")


class TestConvolutionErrors:
    op = get_op("Convolution")

    def shapes(self, params, data, node="conv1"):
        return self.op.run_infer_shape(self.op.parse(params), [data, None, None], node=node)

    def test_lenet_shapes(self):
        ins, outs, _ = self.shapes({"kernel": (5, 5), "num_filter": 20}, (100, 1, 28, 28))
        assert ins[1:] == [(20, 1, 5, 5), (20,)] and outs == [(100, 20, 24, 24)]
        ins, outs, _ = self.shapes({"kernel": (5, 5), "num_filter": 50}, (100, 20, 12, 12))
        assert ins[1:] == [(50, 20, 5, 5), (50,)] and outs == [(100, 50, 8, 8)]

    def test_unknown_data_fills_bias_only(self):
        ins, outs, aux = self.shapes({"kernel": (3, 3), "num_filter": 7}, None)
        assert ins == [None, None, (7,)] and outs == [None] and aux == []

    def test_grouped_weight_shape(self):
        ins, _, _ = self.shapes({"kernel": (3, 3), "num_filter": 6, "num_group": 3},
                                (1, 9, 5, 5))
        assert ins[1] == (6, 3, 3, 3)

    def test_two_dim_data(self):
        with pytest.raises(ShapeError, match=r"Convolution\(name='conv1'\): input 'data' has "
                           r"shape \(100, 784\) \(2-D\), but kernel=\(5, 5\) needs 4-D NCHW"):
            self.shapes({"kernel": (5, 5), "num_filter": 20}, (100, 784))

    def test_channels_not_divisible_by_group(self):
        with pytest.raises(ShapeError, match=r"input 'data' has 3 channels .* num_group=2 "
                           r"does not divide"):
            self.shapes({"kernel": (1, 1), "num_filter": 4, "num_group": 2}, (1, 3, 4, 4))

    def test_kernel_larger_than_padded_input(self):
        with pytest.raises(ShapeError, match=r"kernel=\(5, 5\) .* spans 5 along spatial "
                           r"axis 0, but input 'data' \(1, 1, 3, 9\) is only 3 there"):
            self.shapes({"kernel": (5, 5), "num_filter": 1, "pad": (0, 1)}, (1, 1, 3, 9))

    def test_dilated_kernel_too_large(self):
        with pytest.raises(ShapeError, match=r"spans 5 along spatial axis 1"):
            self.shapes({"kernel": (1, 3), "num_filter": 1, "dilate": (1, 2)}, (1, 1, 4, 4))

    def test_stride_length_mismatch(self):
        with pytest.raises(ParamError, match=r"stride=\(2,\) has 1 entries but "
                           r"kernel=\(3, 3\) has 2"):
            self.shapes({"kernel": (3, 3), "num_filter": 1, "stride": (2,)}, (1, 1, 5, 5))

    def test_num_filter_not_divisible_by_group(self):
        with pytest.raises(ParamError, match=r"num_filter=3 must be divisible by num_group=2"):
            self.shapes({"kernel": (1, 1), "num_filter": 3, "num_group": 2}, (1, 4, 4, 4))

    def test_channel_last_layout_unsupported(self):
        with pytest.raises(ParamError, match=r"layout='NHWC' is not supported"):
            self.shapes({"kernel": (3, 3), "num_filter": 1, "layout": "NHWC"}, (1, 5, 5, 1))

    def test_required_params(self):
        with pytest.raises(ParamError, match=r"required parameter 'num_filter' is missing"):
            self.op.parse({"kernel": (3, 3)})
        with pytest.raises(ParamError, match=r"required parameter 'kernel' is missing"):
            self.op.parse({"num_filter": 3})

    def test_mxnet_json_attributes_parse(self):
        p = self.op.parse({"kernel": "(5, 5)", "num_filter": "20", "cudnn_tune": "None",
                           "workspace": "512", "no_bias": "False", "layout": "None",
                           "cudnn_off": "0"})
        assert p.kernel == (5, 5) and p.num_filter == 20 and p.cudnn_tune is None
        assert p.layout is None and p.workspace == 512
        assert list(self.op.arguments(p)) == ["data", "weight", "bias"]
        assert list(self.op.arguments(self.op.parse({"kernel": (1, 1), "num_filter": 1,
                                                     "no_bias": True}))) == ["data", "weight"]
