"""Issue 19: the upside of shared pay — peer sanction and knowledge transfer.

Worked examples of each technology with literal numbers, the plan functions they read, and the
firm's switch: off changes nothing, and where nobody's action moves anybody else's pay (a
commission silo) the sanction has nothing to act on. The learned-against-derived checks are
``sim.theory_upside`` (``teaching``, ``sanction``) in tests/test_theory_checks.py.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from sim.behavior.sanction import PeerSanction
from sim.config import load_config
from sim.plans import Groups, build_plan
from sim.simulation import run
from sim.teaching import Teaching


def test_who_notices_follows_the_stated_technology() -> None:
    tech = PeerSanction(strength=0.5, span=1)
    got = tech.noticed(np.array([1, 2, 3, 6, 1000]))
    np.testing.assert_allclose(got[:4], [0.0, 1.0, 0.75, 1 - 0.8**5])
    assert got[4] == pytest.approx(1 - np.exp(-1), abs=1e-3)
    assert (np.diff(got[1:]) < 0).all()  # the larger the group, the less is noticed
    assert PeerSanction(0.5, span=2).noticed(3) == 1.0  # two peers, both watched
    peer = np.array([[3.0, -1.0], [0.0, 2.0]])
    np.testing.assert_allclose(tech.utility(peer, np.array([2, 3])),
                               [[1.5, -0.5], [0.0, 0.75]])


@pytest.mark.parametrize("bad", [{"strength": -0.1}, {"span": 0}, {"span": 1.5}])
def test_a_bad_sanction_is_refused(bad: dict) -> None:
    with pytest.raises(ValueError, match="sanction"):
        PeerSanction(**bad)


def _pool(equal_share: float):
    return build_plan({"kind": "gain_sharing", "base": {"output": 1.0},
                       "contribution": {"output": 1.0}, "equal_share": equal_share,
                       "level": "team", "period": 1})


def test_others_pay_moves_by_the_pool_less_ones_own_share() -> None:
    """Team of 3, pool = Q: one more unit of output gives the other two 2/3 (equal split).

    With half split by contribution they get less, and own + others = the pool's change
    whatever the split; a piece rate moves nobody else's pay.
    """
    groups = Groups.teams(3, 3)
    realised = {"output": np.array([1.0, 2.0, 3.0])}
    cand = {"output": np.array([[2.0], [2.0], [3.0]])}  # +1, 0, 0
    equal = _pool(1.0)
    state = equal.initial_state(3)
    np.testing.assert_allclose(equal.peer_counterfactual(realised, cand, state, groups)[:, 0],
                               [2 / 3, 0.0, 0.0])
    half = _pool(0.5)
    own = half.counterfactual(realised, cand, state, groups)[0, 0]
    base = half.counterfactual(realised, {"output": realised["output"][:, None]}, state,
                               groups)[0, 0]
    peers = half.peer_counterfactual(realised, cand, state, groups)[0, 0]
    assert own - base + peers == pytest.approx(1.0)  # the pool grew by 1
    # The equal half gives the other two 2 × 0.5/3; the contribution half gives them
    # 0.5 × 7 × 5/7 − 0.5 × 6 × 5/6 = 0 (their own output, unchanged).
    assert peers == pytest.approx(1 / 3)
    rate = build_plan({"kind": "commission", "measure": "output", "rate": 1.0})
    assert not rate.peer_counterfactual(realised, cand, rate.initial_state(3), groups).any()


def test_teammates_moved_results_reach_pooled_pay_only() -> None:
    """``rest``: teammates' output +3 raises one's equal share by 1; a piece rate ignores it."""
    groups = Groups.teams(3, 3)
    realised = {"output": np.array([1.0, 2.0, 3.0])}
    same = {"output": realised["output"][:, None]}
    rest = {"output": np.array([[3.0], [0.0], [0.0]])}
    plan = _pool(1.0)
    state = plan.initial_state(3)
    moved = plan.counterfactual(realised, same, state, groups, rest)
    still = plan.counterfactual(realised, same, state, groups)
    np.testing.assert_allclose((moved - still)[:, 0], [1.0, 0.0, 0.0])
    rate = build_plan({"kind": "commission", "measure": "output", "rate": 1.0})
    s = rate.initial_state(3)
    np.testing.assert_array_equal(rate.counterfactual(realised, same, s, groups, rest),
                                  rate.counterfactual(realised, same, s, groups))


def test_teaching_transfers_in_proportion_to_the_gap() -> None:
    """Abilities 1, 2, 3, τ = 0.5: a unit of the best's teaching gives the others 0.5, 0.25.

    (Gaps 2 and 1, spread over two teammates); nobody learns from the less able.
    """
    tech = Teaching(productivity=0.5, retention=0.75)
    gaps = tech.gaps(np.array([1.0, 2.0, 3.0]), 3)
    np.testing.assert_allclose(tech.transfer(gaps, np.array([0.0, 0.0, 1.0])), [0.5, 0.25, 0.0])
    np.testing.assert_allclose(tech.transfer(gaps, np.array([1.0, 0.0, 0.0])), [0.0, 0.0, 0.0])
    np.testing.assert_allclose(tech.marginal(gaps).sum(axis=1), [0.0, 0.25, 0.75])
    with pytest.raises(ValueError, match=r"teaching\.retention"):
        Teaching(retention=1.5)


def _fingerprint(overrides: list[str]) -> str:
    r = run(load_config(["debug=small", *overrides]))
    return hashlib.sha256(json.dumps([r.metrics, r.timeseries, r.people], sort_keys=True,
                                     default=float).encode()).hexdigest()


def test_the_firms_sanction_acts_only_through_shared_pay() -> None:
    """Commission in the silo has no pool, so nothing to sanction: the same run.

    (Support still moves ARs' commission there, but the sanction is levied only on the pay of
    those who share one's pool.) Gain-sharing pools everyone, so there it changes the run.
    """
    on = ["behavior.sanction.strength=0.5"]
    assert _fingerprint(["scheme=commission", "org=silo", *on]) == _fingerprint(
        ["scheme=commission", "org=silo"])
    assert _fingerprint(["scheme=gain_sharing", *on]) != _fingerprint(["scheme=gain_sharing"])


def _brute_peers(plan, realised, cand, state, groups):  # type: ignore[no-untyped-def]
    """Others' pay change by recomputing everyone's pay per candidate (no slopes)."""
    frac = (state.month + 1) / plan.period
    cum = {m: state.cum[m] + realised[m] for m in plan.measures}
    base = plan.accrued(cum, frac, state, groups)
    n, k = next(iter(cand.values())).shape
    out = np.zeros((n, k))
    for i in range(n):
        for j in range(k):
            moved = {m: cum[m].copy() for m in plan.measures}
            for m in plan.measures:
                moved[m][i] = state.cum[m][i] + cand[m][i, j]
            others = groups.pool == groups.pool[i]
            others[i] = False
            out[i, j] = (plan.accrued(moved, frac, state, groups) - base)[others].sum()
    return out


@pytest.mark.parametrize("split", ["proportional", "rank"])
@pytest.mark.parametrize("leavers", ["forfeit", "paid"])
@pytest.mark.parametrize("deduction", [0.0, 30.0])
def test_others_pay_equals_recomputing_everyones_pay(split: str, leavers: str,
                                                     deduction: float) -> None:
    """Two pools, five units, leavers, a deduction that may bind: pool − own is exact."""
    rng = np.random.default_rng(0)
    groups = Groups(pool=np.array([0] * 8 + [1] * 4),
                    unit=np.array([0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 4, 4]),
                    frontline=np.array([1, 0, 1, 1, 0], bool), score=rng.uniform(0.5, 1.5, 5),
                    active=~np.isin(np.arange(12), [2, 6, 9]))
    plan = build_plan({"kind": "gain_sharing", "base": {"output": 2.0, "help": 1.0},
                       "contribution": {"output": 1.0}, "equal_share": 0.4, "split": split,
                       "leavers": leavers, "level": "unit", "period": 3,
                       "deduction": deduction, "support_weight": 0.5})
    realised = {"output": rng.uniform(0.5, 2, 12), "help": rng.uniform(0, 1, 12)}
    cand = {m: v[:, None] + rng.normal(0, 0.5, (12, 3)) for m, v in realised.items()}
    state = plan.initial_state(12)
    state.month = 1
    state.cum = {m: rng.uniform(0, 2, 12) for m in plan.measures}
    got = plan.peer_counterfactual(realised, cand, state, groups)
    np.testing.assert_allclose(got, _brute_peers(plan, realised, cand, state, groups),
                               atol=1e-9)
    own = plan.counterfactual(realised, cand, state, groups)  # what payroll passes along
    np.testing.assert_allclose(plan.peer_counterfactual(realised, cand, state, groups, own=own),
                               got, atol=1e-12)
    assert np.abs(got).max() > 0.1  # not vacuous: candidates move the others' pay


def test_teammates_moved_results_need_a_proportional_split() -> None:
    plan = build_plan({"kind": "gain_sharing", "base": {"output": 1.0},
                       "contribution": {"output": 1.0}, "split": "rank", "level": "team"})
    realised = {"output": np.array([1.0, 2.0, 3.0])}
    with pytest.raises(ValueError, match="split=proportional"):
        plan.counterfactual(realised, {"output": realised["output"][:, None]},
                            plan.initial_state(3), Groups.teams(3, 3),
                            {"output": np.ones((3, 1))})


def test_taught_knowledge_is_kept_at_the_retention_rate() -> None:
    """The stock after two periods of the best teaching one unit: worked by hand.

    Abilities 1, 2, 3; τ = 0.5, retention 0.75. Period 1: gains 0.5 and 0.25 (gaps 2, 1).
    Period 2: kept 0.375 and 0.1875, abilities 1.375, 2.1875, 3 → gaps 1.625 and 0.8125 →
    gains 0.40625 and 0.203125; stocks 0.78125 and 0.390625.
    """
    from sim.behavior import LearnerParams
    from sim.effort import EffortSpace
    from sim.theory import ReducedModel

    plan = build_plan({"kind": "commission", "measure": "x", "rate": 1.0})
    space = EffortSpace(("x", "teach"), 2.5, 0.5, np.eye(2))
    model = ReducedModel(plan, space, LearnerParams(precision=1.0), n_people=3, team_size=3,
                         sigma=0.0, baseline=np.array([1.0, 2.0, 3.0]), prior=[0.5, 0.5],
                         seed=0, teaching=Teaching(productivity=0.5, retention=0.75))
    teach = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 1.0]])
    model.knowledge, _ = model._teach_now(teach)
    np.testing.assert_allclose(model.knowledge, [0.5, 0.25, 0.0])
    model.knowledge, reach = model._teach_now(teach)
    np.testing.assert_allclose(model.knowledge, [0.78125, 0.390625, 0.0])
    np.testing.assert_allclose(reach, [0.0, 0.5 * 0.8125 / 2, 0.5 * (1.625 + 0.8125) / 2])
