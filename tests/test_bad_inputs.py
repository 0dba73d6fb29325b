"""Bad inputs that used to escape as raw Python or JAX errors."""

from __future__ import annotations

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import AutogradError, DTypeError, ParamError


def _softmax_mlp():
    fc = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=2, name="fc")
    return mx.sym.SoftmaxOutput(fc, name="softmax")


def test_fit_on_labels_named_otherwise_names_both_and_the_fix():
    it = mx.io.NDArrayIter(np.zeros((4, 3), "float32"), np.zeros(4, "float32"),
                           batch_size=2, label_name="lbl")
    with pytest.raises(ParamError, match=r"labels are named \['lbl'\] but the module's "
                       r"label_names are \['softmax_label'\].*label_name='softmax_label'"):
        mx.mod.Module(_softmax_mlp()).fit(it, num_epoch=1)


def test_fit_on_matching_label_name_still_trains():
    it = mx.io.NDArrayIter(np.zeros((4, 3), "float32"), np.zeros(4, "float32"),
                           batch_size=2, label_name="softmax_label")
    mod = mx.mod.Module(_softmax_mlp())
    mod.fit(it, num_epoch=1)
    assert mod.get_params()[0]["fc_weight"].shape == (2, 3)


@pytest.mark.parametrize("dtype", ["float128", "complex64", np.complex128, "longdouble"])
def test_dtypes_mxnet_lacks_are_refused(dtype):
    with pytest.raises(DTypeError, match=r"mx\.nd\.zeros: dtype .* is not supported; "
                       r"MXNet's types are float32"):
        mx.nd.zeros((2,), dtype=dtype)


@pytest.mark.parametrize("begin", ["-" * 9999 + "1", "(" * 100_000, "[" * 2000 + "]"])
def test_long_parameter_strings_are_refused_unparsed(begin):
    with pytest.raises(ParamError, match=r"slice: begin must be a tuple of ints or "
                       r"None.*over 1000 characters are refused unparsed"):
        mx.nd.slice(mx.nd.zeros((3,)), begin=begin, end=(2,))


def test_short_parameter_strings_still_parse():
    out = mx.nd.slice(mx.nd.arange(5), begin="(1,)", end="(None,)")
    assert out.asnumpy().tolist() == [1, 2, 3, 4]


def test_backward_with_nothing_attached_says_so():
    x = mx.nd.ones((2,))
    with mx.autograd.record():
        y = x * 2
    with pytest.raises(AutogradError, match=r"no array this result was computed from "
                       r"has attach_grad\(\)"):
        y.backward()
