"""Contexts map onto JAX devices; one seed fixes every random draw."""

from __future__ import annotations

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import ContextError, MXNetError, ParamError


class TestContext:
    def test_cpu_context(self):
        ctx = mx.cpu()
        assert str(ctx) == "cpu(0)" and ctx.device_type == "cpu" and ctx.device_typeid == 1
        assert ctx == mx.Context("cpu", 0) and hash(ctx) == hash(mx.cpu(0))
        assert ctx.jax_device.platform == "cpu"

    def test_with_context_sets_current(self):
        assert mx.current_context() == mx.cpu(0)
        with mx.Context(mx.cpu(1)):
            assert mx.current_context() == mx.cpu(1)
            assert mx.nd.zeros((2,)).context == mx.cpu(1)
        assert mx.current_context() == mx.cpu(0)

    @pytest.mark.skipif(mx.num_gpus() > 0, reason="checks the no-GPU error path")
    def test_missing_gpu_fails_when_used(self):
        ctx = mx.gpu(0)  # creating it is fine, as in MXNet
        assert mx.num_gpus() == 0
        with pytest.raises(ContextError, match=r"gpu\(0\) was requested but JAX found no GPU"):
            mx.nd.zeros((2,), ctx=ctx)
        with pytest.raises(MXNetError):
            mx.nd.ones((1,)).as_in_context(ctx)

    def test_bad_device_type(self):
        with pytest.raises(ContextError, match="unknown device_type 'tpu'"):
            mx.Context("tpu", 0)


class TestRandom:
    def test_seed_fixes_every_draw(self):
        mx.random.seed(123)
        a = mx.nd.random.uniform(shape=(5,)).asnumpy()
        b = mx.nd.random.normal(shape=(5,)).asnumpy()
        mx.random.seed(123)
        np.testing.assert_array_equal(mx.nd.random.uniform(shape=(5,)).asnumpy(), a)
        np.testing.assert_array_equal(mx.nd.random.normal(shape=(5,)).asnumpy(), b)
        mx.random.seed(124)
        assert not np.array_equal(mx.nd.random.uniform(shape=(5,)).asnumpy(), a)

    def test_successive_draws_differ(self):
        mx.random.seed(0)
        first = mx.nd.random.uniform(shape=(4,)).asnumpy()
        assert not np.array_equal(first, mx.nd.random.uniform(shape=(4,)).asnumpy())

    def test_numpy_stream_follows_seed(self):
        mx.random.seed(7)
        a = mx.random.numpy_rng().permutation(10)
        mx.random.seed(7)
        np.testing.assert_array_equal(mx.random.numpy_rng().permutation(10), a)

    @pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
    def test_bad_seed(self, bad):
        with pytest.raises(ParamError, match=r"random\.seed"):
            mx.random.seed(bad)
