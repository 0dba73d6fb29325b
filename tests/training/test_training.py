"""The training package on its own: programs that are not Modules, random
keys per step, hyper-parameters and schedules as traced inputs."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import mxlite as mx
from mxlite.executor.compiler import graph_function
from mxlite.training import GraphProgram, Stretch, TrainStep

N = 1000  # dropout units: a repeated mask would show in hundreds of them


def _dropout_program() -> GraphProgram:
    """loss = sum(Dropout(x * w)): with x = 1 and SGD at lr 1, each step
    lowers w by the step's mask times 2 (p = 0.5)."""
    x, w = mx.sym.var("x"), mx.sym.var("w")
    dropped = mx.sym.Dropout(mx.sym.broadcast_mul(x, w), p=0.5)
    loss = mx.sym.MakeLoss(mx.sym.sum(dropped))
    return GraphProgram(graph_function(loss._heads, "cpu"), ("w",), ("x",), (),
                        tuple(loss.list_outputs()), uses_key=True)


def _run_stretch(key: jax.Array, steps: int) -> np.ndarray:
    trainer = TrainStep(_dropout_program(), mx.optimizer.SGD(learning_rate=1.0))
    state = trainer.new_state({"w": jnp.zeros((1, N), jnp.float32)}, {}, key=key)
    sources = {"x": jnp.ones((steps, N), jnp.float32)}
    idx = np.arange(steps, dtype=np.int32).reshape(steps, 1)
    state = trainer.steps(state, sources, {}, Stretch(idx, np.zeros(steps), 0, steps))
    assert int(state.step) == steps
    return -np.asarray(state.params["w"][0]) / 2  # how many steps kept each unit


def test_dropout_draws_a_new_mask_in_every_step_of_one_compiled_stretch():
    kept = _run_stretch(jax.random.PRNGKey(7), 2)
    assert set(np.unique(kept)) <= {0.0, 1.0, 2.0}
    # Units kept in exactly one of the two steps: none if both steps had drawn
    # the same mask, about N/2 with independent masks.
    assert 350 < np.sum(kept == 1.0) < 650


def test_the_same_seed_gives_the_same_masks_and_another_seed_others():
    first = _run_stretch(jax.random.PRNGKey(7), 3)
    np.testing.assert_array_equal(first, _run_stretch(jax.random.PRNGKey(7), 3))
    assert not np.array_equal(first, _run_stretch(jax.random.PRNGKey(8), 3))


@pytest.mark.slow
def test_module_fit_with_dropout_is_reproducible_from_mx_random_seed():
    def fit() -> np.ndarray:
        mx.random.seed(11)
        data = mx.sym.Dropout(mx.sym.var("data"), p=0.5)
        net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(data, num_hidden=3, name="fc"),
                                   name="softmax")
        rng = np.random.default_rng(0)
        it = mx.io.NDArrayIter(rng.random((40, 5), np.float32),
                               rng.integers(0, 3, 40).astype(np.float32), 10)
        mod = mx.mod.Module(net)
        mod.fit(it, num_epoch=2, initializer=mx.init.Xavier(),
                optimizer_params={"learning_rate": 0.5})
        return mod.get_params()[0]["fc_weight"].asnumpy()

    np.testing.assert_array_equal(fit(), fit())


def _scalar_loss_program() -> GraphProgram:
    """Chainer's and Mocha's shape: a scalar loss plus an output that is not one."""
    x, t, w = mx.sym.var("x"), mx.sym.var("t"), mx.sym.var("w")
    y = mx.sym.dot(x, w)
    loss = mx.sym.mean(mx.sym.square(y - t))
    group = mx.sym.Group([loss, y])
    return GraphProgram(graph_function(group._heads, "cpu"), ("w",), ("x",), ("t",),
                        ("loss", "y"), loss_outputs=(0,))


def test_an_explicit_scalar_loss_trains_on_its_gradient_alone():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 3)).astype(np.float32)
    t = rng.standard_normal((8, 2)).astype(np.float32)
    w = rng.standard_normal((3, 2)).astype(np.float32)
    trainer = TrainStep(_scalar_loss_program(), mx.optimizer.SGD(learning_rate=0.1))
    state = trainer.new_state({"w": jnp.asarray(w)}, {})
    state, outs = trainer.step(state, {"x": jnp.asarray(x), "t": jnp.asarray(t)}, {})
    grad = 2 * x.T @ (x @ w - t) / t.size  # of the loss only; y gets no head gradient
    np.testing.assert_allclose(state.params["w"], w - 0.1 * grad, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(outs[0], np.mean((x @ w - t) ** 2), rtol=1e-5)


def _linear_trainer(opt) -> tuple[TrainStep, dict]:
    trainer = TrainStep(_scalar_loss_program(), opt)
    batch = {"x": jnp.ones((4, 3), jnp.float32), "t": jnp.zeros((4, 2), jnp.float32)}
    return trainer, batch


def _delta(trainer: TrainStep, batch: dict, state) -> tuple[float, object]:
    before = np.asarray(state.params["w"]).copy()
    state, _ = trainer.step(state, batch, {})
    return float(np.abs(np.asarray(state.params["w"]) - before).max()), state


def _second_step(lr: float, lr_mult: float | None = None) -> tuple[float, int]:
    """Two SGD steps at lr 0.01; before the second, ``opt.lr = lr`` (and a
    multiplier). Returns the second step's size and the programs compiled."""
    opt = mx.optimizer.SGD(learning_rate=0.01)
    trainer, batch = _linear_trainer(opt)
    state = trainer.new_state({"w": jnp.ones((3, 2), jnp.float32)}, {})
    _, state = _delta(trainer, batch, state)
    opt.lr = lr
    if lr_mult is not None:
        opt.set_lr_mult({"w": lr_mult})
    delta, _ = _delta(trainer, batch, state)
    return delta, len(trainer._compiled)


def test_changing_a_hyper_parameter_between_steps_never_meets_a_stale_trace():
    same, compiled = _second_step(0.01)
    doubled, compiled_after_change = _second_step(0.02)
    assert compiled == compiled_after_change == 1  # a value: the same program
    assert doubled == pytest.approx(2 * same, rel=1e-5)
    tripled, compiled = _second_step(0.01, lr_mult=3.0)
    assert tripled == pytest.approx(3 * same, rel=1e-5)
    assert compiled == 2  # a multiplier other than 1 is structure: a new program
    frozen, _ = _second_step(0.01, lr_mult=0.0)
    assert frozen == 0.0


def test_a_new_momentum_value_takes_effect_at_the_next_call():
    def second_delta(momentum_after: float) -> float:
        opt = mx.optimizer.SGD(learning_rate=0.1, momentum=0.5)
        trainer, batch = _linear_trainer(opt)
        state = trainer.new_state({"w": jnp.ones((3, 2), jnp.float32)}, {})
        _, state = _delta(trainer, batch, state)
        opt.momentum = momentum_after
        return _delta(trainer, batch, state)[0]

    assert second_delta(0.9) > second_delta(0.5) > second_delta(0.1)


class _HostHalving(mx.lr_scheduler.LRScheduler):
    """A user's schedule with only ``__call__``: asked on the host."""

    def __call__(self, num_update: int) -> float:
        return self.base_lr * 0.5 ** ((num_update - 1) // 3)


@pytest.mark.parametrize("schedule", ["traced", "host"])
def test_a_schedule_follows_the_step_counter_inside_the_step(schedule):
    sched = (mx.lr_scheduler.FactorScheduler(step=3, factor=0.5, base_lr=0.4)
             if schedule == "traced" else _HostHalving(base_lr=0.4))
    assert sched.traceable() == (schedule == "traced")
    rng = np.random.default_rng(2)
    x = rng.random((60, 4), np.float32)
    y = rng.integers(0, 2, 60).astype(np.float32)
    net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=2,
                                                     name="fc"), name="softmax")
    mod = mx.mod.Module(net)
    mod.fit(mx.io.NDArrayIter(x, y, 10), num_epoch=2, initializer=mx.init.Zero(),
            optimizer_params={"lr_scheduler": sched})
    # The same 12 updates by hand, with the host's rates.
    w, b = np.zeros((2, 4), np.float32), np.zeros(2, np.float32)
    for n in range(1, 13):
        xb, yb = x[(n - 1) % 6 * 10:][:10], y[(n - 1) % 6 * 10:][:10].astype(int)
        z = xb @ w.T + b
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        g = (p - np.eye(2)[yb]) / 10  # rescale_grad = 1/batch
        lr = np.float32(0.4 * 0.5 ** ((n - 1) // 3))
        w, b = w - lr * (g.T @ xb), b - lr * g.sum(0)
    np.testing.assert_allclose(mod.get_params()[0]["fc_weight"].asnumpy(), w,
                               rtol=1e-5, atol=1e-6)
    assert mod._optimizer.num_update == 12
