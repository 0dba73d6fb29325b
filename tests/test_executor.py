"""Executors: binding, forward/backward against plain JAX and autograd."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest

import mxlite as mx
from mxlite.base import GraphError, ShapeError
from mxlite.executor.compiler import graph_function

from . import nets


def _bind_mlp(batch_size: int = 8, grad_req="write"):
    sym = nets.mlp()
    exe = sym.simple_bind(mx.cpu(), grad_req=grad_req, data=(batch_size, 1, 28, 28))
    params = nets.random_params(sym, (batch_size, 1, 28, 28))
    exe.copy_params_from({k: mx.nd.array(v) for k, v in params.items()})
    return exe, params


class TestMLP:
    @pytest.mark.slow
    def test_forward_and_gradients_match_plain_jax(self):
        exe, params = _bind_mlp()
        x, y = nets.batch((8, 1, 28, 28))
        exe.forward(is_train=True, data=x, softmax_label=y)
        exe.backward()
        grads = jax.grad(nets.jax_mlp_loss)(params, x, y)
        for name, g in grads.items():
            np.testing.assert_allclose(exe.grad_dict[name].asnumpy(), g, rtol=1e-4,
                                       atol=1e-6, err_msg=name)

    def test_outputs_are_softmax(self):
        exe, params = _bind_mlp()
        x, y = nets.batch((8, 1, 28, 28))
        out = exe.forward(is_train=False, data=x, softmax_label=y)[0].asnumpy()
        h = x.reshape(8, -1)
        for i in (1, 2, 3):
            h = h @ params[f"fc{i}_weight"].T + params[f"fc{i}_bias"]
            h = np.maximum(h, 0) if i < 3 else h
        ref = np.exp(h - h.max(1, keepdims=True))
        np.testing.assert_allclose(out, ref / ref.sum(1, keepdims=True), rtol=1e-5, atol=1e-6)

    @pytest.mark.slow
    def test_executor_equals_autograd(self):
        exe, params = _bind_mlp()
        x, y = nets.batch((8, 1, 28, 28))
        exe.forward(is_train=True, data=x, softmax_label=y)
        exe.backward()
        nd = {k: mx.nd.array(v) for k, v in params.items()}
        for v in nd.values():
            v.attach_grad()
        with mx.autograd.record():
            h = mx.nd.flatten(mx.nd.array(x))
            for i in (1, 2, 3):
                h = mx.nd.FullyConnected(h, nd[f"fc{i}_weight"], nd[f"fc{i}_bias"],
                                         num_hidden=nd[f"fc{i}_bias"].shape[0])
                h = mx.nd.Activation(h, act_type="relu") if i < 3 else h
            out = mx.nd.SoftmaxOutput(h, mx.nd.array(y))
        out.backward()
        np.testing.assert_allclose(out.asnumpy(), exe.outputs[0].asnumpy(), rtol=1e-6)
        for name, v in nd.items():
            np.testing.assert_allclose(v.grad.asnumpy(), exe.grad_dict[name].asnumpy(),
                                       rtol=1e-5, atol=1e-7, err_msg=name)

    def test_grad_req_add_and_null(self):
        reqs = {"fc1_weight": "add", "fc1_bias": "null"}
        exe, _ = _bind_mlp(grad_req=reqs)
        assert set(exe.grad_dict) == {"fc1_weight"}
        x, y = nets.batch((8, 1, 28, 28))
        exe.forward(is_train=True, data=x, softmax_label=y)
        exe.backward()
        once = exe.grad_dict["fc1_weight"].asnumpy().copy()
        exe.forward(is_train=True)
        exe.backward()
        np.testing.assert_allclose(exe.grad_dict["fc1_weight"].asnumpy(), 2 * once, rtol=1e-6)

    def test_out_grads_for_a_non_loss_head(self):
        sym = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=3, name="fc")
        exe = sym.simple_bind(mx.cpu(), data=(2, 4))
        rng = np.random.default_rng(0)
        w, x, g = (rng.standard_normal(s).astype(np.float32) for s in ((3, 4), (2, 4), (2, 3)))
        exe.copy_params_from({"fc_weight": mx.nd.array(w)})
        exe.forward(is_train=True, data=x)
        exe.backward(mx.nd.array(g))
        np.testing.assert_allclose(exe.grad_dict["fc_weight"].asnumpy(), g.T @ x, rtol=1e-5)
        np.testing.assert_allclose(exe.grad_dict["fc_bias"].asnumpy(), g.sum(0), rtol=1e-5)
        np.testing.assert_allclose(exe.grad_dict["data"].asnumpy(), g @ w, rtol=1e-5)

    def test_reshape_shares_parameters(self):
        exe, _ = _bind_mlp(batch_size=8)
        small = exe.reshape(data=(2, 1, 28, 28), softmax_label=(2,))
        assert small.arg_dict["data"].shape == (2, 1, 28, 28)
        assert small.arg_dict["fc1_weight"] is exe.arg_dict["fc1_weight"]

    def test_same_symbol_compiles_once(self):
        exe, _ = _bind_mlp(batch_size=4)
        x, y = nets.batch((4, 1, 28, 28))
        exe.forward(is_train=True, data=x, softmax_label=y)
        exe.backward()
        before = mx.executor.cache.stats()["compiles"]
        other, _ = _bind_mlp(batch_size=4)
        other.forward(is_train=True, data=x, softmax_label=y)
        other.backward()
        assert mx.executor.cache.stats()["compiles"] == before


class TestLeNet:
    @pytest.mark.slow
    def test_gradients_match_autograd_and_shapes(self):
        sym = nets.lenet()
        shape = (4, 1, 28, 28)
        exe = sym.simple_bind(mx.cpu(), data=shape)
        params = nets.random_params(sym, shape)
        assert params["convolution0_weight"].shape == (20, 1, 5, 5)
        assert params["fullyconnected0_weight"].shape == (500, 800)
        exe.copy_params_from({k: mx.nd.array(v) for k, v in params.items()})
        x, y = nets.batch(shape)
        exe.forward(is_train=True, data=x, softmax_label=y)
        exe.backward()
        nd = {k: mx.nd.array(v) for k, v in params.items()}
        for v in nd.values():
            v.attach_grad()
        with mx.autograd.record():
            h = mx.nd.array(x)
            for i in (0, 1):
                h = mx.nd.Convolution(h, nd[f"convolution{i}_weight"], nd[f"convolution{i}_bias"],
                                      kernel=(5, 5), num_filter=nd[f"convolution{i}_bias"].shape[0])
                h = mx.nd.Pooling(mx.nd.Activation(h, act_type="tanh"), pool_type="max",
                                  kernel=(2, 2), stride=(2, 2))
            h = mx.nd.Activation(mx.nd.FullyConnected(
                mx.nd.flatten(h), nd["fullyconnected0_weight"], nd["fullyconnected0_bias"],
                num_hidden=500), act_type="tanh")
            h = mx.nd.FullyConnected(h, nd["fullyconnected1_weight"],
                                     nd["fullyconnected1_bias"], num_hidden=10)
            out = mx.nd.SoftmaxOutput(h, mx.nd.array(y))
        out.backward()
        np.testing.assert_allclose(out.asnumpy(), exe.outputs[0].asnumpy(), rtol=1e-5, atol=1e-6)
        for name, v in nd.items():
            np.testing.assert_allclose(v.grad.asnumpy(), exe.grad_dict[name].asnumpy(),
                                       rtol=1e-4, atol=1e-6, err_msg=name)


    def test_convolutions_pass_swapped_layout_between_them(self):
        # On CPU the graph holds conv -> tanh -> pool -> conv in (C, N, H, W):
        # one swap in (the data) and one out (before flatten), not one per op.
        sym = nets.lenet()
        shape = (4, 1, 28, 28)
        params = {k: jax.numpy.asarray(v) for k, v in nets.random_params(sym, shape).items()}
        x, y = nets.batch(shape)
        run = graph_function(sym._heads, "cpu")
        jaxpr = jax.make_jaxpr(lambda a: run(a, {}, None, False))(
            {**params, "data": x, "softmax_label": y})
        swaps = [e for e in jaxpr.jaxpr.eqns
                 if e.primitive.name == "transpose" and e.outvars[0].aval.ndim == 4]
        assert len(swaps) == 2, [e.params for e in swaps]

    def test_value_used_in_both_layouts(self):
        # A convolution output read by a swapped op (tanh) and by a canonical
        # one (+1, and as a head) is the same value in both.
        data = mx.sym.var("data")
        conv = mx.sym.Convolution(data, kernel=(3, 3), num_filter=4, name="c")
        act = mx.sym.Activation(conv, act_type="tanh")
        group = mx.sym.Group([act, conv + 1, conv])
        shape = (2, 3, 6, 5)
        exe = group.simple_bind(mx.cpu(), data=shape)
        rng = np.random.default_rng(0)
        args = {"data": rng.standard_normal(shape).astype(np.float32),
                "c_weight": rng.standard_normal((4, 3, 3, 3)).astype(np.float32),
                "c_bias": rng.standard_normal(4).astype(np.float32)}
        exe.forward(**args)
        want = mx.nd.Convolution(*(mx.nd.array(args[k]) for k in ("data", "c_weight", "c_bias")),
                                 kernel=(3, 3), num_filter=4).asnumpy()
        got = [o.asnumpy() for o in exe.outputs]
        np.testing.assert_allclose(got[0], np.tanh(want), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got[1], want + 1, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got[2], want, rtol=1e-5, atol=1e-6)


class TestAuxAndRandomness:
    def _bn_net(self):
        data = mx.sym.var("data")
        bn = mx.sym.BatchNorm(data, fix_gamma=False, name="bn")
        return mx.sym.Dropout(bn, p=0.5, name="drop")

    @pytest.mark.slow
    def test_aux_updates_once_per_forward_backward(self):
        exe = self._bn_net().simple_bind(mx.cpu(), data=(16, 3))
        exe.aux_dict["bn_moving_var"][:] = 1.0
        exe.arg_dict["bn_gamma"][:] = 1.0
        x = np.random.default_rng(0).standard_normal((16, 3)).astype(np.float32) + 5
        exe.forward(is_train=True, data=x)
        _ = exe.outputs  # forces the forward; backward must not update again
        exe.backward()
        np.testing.assert_allclose(exe.aux_dict["bn_moving_mean"].asnumpy(),
                                   0.1 * x.mean(0), rtol=1e-5)

    @pytest.mark.slow
    def test_dropout_mask_is_shared_by_outputs_and_gradient(self):
        exe = mx.sym.Dropout(mx.sym.var("data"), p=0.5).simple_bind(mx.cpu(), data=(50, 40))
        x = np.full((50, 40), 3.0, np.float32)
        exe.forward(is_train=True, data=x)
        out = exe.outputs[0].asnumpy()
        exe.backward(mx.nd.ones((50, 40)))
        np.testing.assert_allclose(exe.grad_dict["data"].asnumpy(), out / 3.0)
        np.testing.assert_array_equal(exe.forward(is_train=False)[0].asnumpy(), x)


class TestBindErrors:
    def test_unknown_argument(self):
        sym = nets.mlp()
        args = {n: mx.nd.zeros(s) for n, s in
                zip(sym.list_arguments(), sym.infer_shape(data=(2, 784))[0])}
        args["fc9_weight"] = mx.nd.zeros((1,))
        with pytest.raises(GraphError, match="'fc9_weight'"):
            sym.bind(mx.cpu(), args)

    def test_missing_argument(self):
        sym = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=3, name="fc")
        with pytest.raises(GraphError, match="missing 'fc_bias'"):
            sym.bind(mx.cpu(), {"data": mx.nd.zeros((2, 4)), "fc_weight": mx.nd.zeros((3, 4))})

    def test_shape_mismatch_names_everything(self):
        sym = nets.mlp()
        with pytest.raises(ShapeError, match=r"FullyConnected\(name='fc2'\): input 'act1' has "
                           r"shape \(100, 128\) but 'fc2_weight' was given \(64, 100\); "
                           r"'weight' must be \(64, 128\)"):
            sym.simple_bind(mx.cpu(), data=(100, 784), fc2_weight=(64, 100))

    def test_forward_with_wrong_batch_shape(self):
        exe, _ = _bind_mlp(batch_size=8)
        with pytest.raises(ShapeError, match=r"'data' was bound with shape \(8, 1, 28, 28\)"):
            exe.forward(data=np.zeros((4, 1, 28, 28), np.float32))

    def test_forward_unknown_input(self):
        exe, _ = _bind_mlp()
        with pytest.raises(GraphError, match="'label' is not an argument"):
            exe.forward(label=np.zeros(8))

    def test_backward_before_forward(self):
        exe, _ = _bind_mlp()
        with pytest.raises(GraphError, match=r"forward\(is_train=True\) first"):
            exe.backward()

    def test_bad_grad_req(self):
        with pytest.raises(GraphError, match="grad_req"):
            nets.mlp().simple_bind(mx.cpu(), grad_req="sometimes", data=(2, 784))


_SGD_SCRIPT = textwrap.dedent("""
    import hashlib, sys
    import numpy as np
    sys.path.insert(0, sys.argv[1])
    import mxlite as mx
    import nets
    mx.random.seed(42)
    sym = nets.mlp()
    exe = sym.simple_bind(mx.cpu(), data=(32, 1, 28, 28))
    for name, arr in exe.arg_dict.items():
        if name.endswith("weight"):
            arr[:] = mx.nd.random.uniform(-0.07, 0.07, arr.shape)
    x, y = nets.batch((32, 1, 28, 28))
    for _ in range(5):
        exe.forward(is_train=True, data=x, softmax_label=y)
        exe.backward()
        for name, grad in exe.grad_dict.items():
            if name not in ("data", "softmax_label"):
                exe.arg_dict[name][:] = exe.arg_dict[name] - 0.1 / 32 * grad
    digest = hashlib.sha256()
    for name in sorted(exe.arg_dict):
        digest.update(exe.arg_dict[name].asnumpy().tobytes())
    print(digest.hexdigest())
""")


@pytest.mark.slow
def test_same_seed_gives_bit_identical_parameters(tmp_path):
    """Two runs, pinned to one core, give the same bytes after SGD steps."""
    script = tmp_path / "sgd.py"
    script.write_text(_SGD_SCRIPT)
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    here = os.path.dirname(__file__)
    runs = [subprocess.run([*pin, sys.executable, str(script), here], env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
            for _ in range(2)]
    assert len(runs[0]) == 64 and runs[0] == runs[1]
