"""Every optimizer against a NumPy transcription of MXNet's update rule (optax style).

The references below are written from MXNet 1.9.1's sources
(``src/operator/optimizer_op-inl.h`` kernels and ``python/mxnet/optimizer``),
in float32 with the kernels' casts, not from mxlite's code. One table drives
every property: pure ``apply`` vs the reference over several steps, imperative
``update`` == ``apply``, states round trip.
"""

from __future__ import annotations

import math
import pickle

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import mxlite as mx
import mxlite.jl as mxjl
from mxlite.base import FormatError, MXNetError, ParamError

f32 = np.float32
RESCALE, CLIP, WD, LR, STEPS = 0.5, 0.3, 0.01, 0.05, 5
NAMES = {0: "fc_weight", 1: "fc_bias"}
SHAPES = {"fc_weight": (3, 4), "fc_bias": (4,)}


def clip(x):
    return np.clip(x, -f32(CLIP), f32(CLIP))


# ---------------------------------------------------------------------------
# NumPy references: (w, g, state, lr, wd, t, hp) -> (w, state); float32 arrays.

def ref_sgd(w, g, s, lr, wd, t, hp):
    lr, wd, step = f32(lr), f32(wd), f32(lr) * clip(f32(RESCALE) * g)
    if hp.get("momentum", 0) > 0:
        mom = f32(hp["momentum"]) * s["mom"] - lr * wd * w - step
        return w + mom, {"mom": mom}
    return (f32(1) - lr * wd) * w - step, {}


def ref_nag(w, g, s, lr, wd, t, hp):
    if hp.get("momentum", 0) == 0:
        return ref_sgd(w, g, s, lr, wd, t, hp)
    mu, lr, wd = f32(hp["momentum"]), f32(lr), f32(wd)
    gp = clip(f32(RESCALE) * g) + wd * w
    mom = mu * s["mom"]
    out = w - mom + (mu + f32(1)) * (mom - lr * gp)
    return out, {"mom": mom - lr * gp}


def _bias_lr(lr, t, b1, b2):  # MXNet: Python double, then the kernel's float32
    return f32(lr * math.sqrt(1.0 - b2 ** t) / (1.0 - b1 ** t))


def ref_adam(w, g, s, lr, wd, t, hp):
    b1, b2 = hp.get("beta1", 0.9), hp.get("beta2", 0.999)
    gp = clip(g * f32(RESCALE) + w * f32(wd))
    m = f32(b1) * s["mean"] + (f32(1) - f32(b1)) * gp
    v = f32(b2) * s["var"] + (f32(1) - f32(b2)) * gp * gp
    out = w - _bias_lr(lr, t, b1, b2) * m / (np.sqrt(v) + f32(hp.get("epsilon", 1e-8)))
    return out, {"mean": m, "var": v}


def ref_adamw(w, g, s, lr, wd, t, hp):
    b1, b2, eps = 0.9, 0.999, f32(1e-6)
    gp = clip(g * f32(RESCALE))
    m = f32(b1) * s["mean"] + (f32(1) - f32(b1)) * gp
    v = f32(b2) * s["var"] + (f32(1) - f32(b2)) * gp * gp
    eta = _bias_lr(lr, t, b1, b2)
    return w - eta * (m / (np.sqrt(v) + eps) + f32(wd) * w), {"mean": m, "var": v}


def _clip_weights(w, hp):
    c = hp.get("clip_weights")
    return np.clip(w, -f32(c), f32(c)) if c else w


def ref_rmsprop(w, g, s, lr, wd, t, hp):
    g1, eps, lr = f32(hp.get("gamma1", 0.9)), f32(hp.get("epsilon", 1e-8)), f32(lr)
    gp = clip(f32(RESCALE) * g + f32(wd) * w)
    n = (f32(1) - g1) * gp * gp + g1 * s["n"]
    if not hp.get("centered"):
        return _clip_weights(w - lr * (gp / np.sqrt(n + eps)), hp), {"n": n}
    gm = (f32(1) - g1) * gp + g1 * s["g"]
    delta = f32(hp.get("gamma2", 0.9)) * s["delta"] - lr * (
        gp / np.sqrt(n - gm * gm + eps))
    return _clip_weights(w + delta, hp), {"n": n, "g": gm, "delta": delta}


def ref_adagrad(w, g, s, lr, wd, t, hp):
    gp = clip(g * f32(RESCALE))
    hist = s["history"] + gp * gp
    div = gp / np.sqrt(hist + f32(hp.get("eps", 1e-7)))
    return w + (div + w * f32(wd)) * -f32(lr), {"history": hist}


def ref_adadelta(w, g, s, lr, wd, t, hp):
    rho, eps = f32(hp.get("rho", 0.9)), f32(hp.get("epsilon", 1e-5))
    gp = clip(g * f32(RESCALE))
    acc_g = rho * s["acc_g"] + f32(1 - 0.9) * gp * gp
    delta = np.sqrt(s["acc_delta"] + eps) / np.sqrt(acc_g + eps) * gp
    acc_delta = rho * s["acc_delta"] + f32(1 - 0.9) * delta * delta
    return w - (delta + f32(wd) * w), {"acc_g": acc_g, "acc_delta": acc_delta}


def ref_signum(w, g, s, lr, wd, t, hp):
    lr, wd = f32(lr), f32(wd)
    if hp.get("momentum", 0.9) == 0:
        return (f32(1) - lr * wd) * w - lr * np.sign(g), {}
    mu = f32(hp.get("momentum", 0.9))
    mom = mu * s["mom"] - (f32(1) - mu) * wd * w - (f32(1) - mu) * clip(f32(RESCALE) * g)
    out = (f32(1) - lr * f32(hp.get("wd_lh", 0.0))) * w + lr * np.sign(mom)
    return out, {"mom": mom}


def ref_ftml(w, g, s, lr, wd, t, hp):
    b1, b2, eps, tt = f32(0.6), f32(0.999), f32(1e-8), f32(t)
    gp = clip(f32(RESCALE) * g + f32(wd) * w)
    v = b2 * s["v"] + (f32(1) - b2) * gp * gp
    d_t = (f32(1) - b1 ** tt) / f32(lr) * (np.sqrt(v / (f32(1) - b2 ** tt)) + eps)
    z = b1 * s["z"] + (f32(1) - b1) * gp - (d_t - b1 * s["d"]) * w
    return -z / d_t, {"d": d_t, "v": v, "z": z}


def ref_jl_sgd(w, g, s, lr, wd, t, hp):  # MXNet.jl: grad/batch, clip, + wd*w
    gp = clip(f32(RESCALE) * g) + f32(wd) * w
    if hp.get("momentum", 0) > 0:
        mom = f32(hp["momentum"]) * s["mom"] - f32(lr) * gp
        return w + mom, {"mom": mom}
    return w - f32(lr) * gp, {}


def ref_jl_adam(w, g, s, lr, wd, t, hp):
    gp = clip(f32(RESCALE) * g) + f32(wd) * w
    m = (f32(1) - f32(0.9)) * gp + f32(0.9) * s["mt"]
    v = (f32(1) - f32(0.999)) * gp * gp + f32(0.999) * s["vt"]
    out = w - _bias_lr(lr, t, 0.9, 0.999) * m / (np.sqrt(v) + f32(1e-8))
    return out, {"mt": m, "vt": v}


def _py(name):
    return lambda **kw: mx.optimizer.create(name, **kw)


def _jl(cls):
    def make(learning_rate, wd, clip_gradient, **kw):
        return cls(lr=learning_rate, weight_decay=wd, grad_clip=clip_gradient, **kw)
    return make


# (id, factory, hyper-parameters, reference, slots, decays biases)
CASES = [
    ("sgd", _py("sgd"), {}, ref_sgd, (), False),
    ("sgd-momentum", _py("sgd"), {"momentum": 0.9}, ref_sgd, ("mom",), False),
    ("nag", _py("nag"), {"momentum": 0.9}, ref_nag, ("mom",), False),
    ("nag-no-momentum", _py("nag"), {}, ref_nag, (), False),
    ("adam", _py("adam"), {}, ref_adam, ("mean", "var"), False),
    ("adamw", _py("adamw"), {}, ref_adamw, ("mean", "var"), False),
    ("rmsprop", _py("rmsprop"), {}, ref_rmsprop, ("n",), False),
    ("rmsprop-centered", _py("rmsprop"), {"centered": True, "clip_weights": 1.2},
     ref_rmsprop, ("n", "g", "delta"), False),
    ("adagrad", _py("adagrad"), {}, ref_adagrad, ("history",), False),
    ("adadelta", _py("adadelta"), {}, ref_adadelta, ("acc_g", "acc_delta"), False),
    ("signum", _py("signum"), {"wd_lh": 0.02}, ref_signum, ("mom",), False),
    ("signsgd", _py("signum"), {"momentum": 0.0}, ref_signum, (), False),
    ("ftml", _py("ftml"), {}, ref_ftml, ("d", "v", "z"), False),
    ("jl-sgd", _jl(mxjl.SGD), {"momentum": 0.9}, ref_jl_sgd, ("mom",), True),
    ("jl-adam", _jl(mxjl.ADAM), {}, ref_jl_adam, ("mt", "vt"), True),
]
IDS = [c[0] for c in CASES]


def make_opt(case, **extra):
    _, factory, hp, *_ = case
    kw = {"learning_rate": LR, "wd": WD, "clip_gradient": CLIP}
    opt = factory(**kw, **hp, **extra)
    opt.rescale_grad = RESCALE
    return opt


def data(seed=0):
    rng = np.random.default_rng(seed)
    params = {n: rng.normal(size=s).astype(f32) for n, s in SHAPES.items()}
    grads = [{n: rng.normal(size=s).astype(f32) for n, s in SHAPES.items()}
             for _ in range(STEPS)]
    return params, grads


def run_reference(case):
    _, _, hp, ref, slots, decays_bias = case
    params, grads = data()
    state = {n: {k: np.zeros(s, f32) for k in slots} for n, s in SHAPES.items()}
    for t, grad in enumerate(grads, start=1):
        for n in params:
            wd = WD if (n.endswith("_weight") or decays_bias) else 0.0
            params[n], state[n] = ref(params[n], grad[n], state[n], LR, wd, t, hp)
    return params, state


def apply(opt, params, grads, state, t=1):
    """The pure update with the optimizer's current hyper-parameters, update ``t``."""
    return opt.apply(params, grads, state, opt.hyper_tree(list(params)), t=jnp.int32(t))


def run_apply(opt, steps=STEPS):
    params, grads = data()
    params = {n: jnp.asarray(v) for n, v in params.items()}
    state = opt.init_state(params)
    step = jax.jit(lambda p, g, s, h, t: opt.apply(p, g, s, h, t=t))
    for t, grad in enumerate(grads[:steps], start=1):
        params, state = step(params, {n: jnp.asarray(v) for n, v in grad.items()},
                             state, opt.hyper_tree(list(params)), jnp.int32(t))
    return params, state


def run_updater(updater, steps=STEPS, weights=None, start=0):
    params, grads = data()
    weights = weights or {i: mx.nd.array(params[n]) for i, n in NAMES.items()}
    for grad in grads[start:start + steps]:
        for i, n in NAMES.items():
            updater(i, mx.nd.array(grad[n]), weights[i])
    return weights


@pytest.fixture(params=CASES, ids=IDS)
def case(request):
    return request.param


_APPLIED: dict = {}


def applied(case):
    """``run_apply`` for the full table case, computed once per case."""
    if case[0] not in _APPLIED:
        _APPLIED[case[0]] = run_apply(make_opt(case, param_idx2name=NAMES))
    return _APPLIED[case[0]]


@pytest.mark.slow
def test_apply_matches_mxnet_formula(case):
    params, state = applied(case)
    want_params, want_state = run_reference(case)
    for n in SHAPES:
        np.testing.assert_allclose(params[n], want_params[n], rtol=2e-5, atol=1e-6)
        assert set(state["slots"][n]) == set(want_state[n])
        for k, v in want_state[n].items():
            np.testing.assert_allclose(state["slots"][n][k], v, rtol=2e-5, atol=1e-6)


@pytest.mark.slow
def test_imperative_update_equals_apply(case):
    pure, _ = applied(case)
    updater = mx.optimizer.get_updater(make_opt(case, param_idx2name=NAMES))
    weights = run_updater(updater)
    for i, n in NAMES.items():
        np.testing.assert_allclose(weights[i].asnumpy(), pure[n], rtol=1e-6, atol=1e-7)
    state0 = updater.states[0]
    n_slots = len(case[4])
    if n_slots == 0:
        assert state0 is None
    elif n_slots == 1 and case[0] not in ("rmsprop",):
        assert isinstance(state0, mx.nd.NDArray)  # MXNet's state shapes
    else:
        assert isinstance(state0, tuple) and len(state0) == n_slots


@pytest.mark.slow
def test_states_round_trip_without_pickle(case):
    want, _ = applied(case)  # == an uninterrupted updater run (test above)
    first = mx.optimizer.get_updater(make_opt(case, param_idx2name=NAMES))
    weights = run_updater(first, steps=2)
    blob = first.get_states()
    assert isinstance(blob, bytes) and not blob.startswith(b"\x80")  # no pickle PROTO
    assert blob[:8] == (0x112).to_bytes(8, "little")  # an mx.nd.save file
    resumed = mx.optimizer.get_updater(make_opt(case, param_idx2name=NAMES))
    resumed.set_states(blob)
    got = run_updater(resumed, steps=STEPS - 2, weights=weights, start=2)
    for i, n in NAMES.items():  # counts restored: Adam's bias correction goes on
        np.testing.assert_allclose(got[i].asnumpy(), want[n], rtol=1e-6, atol=1e-7)


def test_pure_state_round_trip(case):
    opt = make_opt(case, param_idx2name=NAMES)
    params, state = run_apply(opt, steps=2)
    blob = mx.optimizer.dumps_state(opt, state, num_update=2)
    back, count = mx.optimizer.loads_state(opt, blob, params)
    assert count == 2
    for n, slots in state["slots"].items():
        for k, v in slots.items():
            np.testing.assert_array_equal(back["slots"][n][k], v)


# ---------------------------------------------------------------------------
# Single-aspect behaviour


def test_clip_comes_after_rescale():
    opt = mx.optimizer.SGD(learning_rate=1.0, rescale_grad=0.1, clip_gradient=0.5)
    w = mx.nd.zeros((1,))
    opt.update(0, w, mx.nd.array([10.0]), None)
    assert w.asnumpy()[0] == pytest.approx(-0.5)  # clip(0.1*10) = 0.5, not 0.1*clip(10)


@pytest.mark.parametrize("clip_gradient", [None, 0, -1.0])
def test_clip_off_for_none_zero_or_negative(clip_gradient):
    opt = mx.optimizer.AdaGrad(learning_rate=1.0, clip_gradient=clip_gradient)
    w = mx.nd.zeros((1,))
    opt.update(0, w, mx.nd.array([10.0]), opt.create_state(0, w))
    assert w.asnumpy()[0] == pytest.approx(-1.0, rel=1e-5)


def _decayed(opt, names):
    params = {n: jnp.ones((2,)) for n in names}
    zero = {n: jnp.zeros((2,)) for n in names}
    new, _ = apply(opt, params, zero, opt.init_state(params))
    return {n: float(new[n][0]) < 1.0 for n in names}


def test_wd_only_on_weight_and_gamma_when_names_are_known():
    names = ["fc_weight", "fc_bias", "bn_gamma", "bn_beta", "bn_moving_mean"]
    opt = mx.optimizer.SGD(wd=0.1, param_idx2name=dict(enumerate(names)))
    assert _decayed(opt, names) == {"fc_weight": True, "fc_bias": False,
                                    "bn_gamma": True, "bn_beta": False,
                                    "bn_moving_mean": False}
    assert all(_decayed(mx.optimizer.SGD(wd=0.1), names).values())  # MXNet: no names
    assert all(_decayed(mxjl.SGD(weight_decay=0.1, param_idx2name=dict(enumerate(names))),
                        names).values())  # MXNet.jl decays everything


@pytest.mark.slow
@pytest.mark.parametrize("name", ["adam", "rmsprop"])
def test_zero_weight_decay_never_reads_the_weight(name):
    # A known zero decay is skipped, not added as 0*w (a pass over w saved per
    # step); the proof is that an inf weight does not turn its state into NaN.
    opt = mx.optimizer.create(name, learning_rate=0.1, wd=0.0)
    params = {"w": jnp.array([np.inf, 1.0], jnp.float32)}
    grads = {"w": jnp.array([0.5, -0.5], jnp.float32)}
    _, state = jax.jit(lambda *a: apply(opt, *a))(params, grads, opt.init_state(params))
    for slot, value in state["slots"]["w"].items():
        assert np.isfinite(np.asarray(value)).all(), (slot, value)
    decayed = mx.optimizer.create(name, learning_rate=0.1, wd=0.5)
    _, state = apply(decayed, params, grads, decayed.init_state(params))
    assert not all(np.isfinite(np.asarray(v)).all() for v in state["slots"]["w"].values())


def test_lr_and_wd_multipliers_from_dicts_and_symbol_attributes():
    data = mx.sym.var("data")
    w = mx.sym.var("fc_weight", lr_mult=0.0)
    b = mx.sym.var("fc_bias", wd_mult=1.0)
    sym = mx.sym.FullyConnected(data=data, weight=w, bias=b, num_hidden=2, name="fc")
    names = {0: "fc_weight", 1: "fc_bias"}
    opt = mx.optimizer.SGD(learning_rate=0.5, wd=0.1, sym=sym, param_idx2name=names)
    assert opt.lr_mult == {"fc_weight": 0.0} and opt.wd_mult["fc_bias"] == 1.0
    params = {"fc_weight": jnp.ones((2, 3)), "fc_bias": jnp.ones((2,))}
    grads = {k: jnp.ones_like(v) for k, v in params.items()}
    new, _ = apply(opt, params, grads, opt.init_state(params))
    np.testing.assert_array_equal(new["fc_weight"], 1.0)  # lr_mult 0 freezes it
    assert float(new["fc_bias"][0]) == pytest.approx(1 - 0.5 * 0.1 - 0.5)
    opt.set_lr_mult({"fc_weight": 2.0})
    assert opt._get_lr(0) == 1.0 and opt._get_wd(1) == pytest.approx(0.1)
    opt.set_wd_mult({})
    assert opt._get_wd(1) == pytest.approx(0.1)  # the symbol's __wd_mult__ stays


def test_schedule_drives_lr_without_recompiling():
    sched = mx.lr_scheduler.FactorScheduler(step=1, factor=0.5, base_lr=1.0)
    opt = mx.optimizer.SGD(lr_scheduler=sched)
    params = {"fc_weight": jnp.zeros((3,))}
    grads = {"fc_weight": jnp.ones((3,))}
    state = opt.init_state(params)
    step = jax.jit(lambda p, g, s, h, t: opt.apply(p, g, s, h, t=t))
    lrs = []
    for n in range(1, 5):
        lrs.append(opt.lr_at(n))  # the host's answer; the step computes its own
        params, state = step(params, grads, state, opt.hyper_tree(["fc_weight"]),
                             jnp.int32(n))
    assert lrs == [1.0, 0.5, 0.25, 0.125]
    assert float(params["fc_weight"][0]) == pytest.approx(-sum(lrs))
    sched.base_lr = 2.0  # a traced value: the same program, the new rate
    params, state = step(params, grads, state, opt.hyper_tree(["fc_weight"]),
                         jnp.int32(1))
    assert float(params["fc_weight"][0]) == pytest.approx(-sum(lrs) - 2.0)
    assert step._cache_size() == 1


def test_adam_bias_correction_counts_from_begin_num_update():
    opt = mx.optimizer.Adam(learning_rate=0.1, begin_num_update=10)
    w = mx.nd.ones((1,))
    opt.update(0, w, mx.nd.array([1.0]), opt.create_state(0, w))
    lr_t = 0.1 * math.sqrt(1 - 0.999 ** 11) / (1 - 0.9 ** 11)
    m, v = 0.1, 0.001
    assert w.asnumpy()[0] == pytest.approx(1 - lr_t * m / (math.sqrt(v) + 1e-8), rel=1e-6)
    assert opt.num_update == 11


def test_multi_precision_keeps_a_float32_master_copy():
    opt = mx.optimizer.SGD(learning_rate=0.1, momentum=0.9, multi_precision=True)
    w16 = mx.nd.array(np.full((4,), 1.0, np.float16), dtype="float16")
    updater = mx.optimizer.get_updater(opt)
    for _ in range(3):
        updater(0, mx.nd.array(np.full((4,), 1e-3, np.float16), dtype="float16"), w16)
    _mom, master = updater.states[0]
    assert master.dtype == np.float32 and w16.dtype == np.float16
    ref = mx.optimizer.SGD(learning_rate=0.1, momentum=0.9)
    w32 = mx.nd.ones((4,))
    state = ref.create_state(0, w32)
    for _ in range(3):
        ref.update(0, w32, mx.nd.array(np.full((4,), np.float16(1e-3))), state)
    np.testing.assert_array_equal(master.asnumpy(), w32.asnumpy())
    np.testing.assert_array_equal(w16.asnumpy(), w32.asnumpy().astype(np.float16))


def test_set_states_refuses_garbage_pickles_and_truncation():
    updater = mx.optimizer.get_updater(mx.optimizer.Adam())
    run_updater(updater, steps=1)
    blob = updater.get_states()
    for bad in (b"", b"garbage" * 10, np.random.default_rng(0).bytes(300),
                pickle.dumps({0: None}), blob[:-7], blob[:40]):
        with pytest.raises(FormatError) as info:
            updater.set_states(bad)
        assert isinstance(info.value, MXNetError)
    plain = mx.nd.serialization.dumps_arrays({"w": np.zeros(2, f32)})
    with pytest.raises(FormatError, match="without the mxlite states header"):
        updater.set_states(plain)


def test_dump_optimizer_restores_its_configuration():
    sched = mx.lr_scheduler.MultiFactorScheduler([2, 4], factor=0.5, base_lr=0.2)
    opt = mx.optimizer.RMSProp(learning_rate=None, lr_scheduler=sched, centered=True,
                               gamma1=0.8, param_idx2name=NAMES, wd=0.01)
    opt.set_lr_mult({"fc_bias": 3.0})
    updater = mx.optimizer.get_updater(opt)
    run_updater(updater, steps=3)
    other = mx.optimizer.get_updater(mx.optimizer.SGD())
    other.set_states(updater.get_states(dump_optimizer=True))
    got = other.optimizer
    assert type(got) is mx.optimizer.RMSProp and got.centered and got.gamma1 == 0.8
    assert got.lr_mult == {"fc_bias": 3.0} and got.wd_mult == {"fc_bias": 0.0}
    assert got.num_update == 3 and got.lr_at(5) == opt.lr_at(5) == 0.05
    jl = mx.optimizer.get_updater(mxjl.ADAM(lr=0.01, weight_decay=0.5))
    run_updater(jl, steps=1)
    fresh = mx.optimizer.get_updater(mx.optimizer.SGD())
    fresh.set_states(jl.get_states(dump_optimizer=True))
    assert type(fresh.optimizer) is mxjl.ADAM and fresh.optimizer.wd == 0.5


def test_unknown_name_suggests_the_closest():
    with pytest.raises(ParamError, match=r"unknown optimizer 'sdg'\. Did you mean 'sgd'"):
        mx.optimizer.create("sdg")
    assert isinstance(mx.optimizer.create("Adam"), mx.optimizer.Adam)
    assert isinstance(mx.optimizer.Optimizer.create_optimizer("ccsgd"), mx.optimizer.SGD)


def test_mxnet_jl_spellings():
    opt = mxjl.SGD(lr=0.1, momentum=0.9, weight_decay=0.00001)
    assert (opt.lr, opt.momentum, opt.wd, opt.clip_gradient) == (0.1, 0.9, 1e-5, 0.0)
    assert mxjl.SGD().wd == 0.0001 and mxjl.ADAM().wd == 0.00001 and mxjl.ADAM().lr == 0.001
    assert mxjl.SGD is not mx.optimizer.SGD
    with pytest.raises(ParamError, match="spell 'learning_rate' as lr"):
        mxjl.SGD(learning_rate=0.1)
    with pytest.raises(ParamError, match="momentum_scheduler"):
        mxjl.SGD(momentum_scheduler=object())
    # grad / batch_size (rescale_grad), clip, then + wd*w, on every parameter
    jl = mxjl.SGD(lr=1.0, grad_clip=0.5, weight_decay=0.1, rescale_grad=0.1)
    w = mx.nd.ones((1,))
    jl.update("fc_bias", w, mx.nd.array([10.0]), None)
    assert w.asnumpy()[0] == pytest.approx(1 - (0.5 + 0.1))


def test_bad_hyper_parameters_and_shapes_are_clear_errors():
    with pytest.raises(ParamError, match="momentum must be a number >= 0"):
        mx.optimizer.SGD(momentum=-0.1)
    with pytest.raises(ParamError, match=r"beta1 must be a number in \[0.0, 1.0\)"):
        mx.optimizer.Adam(beta1=1.0)
    opt = mx.optimizer.SGD()
    with pytest.raises(MXNetError, match="weight has shape \\(2,\\) but grad has shape"):
        opt.update(0, mx.nd.ones((2,)), mx.nd.ones((3,)), None)
    with pytest.raises(ParamError, match="no gradient for \\['b'\\]"):
        apply(opt, {"b": jnp.ones(1)}, {}, opt.init_state({"b": jnp.ones(1)}))
    with pytest.raises(ParamError, match="has an lr_scheduler"):
        mx.optimizer.SGD(lr_scheduler=mx.lr_scheduler.FactorScheduler(2)
                         ).set_learning_rate(0.1)
