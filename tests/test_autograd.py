"""mx.autograd: recording, backward, grad, modes, and the tape's errors."""

from __future__ import annotations

import numpy as np
import pytest

import mxlite as mx
from mxlite import autograd
from mxlite.base import AutogradError


def _arr(values, dtype="float64"):
    return mx.nd.array(np.asarray(values, dtype=dtype), dtype=dtype)


class TestModes:
    def test_flags(self):
        assert not mx.autograd.is_recording() and not mx.autograd.is_training()
        with mx.autograd.record():
            assert mx.autograd.is_recording() and mx.autograd.is_training()
            with mx.autograd.pause():
                assert not mx.autograd.is_recording() and not mx.autograd.is_training()
            with mx.autograd.predict_mode():
                assert mx.autograd.is_recording() and not mx.autograd.is_training()
        with mx.autograd.record(train_mode=False):
            assert not mx.autograd.is_training()
        with mx.autograd.train_mode():
            assert mx.autograd.is_training() and not mx.autograd.is_recording()
        assert not mx.autograd.is_recording() and not mx.autograd.is_training()

    def test_dropout_follows_training_mode(self):
        x = mx.nd.ones((200, 50))
        with mx.autograd.record():
            y_train = mx.nd.Dropout(x, p=0.5)
        with mx.autograd.record(train_mode=False):
            y_pred = mx.nd.Dropout(x, p=0.5)
        kept = y_train.asnumpy()
        assert set(np.unique(kept)) <= {0.0, 2.0} and 0.4 < (kept > 0).mean() < 0.6
        np.testing.assert_array_equal(y_pred.asnumpy(), x.asnumpy())


class TestBackward:
    def test_polynomial(self):
        x = _arr([1.0, -2.0, 3.5])
        x.attach_grad()
        with mx.autograd.record():
            y = x * x * x + 2 * x - 1
        y.backward()
        np.testing.assert_allclose(x.grad.asnumpy(), 3 * x.asnumpy() ** 2 + 2)

    def test_head_gradient(self):
        x = _arr([1.0, 2.0])
        x.attach_grad()
        with mx.autograd.record():
            y = mx.nd.exp(x)
        y.backward(_arr([0.5, -1.0]))
        np.testing.assert_allclose(x.grad.asnumpy(), np.exp([1.0, 2.0]) * [0.5, -1.0])

    def test_grad_req_add_accumulates(self):
        x = _arr([1.0, 2.0])
        x.attach_grad(grad_req="add")
        for _ in range(3):
            with mx.autograd.record():
                y = x * 4
            y.backward()
        np.testing.assert_allclose(x.grad.asnumpy(), [12.0, 12.0])

    def test_grad_req_write_overwrites(self):
        x = _arr([1.0, 2.0])
        x.attach_grad()
        for _ in range(2):
            with mx.autograd.record():
                y = x * 4
            y.backward()
        np.testing.assert_allclose(x.grad.asnumpy(), [4.0, 4.0])

    def test_two_variables_and_reduction(self):
        rng = np.random.default_rng(0)
        a, b = _arr(rng.standard_normal((3, 4))), _arr(rng.standard_normal((4, 2)))
        a.attach_grad()
        b.attach_grad()
        with mx.autograd.record():
            loss = mx.nd.dot(a, b).sum()
        loss.backward()
        np.testing.assert_allclose(a.grad.asnumpy(), np.ones((3, 2)) @ b.asnumpy().T)
        np.testing.assert_allclose(b.grad.asnumpy(), a.asnumpy().T @ np.ones((3, 2)))

    def test_indexing_is_differentiable(self):
        x = _arr(np.arange(5.0))
        x.attach_grad()
        with mx.autograd.record():
            y = (x[1:3] * 3).sum()
        y.backward()
        np.testing.assert_allclose(x.grad.asnumpy(), [0, 3, 3, 0, 0])

    def test_uses_value_at_record_time(self):
        x = _arr([2.0])
        x.attach_grad()
        with mx.autograd.record():
            y = x * x
        x[:] = 100.0
        y.backward()
        np.testing.assert_allclose(x.grad.asnumpy(), [4.0])

    def test_constant_input_gets_no_gradient(self):
        x, c = _arr([1.0, 2.0]), _arr([3.0, 5.0])
        x.attach_grad()
        with mx.autograd.record():
            y = x * c
        y.backward()
        np.testing.assert_allclose(x.grad.asnumpy(), [3.0, 5.0])
        assert c.grad is None

    def test_second_backward_needs_retain_graph(self):
        x = _arr([1.0])
        x.attach_grad()
        with mx.autograd.record():
            y = x * 3
        y.backward(retain_graph=True)
        y.backward()
        with pytest.raises(AutogradError, match="retain_graph=True"):
            y.backward()

    def test_unrecorded_head(self):
        x = _arr([1.0])
        x.attach_grad()
        y = x * 2
        with pytest.raises(AutogradError, match=r"not computed inside autograd\.record"):
            y.backward()

    def test_inplace_on_recorded_array(self):
        x = _arr([1.0])
        x.attach_grad()
        with mx.autograd.record():
            y = x * 2
            with pytest.raises(AutogradError, match="in-place"):
                y += 1

    def test_head_gradient_shape_checked(self):
        x = _arr([1.0, 2.0])
        x.attach_grad()
        with mx.autograd.record():
            y = x * 2
        with pytest.raises(AutogradError, match=r"shape \(3,\)"):
            y.backward(_arr([1.0, 1.0, 1.0]))

    def test_bad_grad_req(self):
        with pytest.raises(AutogradError, match="grad_req must be"):
            _arr([1.0]).attach_grad(grad_req="sum")


class TestGrad:
    def test_grad_leaves_dot_grad_alone(self):
        x = _arr([1.0, 2.0])
        x.attach_grad()
        with mx.autograd.record():
            y = x * x
        (g,) = mx.autograd.grad(y, [x])
        np.testing.assert_allclose(g.asnumpy(), [2.0, 4.0])
        np.testing.assert_allclose(x.grad.asnumpy(), [0.0, 0.0])

    def test_second_order(self):
        x = _arr([1.0, 2.0, -1.5])
        x.attach_grad()
        with mx.autograd.record():
            y = x * x * x
            (dy,) = mx.autograd.grad(y, [x], create_graph=True)
            z = dy.sum()
        z.backward()
        np.testing.assert_allclose(dy.asnumpy(), 3 * x.asnumpy() ** 2)
        np.testing.assert_allclose(x.grad.asnumpy(), 6 * x.asnumpy())

    def test_variable_must_be_marked(self):
        x, w = _arr([1.0]), _arr([2.0])
        x.attach_grad()
        with mx.autograd.record():
            y = x * w
        with pytest.raises(AutogradError, match="attach_grad"):
            mx.autograd.grad(y, [w])


def test_backward_compiles_once_per_structure():
    """The second identical iteration reuses the compiled backward."""
    x = _arr([1.0, 2.0])
    x.attach_grad()
    for _ in range(2):
        with mx.autograd.record():
            y = mx.nd.relu(x * 3 - 4)
        y.backward()
    before = len(autograd._GRAD_CACHE)
    with mx.autograd.record():
        y = mx.nd.relu(x * 3 - 4)
    y.backward()
    assert len(autograd._GRAD_CACHE) == before
    np.testing.assert_allclose(x.grad.asnumpy(), [0.0, 3.0])
