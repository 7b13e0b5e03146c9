"""Valuing a candidate by the period's expected payout (``behavior.horizon: period``, issue 20).

:mod:`sim.plans.horizon` must agree with the month-by-month accrual wherever theory says it must
(a plan whose period payout is affine in its measures; a period's last month; the realised
action), take the expectation over the forecast rest of the period correctly (against Monte
Carlo), and let a kink bite more as the period's end nears. The worked example's numbers are
derived by hand in its docstring.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.config import ConfigError, load_config
from sim.plans import PeriodState, build_plan, horizon
from tests.conftest import PLAN_EXAMPLES, random_measures
from tests.test_plans_generic import CASES, N, groups_for, make

PERIODIC = [c for c in CASES if make(*c).periodic]


def _mid_period(plan, rng, months_done):
    """The plan's state after ``months_done`` random months, a pace, and this month's measures."""
    g = groups_for()
    state = plan.initial_state(N)
    pace = horizon.Pace(0.9)
    for _ in range(months_done):
        month = random_measures(rng, plan.measures, N)
        pace.observe(month)
        _, state = plan.pay(month, state, g)
    month = random_measures(rng, plan.measures, N)
    pace.observe(month)
    cand = {m: np.stack([month[m], month[m] * 1.5, month[m] + 3.0, np.zeros(N)], axis=1)
            for m in plan.measures}
    return g, state, pace, month, cand


@pytest.mark.parametrize(("kind", "i"), PERIODIC)
def test_linear_plan_values_a_candidate_as_the_month_does(kind, i):
    plan = make(kind, i)
    g, state, pace, month, cand = _mid_period(plan, np.random.default_rng(3), 4)
    now, _ = plan.pay(month, state, g)
    ahead = horizon.counterfactual(plan, month, cand, state, g, None, pace, horizon.nodes(5), now)
    monthly = plan.counterfactual(month, cand, state, g)
    if plan.linear:
        np.testing.assert_allclose(ahead, monthly, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ahead[:, 0], now, rtol=1e-12, atol=1e-12)  # the realised action


@pytest.mark.parametrize(("kind", "i"), PERIODIC)
def test_last_month_of_the_period_is_the_period_payout(kind, i):
    plan = make(kind, i)
    g, state, pace, month, cand = _mid_period(plan, np.random.default_rng(4), plan.period - 1)
    now, _ = plan.pay(month, state, g)
    ahead = horizon.counterfactual(plan, month, cand, state, g, None, pace, horizon.nodes(5), now)
    np.testing.assert_allclose(ahead, plan.counterfactual(month, cand, state, g),
                               rtol=1e-10, atol=1e-10)


def _sales_bonus():
    return build_plan({"kind": "target_bonus", "weights": {"revenue": 1.0},
                       "target": {"revenue": 1200.0}, "bonus": 48.0, "period": 12,
                       "curve": [[0.5, 0.3], [1.0, 1.0], [1.5, 2.0]]})


def test_worked_example_across_the_kinks():
    """Six months done (500 before this month, 100 this month), pace 50 a month, no spread.

    Period: the rest is 6 × 50 = 300, so the year ends at 900 (attainment 0.75, payout
    48 × (0.3 + 1.4 × 0.25) = 31.2); with 400 more this month at 1,300 (attainment 1.0833,
    payout 48 × (1 + 2 × 0.0833) = 56.0): worth 24.8. Month: the run rate after this month
    is 1,000 / 600 = 1.667 (past the last point: 2.0, accrued 0.5 × 48 × 2 = 48) against
    600 / 600 = 1.0 (accrued 24): worth 24.0.
    """
    plan = _sales_bonus()
    state = PeriodState(month=5, cum={"revenue": np.array([500.0])},
                        accrued=np.array([0.0]), target=plan.first_targets(1))
    pace = horizon.Pace(0.9, {"revenue": np.array([50.0])}, {"revenue": np.array([0.0])})
    month = {"revenue": np.array([100.0])}
    cand = {"revenue": np.array([[100.0, 500.0]])}
    value = horizon.period_value(plan, month, cand, state, None, None, pace, horizon.nodes(5))
    np.testing.assert_allclose(value, [[0.0, 24.8]], atol=1e-9)
    monthly = plan.counterfactual(month, cand, state)
    np.testing.assert_allclose(monthly[0, 1] - monthly[0, 0], 24.0, atol=1e-9)


def test_expectation_over_the_rest_matches_monte_carlo():
    plan = _sales_bonus()
    state = PeriodState(month=3, cum={"revenue": np.array([350.0])},
                        accrued=np.array([0.0]), target=plan.first_targets(1))
    mean, var = 95.0, 40.0**2
    pace = horizon.Pace(0.9, {"revenue": np.array([mean])}, {"revenue": np.array([var])})
    month = {"revenue": np.array([80.0])}
    cand = {"revenue": np.array([[80.0, 160.0]])}
    value = horizon.period_value(plan, month, cand, state, None, None, pace, horizon.nodes(40))
    left = 12 - 4
    rest = np.random.default_rng(0).normal(left * mean, np.sqrt(left * var), 400_000)
    done = 350.0 + 80.0
    pay = lambda total: plan.accrued({"revenue": total}, 1.0, state, None)  # noqa: E731
    mc = (pay(done + 80.0 + rest) - pay(done + rest)).mean()
    assert value[0, 1] == pytest.approx(mc, rel=0.01)


def test_a_threshold_bites_more_near_the_period_end():
    """A quota just out of reach: 40 more is worth more the fewer months are left to forecast.

    The forecast ends 20 short; 40 more crosses the quota wherever the rest lands within ±20 of
    its mean: with 9 months left (spread 90) that is 18 % likely (worth 2.6 of the bonus of
    15), with 1 month left (spread 30) 50 % (worth 7.4).
    """
    plan = build_plan({"kind": "quota_bonus", "measure": "revenue", "quota": 1200.0,
                       "bonus": 15.0, "period": 12})
    values = []
    for done_months in (2, 10):  # 9 months left after this one, then 1
        left = 12 - (done_months + 1)
        before = 1180.0 - 100.0 - left * 100.0  # the forecast ends 20 short of the quota
        state = PeriodState(month=done_months, cum={"revenue": np.array([before])},
                            accrued=np.array([0.0]), target={})
        pace = horizon.Pace(0.9, {"revenue": np.array([100.0])},
                            {"revenue": np.array([30.0**2])})
        v = horizon.period_value(plan, {"revenue": np.array([100.0])},
                                 {"revenue": np.array([[140.0]])}, state, None, None, pace,
                                 horizon.nodes(15))
        values.append(float(v[0, 0]))
    assert values[0] == pytest.approx(15 * 3 / 15)  # 3 of 15 quantiles within ±0.22 spread
    assert values[1] == pytest.approx(15 * 7 / 15)  # 7 of 15 within ±0.67


def test_pace_is_an_exponentially_weighted_mean_and_variance():
    pace = horizon.Pace(0.5)
    for x in (4.0, 8.0, 2.0):
        pace.observe({"revenue": np.array([x])})
    # mean: 4 → 6 → 4; variance: 0 → 0.5·(0 + 0.5·16) = 4 → 0.5·(4 + 0.5·16) = 6
    assert pace.mean["revenue"][0] == pytest.approx(4.0)
    assert pace.var["revenue"][0] == pytest.approx(6.0)


@pytest.mark.parametrize(("override", "field"), [
    ("behavior.horizon=year", "behavior.horizon"),
    ("behavior.forecast_memory=1.0", "behavior.forecast_memory"),
    ("behavior.forecast_nodes=0", "behavior.forecast_nodes"),
])
def test_bad_horizon_settings_are_refused_with_their_field(override, field):
    with pytest.raises(ConfigError, match=rf"^{field}: "):
        load_config([override])


@pytest.mark.parametrize("cfg", [
    {**PLAN_EXAMPLES["gain_sharing"][1], "split": "proportional"},
    PLAN_EXAMPLES["team_scorecard"][0],
])
def test_three_points_value_a_proportional_pool_as_sixty_do(cfg):
    """Three points (``behavior.forecast_pool_nodes``) value a proportional pool as sixty do.

    A pool split in proportion to contributions is smooth in one's own result, so three points
    value it within 1 % of sixty. (A rank split pays in steps; docs/behavior.md says that three
    points value it coarsely.)
    """
    plan = build_plan(cfg)
    g, state, pace, month, cand = _mid_period(plan, np.random.default_rng(5), 1)
    few = horizon.period_value(plan, month, cand, state, g, None, pace, horizon.nodes(3))
    many = horizon.period_value(plan, month, cand, state, g, None, pace, horizon.nodes(60))
    scale = np.abs(many).max()
    assert scale > 0
    np.testing.assert_allclose(few, many, atol=0.01 * scale)
