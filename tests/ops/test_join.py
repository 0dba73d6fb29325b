import numpy as np
import pytest

from mxlite.base import DTypeError, ParamError, ShapeError
from mxlite.ops import get_op
from mxlite.testing import OpCase, case


def _infer(name, params, *shapes, node=None):
    op = get_op(name)
    return op.run_infer_shape(op.parse(params), list(shapes), node=node)


class TestConcat(OpCase):
    op = "Concat"
    cases = (
        case({"num_args": 2}, arg0=(2, 3, 4), arg1=(2, 1, 4)),
        case({"num_args": 3, "dim": -1}, arg0=(2, 3), arg1=(2, 1), arg2=(2, 2)),
    )

    def reference(self, *args, num_args, dim):
        assert len(args) == num_args
        axis = dim % args[0].ndim
        pieces = [np.moveaxis(a, axis, 0) for a in args]
        return np.moveaxis(
            np.array([row for piece in pieces for row in piece]), 0, axis
        )


class TestStack(OpCase):
    op = "stack"
    cases = (case({"num_args": 3, "axis": -1}, arg0=(2, 3), arg1=(2, 3)),)

    def reference(self, *args, axis, num_args):
        out = np.empty((num_args,) + args[0].shape, args[0].dtype)
        for i, a in enumerate(args):
            out[i] = a
        return np.moveaxis(out, 0, axis % (args[0].ndim + 1))


class TestSplit(OpCase):
    op = "split"
    cases = (
        case({"num_outputs": 3}, data=(2, 3, 4)),
        case({"num_outputs": 2, "axis": -1, "squeeze_axis": True}, data=(3, 2)),
    )

    def reference(self, data, *, num_outputs, axis, squeeze_axis):
        size = data.shape[axis] // num_outputs
        outs = []
        for i in range(num_outputs):
            index = [slice(None)] * data.ndim
            index[axis] = slice(i * size, (i + 1) * size)
            part = data[tuple(index)]
            outs.append(part.squeeze(axis) if squeeze_axis else part)
        return outs


class TestJoinBehaviour:
    def test_variadic_declaration(self):
        op = get_op("concat")
        assert op.variadic == "num_args" and get_op("stack").variadic == "num_args"
        assert op.arguments(op.parse({"num_args": 3})) == ["arg0", "arg1", "arg2"]

    def test_single_input_and_output(self):
        x = np.arange(6.0).reshape(2, 3)
        concat, split = get_op("Concat"), get_op("split")
        out = concat.apply(concat.parse({"num_args": 1, "dim": 0}), [x])[0]
        np.testing.assert_array_equal(out[0], x)
        out = split.apply(split.parse({"num_outputs": 1, "axis": 0}), [x])[0]
        assert len(out) == 1
        np.testing.assert_array_equal(out[0], x)

    def test_split_output_names(self):
        op = get_op("SliceChannel")
        assert op.outputs(op.parse({"num_outputs": 2})) == ["output0", "output1"]
        assert op.outputs(op.parse({"num_outputs": 1})) == ["output0"]

    def test_partial_shapes(self):
        assert _infer("Concat", {"num_args": 2}, (2, 3), None)[1] == [None]
        ins, outs, _ = _infer("stack", {"num_args": 2}, None, (2, 3))
        assert ins == [(2, 3), (2, 3)] and outs == [(2, 2, 3)]


class TestJoinErrors:
    def test_concat_mismatch_names_arg(self):
        with pytest.raises(
            ShapeError,
            match=r"Concat\(name='c'\): input 'arg1' has shape "
            r"\(2, 4, 5\), but 'arg0' has shape \(2, 3, 4\)",
        ):
            _infer("Concat", {"num_args": 2}, (2, 3, 4), (2, 4, 5), node="c")

    def test_concat_rank_mismatch(self):
        with pytest.raises(ShapeError, match="input 'arg2' has shape \\(2,\\)"):
            _infer("concat", {"num_args": 3, "dim": 0}, (2, 3), (1, 3), (2,))

    def test_concat_dtype_mismatch(self):
        op = get_op("Concat")
        with pytest.raises(DTypeError, match="input 'arg1' has dtype int32"):
            op.run_infer_type(op.parse({"num_args": 2}), ["float32", "int32"])

    def test_num_args_required(self):
        with pytest.raises(ParamError, match="required parameter 'num_args'"):
            get_op("Concat").parse({"dim": 0})

    def test_stack_mismatch(self):
        with pytest.raises(ShapeError, match="input 'arg1' has shape \\(2, 4\\)"):
            _infer("stack", {"num_args": 2}, (2, 3), (2, 4))

    def test_split_uneven(self):
        with pytest.raises(ShapeError, match="cannot be split into num_outputs=2"):
            _infer("split", {"num_outputs": 2}, (2, 3, 4))

    def test_split_squeeze_needs_unit_parts(self):
        with pytest.raises(ShapeError, match="squeeze_axis=True"):
            _infer("split", {"num_outputs": 2, "squeeze_axis": True}, (2, 4, 6))
