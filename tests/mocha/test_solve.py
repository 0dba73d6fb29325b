"""mxlite.mocha's solver parameters and ``solve`` against a hand-written reference."""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest

from mxlite.base import ParamError
from mxlite.mocha import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    LRPolicy,
    MomPolicy,
    Nesterov,
    Solver,
    SolverState,
    make_solver_parameters,
    solve,
)
from mxlite.mocha.solving import MAX_STRETCH

from . import _nets

# -- make_solver_parameters and Solver -------------------------------------------------

def _policy(p):
    return type(p).__name__, {k: v for k, v in vars(p).items() if isinstance(v, float)}


@pytest.mark.parametrize("method, extra", [
    (SGD(), {"lr_policy": LRPolicy.Fixed(0.01), "mom_policy": MomPolicy.Fixed(0.0)}),
    (Nesterov(), {"lr_policy": LRPolicy.Fixed(0.01), "mom_policy": MomPolicy.Fixed(0.0)}),
    (Adam(), {"lr_policy": LRPolicy.Inv(0.003, 0.0001, 0.5), "beta1": 0.9,
              "beta2": 0.999, "epsilon": 1e-8}),
    (Adagrad(), {"gamma": 1.0, "epsilon": 1e-8}),
    (Adadelta(), {"rho": 0.95, "eps": 1e-6}),
])
def test_make_solver_parameters_has_mochas_defaults(method, extra):
    params = make_solver_parameters(method)
    expected = {"max_iter": math.inf, "regu_coef": 0.0005, "load_from": "", **extra}
    assert set(params) == set(expected)
    for key, value in expected.items():
        if hasattr(value, "at"):
            assert _policy(params[key]) == _policy(value), key
        else:
            assert params[key] == value, key


def test_make_solver_parameters_merges_keywords_and_gives_fresh_policies():
    a = make_solver_parameters(SGD(), max_iter=10, regu_coef=0.0,
                               lr_policy=LRPolicy.Inv(0.01, 1e-4, 0.75))
    assert a["max_iter"] == 10 and a["regu_coef"] == 0.0
    assert isinstance(a["lr_policy"], LRPolicy.Inv)
    b, c = make_solver_parameters(SGD()), make_solver_parameters(SGD())
    assert b["lr_policy"] is not c["lr_policy"]


def test_make_solver_parameters_unknown_key_says_did_you_mean():
    with pytest.raises(ParamError, match=r"no parameter 'max_iters'.*Did you mean "
                                         r"'max_iter'\?") as err:
        make_solver_parameters(SGD(), max_iters=10)
    assert "SGD()" in str(err.value)
    with pytest.raises(ParamError, match="'beta1'"):
        make_solver_parameters(SGD(), beta1=0.9)  # Adam's, not SGD's
    with pytest.raises(ParamError, match="method must be SGD"):
        make_solver_parameters("sgd")


@pytest.mark.parametrize("max_iter", [-1, 1.5, "10", True, math.nan])
def test_solver_refuses_a_bad_max_iter(max_iter):
    params = make_solver_parameters(SGD(), max_iter=max_iter)
    with pytest.raises(ParamError, match="max_iter must be an integer >= 0"):
        Solver(SGD(), params)


def test_solver_validates_method_params_and_regu_coef():
    with pytest.raises(ParamError, match="Solver: method must be SGD"):
        Solver("SGD", make_solver_parameters(SGD()))
    with pytest.raises(ParamError, match="make_solver_parameters"):
        Solver(SGD(), [("max_iter", 3)])
    with pytest.raises(ParamError, match="regu_coef"):
        Solver(SGD(), make_solver_parameters(SGD(), regu_coef=-1.0))
    with pytest.raises(ParamError, match="lr_policy"):
        Solver(SGD(), make_solver_parameters(SGD(), lr_policy=0.01))
    assert Solver(SGD(), make_solver_parameters(SGD(), max_iter=math.inf)).max_iter == math.inf


def test_solve_refuses_a_net_without_loss():
    backend = _nets.CPUBackend()
    _nets.memory_net(backend)
    net = _nets.validation_net(backend)
    solver = Solver(SGD(), make_solver_parameters(SGD(), max_iter=1))
    with pytest.raises(ParamError, match="no loss layer"):
        solve(solver, net)


# -- solve against a NumPy/JAX loop --------------------------------------------------------

def _reference_sgd(params, x, y, n_iter, *, lr_at, mom_at, regu_coef, batch=_nets.BATCH):
    """Mocha's SGD loop: iter += 1; grad (+ 2*regu_coef*W on weights); lr per
    blob (bias x2); hist = last_momentum*hist - lr*grad; w += hist."""
    grad = jax.jit(jax.grad(_nets.reference_loss))
    params = {k: np.asarray(v, np.float32) for k, v in params.items()}
    hist = {k: np.zeros_like(v) for k, v in params.items()}
    n = len(x)
    for t in range(1, n_iter + 1):
        rows = np.arange((t - 1) * batch, t * batch) % n
        g = {k: np.asarray(v) for k, v in grad(params, x[rows], y[rows]).items()}
        last_mom = np.float32(mom_at(0) if t == 1 else mom_at(t - 1))
        for k in params:
            if k.endswith("weight"):
                g[k] = g[k] + np.float32(2.0 * regu_coef) * params[k]
            lr = np.float32((2.0 if k.endswith("bias") else 1.0) * lr_at(t))
            hist[k] = last_mom * hist[k] + (-lr) * g[k]
            params[k] = params[k] + hist[k]
    return params


@pytest.mark.parametrize("mom_policy, mom_at", [
    (MomPolicy.Fixed(0.9), lambda t: 0.9),
    # 0.5, 0.6, ... 0.9: the update at t must use the value at t - 1
    (MomPolicy.Linear(0.5, 0.1, 1, 0.9), lambda t: min(0.5 + 0.1 * t, 0.9)),
])
@pytest.mark.slow
def test_solve_equals_a_reference_sgd_loop(mom_policy, mom_at):
    net = _nets.memory_net()
    start = _nets.params_of(net)
    lr = LRPolicy.Inv(0.01, 1e-4, 0.75)
    solver = Solver(SGD(), make_solver_parameters(
        SGD(), max_iter=37, regu_coef=0.01, lr_policy=lr, mom_policy=mom_policy))
    solve(solver, net)
    x, y = _nets.data()
    want = _reference_sgd(start, x, y, 37, lr_at=lambda t: 0.01 * (1 + 1e-4 * t) ** -0.75,
                          mom_at=mom_at, regu_coef=0.01)
    got = _nets.params_of(net)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-5, atol=1e-6,
                                   err_msg=name)


def test_reference_detects_a_wrong_momentum_lag():
    """The reference is sharp enough: momentum without the lag differs."""
    net = _nets.memory_net()
    start = _nets.params_of(net)
    solver = Solver(SGD(), make_solver_parameters(
        SGD(), max_iter=12, regu_coef=0.0, lr_policy=LRPolicy.Fixed(0.05),
        mom_policy=MomPolicy.Linear(0.1, 0.2, 1, 0.9)))
    solve(solver, net)
    x, y = _nets.data()
    wrong = _reference_sgd(start, x, y, 12, lr_at=lambda t: 0.05,
                           mom_at=lambda t: min(0.1 + 0.2 * (t + 1), 0.9), regu_coef=0.0)
    got = _nets.params_of(net)
    assert max(np.abs(got[k] - wrong[k]).max() for k in got) > 1e-4


def test_solve_runs_stretches_not_one_call_per_iteration(monkeypatch):
    calls = []
    train = SolverState.train

    def counting(self, count):
        calls.append(count)
        return train(self, count)

    monkeypatch.setattr(SolverState, "train", counting)
    net = _nets.memory_net()
    solver = Solver(SGD(), make_solver_parameters(SGD(), max_iter=250))
    run = solve(solver, net)
    assert run.iter == 250 and sum(calls) == 250
    assert calls == [MAX_STRETCH, MAX_STRETCH, 50]


def test_solve_with_max_iter_zero_trains_nothing(monkeypatch):
    monkeypatch.setattr(SolverState, "train", lambda self, count: pytest.fail("trained"))
    net = _nets.memory_net()
    before = _nets.params_of(net)
    run = solve(Solver(SGD(), make_solver_parameters(SGD(), max_iter=0)), net)
    assert run.iter == 0
    after = _nets.params_of(net)
    assert all(np.array_equal(before[k], after[k]) for k in before)
