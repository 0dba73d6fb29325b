"""Chainer 7.8.1's update rules and optimizer hooks against NumPy transcriptions.

The references are written from Chainer's ``update_core_cpu`` and
``optimizer_hooks/*.py`` (float32 arrays; a Python float meets them as a
float32 scalar; what Chainer computes on the host is computed here in double,
then cast), not from mxlite's code. ``test_matches_real_chainer`` checks the
same rules against a run of Chainer 7.8.1 itself
(``tests/fixtures/chainer/make_optimizer_fixture.py``).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import mxlite as mx
from mxlite.base import ParamError
from mxlite.optimizer import (
    ChainerAdaDelta,
    ChainerAdaGrad,
    ChainerAdam,
    ChainerMomentumSGD,
    ChainerRMSprop,
    ChainerSGD,
    GradientClipping,
    GradientHardClipping,
    Lasso,
    WeightDecay,
)

f32 = np.float32
SHAPES = {"predictor/l1/W": (3, 4), "predictor/l1/b": (4,)}
STEPS = 5
FIXTURE = Path(__file__).parent.parent / "fixtures" / "chainer" / "optimizers.npz"


# ---------------------------------------------------------------------------
# NumPy references: (w, g, state, t, hp) -> (w, state), hp as the constructor's.

def ref_sgd(w, g, s, t, hp):
    return w - f32(hp["lr"]) * g, {}


def ref_momentum_sgd(w, g, s, t, hp):
    v = s["v"] * f32(hp["momentum"])
    v = v - f32(hp["lr"]) * g
    return w + v, {"v": v}


def ref_adam(w, g, s, t, hp):
    m = s["m"] + f32(1.0 - hp["beta1"]) * (g - s["m"])
    v = s["v"] + f32(1.0 - hp["beta2"]) * (g * g - s["v"])
    out = {"m": m, "v": v}
    vhat = v
    if hp.get("amsgrad"):
        vhat = out["vhat"] = np.maximum(s["vhat"], v)
    fix1, fix2 = 1.0 - math.pow(hp["beta1"], t), 1.0 - math.pow(hp["beta2"], t)
    alpha_t = hp["alpha"] * math.sqrt(fix2) / fix1
    step = f32(alpha_t) / (np.sqrt(vhat) + f32(hp["eps"]))
    if hp.get("adabound"):
        final_lr = hp["final_lr"]  # alpha == initial_alpha here
        lower = final_lr * (1.0 - 1.0 / (hp["gamma"] * t + 1))
        upper = final_lr * (1.0 + 1.0 / (hp["gamma"] * t))
        step = np.clip(step, f32(lower), f32(upper))
    a = 1.0 - hp["eta"] * hp["weight_decay_rate"]
    return f32(a) * w + f32(-hp["eta"]) * (step * m), out


def ref_adagrad(w, g, s, t, hp):
    h = s["h"] + g * g
    return w - f32(hp["lr"]) * g / (np.sqrt(h) + f32(hp["eps"])), {"h": h}


def ref_rmsprop(w, g, s, t, hp):
    ms = s["ms"] * f32(hp["alpha"])
    ms = ms + f32(1 - hp["alpha"]) * g * g
    eps = f32(hp["eps"])
    denom = np.sqrt(ms + eps) if hp["eps_inside_sqrt"] else np.sqrt(ms) + eps
    return w - f32(hp["lr"]) * g / denom, {"ms": ms}


def ref_adadelta(w, g, s, t, hp):
    rho, eps = f32(hp["rho"]), f32(hp["eps"])
    msg = s["msg"] * rho + f32(1 - hp["rho"]) * g * g
    dx = np.sqrt((s["msdx"] + eps) / (msg + eps)) * g
    msdx = s["msdx"] * rho + f32(1 - hp["rho"]) * dx * dx
    return w - dx, {"msg": msg, "msdx": msdx}


ADAM_DEFAULTS = {"alpha": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "eta": 1.0,
                 "weight_decay_rate": 0, "amsgrad": False, "adabound": False,
                 "final_lr": 0.1, "gamma": 1e-3}
RMS_DEFAULTS = {"lr": 0.01, "alpha": 0.99, "eps": 1e-8, "eps_inside_sqrt": False}

# (class, constructor kwargs, reference, full hyper-parameters, Chainer's slots)
CASES = {
    "sgd": (ChainerSGD, {"lr": 0.1}, ref_sgd, {"lr": 0.1}, ()),
    "momentum_sgd": (ChainerMomentumSGD, {"lr": 0.05, "momentum": 0.8},
                     ref_momentum_sgd, {"lr": 0.05, "momentum": 0.8}, ("v",)),
    "adam": (ChainerAdam, {}, ref_adam, ADAM_DEFAULTS, ("m", "v")),
    "adam_large_eps": (ChainerAdam, {"alpha": 0.01, "eps": 1e-2}, ref_adam,
                       {**ADAM_DEFAULTS, "alpha": 0.01, "eps": 1e-2}, ("m", "v")),
    "adam_amsgrad": (ChainerAdam, {"alpha": 0.01, "amsgrad": True}, ref_adam,
                     {**ADAM_DEFAULTS, "alpha": 0.01, "amsgrad": True},
                     ("m", "v", "vhat")),
    "adamw": (ChainerAdam, {"alpha": 0.01, "eta": 0.5, "weight_decay_rate": 0.1},
              ref_adam, {**ADAM_DEFAULTS, "alpha": 0.01, "eta": 0.5,
                         "weight_decay_rate": 0.1}, ("m", "v")),
    "amsbound": (ChainerAdam, {"alpha": 0.01, "amsgrad": True, "adabound": True,
                               "final_lr": 0.05, "gamma": 0.1}, ref_adam,
                 {**ADAM_DEFAULTS, "alpha": 0.01, "amsgrad": True, "adabound": True,
                  "final_lr": 0.05, "gamma": 0.1}, ("m", "v", "vhat")),
    "adagrad": (ChainerAdaGrad, {"lr": 0.01}, ref_adagrad,
                {"lr": 0.01, "eps": 1e-8}, ("h",)),
    "adagrad_large_eps": (ChainerAdaGrad, {"lr": 0.01, "eps": 1e-2}, ref_adagrad,
                          {"lr": 0.01, "eps": 1e-2}, ("h",)),
    "rmsprop": (ChainerRMSprop, {}, ref_rmsprop, RMS_DEFAULTS, ("ms",)),
    "rmsprop_large_eps": (ChainerRMSprop, {"eps": 1e-2}, ref_rmsprop,
                          {**RMS_DEFAULTS, "eps": 1e-2}, ("ms",)),
    "rmsprop_eps_inside_sqrt": (ChainerRMSprop, {"eps": 1e-2, "eps_inside_sqrt": True},
                                ref_rmsprop, {**RMS_DEFAULTS, "eps": 1e-2,
                                              "eps_inside_sqrt": True}, ("ms",)),
    "adadelta": (ChainerAdaDelta, {}, ref_adadelta, {"rho": 0.95, "eps": 1e-6},
                 ("msg", "msdx")),
    "adadelta_large_eps": (ChainerAdaDelta, {"rho": 0.9, "eps": 1e-2}, ref_adadelta,
                           {"rho": 0.9, "eps": 1e-2}, ("msg", "msdx")),
}


def _data(seed, steps=STEPS):
    rng = np.random.default_rng(seed)
    params = {n: rng.standard_normal(s).astype(f32) for n, s in SHAPES.items()}
    grads = [{n: rng.standard_normal(s).astype(f32) for n, s in SHAPES.items()}
             for _ in range(steps)]
    return params, grads


def _jitted(opt):
    return jax.jit(lambda p, g, s, h, t: opt.apply(p, g, s, h, t=t))


def _run(opt, params, grads_seq):
    """``len(grads_seq)`` jitted updates (t = 1, 2, ...); returns params, state."""
    step = _jitted(opt)
    p = {n: jnp.asarray(w) for n, w in params.items()}
    state = opt.init_state(p)
    for t, grads in enumerate(grads_seq, start=1):
        hyper = opt.hyper_tree(sorted(p))
        p, state = step(p, {n: jnp.asarray(g) for n, g in grads.items()}, state, hyper,
                        jnp.int32(t))
    return p, state


def _close(actual, expected, rtol=1e-6):
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=rtol, atol=1e-7)


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_rule_matches_reference(case):
    cls, kwargs, ref, hp, slots = CASES[case]
    opt = cls(**kwargs)
    params, grads_seq = _data(0)
    new, state = _run(opt, params, grads_seq)
    for name, w in params.items():
        s = {slot: np.zeros_like(w) for slot in slots}
        for t, grads in enumerate(grads_seq, start=1):
            w, s = ref(w, grads[name], s, t, hp)
        _close(new[name], w)
        assert sorted(state["slots"][name]) == sorted(slots)
        for slot in slots:
            _close(state["slots"][name][slot], s[slot])


def test_adam_eps_is_added_before_bias_correction():
    """With a large eps, Chainer's Adam differs from optax's (sqrt(v_hat) + eps)."""
    params, grads_seq = _data(1, steps=3)
    new, _ = _run(ChainerAdam(alpha=0.01, eps=1e-2), params, grads_seq)
    for name, w in params.items():
        m, v = np.zeros_like(w), np.zeros_like(w)
        for t, grads in enumerate(grads_seq, start=1):  # optax.adam's formula
            m = 0.9 * m + 0.1 * grads[name]
            v = 0.999 * v + 0.001 * grads[name] ** 2
            mhat, vhat = m / (1 - 0.9**t), v / (1 - 0.999**t)
            w = w - 0.01 * mhat / (np.sqrt(vhat) + 1e-2)
        diff = np.abs(np.asarray(new[name]) - w).max()
        assert diff > 1e-4, f"{name}: eps placement makes no difference ({diff})"


def test_alpha_at_is_chainers_alpha_t():
    opt = ChainerAdam(alpha=0.01)
    assert opt.alpha_at(3) == 0.01 * math.sqrt(1 - 0.999**3) / (1 - 0.9**3)
    with pytest.raises(ParamError, match=r"optimizers\.Adam: .*t = 0"):
        opt.alpha_at(0)


# ---------------------------------------------------------------------------
# Hooks.

def _decay(w, g, rate):
    return g + f32(rate) * w


def _lasso(w, g, rate):
    return g + f32(rate) * np.sign(w)


def _hard_clip(w, g, lo, hi):
    return np.clip(g, f32(lo), f32(hi))


def _global_clip(grads, threshold):
    sqnorm = sum(float(g.ravel().dot(g.ravel())) for g in grads.values())
    rate = threshold / math.sqrt(sqnorm)
    if rate >= 1:
        return grads
    return {n: g * f32(rate) for n, g in grads.items()}


def _per_param(fn, *args):
    return lambda params, grads: {n: fn(params[n], g, *args) for n, g in grads.items()}


HOOKS = {
    "weight_decay": (lambda: WeightDecay(0.1), _per_param(_decay, 0.1)),
    "lasso": (lambda: Lasso(0.05), _per_param(_lasso, 0.05)),
    "hard_clipping": (lambda: GradientHardClipping(-0.5, 0.3),
                      _per_param(_hard_clip, -0.5, 0.3)),
    "clipping": (lambda: GradientClipping(1.5), lambda p, g: _global_clip(g, 1.5)),
    "clipping_inactive": (lambda: GradientClipping(100.0),
                          lambda p, g: _global_clip(g, 100.0)),
}


def _sgd_with_hooks(hook_refs, params, grads_seq, lr=0.1):
    p = dict(params)
    for grads in grads_seq:
        for ref in hook_refs:
            grads = ref(p, grads)
        p = {n: w - f32(lr) * grads[n] for n, w in p.items()}
    return p


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_hook_alone(hook):
    make, ref = HOOKS[hook]
    opt = ChainerSGD(lr=0.1)
    opt.add_hook(make())
    params, grads_seq = _data(2, steps=3)
    new, _ = _run(opt, params, grads_seq)
    expected = _sgd_with_hooks([ref], params, grads_seq)
    for name in params:
        _close(new[name], expected[name])


@pytest.mark.parametrize("order", [("weight_decay", "hard_clipping"),
                                   ("hard_clipping", "weight_decay"),
                                   ("lasso", "clipping")])
def test_two_hooks_run_in_the_order_added(order):
    opt = ChainerSGD(lr=0.1)
    for hook in order:
        opt.add_hook(HOOKS[hook][0]())
    assert list(opt.hooks) == [HOOKS[h][0]().name for h in order]
    params, grads_seq = _data(3, steps=3)
    new, _ = _run(opt, params, grads_seq)
    expected = _sgd_with_hooks([HOOKS[h][1] for h in order], params, grads_seq)
    for name in params:
        _close(new[name], expected[name])


def test_hooks_run_before_an_adaptive_rule():
    opt = ChainerAdam(alpha=0.01)
    opt.add_hook(WeightDecay(0.1))
    params, grads_seq = _data(4, steps=3)
    new, _ = _run(opt, params, grads_seq)
    for name, w in params.items():
        s = {"m": np.zeros_like(w), "v": np.zeros_like(w)}
        for t, grads in enumerate(grads_seq, start=1):
            w, s = ref_adam(w, _decay(w, grads[name], 0.1), s, t,
                            {**ADAM_DEFAULTS, "alpha": 0.01})
        _close(new[name], w)


def test_hook_attributes_are_chainers():
    for hook, name in ((WeightDecay(1e-4), "WeightDecay"), (Lasso(1e-4), "Lasso"),
                       (GradientClipping(1.0), "GradientClipping"),
                       (GradientHardClipping(-1, 1), "GradientHardClipping")):
        assert (hook.name, hook.timing) == (name, "pre")
    assert GradientClipping(1.0).call_for_each_param is False
    assert WeightDecay(1.0).call_for_each_param is True


# ---------------------------------------------------------------------------
# Structure and traced values.

def test_structure_changes_with_hooks_and_switches():
    names = sorted(SHAPES)
    opt = ChainerSGD()
    base = opt.structure(names)
    opt.add_hook(WeightDecay(1e-4))
    with_decay = opt.structure(names)
    assert with_decay != base
    opt.add_hook(GradientClipping(1.0))
    both = opt.structure(names)
    assert both != with_decay
    opt.hooks["WeightDecay"].rate = 0.5  # a value, not structure
    assert opt.structure(names) == both
    opt.remove_hook("WeightDecay")
    opt.add_hook(WeightDecay(1e-4))  # now after GradientClipping
    assert opt.structure(names) != both
    hash(opt.structure(names))

    adam = ChainerAdam()
    plain = adam.structure(names)
    adam.amsgrad = True
    assert adam.structure(names) != plain
    assert sorted(adam.init_state({"w": jnp.zeros(2)})["slots"]["w"]) == [
        "m", "v", "vhat"]
    rms = ChainerRMSprop()
    before = rms.structure(names)
    rms.eps_inside_sqrt = True
    assert rms.structure(names) != before


def test_changed_values_reach_the_same_compiled_step():
    traces = []
    opt = ChainerMomentumSGD(lr=0.1, momentum=0.5)
    hook = WeightDecay(0.0)
    opt.add_hook(hook)

    def apply(p, g, s, h, t):
        traces.append(1)
        return opt.apply(p, g, s, h, t=t)

    step = jax.jit(apply)
    params = {"w": jnp.ones(3, jnp.float32)}
    grads = {"w": jnp.full(3, 2.0, jnp.float32)}
    state = opt.init_state(params)
    p1, _ = step(params, grads, state, opt.hyper_tree(["w"]), jnp.int32(1))
    _close(p1["w"], np.ones(3, f32) - f32(0.1) * f32(2.0))
    opt.lr, opt.momentum, hook.rate = 0.25, 0.9, 1.0
    p2, _ = step(params, grads, state, opt.hyper_tree(["w"]), jnp.int32(1))
    _close(p2["w"], np.ones(3, f32) - f32(0.25) * (f32(2.0) + f32(1.0)))
    assert len(traces) == 1

    adam = ChainerAdam(alpha=0.01)
    clip = GradientClipping(100.0)
    adam.add_hook(clip)
    step = _jitted(adam)
    st = adam.init_state(params)
    a1, _ = step(params, grads, st, adam.hyper_tree(["w"]), jnp.int32(1))
    adam.alpha, clip.threshold = 0.02, 1e-3
    a2, _ = step(params, grads, st, adam.hyper_tree(["w"]), jnp.int32(1))
    # t = 1: the step is alpha * g / (|g| + eps), whatever the clipping's scale.
    assert not np.allclose(np.asarray(a1["w"]), np.asarray(a2["w"]))
    _close(1 - np.asarray(a2["w"]), 2 * (1 - np.asarray(a1["w"])), rtol=1e-3)


def test_hyper_built_before_add_hook_is_refused():
    opt = ChainerSGD()
    params = {"w": jnp.ones(2)}
    hyper = opt.hyper_tree(["w"])
    opt.add_hook(Lasso(0.1))
    with pytest.raises(ParamError, match=r"no values for hook 'Lasso'.*hyper_tree"):
        opt.apply(params, params, opt.init_state(params), hyper, t=jnp.int32(1))


# ---------------------------------------------------------------------------
# Errors.

@pytest.mark.parametrize(("make", "message"), [
    (lambda: ChainerSGD(lr=-0.1),
     r"optimizers\.SGD: lr must be a number >= 0\.0; got -0\.1\."),
    (lambda: ChainerMomentumSGD(momentum=-1),
     r"optimizers\.MomentumSGD: momentum must be a number >= 0\.0; got -1\."),
    (lambda: ChainerAdam(beta1=1.0),
     r"optimizers\.Adam: beta1 must be a number in \[0\.0, 1\.0\); got 1\.0\."),
    (lambda: ChainerAdam(beta2=-0.5), r"optimizers\.Adam: beta2 .*got -0\.5\."),
    (lambda: ChainerAdam(eps=-1e-8),
     r"optimizers\.Adam: eps must be a number >= 0\.0; got -1e-08\."),
    (lambda: ChainerAdam(alpha="0.1"), r"optimizers\.Adam: alpha .*got '0\.1'\."),
    (lambda: ChainerAdaGrad(eps=-1), r"optimizers\.AdaGrad: eps .*got -1\."),
    (lambda: ChainerRMSprop(alpha=1.5),
     r"optimizers\.RMSprop: alpha must be a number in \[0\.0, 1\.0\]; got 1\.5\."),
    (lambda: ChainerAdaDelta(rho=2), r"optimizers\.AdaDelta: rho .*got 2\."),
    (lambda: WeightDecay(-1), r"optimizer_hooks\.WeightDecay: rate .*got -1\."),
    (lambda: GradientClipping(None),
     r"optimizer_hooks\.GradientClipping: threshold .*got None\."),
    (lambda: GradientHardClipping(1, -1),
     r"GradientHardClipping: lower_bound must be <= upper_bound; got "
     r"lower_bound=1, upper_bound=-1\."),
])
def test_bad_hyper_parameters(make, message):
    with pytest.raises(ParamError, match=message):
        make()


def test_hook_registration_errors():
    opt = ChainerAdam()
    opt.add_hook(WeightDecay(1e-4))
    with pytest.raises(ParamError, match=re.escape(
            "optimizers.Adam.add_hook: hook 'WeightDecay' already exists. Remove it "
            "first with remove_hook('WeightDecay'), or pass another name=.")):
        opt.add_hook(WeightDecay(1e-3))
    opt.add_hook(WeightDecay(1e-3), name="decay2")
    assert list(opt.hooks) == ["WeightDecay", "decay2"]
    with pytest.raises(ParamError, match=r"remove_hook: no hook named 'WeightDecy'\. "
                                         r"Did you mean 'WeightDecay'\?"):
        opt.remove_hook("WeightDecy")
    with pytest.raises(ParamError, match=r"pure gradient transforms; got <function"):
        opt.add_hook(lambda opt: None)
    with pytest.raises(ParamError, match=r"only 'pre' hooks"):
        opt.add_hook(Lasso(0.1), timing="post")
    with pytest.raises(ParamError, match=r"timing must be one of"):
        opt.add_hook(Lasso(0.1), timing="later")
    with pytest.raises(ParamError, match=r"no weight-decay multipliers; add a "
                                         r"WeightDecay hook"):
        opt.set_wd_mult({"w": 0.0})


def test_not_in_mxnets_registry_and_repr():
    with pytest.raises(ParamError, match="unknown optimizer"):
        mx.optimizer.create("chaineradam")
    assert type(mx.optimizer.create("adam")).__name__ == "Adam"
    assert repr(ChainerRMSprop()) == (
        "ChainerRMSprop(lr=0.01, alpha=0.99, eps=1e-08, eps_inside_sqrt=False)")
    assert ChainerAdam().lr is None and ChainerAdaDelta().lr is None


# ---------------------------------------------------------------------------
# Against Chainer 7.8.1 itself.

def _fixture_optimizers():
    return {
        "sgd": ChainerSGD(lr=0.1),
        "momentum_sgd": ChainerMomentumSGD(lr=0.05, momentum=0.8),
        "adam": ChainerAdam(alpha=0.01, eps=1e-2),
        "adam_amsgrad": ChainerAdam(alpha=0.01, amsgrad=True),
        "adamw": ChainerAdam(alpha=0.01, eta=0.5, weight_decay_rate=0.1),
        "adabound": ChainerAdam(alpha=0.01, adabound=True, final_lr=0.05, gamma=0.1),
        "adagrad": ChainerAdaGrad(lr=0.01),
        "rmsprop": ChainerRMSprop(lr=0.01),
        "rmsprop_inside": ChainerRMSprop(lr=0.01, eps=1e-2, eps_inside_sqrt=True),
        "adadelta": ChainerAdaDelta(rho=0.9, eps=1e-2),
    }


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(_fixture_optimizers()))
@pytest.mark.parametrize("hooks", ["none", "decay_clip"])
def test_matches_real_chainer(name, hooks):
    data = np.load(FIXTURE, allow_pickle=False)
    opt = _fixture_optimizers()[name]
    if hooks == "decay_clip":
        opt.add_hook(WeightDecay(float(data["meta/decay"])))
        opt.add_hook(GradientClipping(float(data["meta/threshold"])))
    params = {n: data[f"init/{n}"] for n in SHAPES}
    steps = int(data["meta/steps"])
    grads_seq = [{n: data[f"grad{i}/{n}"] for n in SHAPES} for i in range(steps)]
    new, state = _run(opt, params, grads_seq)
    for n in SHAPES:
        _close(new[n], data[f"{name}/{hooks}/{n}"])
        for slot, arr in state["slots"][n].items():
            _close(arr, data[f"{name}/{hooks}/{n}/{slot}"])
