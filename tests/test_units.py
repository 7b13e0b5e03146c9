"""Units of the gain-sharing pool, their scorecards and value added (issue 18): worked examples.

Every number here is worked by hand in the comment above it (sim/firm/units.py states the rules).
"""

from types import SimpleNamespace

import numpy as np
import pytest

from sim.config import load_config
from sim.firm import units
from sim.firm.org import Org
from sim.plans import Groups, build_plan
from sim.simulation import run

CARD = dict.fromkeys(units.FRONT_PARTS, 0.25)
SERVICE = {"delivered": 0.5, "rating": 0.5}


def _org() -> Org:
    """Two ARs, two SRs, one FR, one support seat; no triangles."""
    role = np.array([0, 0, 1, 1, 2, 3])
    return Org(heads={"sales": 2, "rnd": 2, "supply_chain": 1, "support": 1}, role=role,
               idx=[np.flatnonzero(role == r) for r in range(4)],
               team=np.full(6, -1), sr_line=np.array([-1, -1, 0, 0, -1, -1]), n_triangles=0)


def _units() -> units.Units:
    """Account teams 0, 1 of one AR each; the SR pool 2 and FR 3 (groups 0); functions 4."""
    return units.Units(unit=np.array([0, 1, 2, 2, 3, 4]),
                       frontline=np.array([True, True, False, False, False]),
                       names=("a", "b", "sr", "fr", "fn"), group=np.array([-1, -1, 0, 0, -1]),
                       kind=np.array([-1, -1, 1, 2, -1]))


def _year(u: units.Units) -> units.Year:
    y = units.Year(u.n)
    y.months = 2
    # Targets: one AR × 100 × 2 months = 200 per account team.
    y.orders = np.array([200.0, 100.0, 0, 0, 0])
    y.revenue = np.array([100.0, 100.0, 0, 0, 0])
    y.cash = np.array([300.0, 0.0, 0, 0, 0])
    y.need = {1: np.array([4.0]), 2: np.array([2.0])}
    y.supplied = {1: np.array([3.0]), 2: np.array([2.0])}
    y.on_time, y.deliveries = 3.0, 4.0
    return y


def _scores(key_rel=(1.2, 0.9), sat=(0.8, 0.4), knowledge=None) -> units.Scores:
    u = _units()
    y = _year(u)
    if knowledge is not None:
        y.knowledge = np.array(knowledge, dtype=float)
    return units.scores(u, y, heads=np.array([1.0, 1.0, 2.0, 1.0, 1.0]),
                        ars=np.array([1.0, 1.0, 0, 0, 0]),
                        key_rel=np.array([*key_rel, 1, 1, 1]),
                        satisfaction=np.array([*sat, 0.8, 0.8, 0.8]), on_target_revenue=100.0,
                        satisfaction_start=0.8, scorecard=CARD, service=SERVICE, cap=2.0)


def test_front_line_scorecard_worked_example():
    s = _scores()
    # Team a: financial (200/200 + 100/200 + 300/200) / 3 = 1.0; customer ½·1.2 + ½·0.8/0.8 = 1.1;
    # efficiency: orders per head 200 over the front line's 300/2 = 150 → 4/3; learning 1 (no
    # front-line unit does knowledge work). Score ¼(1 + 1.1 + 4/3 + 1) = 1.108333.
    np.testing.assert_allclose(s.parts[0], [1.0, 1.1, 4 / 3, 1.0])
    assert s.score[0] == pytest.approx(0.25 * (1.0 + 1.1 + 4 / 3 + 1.0))
    # Team b: financial (0.5 + 0.5 + 0) / 3 = 1/3; customer ½·0.9 + ½·0.5 = 0.7; efficiency 100/150.
    np.testing.assert_allclose(s.parts[1], [1 / 3, 0.7, 2 / 3, 1.0])
    # A candidate's booking moves financial by ¼ · 1/200 (all three measures, ⅓ each, none at
    # the cap; team b's cash at 0 can still rise) and efficiency by ¼ · 1/150 per unit of
    # revenue; nothing moves a team through help.
    assert s.slopes["team_revenue"][0] == pytest.approx(0.25 / 200 + 0.25 / 150)
    assert s.slopes["team_revenue"][1] == pytest.approx(0.25 / 200 + 0.25 / 150)
    assert s.slopes["help"][:2].tolist() == [0.0, 0.0]


def test_support_service_worked_example():
    s = _scores()
    front = s.score[:2]
    rating = float(front.mean())
    # SR pool: delivered 3/4, rating = the front line's mean score: ½·0.75 + ½·rating.
    assert s.score[2] == pytest.approx(0.5 * 0.75 + 0.5 * rating)
    # FR pool: delivered = ½ (2/2 coverage) + ½ (3/4 on time) = 0.875.
    assert s.parts[3, 0] == pytest.approx(0.875)
    # The functions serve no deal: rating alone.
    assert s.score[4] == pytest.approx(rating)
    # One more effort-month of SR help reaches ½ · 1/4 of the score; FR's coverage is full
    # (clipped at 1): no slope.
    assert s.slopes["help"][2] == pytest.approx(0.5 / 4)
    assert s.slopes["help"][3] == 0.0


@pytest.mark.parametrize("part, change", [
    ("financial", {}), ("customer", {"key_rel": (1.6, 0.9)}),
    ("efficiency", {}), ("learning", {"knowledge": [2.0, 0.0, 0, 0, 0]})])
def test_each_scorecard_part_drives_the_units_share(part, change):
    """S9: each of the four parts moves the unit's score and so its share of the pool."""
    plan = build_plan({"kind": "gain_sharing", "base": {"profit": 1.0}, "units": "organisations",
                       "unit_score": "scorecard", "frontline_weight": 2.0})
    members = np.ones(6, bool)
    u = _units()

    def share(s: units.Scores) -> float:
        g = Groups(pool=np.zeros(6, np.intp), unit=u.unit, frontline=u.frontline,
                   score=s.score, active=members)
        return float(plan.unit_shares(g, members)[0])

    base = _scores(knowledge=[1.0, 1.0, 0, 0, 0])
    if part in ("financial", "efficiency"):  # more orders: financial and efficiency both rise
        yy = _year(u)
        yy.orders = np.array([300.0, 100.0, 0, 0, 0])
        yy.knowledge = np.array([1.0, 1.0, 0, 0, 0])
        moved = units.scores(u, yy, np.array([1.0, 1, 2, 1, 1]), np.array([1.0, 1, 0, 0, 0]),
                             np.array([1.2, 0.9, 1, 1, 1]), np.array([0.8, 0.4, 0.8, 0.8, 0.8]),
                             100.0, 0.8, CARD, SERVICE, 2.0)
    else:
        kw = {"knowledge": [1.0, 1.0, 0, 0, 0], **change}
        moved = _scores(**kw)
    j = units.FRONT_PARTS.index(part)
    assert moved.parts[0, j] > base.parts[0, j]
    assert share(moved) > share(base)


def test_attainment_is_capped_and_its_slope_vanishes_there():
    a, s = units._att(np.array([500.0, 100.0]), np.array([200.0, 200.0]), 2.0)
    assert a.tolist() == [2.0, 0.5]
    assert s.tolist() == [0.0, 1 / 200]


def _support(group, need, ratio, slot, slot_deal, supply, people_group):
    return SimpleNamespace(group=np.array(group), need=np.array(need, float),
                           ratio=np.array(ratio, float), slot=np.array(slot),
                           slot_ratio=np.zeros(len(slot_deal)), slot_deal=np.array(slot_deal),
                           supply=np.array(supply, float), people_group=np.array(people_group))


def test_attribution_splits_a_won_deal_equally_among_its_inputs():
    # Deal 0 (AR 0, margin 30) needed one SR slot and one FR slot: k = 3, so AR 0, the SR group
    # and the FR group get 10 each. Deal 1 (AR 1, margin 12) needed nothing: AR 1 keeps 12.
    # Deal 2 was lost. AR 0 also booked 5 of run-rate margin: own = 35 − 30·(1 − 1/3) = 15.
    deals = SimpleNamespace(booked=np.array([4, 4, -1]), value=np.array([100.0, 40.0, 50.0]),
                            margin_rate=np.array([0.3, 0.3, 0.3]), discount=np.zeros(3),
                            owner=np.array([0, 1, 0]))
    sr = _support([0], [1.0], [0.5], [0], [0], [0.5], [0, 0])
    fr = _support([0], [1.0], [1.0], [0], [0], [1.0], [0])
    c = units.attribute(deals, np.arange(3), sr, fr, np.array([35.0, 12.0]), _org(), t=4)
    np.testing.assert_allclose(c.own, [15.0, 12.0, 10.0, 10.0, 10.0, 0.0])
    # An AR's candidate keeps the share it has of its booked margin: 15/35 and 12/12; the groups
    # got a third of what they served.
    np.testing.assert_allclose(c.fraction, [15 / 35, 1.0, 1 / 3, 1 / 3, 1 / 3, 1.0])


def test_reach_back_parts_share_their_slot_by_effort_supplied():
    # One slot (deal 0, margin 30, k = 2 with no FR): its own part (group 0) supplied 0.2 and a
    # reach-back part (group 1) 0.6: the slot's 15 goes 3.75 / 11.25.
    deals = SimpleNamespace(booked=np.array([1]), value=np.array([100.0]),
                            margin_rate=np.array([0.3]), discount=np.zeros(1),
                            owner=np.array([0]))
    sr = _support([0, 1], [1.0, 1.0], [0.2, 0.6], [0, 0], [0], [0.2, 0.6], [0, 1])
    fr = _support(np.zeros(0, int), [], [], np.zeros(0, int), np.zeros(0, int), [0.0], [0])
    c = units.attribute(deals, np.arange(1), sr, fr, np.array([30.0, 0.0]), _org(), t=1)
    np.testing.assert_allclose(c.own[2:4], [3.75, 11.25])
    assert c.own[0] == pytest.approx(15.0)


def test_value_added_splits_a_groups_credit_by_help():
    # The SR group got 10; its two SRs helped 0.3 and 0.1: 7.5 and 2.5. Under a candidate with
    # help 0.5 the first SR's share is 0.5 / 0.6 of 10 + ⅓ of its candidate's margin change 3.
    org = _org()
    c = units.Credit(own=np.array([15.0, 12.0, 10.0, 10.0, 10.0, 0.0]),
                     fraction=np.array([15 / 35, 1.0, 1 / 3, 1 / 3, 1 / 3, 1.0]),
                     group=np.array([-1, -1, 0, 0, 0, -1]))
    help_ = np.array([0.1, 0.0, 0.3, 0.1, 0.4, 0.2])
    help_c = np.repeat(help_[:, None], 2, axis=1)
    help_c[2, 1] = 0.5
    d_margin = np.zeros((6, 2))
    d_margin[2, 1] = 3.0
    d_margin[0, 1] = 7.0
    kpi = np.array([0.0, 0.0, 1.0, 0.0, 0.0, 2.0])
    va, va_c = units.value_added(c, org, help_, help_c, d_margin, kpi,
                                 np.repeat(kpi[:, None], 2, axis=1))
    np.testing.assert_allclose(va, [15.0, 12.0, 7.5 + 1.0, 2.5, 10.0, 2.0])
    assert va_c[2, 1] == pytest.approx((10 + 3 / 3) * 0.5 / 0.6 + 1.0)
    assert va_c[0, 1] == pytest.approx(15 + 7 * 15 / 35)
    # The functions serve no deal: their value added is their KPI's alone.
    assert va_c[5].tolist() == [2.0, 2.0]


def test_a_candidate_moves_its_own_units_score_and_share():
    # Pool 30 (profit); unit 0 front-line (weight 2), unit 1 support (weight 1), one person each,
    # scores 1: shares 2/3 and 1/3 → 20, 10. A candidate adding 1 of team revenue to person 0 with
    # slope 0.5 lifts unit 0's score to 1.5: raw 3 against 1 → 3/4 of the pool = 22.5.
    plan = build_plan({"kind": "gain_sharing", "base": {"profit": 1.0}, "equal_share": 1.0,
                       "frontline_weight": 2.0, "support_weight": 1.0, "units": "organisations",
                       "unit_score": "scorecard", "period": 1})
    g = Groups(pool=np.zeros(2, np.intp), unit=np.array([0, 1]), frontline=np.array([True, False]),
               score=np.ones(2), active=np.ones(2, bool),
               slopes={"team_revenue": np.array([0.5, 0.0]), "help": np.zeros(2)})
    ev = {"profit": np.array([30.0, 0.0]), "team_revenue": np.array([10.0, 0.0]),
          "help": np.zeros(2), "revenue": np.zeros(2), "value_added": np.zeros(2)}
    cand = {k: np.stack([v, v], axis=1) for k, v in ev.items()}
    cand["team_revenue"] = cand["team_revenue"].copy()
    cand["team_revenue"][0, 1] = 11.0
    state = plan.initial_state(2)
    pay, _ = plan.pay(ev, state, g)
    np.testing.assert_allclose(pay, [20.0, 10.0])
    cf = plan.counterfactual(ev, cand, state, g)
    np.testing.assert_allclose(cf[0], [20.0, 22.5])
    assert pay.sum() == pytest.approx(30.0)  # budget-balanced at the realised measures


def test_organisation_units_of_a_triangle_firm():
    cfg = load_config(["debug=small", "scheme=gain_sharing", "org=iron_triangle",
                       "org.triangle_pay=pool"])
    from sim.firm.model import Firm

    firm = Firm(cfg)
    u = firm.payroll.units.maps["organisations"]
    org = firm.org
    assert org.n_triangles > 0
    # Every triangle is one front-line unit holding its AR, SR and FR.
    for t in range(org.n_triangles):
        assert sorted(org.role[u.unit == t].tolist()) == [0, 1, 2]
        assert u.frontline[t]
    # ARs outside triangles sit in account teams of at most account_team_size; every seat has a
    # unit; the functions are one support unit.
    size = cfg.org.account_team_size
    teams = [k for k, n in enumerate(u.names) if n.startswith("account team")]
    assert teams and all(1 <= (u.unit == k).sum() <= size for k in teams)
    assert (u.unit >= 0).all()
    assert u.names[-1] == "support functions" and not u.frontline[-1]


def test_a_scored_pool_reports_every_units_scorecard_each_year():
    cfg = load_config(["debug=small", "scheme=gain_sharing", "org=iron_triangle",
                       "org.triangle_pay=pool"])
    res = run(cfg)
    rows = res.units
    years = sorted({r["year"] for r in rows})
    assert years == list(range(cfg.months // 12))
    front = [r for r in rows if r["frontline"] == 1.0]
    assert front and all(all(np.isfinite(r[p]) for p in units.FRONT_PARTS) for r in front)
    for y in years:  # the pool shares of a year's units sum to 1
        assert sum(r["pool_share"] for r in rows if r["year"] == y) == pytest.approx(1.0)
    assert any(r["unit"].startswith("triangle") for r in front)


def test_value_added_and_kpi_value_change_nothing_when_off():
    """With the first model's pool and KPI without value, value_added is never computed."""
    cfg = load_config(["debug=small", "scheme=gain_sharing", "firm.kpi_value.rnd=0",
                       "firm.kpi_value.supply_chain=0", "firm.kpi_value.support=0",
                       "scheme.plans.firm_pool.units=roles",
                       "scheme.plans.firm_pool.unit_score=headcount",
                       "~scheme.plans.firm_pool.contribution",
                       "+scheme.plans.firm_pool.contribution={margin: 1.0, kpi: 1.0, help: 1.0}"])
    res = run(cfg)
    assert "kpi_savings" not in res.metrics and not res.units


@pytest.mark.parametrize("pool", [[0, 0, 0, 0, 0, 0], [0, 0, 1, 1, 2, 2], [0, 1, 2, 3, 4, 5]],
                         ids=["firm", "unit", "team"])
def test_moving_shares_at_the_realised_measures_are_the_realised_shares(pool):
    """At the realised measures, slopes change nothing, at every level.

    A unit spanning several pools, as at team level, included; and the pool is paid out.
    """
    def plan_for(level):
        return build_plan({"kind": "gain_sharing", "base": {"profit": 0.5}, "level": level,
                           "frontline_weight": 2.0, "units": "organisations",
                           "unit_score": "scorecard", "equal_share": 0.3,
                           "contribution": {"value_added": 1.0}})

    level = {0: "firm", 2: "unit", 5: "team"}[max(pool)]
    plan = plan_for(level)
    unit = np.array([0, 0, 1, 1, 2, 2])
    base = dict(pool=np.array(pool), unit=unit, frontline=np.array([True, False, False]),
                score=np.array([1.2, 0.7, 1.0]), active=np.ones(6, bool))
    ev = {"profit": np.array([10.0, 20, 5, 0, 3, 1]),
          "team_revenue": np.array([5.0, 1, 0, 0, 0, 0]),
          "help": np.array([0.1, 0.2, 0.3, 0.0, 0.5, 0.1]),
          "value_added": np.array([3.0, 1, 2, 0, 1, 1])}
    still = Groups(**base)
    moving = Groups(**base, slopes={"team_revenue": np.array([0.1, 0.0, 0.0]),
                                    "help": np.array([0.0, 0.4, 0.2])})
    state = plan.initial_state(6)
    p_still, _ = plan.pay(ev, state, still)
    p_moving, _ = plan.pay(ev, state, moving)
    np.testing.assert_allclose(p_moving, p_still, rtol=0, atol=1e-12)
    cand = {k: v[:, None] for k, v in ev.items()}
    np.testing.assert_allclose(plan.counterfactual(ev, cand, state, moving)[:, 0], p_still,
                               rtol=0, atol=1e-12)
    assert p_still.sum() == pytest.approx(plan.pool_total(ev, 1.0, still).sum())


def test_triangles_on_a_team_scorecard_stay_out_of_the_pools_units():
    """With org.triangle_pay=scorecard, triangles are units of their own, outside the pool.

    No member is in the pool, so their orders never enter an account team's scorecard.
    """
    from sim.firm.model import Firm

    firm = Firm(load_config(["debug=small", "scheme=gain_sharing", "org=iron_triangle",
                             "org.triangle_pay=scorecard"]))
    u = firm.payroll.units.maps["organisations"]
    org = firm.org
    members, _ = firm.payroll.groups()["firm_pool"]
    for t in range(org.n_triangles):
        assert set(np.flatnonzero(u.unit == t)) == set(np.flatnonzero(org.team == t))
        assert not members[org.team == t].any()
