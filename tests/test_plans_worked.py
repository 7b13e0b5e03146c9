"""Pencil-and-paper worked examples, at least one per plan (numbers computed by hand)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.plans import Groups, build_plan


def one_month(plan, measures, groups=None):
    n = len(next(iter(measures.values())))
    pay, _ = plan.pay({m: np.asarray(v, float) for m, v in measures.items()},
                      plan.initial_state(n), groups)
    return pay


def test_commission_flat_rate():
    plan = build_plan({"kind": "commission", "rate": 0.05})
    assert one_month(plan, {"revenue": [100.0, 0.0]}).tolist() == [5.0, 0.0]


def test_commission_marginal_tiers_with_decelerator():
    # 10 at 2 % + 10 at 5 % + 5 at 1 % = 0.2 + 0.5 + 0.05 = 0.75
    plan = build_plan({"kind": "commission", "tiers": [[0, 0.02], [10, 0.05], [20, 0.01]]})
    assert math.isclose(one_month(plan, {"revenue": [25.0]})[0], 0.75)


def test_commission_retroactive_tiers():
    # The 4 % rate reached at 10 applies to all 15: 0.6; below 10 the 2 % rate: 9 → 0.18
    plan = build_plan({"kind": "commission", "tiers": [[0, 0.02], [10, 0.04]],
                       "tier_style": "retroactive"})
    np.testing.assert_allclose(one_month(plan, {"revenue": [15.0, 9.0]}), [0.6, 0.18])


def test_commission_annual_accumulation_with_cap():
    # 10 a month; 2 % up to 50 cumulative, then 5 %; cap 3.0 per year.
    # Cumulative commission: 0.2, 0.4, ..., 1.0 (month 5), 1.5, 2.0, 2.5, 3.0 (capped), 3.0 ...
    plan = build_plan({"kind": "commission", "tiers": [[0, 0.02], [50, 0.05]], "cap": 3.0,
                       "period": 12})
    state = plan.initial_state(1)
    pays = []
    for _ in range(12):
        pay, state = plan.pay({"revenue": np.array([10.0])}, state)
        pays.append(pay[0])
    np.testing.assert_allclose(pays, [0.2] * 5 + [0.5] * 4 + [0.0] * 3, atol=1e-12)


@pytest.mark.parametrize(("kpi", "annual"), [(1.2, 12.0), (0.4, 0.0), (0.5, 3.0), (2.0, 15.0)])
def test_target_bonus_curve_and_run_rate_accrual(kpi, annual):
    # Target 12/yr, bonus 10. Attainment 1.2 → 1 + (0.2/0.5)·0.5 = 1.2 → 12; 0.4 < threshold → 0;
    # 0.5 → 0.3 → 3; 2.0 → capped at 1.5 → 15. Run-rate accrual pays annual/12 every month.
    plan = build_plan({"kind": "target_bonus", "weights": {"kpi": 1.0}, "target": {"kpi": 12.0},
                       "bonus": 10.0, "curve": [[0.5, 0.3], [1.0, 1.0], [1.5, 1.5]],
                       "period": 12})
    state = plan.initial_state(1)
    pays = []
    for _ in range(12):
        pay, state = plan.pay({"kpi": np.array([kpi])}, state)
        pays.append(pay[0])
    np.testing.assert_allclose(pays, [annual / 12] * 12, atol=1e-12)


def test_target_bonus_ratchet():
    # Result 14.4 on target 12, ratchet 0.5, growth 5 %: next = 1.05·(12 + 0.5·2.4) = 13.86
    plan = build_plan({"kind": "target_bonus", "weights": {"kpi": 1.0}, "target": {"kpi": 12.0},
                       "bonus": 1.0, "period": 12, "ratchet": 0.5, "growth": 0.05})
    state = plan.initial_state(1)
    for _ in range(12):
        _, state = plan.pay({"kpi": np.array([1.2])}, state)
    assert math.isclose(state.target["kpi"][0], 13.86)


def test_quota_bonus_step():
    plan = build_plan({"kind": "quota_bonus", "quota": 5.0, "bonus": 2.0})
    assert one_month(plan, {"revenue": [4.99, 5.0, 7.0]}).tolist() == [0.0, 2.0, 2.0]


def test_quota_bonus_annual_run_rate():
    # Quota 30/yr, bonus 6: 3 a month is on pace (36) and accrues 0.5 a month; 2 a month never.
    plan = build_plan({"kind": "quota_bonus", "quota": 30.0, "bonus": 6.0, "period": 12})
    state = plan.initial_state(2)
    total = np.zeros(2)
    for _ in range(12):
        pay, state = plan.pay({"revenue": np.array([3.0, 2.0])}, state)
        total += pay
    np.testing.assert_allclose(total, [6.0, 0.0])


def test_gain_sharing_equal_and_contribution_split():
    # Pool = 0.2·(10+20+30) = 12. λ = 0.5: 2 each equally, plus 6 by revenue shares 1:1:2.
    plan = build_plan({"kind": "gain_sharing", "base": {"margin": 0.2},
                       "contribution": {"revenue": 1.0}, "equal_share": 0.5})
    pay = one_month(plan, {"margin": [10, 20, 30], "revenue": [1, 1, 2]}, Groups.single(3))
    np.testing.assert_allclose(pay, [3.5, 3.5, 5.0])


def test_gain_sharing_front_line_and_support_units():
    # Pool 12; unit 0 front-line (2 people, weight 2), unit 1 support (2 people, weight 1):
    # front-line unit gets 4/6 = 8, support 4; equal split inside: 4, 4, 2, 2.
    plan = build_plan({"kind": "gain_sharing", "base": {"margin": 0.2}, "equal_share": 1.0,
                       "frontline_weight": 2.0, "support_weight": 1.0})
    g = Groups(pool=np.zeros(4, int), unit=np.array([0, 0, 1, 1]),
               frontline=np.array([True, False]), score=np.ones(2), active=np.ones(4, bool))
    pay = one_month(plan, {"margin": [30, 30, 0, 0], "revenue": [1, 1, 1, 1]}, g)
    np.testing.assert_allclose(pay, [4.0, 4.0, 2.0, 2.0])


def test_gain_sharing_hurdle_and_floor():
    # 0.2·60 − 15 < 0: the pool is floored at 0 and nobody is paid.
    plan = build_plan({"kind": "gain_sharing", "base": {"margin": 0.2}, "deduction": 15.0})
    pay = one_month(plan, {"margin": [10, 20, 30], "revenue": [1, 1, 1]}, Groups.single(3))
    assert pay.tolist() == [0.0, 0.0, 0.0]


def test_gain_sharing_rank_split():
    # λ = 0, ranks 1, 2, 3 of 6: pool 12 → 2, 4, 6.
    plan = build_plan({"kind": "gain_sharing", "base": {"margin": 0.2}, "equal_share": 0.0,
                       "split": "rank"})
    pay = one_month(plan, {"margin": [10, 20, 30], "revenue": [1, 2, 3]}, Groups.single(3))
    np.testing.assert_allclose(pay, [2.0, 4.0, 6.0])


def test_gain_sharing_leaver_forfeits():
    # Person 2 left: the pool (12, funded by everyone's results) is split between the other two.
    plan = build_plan({"kind": "gain_sharing", "base": {"margin": 0.2}, "equal_share": 1.0})
    g = Groups.single(3)
    g = Groups(g.pool, g.unit, g.frontline, g.score, np.array([True, True, False]))
    pay = one_month(plan, {"margin": [10, 20, 30], "revenue": [1, 1, 1]}, g)
    np.testing.assert_allclose(pay, [6.0, 6.0, 0.0])


def test_pool_with_all_unit_scores_zero_is_still_paid_out():
    # Scores of 0 everywhere would leave nothing to weigh units by: split by headcount.
    plan = build_plan({"kind": "gain_sharing", "base": {"margin": 0.2}, "equal_share": 1.0})
    g = Groups(pool=np.zeros(3, int), unit=np.array([0, 0, 1]), frontline=np.array([True, False]),
               score=np.zeros(2), active=np.ones(3, bool))
    pay = one_month(plan, {"margin": [10, 20, 30], "revenue": [1, 1, 1]}, g)
    np.testing.assert_allclose(pay, [4.0, 4.0, 4.0])


def test_team_scorecard_shared_equally():
    # Two members, target 10 each: team revenue 30 → score 1.5 → pot 2·2·1.5 = 6 → 3 each.
    plan = build_plan({"kind": "team_scorecard", "weights": {"revenue": 1.0},
                       "target": {"revenue": 10.0}, "bonus": 2.0})
    pay = one_month(plan, {"revenue": [25.0, 5.0]}, Groups.single(2))
    np.testing.assert_allclose(pay, [3.0, 3.0])


def test_gain_sharing_counterfactual_moves_pool_and_share():
    # Person 0 considers revenue 3 instead of 1 (margin follows at 10 per revenue unit):
    # pool 0.2·(30+20+30) = 16; λ=0.5: 16/6 + 8·3/6 = 2.667 + 4 = 6.667.
    plan = build_plan({"kind": "gain_sharing", "base": {"margin": 0.2},
                       "contribution": {"revenue": 1.0}, "equal_share": 0.5})
    m = {"margin": np.array([10.0, 20, 30]), "revenue": np.array([1.0, 1, 2])}
    cand = {"margin": np.array([[30.0], [20], [30]]), "revenue": np.array([[3.0], [1], [2]])}
    cf = plan.counterfactual(m, cand, plan.initial_state(3), Groups.single(3))
    assert math.isclose(cf[0, 0], 16 / 6 + 4.0)
