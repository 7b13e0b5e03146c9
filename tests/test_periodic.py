"""Periodic and nonlinear plans: state-conditioned learning (months left, attainment, target)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.behavior import Learner, LearnerParams
from sim.behavior.state import StateSpace
from sim.effort import EffortSpace
from sim.plans import build_plan
from sim.stats import mean_ci
from sim.theory import learn

SPACE = EffortSpace(("output",), budget=2.0, grid_step=0.01, cost=np.array([[1.0]]))
PARAMS = LearnerParams(precision=300.0, recency=0.95, experience_decay=0.95, discount=0.9,
                       prior_precision=1.0)


def test_state_index_bins():
    ss = StateSpace(period=12, attainment_edges=(0.5, 1.0, 1.5), target_edges=(0.95, 1.05))
    assert ss.months_bins == (1, 2, 3, 6, 12)
    assert ss.n_states == 5 * 5 * 3
    idx = ss.index(np.array([12, 12, 1]), np.array([np.nan, 0.7, 2.0]), np.array([1.0, 1.0, 0.9]))
    # months 12 -> bin 4; NaN -> attainment bin 0; 0.7 -> 2; 2.0 -> 4; ratio 1.0 -> 1, 0.9 -> 0
    assert idx.tolist() == [(4 * 5 + 0) * 3 + 1, (4 * 5 + 2) * 3 + 1, (0 * 5 + 4) * 3 + 0]
    assert StateSpace().n_states == 1


def test_plans_declare_the_state_they_need():
    assert StateSpace(**build_plan({"kind": "commission", "rate": 0.1}).decision_space()
                      ).n_states == 1
    mbo = build_plan({"kind": "target_bonus", "period": 12, "bonus": 1.0})
    ss = StateSpace(**mbo.decision_space())
    assert ss.attainment_edges == (0.5, 1.0, 1.5) and ss.target_edges == ()
    ratchet = build_plan({"kind": "target_bonus", "period": 12, "bonus": 1.0, "ratchet": 0.5})
    assert StateSpace(**ratchet.decision_space()).target_edges


def test_first_visit_to_a_state_carries_over_what_was_learned():
    lrn = Learner(SPACE, PARAMS, np.full((1, 1), 0.2), n_states=3)
    u = -0.5 * (SPACE.grid - 1.0)[None, None, :] ** 2
    for _ in range(30):
        lrn.update(u, np.array([[0]]), state=np.array([0]))
    learned = lrn.mean_effort(np.array([0]))[0, 0]
    lrn.update(u, np.array([[0]]), state=np.array([2]))
    assert abs(lrn.mean_effort(np.array([2]))[0, 0] - learned) < 0.02
    assert abs(lrn.mean_effort(np.array([1]))[0, 0] - 0.2) < 0.05  # untouched: still the prior


def annual_mbo(curve, target=12.0):
    return build_plan({"kind": "target_bonus", "weights": {"output": 1.0},
                       "target": {"output": target}, "bonus": 6.0, "curve": curve, "period": 12})


def test_annual_plan_is_learnable_within_five_years():
    """Monthly accrual makes an annual bonus learnable: effort B·slope/(T·c) = 0.5 within 5 %."""
    plan = annual_mbo([[0.0, 0.0], [2.5, 2.5]])
    res = learn(plan, SPACE, PARAMS, n_people=20, periods=60, baseline=0.5, sigma=0.2,
                prior=[0.2], seed=5, window=0.5)
    assert abs(res.effort[0] / 0.5 - 1) < 0.05


# Baseline monthly output against a target of 1.5 a month: reaching the 50 % threshold would cost
# the first group more than it pays; the last is above the 150 % cap without effort. Output stays
# positive, so linear commission (floored at 0) is linear for everyone.
GROUPS = {"hopeless": 0.0, "near target": 0.9, "above cap": 2.4}


def _by_group(plan, seed):
    x0 = np.repeat(list(GROUPS.values()), 15)
    res = learn(plan, SPACE, PARAMS, n_people=x0.size, periods=60, baseline=x0, sigma=0.2,
                prior=[0.5], seed=seed, window=0.4)
    return {g: res.by_person[i * 15:(i + 1) * 15, 0].mean() for i, g in enumerate(GROUPS)}


@pytest.mark.parametrize("other", ["hopeless", "above cap"])
def test_threshold_and_cap_make_people_give_up_or_coast(other):
    """M3: threshold and cap, not the people, make the difference.

    Under an annual MBO with threshold 50 % and cap 150 %, people safely above the cap or
    hopelessly below the threshold work less than people near target; the same people under
    linear commission of the same slope do not differ (the ablation).
    """
    mbo = annual_mbo([[0.5, 0.25], [1.0, 1.0], [1.5, 1.5]], target=18.0)
    linear = build_plan({"kind": "commission", "measure": "output", "rate": 0.5})
    gaps, control = [], []
    for seed in range(3):
        g = _by_group(mbo, seed)
        gaps.append(g["near target"] - g[other])
        c = _by_group(linear, seed)
        control.append(c["near target"] - c[other])
    gap = mean_ci(np.array(gaps))
    mean, half = gap.mean, gap.half
    assert mean - half > 0.25, gaps
    ctrl = mean_ci(np.array(control))
    cmean, chalf = ctrl.mean, ctrl.half
    assert abs(cmean) + chalf < 0.02, control


def _ratchet_effort(rho: float, discount: float) -> float:
    plan = build_plan({"kind": "target_bonus", "weights": {"output": 1.0},
                       "target": {"output": 12.0}, "bonus": 6.0,
                       "curve": [[0.0, 0.0], [2.5, 2.5]], "period": 12, "ratchet": rho})
    res = learn(plan, SPACE, PARAMS, n_people=20, periods=60, baseline=0.5, sigma=0.2,
                prior=[0.2], seed=5, window=0.5, ratchet_discount=discount)
    return float(res.effort[0])


def test_ratchets_make_people_hold_back():
    """M4: the more of this year's result the next target takes (ρ), the less effort.

    People value next year's pay under the next target (the plan's own next_targets and
    payout), discounted at the stated 0.9 a year; with that valuation switched off (discount 0)
    the ratchet changes nothing (the ablation).
    """
    e = [_ratchet_effort(rho, 0.9) for rho in (0.0, 0.5, 1.0)]
    assert e[0] > e[1] + 0.1 and e[1] > e[2] + 0.1, e
    blind = [_ratchet_effort(rho, 0.0) for rho in (0.0, 1.0)]
    assert abs(blind[0] - blind[1]) < 0.01, blind
