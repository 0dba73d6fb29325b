"""Mocha.jl's learning-rate and momentum policies against their formulas.

The references are written from Mocha's ``src/solvers/policies.jl`` (the
formulas at ``state.iter``; ``Staged`` switching stage when ``iter`` reaches
the accumulated length, evaluating the stage's policy at the global
``iter``), not from mxlite's code. Each policy is checked on the host
(``at``) and in its traced form inside ``jax.jit``.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from mxlite.base import ParamError
from mxlite.optimizer._rule import hyper_dtype
from mxlite.optimizer.mocha_policy import (
    DecayOnValidation,
    LRExp,
    LRFixed,
    LRInv,
    LRPolicy,
    LRPoly,
    LRStaged,
    LRStep,
    MomFixed,
    MomLinear,
    MomPolicy,
    MomStaged,
    MomStep,
)

ITERS = [0, 1, 2, 5, 9, 10, 11, 99, 100, 101, 250, 10000]


def _staged_ref(stages, it):
    end = 0
    for i, (n, f) in enumerate(stages):
        end += n
        if it < end or i == len(stages) - 1:
            return f(it)
    raise AssertionError("unreachable")


CASES = [
    (LRFixed(0.01), lambda it: 0.01),
    (LRStep(0.1, 0.5, 10), lambda it: 0.1 * 0.5 ** math.floor(it / 10)),
    (LRExp(0.1, 0.999), lambda it: 0.1 * 0.999 ** it),
    (LRInv(0.01, 0.0001, 0.75), lambda it: 0.01 * (1 + 0.0001 * it) ** -0.75),
    (LRPoly(0.1, 2.0, 200), lambda it: 0.1 * (1 - it / 200) ** 2 if it <= 200 else 0.0),
    (LRStaged((10, LRFixed(0.1)), (90, LRExp(0.1, 0.99)), (1, LRInv(0.1, 0.01, 0.5))),
     lambda it: _staged_ref([(10, lambda i: 0.1), (90, lambda i: 0.1 * 0.99 ** i),
                             (1, lambda i: 0.1 * (1 + 0.01 * i) ** -0.5)], it)),
    (MomFixed(0.9), lambda it: 0.9),
    (MomStep(0.5, 1.2, 10, 0.95), lambda it: min(0.5 * 1.2 ** math.floor(it / 10), 0.95)),
    (MomLinear(0.5, 0.1, 10, 0.95), lambda it: min(0.5 + math.floor(it / 10) * 0.1, 0.95)),
    (MomStaged((100, MomFixed(0.5)), (0, MomFixed(0.7)), (5, MomLinear(0.8, 0.01, 1, 1.0))),
     lambda it: _staged_ref([(100, lambda i: 0.5), (0, lambda i: 0.7),
                             (5, lambda i: min(0.8 + i * 0.01, 1.0))], it)),
]
IDS = [repr(p) for p, _ in CASES]


@pytest.mark.parametrize(("policy", "ref"), CASES, ids=IDS)
def test_host_value_is_mochas_formula(policy, ref):
    for it in ITERS:
        assert policy.at(it) == pytest.approx(ref(it), rel=1e-12, abs=1e-15), it


@pytest.mark.parametrize(("policy", "ref"), CASES, ids=IDS)
def test_traced_value_inside_jit_agrees_with_the_host(policy, ref):
    assert policy.traceable()
    run = jax.jit(jax.vmap(policy.traced, in_axes=(None, 0)))
    values = jax.tree_util.tree_map(lambda v: jnp.asarray(v, hyper_dtype()),
                                    policy.traced_values())
    got = np.asarray(run(values, jnp.asarray(ITERS, jnp.int32)))
    want = [policy.at(it) for it in ITERS]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_staged_evaluates_each_stage_at_the_global_iteration():
    p = LRStaged((3, LRFixed(1.0)), (10, LRExp(1.0, 0.5)))
    # iter 3 is the first of stage 2, and Exp sees 3 (not 0).
    assert [p.stage_at(i) for i in (0, 2, 3, 12, 13, 500)] == [0, 0, 1, 1, 1, 1]
    assert p.at(3) == 0.125
    assert p.initial() == 1.0


def test_namespaces_spell_mochas_names():
    assert LRPolicy.Inv is LRInv and LRPolicy.Staged is LRStaged
    assert LRPolicy.DecayOnValidation is DecayOnValidation
    assert MomPolicy.Fixed is MomFixed and MomPolicy.Linear is MomLinear
    assert repr(LRPolicy.Inv(0.01, 0.0001, 0.75)) == "LRPolicy.Inv(0.01, 0.0001, 0.75)"
    assert repr(MomStaged((3, MomFixed(0.5)))) == "MomPolicy.Staged((3, MomPolicy.Fixed(0.5)))"


def test_decay_on_validation_compares_with_the_previous_value():
    p = DecayOnValidation(0.1, "accuracy-accuracy", 0.5, 0.03)
    assert p.at(7) == 0.1 and p.initial() == 0.1
    assert p.on_validation(0.9) is False  # nothing to compare with yet
    assert p.on_validation(0.95) is False
    assert p.on_validation(0.93) is True and p.at(7) == 0.05
    assert p.on_validation(0.92) is True and p.at(7) == 0.025  # vs 0.93, not the best
    assert p.on_validation(0.91) is False  # curr_lr < min_lr: no more decay
    assert p.on_validation(0.99, previous=1.0) is False
    lower = DecayOnValidation(1.0, "loss", 0.1, higher_better=False)
    lower.on_validation(2.0)
    assert lower.on_validation(1.0) is False and lower.on_validation(3.0) is True
    assert lower.at(1) == pytest.approx(0.1)


def test_decay_on_validation_rate_is_traced_and_its_state_round_trips():
    p = DecayOnValidation(0.2, "acc")
    structure = p.structure()
    run = jax.jit(p.traced)
    t = jnp.int32(5)
    assert float(run(jax.tree_util.tree_map(jnp.asarray, p.traced_values()), t)) == 0.2
    p.on_validation(1.0)
    p.on_validation(0.5)
    assert p.structure() == structure
    assert float(run(jax.tree_util.tree_map(jnp.asarray, p.traced_values()), t)) == 0.1
    state = p.state_dict()
    assert state == {"curr_lr": 0.1, "last": 0.5}
    assert all(isinstance(v, float) for v in state.values())
    q = DecayOnValidation(0.2, "acc")
    assert math.isnan(q.state_dict()["last"])
    q.load_state_dict(state)
    assert q.at(1) == 0.1 and q.on_validation(0.4) is True


def test_changing_a_value_keeps_the_structure():
    p = LRStaged((5, LRStep(0.1, 0.5, 2)), (5, LRFixed(0.01)))
    s = p.structure()
    p.stages[0].gamma = 0.9
    assert p.structure() == s
    assert p.traced_values()["0"]["gamma"] == 0.9
    assert LRStep(0.1, 0.5, 3).structure() != LRStep(0.1, 0.5, 2).structure()


@pytest.mark.parametrize(("make", "message"), [
    (lambda: LRStep(0.1, 0.5, 0), r"LRPolicy\.Step: stepsize must be an int >= 1; got 0"),
    (lambda: LRStep(0.1, 0.5, 2.5), r"LRPolicy\.Step: stepsize .*got 2\.5"),
    (lambda: LRFixed(-1.0), r"LRPolicy\.Fixed: base_lr must be a finite number >= 0; "
                            r"got -1\.0"),
    (lambda: LRInv(0.01, -1.0, 0.75), r"LRPolicy\.Inv: gamma .*got -1\.0"),
    (lambda: LRExp(0.1, "0.9"), r"LRPolicy\.Exp: gamma .*got '0\.9'"),
    (lambda: LRPoly(0.1, 2.0, 0), r"LRPolicy\.Poly: max_iter must be an int >= 1; got 0"),
    (lambda: MomStep(0.5, 1.1, 10, math.nan), r"MomPolicy\.Step: max_mom .*got nan"),
    (lambda: MomLinear(0.5, 0.1, -3, 0.9), r"MomPolicy\.Linear: stepsize .*got -3"),
    (lambda: LRStaged(), r"LRPolicy\.Staged: needs at least one"),
    (lambda: LRStaged((10, MomFixed(0.9))), r"LRPolicy\.Staged: each stage .*LRPolicy"),
    (lambda: MomStaged((-1, MomFixed(0.9))), r"MomPolicy\.Staged: each stage .*got \(-1"),
    (lambda: DecayOnValidation(0.1, ""), r"DecayOnValidation: key must be"),
])
def test_bad_arguments_name_the_policy_and_the_value(make, message):
    with pytest.raises(ParamError, match=message):
        make()
