"""The learning engine: hand-checked updates, scheme blindness, determinism."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pytest

import sim.behavior
from sim.behavior import Learner, LearnerParams, Preferences, inequity_penalty
from sim.effort import EffortSpace, job_description_prior
from sim.plans import build_plan
from sim.theory import learn


def tiny_space(**kw):
    return EffortSpace(("a",), budget=1.0, grid_step=0.5, cost=np.array([[1.0]]), **kw)


def test_behavior_imports_no_plan_module():
    for path in Path(sim.behavior.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n.startswith(("sim.plans", "sim.scheme")) for n in names), path


def test_logit_probabilities_by_hand():
    lrn = Learner(tiny_space(), LearnerParams(precision=2.0), np.zeros((1, 1)))
    lrn.attraction[0, 0, 0] = [0.0, math.log(2) / 2.0, 0.0]
    np.testing.assert_allclose(lrn.probabilities()[0, 0], [0.25, 0.5, 0.25])
    assert math.isclose(lrn.mean_effort()[0, 0], 0.5 * 0.5 + 0.25 * 1.0)


def test_ewa_update_by_hand():
    # φ = ρ = 0.5, δ = 0.5, N(0) = 1: N(1) = 1.5; A = (0.5·1·A0 + w·u)/1.5, w = 1 for the
    # chosen level and δ for the others.
    p = LearnerParams(precision=1.0, recency=0.5, experience_decay=0.5, foregone_weight=0.5)
    lrn = Learner(tiny_space(), p, np.zeros((1, 1)))
    lrn.attraction[0, 0, 0] = [1.0, 2.0, 3.0]
    u = np.array([[[3.0, 6.0, 9.0]]])
    lrn.update(u, chosen=np.array([[1]]))
    expect = [(0.5 * 1 + 0.5 * 3) / 1.5, (0.5 * 2 + 1.0 * 6) / 1.5, (0.5 * 3 + 0.5 * 9) / 1.5]
    np.testing.assert_allclose(lrn.attraction[0, 0, 0], expect)
    assert math.isclose(lrn.experience[0, 0], 1.5)


def test_prior_is_the_job_description_split():
    space = EffortSpace(("sell", "help"), budget=1.0, grid_step=0.01, cost=np.eye(2))
    prior = job_description_prior(space.tasks, {"sell": 3, "help": 1}, level=0.8)
    np.testing.assert_allclose(prior, [0.6, 0.2])
    lrn = Learner(space, LearnerParams(precision=2000.0, prior_precision=1.0), prior[None, :])
    np.testing.assert_allclose(lrn.mean_effort()[0], prior, atol=1e-3)


def test_candidates_respect_the_budget():
    space = EffortSpace(("a", "b"), budget=1.0, grid_step=0.25, cost=np.eye(2))
    cand = space.candidates(np.array([[0.5, 0.5]]))
    assert cand.shape == (1, 2, 5, 2)
    assert (cand.sum(axis=-1) <= 1.0 + 1e-12).all()
    np.testing.assert_allclose(cand[0, 0, 4], [1.0, 0.0])   # a at the budget squeezes b out
    np.testing.assert_allclose(cand[0, 0, 1], [0.25, 0.5])  # room left: b unchanged


@pytest.mark.parametrize("per_person", [False, True])
def test_candidate_net_cost_equals_the_cost_of_the_candidates(per_person):
    """The closed form the firm uses equals the direct cost of every candidate vector."""
    rng = np.random.default_rng(5)
    m = rng.random((4, 4))
    intrinsic = rng.random((30, 4)) if per_person else np.array([0.1, 0.0, 0.3, 0.2])
    space = EffortSpace(tuple("abcd"), budget=1.0, grid_step=0.05, cost=m @ m.T + 0.1,
                        intrinsic=intrinsic)
    t = space.project(rng.random((30, 4)) * 0.7)
    direct = space.net_cost(space.candidates(t))
    assert direct.shape == (30, 4, 21)
    np.testing.assert_allclose(space.candidate_net_cost(t), direct, rtol=0, atol=1e-12)


def test_net_cost_by_hand():
    # t = (0.5, 0.5), C = [[2, 1], [1, 2]], a = (0.1, 0): ½(0.5 + 2·0.25 + 0.5) − 0.05 = 0.70
    space = EffortSpace(("a", "b"), budget=1.0, grid_step=0.5, cost=np.array([[2.0, 1.0],
                                                                              [1.0, 2.0]]),
                        intrinsic=np.array([0.1, 0.0]))
    assert math.isclose(space.net_cost(np.array([[0.5, 0.5]]))[0], 0.70)


def test_fehr_schmidt_penalty_by_hand():
    # own 5 against 3 and 9: envy mean(0, 4) = 2, guilt mean(2, 0) = 1 → 0.5·2 + 0.2·1 = 1.2
    pen = inequity_penalty(np.array([[5.0]]), np.array([[3.0, 9.0]]), np.array([[True, True]]),
                           np.array([0.5]), np.array([0.2]))
    assert math.isclose(pen[0, 0], 1.2)
    # Padded slots (-1 references) do not count.
    pen = inequity_penalty(np.array([[5.0]]), np.array([[3.0, 100.0]]),
                           np.array([[True, False]]), np.array([0.5]), np.array([0.2]))
    assert math.isclose(pen[0, 0], 0.2 * 2)


def test_risk_premium_is_half_r_times_variance():
    prefs = Preferences(envy=np.zeros(1), guilt=np.zeros(1), risk_aversion=np.array([2.0]))
    lrn = Learner(tiny_space(), LearnerParams(precision=1.0), np.zeros((1, 1)), prefs)
    for pay in (1.0, 3.0):  # variance 1 at every level
        pays = np.full((1, 1, 3), pay)
        lrn.update(np.zeros((1, 1, 3)), np.array([[0]]), pay=pays)
    np.testing.assert_allclose(lrn.risk_premium()[0, 0], [1.0, 1.0, 1.0])


def test_inequity_aversion_lowers_effort_when_ahead_of_peers():
    """With guilt (β > 0) against a fixed peer paid less, the learner holds back (M5)."""
    space = EffortSpace(("a",), budget=2.0, grid_step=0.01, cost=np.array([[1.0]]))
    p = LearnerParams(precision=500.0)
    prefs = Preferences(envy=np.zeros(1), guilt=np.array([0.5]), risk_aversion=np.zeros(1),
                        reference=np.array([[0]]))
    lrn = Learner(space, p, np.full((1, 1), 0.5), prefs)
    grid = space.grid
    pay = 0.8 * grid[None, None, :]  # pay 0.8·e; the peer earns 0
    for _ in range(50):
        effort, idx = lrn.act(np.random.default_rng(0))
        cand = space.candidates(effort)
        u = lrn.utility(cand, pay, reference_pay=np.zeros((1, 1)))
        lrn.update(u, idx, pay=pay)
    # Marginal utility 0.8·(1 − β) − e = 0 → e = 0.4 instead of 0.8.
    assert abs(lrn.mean_effort()[0, 0] - 0.4) < 0.01


def _space():
    return EffortSpace(("output",), budget=2.5, grid_step=0.01, cost=np.array([[1.0]]))


P = LearnerParams(precision=500.0, recency=0.95, experience_decay=0.95)


def test_name_blindness_gain_sharing_configured_as_commission():
    """A one-person pool at the commission rate on own revenue is the same plan to a learner."""
    commission = build_plan({"kind": "commission", "measure": "output", "rate": 0.6})
    pool = build_plan({"kind": "gain_sharing", "base": {"output": 0.6},
                       "contribution": {"output": 1.0}, "equal_share": 0.0, "level": "team"})
    a = learn(commission, _space(), P, n_people=8, team_size=1, periods=120, seed=11)
    b = learn(pool, _space(), P, n_people=8, team_size=1, periods=120, seed=11)
    assert a.by_person.tobytes() == b.by_person.tobytes()


@pytest.mark.parametrize("kind", ["commission", "quota_bonus"])
def test_same_seed_same_bytes_different_seed_different(kind):
    plan = build_plan({"kind": kind, "measure": "output", **(
        {"rate": 0.5} if kind == "commission" else {"quota": 1.5, "bonus": 1.0})})
    a = learn(plan, _space(), P, n_people=6, periods=60, seed=3, sigma=0.3)
    b = learn(plan, _space(), P, n_people=6, periods=60, seed=3, sigma=0.3)
    c = learn(plan, _space(), P, n_people=6, periods=60, seed=4, sigma=0.3)
    assert a.by_person.tobytes() == b.by_person.tobytes()
    if kind == "quota_bonus":  # under a linear plan shocks cancel, so seeds may agree exactly
        assert np.abs(a.by_person - c.by_person).max() > 1e-6


def test_learner_params_are_checked():
    with pytest.raises(ValueError, match=r"behavior\.recency"):
        LearnerParams(precision=1.0, recency=1.5)


def test_below_delta_one_the_pay_level_holds_people_where_they_started() -> None:
    """EWA with δ < 1 is not invariant to the pay level; with δ = 1 it is (issue 19, point 5).

    The played level gains (1 − δ) × its whole utility over the others each period, so a
    large fixed part of pay (a salary) keeps people near their start. docs/sensitivity.md.
    """
    from sim.theory import learn

    plan = build_plan({"kind": "commission", "measure": "output", "rate": 0.5})
    space = EffortSpace(("output",), 2.5, 0.005, np.array([[1.0]]))

    def learned(delta: float, baseline: float) -> float:
        lp = LearnerParams(precision=20.0, recency=0.9, experience_decay=0.9,
                           foregone_weight=delta, initial_experience=3.0, prior_precision=5.0)
        return float(learn(plan, space, lp, n_people=20, sigma=0.2, baseline=baseline,
                           prior=[0.1], periods=400, seed=1).effort[0])

    assert learned(1.0, 1.0) == pytest.approx(learned(1.0, 50.0), abs=1e-9)
    assert learned(1.0, 50.0) == pytest.approx(0.5, abs=0.02)
    low, high = learned(0.5, 1.0), learned(0.5, 50.0)
    assert low == pytest.approx(0.5, abs=0.05)  # near the target when pay is small
    assert high < 0.2  # near the start (0.1) when pay has a large level
