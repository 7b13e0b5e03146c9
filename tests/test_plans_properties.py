"""Hypothesis invariants of the plans: budget balance, non-negative pay, monotone curves, tiers."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.plans import Groups, build_plan
from sim.plans.curves import payout_curve, tiered_amount

amounts = st.lists(st.floats(0, 1e4, allow_nan=False), min_size=1, max_size=30)


@st.composite
def pool_case(draw):
    n = draw(st.integers(1, 25))
    pools = draw(st.integers(1, 3))
    units = draw(st.integers(1, 4))
    unit = np.array(draw(st.lists(st.integers(0, units - 1), min_size=n, max_size=n)))
    # units belong to pools: unit u is in pool u % pools
    pool = unit % pools
    active = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    cfg = {
        "kind": draw(st.sampled_from(["gain_sharing", "team_scorecard"])),
        "equal_share": draw(st.floats(0, 1)),
        "split": draw(st.sampled_from(["proportional", "rank"])),
        "leavers": draw(st.sampled_from(["forfeit", "paid"])),
        "frontline_weight": draw(st.floats(0.1, 5)),
        "support_weight": draw(st.floats(0.1, 5)),
        "contribution": {"revenue": 1.0},
    }
    if cfg["kind"] == "gain_sharing":
        cfg["base"] = {"margin": draw(st.floats(0, 1))}
        cfg["deduction"] = draw(st.floats(0, 100))
    else:
        cfg.update(weights={"margin": 1.0}, target={"margin": draw(st.floats(0.1, 100))},
                   bonus=draw(st.floats(0, 10)))
    groups = Groups(pool=pool, unit=unit, frontline=np.array(draw(
        st.lists(st.booleans(), min_size=units, max_size=units))),
        score=np.array(draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 1.7]), min_size=units,
                                     max_size=units))),
        active=active)
    measures = {
        "margin": np.array(draw(st.lists(st.floats(0, 1e3), min_size=n, max_size=n))),
        "revenue": np.array(draw(st.lists(st.floats(0, 1e3), min_size=n, max_size=n))),
    }
    return build_plan(cfg), groups, measures


@settings(max_examples=200, deadline=None)
@given(pool_case())
def test_pool_payouts_sum_exactly_to_the_pool(case):
    plan, groups, measures = case
    pay, _ = plan.pay(measures, plan.initial_state(groups.pool.size), groups)
    assert (pay >= 0).all()
    pool = plan.pool_total(measures, 1.0, groups)
    members = groups.active if plan.leavers == "forfeit" else np.ones_like(groups.active)
    has_members = np.bincount(groups.pool, weights=members.astype(float),
                              minlength=pool.size) > 0
    # Units with no members forfeit their share only if nobody can receive it.
    paid = np.bincount(groups.pool, weights=pay, minlength=pool.size)
    unit_has = np.bincount(groups.unit, weights=members.astype(float)) > 0
    if unit_has.all():
        np.testing.assert_allclose(paid[has_members], pool[has_members], rtol=1e-9, atol=1e-9)
    assert (paid <= pool * (1 + 1e-9) + 1e-9).all()


@st.composite
def curve(draw):
    k = draw(st.integers(1, 5))
    xs = sorted(draw(st.lists(st.floats(0, 3), min_size=k, max_size=k, unique=True)))
    ys = sorted(draw(st.lists(st.floats(0, 3), min_size=k, max_size=k)))
    return np.array(xs), np.array(ys)


@settings(max_examples=200, deadline=None)
@given(curve(), amounts)
def test_payout_curves_are_monotone_and_non_negative(c, atts):
    x, y = c
    att = np.sort(np.array(atts) / 1e3)
    out = payout_curve(att, x, y)
    assert (out >= 0).all()
    assert (np.diff(out) >= -1e-12).all()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 0.2), min_size=1, max_size=4), amounts)
def test_marginal_and_retroactive_tiers_agree_where_they_must(rates, ys):
    rates = np.sort(np.array(rates))  # non-decreasing: allowed for both styles
    starts = np.arange(rates.size) * 100.0
    y = np.array(ys)
    marginal = tiered_amount(y, starts, rates, retroactive=False)
    retro = tiered_amount(y, starts, rates, retroactive=True)
    # Inside the first tier (and for a single tier everywhere) they are the same plan.
    first = y < (starts[1] if rates.size > 1 else np.inf)
    np.testing.assert_allclose(marginal[first], retro[first], rtol=1e-12)
    # With non-decreasing rates, retroactive never pays less than marginal.
    assert (retro >= marginal - 1e-9).all()
    # Both are non-decreasing in the measure.
    order = np.argsort(y)
    assert (np.diff(marginal[order]) >= -1e-9).all() and (np.diff(retro[order]) >= -1e-9).all()


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["commission", "target_bonus", "quota_bonus"]), amounts,
       st.floats(0, 0.5))
def test_individual_pay_is_non_negative_and_monotone_in_the_measure(kind, ys, rate):
    cfg = {"commission": {"kind": "commission", "rate": rate, "measure": "kpi"},
           "target_bonus": {"kind": "target_bonus", "bonus": 10 * rate},
           "quota_bonus": {"kind": "quota_bonus", "measure": "kpi", "quota": 500.0,
                           "bonus": 10 * rate}}[kind]
    plan = build_plan(cfg)
    y = np.sort(np.array(ys))
    pay, _ = plan.pay({"kpi": y}, plan.initial_state(y.size))
    assert (pay >= 0).all()
    assert (np.diff(pay) >= -1e-12).all()
