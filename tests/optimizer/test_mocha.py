"""Mocha.jl's solvers against NumPy transcriptions of its ``update_parameters!``.

The references follow Mocha's CPU code (``src/solvers/{sgd,nesterov,adam,
adagrad,adadelta}.jl`` and ``src/regularizers.jl``): float32 blobs, BLAS
``scal!``/``axpy!`` as ``a*x``/``y + a*x``, coefficients computed in Float64
and converted once. They are written from those files, not from mxlite's
code. (``MochaRMSProp`` has no Mocha source; its reference is the formula
its docstring states.)
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import mxlite as mx
from mxlite.base import ParamError
from mxlite.executor.compiler import graph_function
from mxlite.optimizer import (
    MochaAdadelta,
    MochaAdagrad,
    MochaAdam,
    MochaNesterov,
    MochaRMSProp,
    MochaSGD,
)
from mxlite.optimizer.mocha_policy import LRPolicy, MomPolicy
from mxlite.training import GraphProgram, Stretch, TrainStep

f32 = np.float32
SHAPES = {"ip1_weight": (3, 4), "ip1_bias": (4,)}
STEPS = 5
REGU_COEF = 0.01  # larger than Mocha's default, so the regularizer shows
L2_COEF = 1.5


def _inv(t):
    return 0.01 * (1 + 0.0001 * t) ** -0.75


def _mom_step(it):
    return min(0.5 * 1.5 ** math.floor(it / 2), 0.95)


def _last(mom, t):
    """Mocha's last_momentum at update t: the policy at t-1 (base_mom at t=1)."""
    return mom(t - 1)


def _regularized(name, w, g):
    if name == "ip1_weight":  # L2Regu(1.5): axpy!(convert(T, 2*coef*regu_coef), W, g)
        return g + f32(2 * L2_COEF * REGU_COEF) * w
    return g  # NoRegu on the bias


def _lr_mult(name):
    return 2.0 if name == "ip1_bias" else 1.0


# ---------------------------------------------------------------------------
# NumPy references: (name, w, g, slots, t, mom) -> (w, slots); g is regularized.

def ref_sgd(name, w, g, s, t, mom):
    hist = f32(_last(mom, t)) * s["param_history"]
    hist = hist + f32(-(_lr_mult(name) * _inv(t))) * g
    return w + hist, {"param_history": hist}


def ref_nesterov(name, w, g, s, t, mom):
    last, hist = _last(mom, t), s["param_history"]
    w = w + f32(-last) * hist
    hist = f32(last) * hist
    hist = hist + f32(-(_lr_mult(name) * _inv(t))) * g
    return w + f32(1 + mom(t)) * hist, {"param_history": hist}


def ref_adam(name, w, g, s, t, mom, b1=0.9, b2=0.999, eps=1e-8):
    m = f32(b1) * s["grad_1st_moment_est"]
    m = m + f32(1 - b1) * g
    g2 = f32(b2) * (g * g)
    v = s["grad_2nd_moment_est"] + f32(1 - b2) * g2
    alpha_t = _inv(t) * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)  # no lr multiplier
    w = w + f32(-alpha_t) * (m / (np.sqrt(v) + f32(eps)))
    return w, {"grad_1st_moment_est": m, "grad_2nd_moment_est": v}


def ref_adagrad(name, w, g, s, t, mom, gamma=0.5, eps=1e-8):
    hist = s["param_history"] + g * g
    rate = gamma / (eps + float(np.sqrt(np.sum(hist, dtype=f32))))
    return w + f32(-rate) * g, {"param_history": hist}


def ref_adadelta(name, w, g, s, t, mom, rho=0.95, eps=1e-6):
    gsq = f32(rho) * s["gradients_sq"] + f32(1 - rho) * (g * g)
    delta = (np.sqrt(s["deltas_sq"] + f32(eps)) / np.sqrt(gsq + f32(eps))) * g
    dsq = f32(rho) * s["deltas_sq"] + f32(1 - rho) * (delta * delta)
    return w - delta, {"gradients_sq": gsq, "deltas_sq": dsq}


def ref_rmsprop(name, w, g, s, t, mom, rho=0.9, eps=1e-8):
    ms = f32(rho) * s["mean_square"] + f32(1 - rho) * (g * g)
    step = g / np.sqrt(ms + f32(eps))
    return w + f32(-(_lr_mult(name) * _inv(t))) * step, {"mean_square": ms}


def _sgd_like(cls, mom):
    return cls(lr_policy=LRPolicy.Inv(0.01, 0.0001, 0.75), mom_policy=mom,
               regu_coef=REGU_COEF)


MOMS = {"fixed": (lambda: MomPolicy.Fixed(0.9), lambda it: 0.9),
        "step": (lambda: MomPolicy.Step(0.5, 1.5, 2, 0.95), _mom_step)}
RULES = {
    "sgd": (lambda m: _sgd_like(MochaSGD, m), ref_sgd),
    "nesterov": (lambda m: _sgd_like(MochaNesterov, m), ref_nesterov),
    "adam": (lambda m: MochaAdam(lr_policy=LRPolicy.Inv(0.01, 0.0001, 0.75),
                                 regu_coef=REGU_COEF), ref_adam),
    "adagrad": (lambda m: MochaAdagrad(gamma=0.5, regu_coef=REGU_COEF), ref_adagrad),
    "adadelta": (lambda m: MochaAdadelta(regu_coef=REGU_COEF), ref_adadelta),
    "rmsprop": (lambda m: MochaRMSProp(lr_policy=LRPolicy.Inv(0.01, 0.0001, 0.75),
                                       regu_coef=REGU_COEF), ref_rmsprop),
}
CASES = [(r, m) for r in RULES for m in (("fixed", "step") if r in ("sgd", "nesterov")
                                         else ("fixed",))]


def _configured(opt):
    opt.set_regularizers({"ip1_weight": ("l2", L2_COEF), "ip1_bias": None})
    opt.set_lr_mult({"ip1_bias": 2.0})
    return opt


def _data(seed=0):
    rng = np.random.default_rng(seed)
    params = {n: rng.standard_normal(s).astype(f32) for n, s in SHAPES.items()}
    grads = [{n: rng.standard_normal(s).astype(f32) for n, s in SHAPES.items()}
             for _ in range(STEPS)]
    return params, grads


def _run_reference(ref, mom, params, grads):
    ws = {n: w.copy() for n, w in params.items()}
    slots = dict.fromkeys(ws)
    for t, gs in enumerate(grads, start=1):
        for n, w in list(ws.items()):
            g = _regularized(n, w, gs[n])
            if slots[n] is None:
                slots[n] = {k: np.zeros_like(w) for k in ref(n, w, g, _ZEROS, t, mom)[1]}
            ws[n], slots[n] = ref(n, w, g, slots[n], t, mom)
    return ws, slots


class _Zeros(dict):
    def __missing__(self, key):
        return 0.0


_ZEROS = _Zeros()


@pytest.mark.slow
@pytest.mark.parametrize(("rule", "mom"), CASES)
def test_steps_of_apply_match_mochas_formulas(rule, mom):
    make_policy, mom_ref = MOMS[mom]
    make, ref = RULES[rule]
    opt = _configured(make(make_policy()))
    params, grads = _data()
    names = list(params)
    p = {n: jnp.asarray(w) for n, w in params.items()}
    state = opt.init_state(p)
    for t, g in enumerate(grads, start=1):
        hyper = opt.hyper_tree(names)
        p, state = opt.apply(p, {n: jnp.asarray(x) for n, x in g.items()}, state,
                             hyper, t=jnp.int32(t))
    want, slots = _run_reference(ref, mom_ref, params, grads)
    for n in names:
        np.testing.assert_allclose(np.asarray(p[n]), want[n], rtol=1e-6, atol=1e-7,
                                   err_msg=f"{rule}/{mom} {n}")
        assert p[n].dtype == jnp.float32
        for k, v in slots[n].items():
            np.testing.assert_allclose(np.asarray(state["slots"][n][k]), v, rtol=1e-6,
                                       atol=1e-7, err_msg=f"{rule} {n} {k}")


def test_momentum_lags_one_iteration():
    """With MomPolicy.Step the momentum changes at iter 2 and 4; the update
    at t uses the policy at t-1 (Mocha's last_momentum), so a reference
    that uses the policy at t differs."""
    params, grads = _data(1)
    opt = _configured(_sgd_like(MochaSGD, MomPolicy.Step(0.5, 1.5, 2, 0.95)))
    p = {n: jnp.asarray(w) for n, w in params.items()}
    state = opt.init_state(p)
    for t, g in enumerate(grads, start=1):
        p, state = opt.apply(p, {n: jnp.asarray(x) for n, x in g.items()}, state,
                             opt.hyper_tree(list(p)), t=jnp.int32(t))
    lagged, _ = _run_reference(ref_sgd, _mom_step, params, grads)
    unlagged, _ = _run_reference(ref_sgd, lambda it: _mom_step(it + 1), params, grads)
    w = np.asarray(p["ip1_weight"])
    np.testing.assert_allclose(w, lagged["ip1_weight"], rtol=1e-6, atol=1e-7)
    assert not np.allclose(w, unlagged["ip1_weight"], rtol=1e-4, atol=1e-5)
    assert [opt.momentum_at(i) for i in range(5)] == [0.5, 0.5, 0.75, 0.75, 0.95]
    assert opt.learning_rate_at(0) == 0.01
    assert opt.learning_rate_at(3) == pytest.approx(_inv(3))


def test_l1_regularizer_and_ignored_multipliers():
    opt = MochaAdagrad(gamma=1.0, regu_coef=0.1)
    opt.set_regularizers({"w": ("l1", 2.0)})
    opt.set_lr_mult({"w": 5.0})  # Mocha's Adagrad ignores it: no new structure
    w = jnp.asarray([-2.0, 0.0, 3.0], jnp.float32)
    g = jnp.asarray([0.5, 0.5, 0.5], jnp.float32)
    new, _ = opt.apply({"w": w}, {"w": g}, opt.init_state({"w": w}),
                       opt.hyper_tree(["w"]), t=jnp.int32(1))
    gr = np.asarray(g) + f32(2.0 * 0.1) * np.sign(np.asarray(w))
    want = np.asarray(w) + f32(-1.0 / (1e-8 + float(np.sqrt(np.sum(gr * gr))))) * gr
    np.testing.assert_allclose(np.asarray(new["w"]), want, rtol=1e-6)
    assert opt.structure(["w"])[-1] == frozenset()
    assert opt.learning_rate_at(5) is None and opt.momentum_at(5) is None


# ---------------------------------------------------------------------------
# Inside the shared compiled step.

def _program() -> GraphProgram:
    x, t = mx.sym.var("x"), mx.sym.var("t")
    w, b = mx.sym.var("ip1_weight"), mx.sym.var("ip1_bias")
    y = mx.sym.broadcast_add(mx.sym.dot(x, w), b)
    loss = mx.sym.mean(mx.sym.square(y - t))
    group = mx.sym.Group([loss, y])
    return GraphProgram(graph_function(group._heads, "cpu"), ("ip1_weight", "ip1_bias"),
                        ("x",), ("t",), ("loss", "y"), loss_outputs=(0,))


def _batches(n, seed=2):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, 8, 3)).astype(f32),
            rng.standard_normal((n, 8, 4)).astype(f32))


def _reference_training(params, xs, ts, mom):
    ws = {k: v.copy() for k, v in params.items()}
    hist = {k: np.zeros_like(v) for k, v in ws.items()}
    for t, (x, tt) in enumerate(zip(xs, ts, strict=True), start=1):
        dy = 2 * (x @ ws["ip1_weight"] + ws["ip1_bias"] - tt) / tt.size
        grads = {"ip1_weight": x.T @ dy, "ip1_bias": dy.sum(0)}
        for n, w in list(ws.items()):
            g = _regularized(n, w, grads[n].astype(f32))
            ws[n], s = ref_sgd(n, w, g, {"param_history": hist[n]}, t, mom)
            hist[n] = s["param_history"]
    return ws


def test_sgd_trains_inside_trainstep_step_and_steps():
    params, _ = _data(3)
    xs, ts = _batches(6)
    opt = _configured(_sgd_like(MochaSGD, MomPolicy.Step(0.5, 1.5, 2, 0.95)))
    trainer = TrainStep(_program(), opt)
    state = trainer.new_state({n: jnp.asarray(w) for n, w in params.items()}, {})
    for i in range(2):  # two single steps, then a compiled stretch of four
        state, _ = trainer.step(state, {"x": jnp.asarray(xs[i]), "t": jnp.asarray(ts[i])},
                                {})
    sources = {"x": jnp.asarray(xs.reshape(48, 3)), "t": jnp.asarray(ts.reshape(48, 4))}
    idx = np.arange(48, dtype=np.int32).reshape(6, 8)
    state = trainer.steps(state, sources, {}, Stretch(idx, np.zeros(6, np.int32), 2, 6))
    assert int(state.step) == 6
    want = _reference_training(params, xs, ts, _mom_step)
    for n in params:
        np.testing.assert_allclose(np.asarray(state.params[n]), want[n], rtol=2e-5,
                                   atol=1e-6, err_msg=n)


def test_changed_values_reach_the_same_program_and_kinds_compile_a_new_one():
    params, _ = _data(4)
    xs, ts = _batches(1)
    batch = {"x": jnp.asarray(xs[0]), "t": jnp.asarray(ts[0])}

    def one_step(opt):
        trainer = TrainStep(_program(), opt)
        state = trainer.new_state({n: jnp.asarray(w) for n, w in params.items()}, {})
        state, _ = trainer.step(state, batch, {})
        return trainer, state

    opt = _configured(_sgd_like(MochaSGD, MomPolicy.Fixed(0.9)))
    trainer, state = one_step(opt)
    first = np.asarray(state.params["ip1_weight"])
    # New values on the same trainer: same program, different result.
    opt.regu_coef = 0.5
    opt.lr_policy.base_lr = 0.02
    opt.set_regularizers({"ip1_weight": ("l2", 3.0)})
    fresh = trainer.new_state({n: jnp.asarray(w) for n, w in params.items()}, {})
    fresh, _ = trainer.step(fresh, batch, {})
    assert len(trainer._compiled) == 1
    changed = np.asarray(fresh.params["ip1_weight"])
    assert not np.allclose(first, changed)
    x, tt, w, b = xs[0], ts[0], params["ip1_weight"], params["ip1_bias"]
    g = x.T @ (2 * (x @ w + b - tt) / tt.size) + f32(2 * 3.0 * 0.5) * w
    lr = 0.02 * (1 + 0.0001) ** -0.75
    np.testing.assert_allclose(changed, w + f32(-lr) * g, rtol=2e-5, atol=1e-6)
    # A new regularizer kind, or a new policy kind, is structure: a new program.
    opt.set_regularizers({"ip1_weight": ("l1", 3.0)})
    trainer.step(trainer.new_state({n: jnp.asarray(v) for n, v in params.items()}, {}),
                 batch, {})
    assert len(trainer._compiled) == 2
    opt.mom_policy = MomPolicy.Linear(0.5, 0.1, 2, 0.9)
    opt.set_regularizers({"ip1_weight": ("l2", 3.0)})
    trainer.step(trainer.new_state({n: jnp.asarray(v) for n, v in params.items()}, {}),
                 batch, {})
    assert len(trainer._compiled) == 3


def test_structure_and_hyper_values():
    opt = _sgd_like(MochaSGD, MomPolicy.Fixed(0.9))
    names = ["ip1_weight", "ip1_bias"]
    base = opt.structure(names)
    hash(base)
    opt.regu_coef = 0.1
    opt.lr_policy.base_lr = 0.5
    opt.mom_policy.base_mom = 0.1
    assert opt.structure(names) == base
    values = opt.hyper_values(names)
    assert values["regu_coef"] == 0.1 and values["schedule"]["base_lr"] == 0.5
    assert values["mom"] == {"base_mom": 0.1}
    opt.set_regularizers({"ip1_weight": ("l2", 1.0)})
    assert opt.structure(names) != base
    assert opt.hyper_values(names)["regu"] == {"ip1_weight": 1.0}
    with_reg = opt.structure(names)
    opt.set_lr_mult({"ip1_bias": 2.0})
    assert opt.structure(names) != with_reg
    assert MochaSGD.defaults()["regu_coef"] == 0.0005
    assert repr(MochaAdam.defaults()["lr_policy"]) == "LRPolicy.Inv(0.003, 0.0001, 0.5)"


# ---------------------------------------------------------------------------
# Errors.

def _inv_policy():
    return LRPolicy.Inv(0.01, 0.0001, 0.75)


@pytest.mark.parametrize(("make", "message"), [
    (lambda: MochaSGD(lr_policy=_inv_policy(), mom_policy=MomPolicy.Fixed(0.9),
                      regu_coef=-1.0), r"MochaSGD: regu_coef must be a number >= 0.*-1\.0"),
    (lambda: MochaSGD(mom_policy=MomPolicy.Fixed(0.9)),
     r"MochaSGD: Must provide parameter lr_policy .*LRPolicy\.Fixed\(0\.01\)"),
    (lambda: MochaNesterov(lr_policy=_inv_policy()),
     r"MochaNesterov: Must provide parameter mom_policy"),
    (lambda: MochaAdam(), r"MochaAdam: Must provide parameter lr_policy .*Inv"),
    (lambda: MochaSGD(lr_policy=0.01, mom_policy=MomPolicy.Fixed(0.9)),
     r"MochaSGD: lr_policy must be a LRPolicy policy .*got 0\.01"),
    (lambda: MochaSGD(lr_policy=_inv_policy(), mom_policy=0.9),
     r"MochaSGD: mom_policy must be a MomPolicy policy .*got 0\.9"),
    (lambda: MochaSGD(lr_policy=_inv_policy(), mom_policy=MomPolicy.Fixed(0.9),
                      momentum=0.9), r"MochaSGD: 'momentum' is an MXNet optimizer "
                                     r"argument.*mom_policy"),
    (lambda: MochaAdam(lr_policy=_inv_policy(), rescale_grad=0.5),
     r"MochaAdam: 'rescale_grad' is an MXNet"),
    (lambda: MochaAdagrad(gama=1.0), r"MochaAdagrad: unknown solver parameter 'gama'"),
    (lambda: MochaAdam(lr_policy=_inv_policy(), beta1=1.0),
     r"MochaAdam: beta1 must be a number in \[0\.0, 1\.0\); got 1\.0"),
    (lambda: MochaAdadelta(rho=-0.5), r"MochaAdadelta: rho .*got -0\.5"),
])
def test_bad_solver_parameters_name_the_solver_and_the_value(make, message):
    with pytest.raises(ParamError, match=message):
        make()


def test_bad_regularizers_and_mxnet_only_calls():
    opt = MochaSGD(lr_policy=_inv_policy(), mom_policy=MomPolicy.Fixed(0.9))
    with pytest.raises(ParamError, match=r"unknown regularizer kind 'l3' for 'w'.*"
                                         r"Use 'l2' \(L2Regu\)"):
        opt.set_regularizers({"w": ("l3", 1.0)})
    with pytest.raises(ParamError, match=r"set_regularizers\('w'\): coef must be .*-2"):
        opt.set_regularizers({"w": ("l2", -2)})
    with pytest.raises(ParamError, match=r"regularizer of 'w' must be .*got 0\.5"):
        opt.set_regularizers({"w": 0.5})
    assert opt.regularizer_of("w") is None
    opt.set_regularizers({"w": ("l1", 1)})
    assert opt.regularizer_of("w") == ("l1", 1.0)
    opt.set_regularizers({"w": None})
    assert opt.regularizer_of("w") is None
    with pytest.raises(ParamError, match="no weight-decay multipliers"):
        opt.set_wd_mult({"w": 0.0})
    with pytest.raises(ParamError, match="inside the compiled training step"):
        opt.update(0, None, None, None)
    assert not jax.config.jax_enable_x64 or opt.hyper_tree(["w"])["regu_coef"].dtype == (
        jnp.float64)
