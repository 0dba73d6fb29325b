"""mx.lr_scheduler against hand-computed values and MXNet 1.9.1's stateful code."""

from __future__ import annotations

import logging
import math
import random

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError, ParamError

sched = mx.lr_scheduler


class _MXNetFactor:
    """MXNet 1.9.1's stateful FactorScheduler.__call__, transcribed as the oracle."""

    def __init__(self, step, factor, stop_factor_lr, base_lr):
        self.step, self.factor, self.stop = step, factor, stop_factor_lr
        self.base_lr, self.count = base_lr, 0

    def __call__(self, num_update):
        while num_update > self.count + self.step:
            self.count += self.step
            self.base_lr *= self.factor
            self.base_lr = max(self.base_lr, self.stop)
        return self.base_lr


class _MXNetMultiFactor:
    def __init__(self, step, factor, base_lr):
        self.step, self.factor, self.base_lr, self.ind = step, factor, base_lr, 0

    def __call__(self, num_update):
        while self.ind <= len(self.step) - 1:
            if num_update > self.step[self.ind]:
                self.ind += 1
                self.base_lr *= self.factor
            else:
                return self.base_lr
        return self.base_lr


def test_factor_hand_values():
    s = sched.FactorScheduler(step=3, factor=0.5, stop_factor_lr=0.1, base_lr=1.0)
    got = [s(n) for n in range(1, 17)]
    assert got == [1.0] * 3 + [0.5] * 3 + [0.25] * 3 + [0.125] * 3 + [0.1] * 4


def test_factor_matches_mxnet_stateful_for_monotone_calls():
    mine = sched.FactorScheduler(step=7, factor=0.9, stop_factor_lr=1e-3, base_lr=0.3)
    ref = _MXNetFactor(7, 0.9, 1e-3, 0.3)
    calls = sorted(random.Random(0).sample(range(600), 200))
    assert [mine(n) for n in calls] == [ref(n) for n in calls]  # exact floats


def test_factor_is_a_pure_function_of_num_update():
    s = sched.FactorScheduler(step=4, factor=0.7, base_lr=0.2)
    forward = {n: s(n) for n in range(60)}
    assert {n: s(n) for n in reversed(range(60))} == forward
    assert s(13) == forward[13] and s(2) == forward[2]


def test_factor_logs_mxnet_line_once_per_change(caplog):
    s = sched.FactorScheduler(step=2, factor=0.5, base_lr=1.0)
    with caplog.at_level(logging.INFO):
        for n in range(1, 6):
            s(n)
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["Update[3]: Change learning rate to 5.00000e-01",
                     "Update[5]: Change learning rate to 2.50000e-01"]


def test_warmup_linear_and_constant():
    s = sched.FactorScheduler(step=5, factor=0.5, base_lr=0.1, warmup_steps=4,
                              warmup_begin_lr=0.02)
    assert [s(n) for n in range(4)] == pytest.approx([0.02, 0.04, 0.06, 0.08])
    assert s(4) == 0.1 and s(5) == 0.1 and s(6) == 0.05
    c = sched.FactorScheduler(step=5, factor=0.5, base_lr=0.1, warmup_steps=4,
                              warmup_begin_lr=0.02, warmup_mode="constant")
    assert [c(n) for n in range(4)] == [0.02] * 4
    assert c(4) == 0.1


def test_multifactor_hand_values_and_mxnet_replay():
    s = sched.MultiFactorScheduler(step=[3, 6], factor=0.1, base_lr=1.0)
    assert [s(n) for n in (1, 3, 4, 6, 7, 100)] == pytest.approx(
        [1.0, 1.0, 0.1, 0.1, 0.01, 0.01])
    ref = _MXNetMultiFactor([3, 6], 0.1, 1.0)
    assert [s(n) for n in range(1, 20)] == [ref(n) for n in range(1, 20)]


def test_multifactor_warmup():
    s = sched.MultiFactorScheduler(step=[10], factor=0.5, base_lr=1.0, warmup_steps=5,
                                   warmup_begin_lr=0.5)
    assert s(0) == 0.5 and s(1) == pytest.approx(0.6) and s(4) == pytest.approx(0.9)
    assert s(5) == 1.0 and s(11) == 0.5


def test_poly_hand_values():
    s = sched.PolyScheduler(max_update=10, base_lr=2.0, pwr=2, final_lr=0.5,
                            warmup_steps=2, warmup_begin_lr=0.0)
    assert s(0) == 0.0 and s(1) == 1.0  # warm-up: 0 + 2 * n / 2
    assert s(2) == 2.0
    assert s(6) == pytest.approx(0.5 + 1.5 * 0.5 ** 2)  # progress 4/8
    assert s(10) == 0.5 and s(11) == 0.5 and s(10**6) == 0.5


def test_cosine_hand_values():
    s = sched.CosineScheduler(max_update=10, base_lr=2.0, final_lr=0.5, warmup_steps=2)
    assert s(2) == 2.0
    assert s(4) == pytest.approx(0.5 + 1.5 * (1 + math.cos(math.pi / 4)) / 2)
    assert s(6) == pytest.approx(1.25)
    assert s(10) == pytest.approx(0.5) and s(50) == 0.5


def test_cosine_uses_mxnet_operation_order():
    s = sched.CosineScheduler(max_update=997, base_lr=0.37, final_lr=0.01,
                              warmup_steps=3)
    for n in range(3, 998, 37):
        want = 0.01 + (0.37 - 0.01) * (1 + math.cos(math.pi * (n - 3) / 994)) / 2
        assert s(n) == want


def test_optimizer_learning_rate_overrides_scheduler_base_lr(caplog):
    poly = sched.PolyScheduler(max_update=10, base_lr=1.0)
    with caplog.at_level(logging.WARNING):
        opt = mx.optimizer.SGD(learning_rate=0.5, lr_scheduler=poly)
    assert "overwritten" in caplog.text
    # MXNet's Poly kept decaying from its own base_lr_orig; here the override holds.
    assert opt.lr_at(0) == 0.5 and opt.lr_at(5) == pytest.approx(0.125)
    factor = sched.FactorScheduler(step=1, factor=0.5, base_lr=1.0)
    assert mx.optimizer.SGD(lr_scheduler=factor).lr_at(2) == 0.5  # no lr: keep it


def test_inv_is_mochas_policy():
    # Mocha's seed 004: LRPolicy.Inv(0.01, 0.0001, 0.75), iterations from 1.
    inv = sched.InvScheduler(gamma=0.0001, power=0.75, base_lr=0.01)
    n = np.array([1, 2, 100, 5000, 10000])
    want = 0.01 * (1 + 0.0001 * n) ** -0.75
    np.testing.assert_allclose([inv(int(i)) for i in n], want, rtol=1e-12)
    opt = mx.optimizer.SGD(learning_rate=0.01, lr_scheduler=inv)
    assert opt.lr_at(10000) == pytest.approx(0.01 * 2 ** -0.75)


@pytest.mark.parametrize("make, match", [
    (lambda: sched.FactorScheduler(step=0), "step must be >= 1"),
    (lambda: sched.FactorScheduler(step=2, factor=1.5), "factor must be <= 1"),
    (lambda: sched.FactorScheduler(step=2, warmup_steps=1.5), "warmup_steps must be"),
    (lambda: sched.FactorScheduler(step=2, base_lr=0.1, warmup_begin_lr=0.2),
     "warmup_begin_lr must be <= base_lr"),
    (lambda: sched.FactorScheduler(step=2, warmup_mode="cubic"), "warmup_mode"),
    (lambda: sched.MultiFactorScheduler(step=[5, 5]), "strictly increasing"),
    (lambda: sched.MultiFactorScheduler(step=[]), "non-empty list"),
    (lambda: sched.PolyScheduler(max_update=0), "max_update must be >= 1"),
    (lambda: sched.CosineScheduler(max_update=5, warmup_steps=5),
     "max_update must be > warmup_steps"),
    (lambda: sched.InvScheduler(gamma=-1e-4, power=0.75), "gamma must be a finite number"),
    (lambda: sched.InvScheduler(gamma=1e-4, power=float("nan")),
     "power must be a finite number"),
])
def test_bad_arguments_raise_param_error(make, match):
    with pytest.raises(ParamError, match=match) as info:
        make()
    assert isinstance(info.value, (MXNetError, ValueError))
