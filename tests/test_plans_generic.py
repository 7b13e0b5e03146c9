"""Generic suite over the plan registry: construction, pickling, and declared properties hold."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from sim.plans import PLANS, Groups, PlanError, PoolPlan, build_plan
from tests.conftest import PLAN_EXAMPLES, random_measures

CASES = [(kind, i) for kind in PLAN_EXAMPLES for i in range(len(PLAN_EXAMPLES[kind]))]
N = 12


def make(kind: str, i: int):
    return build_plan(PLAN_EXAMPLES[kind][i])


def groups_for(n: int = N) -> Groups:
    # Two pools of two units each; one unit is support, to exercise the unit split.
    pool = np.repeat([0, 1], n // 2)
    unit = np.repeat([0, 1, 2, 3], n // 4)
    return Groups(pool=pool, unit=unit, frontline=np.array([True, False, True, True]),
                  score=np.array([1.0, 0.8, 1.2, 1.0]), active=np.ones(n, dtype=bool))


def run_period(plan, months, groups):
    """Total pay per person over a list of monthly measure dicts, plus states."""
    state = plan.initial_state(N)
    total = np.zeros(N)
    pays = []
    for m in months:
        pay, state = plan.pay(m, state, groups)
        total += pay
        pays.append(pay)
    return total, pays, state


def months_of(plan, rng, scale=10.0):
    return [random_measures(rng, plan.measures, N, scale) for _ in range(plan.period)]


def test_every_registered_plan_has_examples():
    assert set(PLANS) == set(PLAN_EXAMPLES)


@pytest.mark.parametrize(("kind", "i"), CASES)
def test_round_trip_through_config(kind, i):
    plan = make(kind, i)
    assert build_plan(plan.to_config()) == plan


@pytest.mark.parametrize(("kind", "i"), CASES)
def test_pickles_and_pays_the_same(kind, i):
    plan = make(kind, i)
    clone = pickle.loads(pickle.dumps(plan))
    assert clone == plan
    rng = np.random.default_rng(1)
    months = months_of(plan, rng)
    a, _, _ = run_period(plan, months, groups_for())
    b, _, _ = run_period(clone, months, groups_for())
    assert np.array_equal(a, b)


@pytest.mark.parametrize(("kind", "i"), CASES)
def test_declares_its_properties(kind, i):
    props = make(kind, i).properties
    assert props["scope"] in ("individual", "team", "pool")
    assert props["crediting"] in ("booking", "delivery", "collection")
    assert isinstance(props["budget_balanced"], bool) and isinstance(props["linear"], bool)
    assert props["pool_level"] in ("firm", "unit", "team")
    # Only a pool plan's pool can reach beyond the team.
    assert props["scope"] == "pool" or props["pool_level"] == "team"


@pytest.mark.parametrize(("kind", "i"), CASES)
def test_periodic_means_accrual_sums_to_period_payout(kind, i):
    plan = make(kind, i)
    assert plan.periodic == (plan.period > 1)
    rng = np.random.default_rng(2)
    months = months_of(plan, rng)
    total, _pays, state = run_period(plan, months, groups_for())
    cum = {m: sum(mo[m] for mo in months) for m in plan.measures}
    expect = plan.accrued(cum, 1.0, plan.initial_state(N), groups_for())
    np.testing.assert_allclose(total, expect, rtol=1e-12, atol=1e-12)
    assert state.month == 0 and all(np.all(v == 0) for v in state.cum.values())
    # One more month starts a fresh period: pay depends on that month alone.
    fresh = plan.initial_state(N)
    fresh.target = state.target
    again, _ = plan.pay(months[0], state, groups_for())
    first, _ = plan.pay(months[0], fresh, groups_for())
    np.testing.assert_allclose(again, first)


@pytest.mark.parametrize(("kind", "i"), CASES)
@pytest.mark.parametrize("factor", [0.5, 1.3])
def test_scaled_plan_pays_factor_times_as_much(kind, i, factor):
    """The pay-raise policy's contract: same shape, every payout times the factor."""
    plan = make(kind, i)
    raised = plan.scaled(factor)
    assert type(raised) is type(plan)
    assert raised.scaled(1 / factor).to_config().keys() == plan.to_config().keys()
    months = months_of(plan, np.random.default_rng(7))
    base, _, _ = run_period(plan, months, groups_for())
    more, _, _ = run_period(raised, months, groups_for())
    assert more == pytest.approx(factor * base, rel=1e-9, abs=1e-12)
    assert base.sum() > 0  # the example pays something, so the check has teeth


def test_scaled_refuses_a_non_positive_factor():
    with pytest.raises(PlanError, match="factor must be > 0"):
        make("commission", 0).scaled(0.0)


@pytest.mark.parametrize(("kind", "i"), CASES)
def test_accrued_pay_is_never_negative(kind, i):
    plan = make(kind, i)
    rng = np.random.default_rng(3)
    state = plan.initial_state(N)
    for month in months_of(plan, rng) * 2:
        _, state = plan.pay(month, state, groups_for())
        assert (state.accrued >= -1e-12).all()


@pytest.mark.parametrize(("kind", "i"), CASES)
def test_individual_scope_ignores_others(kind, i):
    plan = make(kind, i)
    rng = np.random.default_rng(4)
    months = months_of(plan, rng)
    base, _, _ = run_period(plan, months, groups_for())
    bumped = [{m: v.copy() for m, v in mo.items()} for mo in months]
    for mo in bumped:
        for v in mo.values():
            v[1:] *= 3.0  # everyone but person 0 does much more
    other, _, _ = run_period(plan, bumped, groups_for())
    if plan.scope == "individual":
        assert other[0] == base[0]
    else:
        assert other[0] != base[0], "a team or pool plan must respond to colleagues' results"


@pytest.mark.parametrize(("kind", "i"), CASES)
def test_budget_balanced_means_payouts_sum_to_pool(kind, i):
    plan = make(kind, i)
    rng = np.random.default_rng(5)
    months = months_of(plan, rng)
    total, _, _ = run_period(plan, months, groups_for())
    g = groups_for()
    if plan.budget_balanced:
        assert isinstance(plan, PoolPlan)
        cum = {m: sum(mo[m] for mo in months) for m in plan.measures}
        pool = plan.pool_total(cum, 1.0, g)
        per_pool = np.bincount(g.pool, weights=total)
        np.testing.assert_allclose(per_pool, pool, rtol=1e-12, atol=1e-9)
    else:
        assert not isinstance(plan, PoolPlan)


@pytest.mark.parametrize(("kind", "i"), CASES)
def test_linear_property_holds(kind, i):
    plan = make(kind, i)
    rng = np.random.default_rng(6)
    a, b = months_of(plan, rng), months_of(plan, rng)
    ab = [{m: x[m] + y[m] for m in x} for x, y in zip(a, b, strict=True)]
    zero = [{m: np.zeros(N) for m in x} for x in a]
    g = groups_for()
    pa, pb, pab, p0 = (run_period(plan, ms, g)[0] for ms in (a, b, ab, zero))
    additive = np.allclose(pab + p0, pa + pb, rtol=1e-10, atol=1e-10)
    if plan.linear:
        assert additive
    else:
        # A nonlinear plan must show it somewhere: scale measures far up and down.
        big = [{m: 40 * x[m] for m in x} for x in a]
        small = [{m: x[m] / 40 for m in x} for x in a]
        pbig, psmall = run_period(plan, big, g)[0], run_period(plan, small, g)[0]
        proportional = np.allclose(pbig - p0, 1600 * (psmall - p0), rtol=1e-6, atol=1e-9)
        assert not (additive and proportional)


@pytest.mark.parametrize(("kind", "i"), CASES)
def test_counterfactual_of_realised_measures_is_realised_pay(kind, i):
    plan = make(kind, i)
    rng = np.random.default_rng(7)
    g = groups_for()
    state = plan.initial_state(N)
    for month in months_of(plan, rng):
        cand = {m: np.stack([month[m], month[m] * 1.5, np.zeros(N)], axis=1) for m in month}
        cf = plan.counterfactual(month, cand, state, g)
        pay, state = plan.pay(month, state, g)
        np.testing.assert_allclose(cf[:, 0], pay, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", list(PLANS))
def test_unknown_field_is_named(kind):
    with pytest.raises(PlanError, match=r"plan\.bogus: unknown field"):
        build_plan({"kind": kind, "bogus": 1})


def test_unknown_kind_is_named():
    with pytest.raises(PlanError, match=r"plan\.kind: must be one of"):
        build_plan({"kind": "stock_options"})


@pytest.mark.parametrize(
    ("cfg", "field"),
    [
        ({"kind": "commission", "rate": -0.1}, "commission.rate"),
        ({"kind": "commission", "tiers": [[0, 0.05], [10, 0.02]], "tier_style": "retroactive"},
         "commission.tiers"),
        ({"kind": "target_bonus", "weights": {"a": 0.5, "b": 0.4}, "target": {"a": 1, "b": 1}},
         "target_bonus.weights"),
        ({"kind": "target_bonus", "curve": [[0.5, 1.0], [1.0, 0.5]]}, "target_bonus.curve"),
        ({"kind": "quota_bonus", "quota": 0}, "quota_bonus.quota"),
        ({"kind": "gain_sharing", "equal_share": 1.5}, "gain_sharing.equal_share"),
        ({"kind": "commission", "period": 5}, "commission.period"),
    ],
)
def test_bad_parameters_are_refused_with_their_field(cfg, field):
    with pytest.raises(PlanError, match=field.replace(".", r"\.")):
        build_plan(cfg)
