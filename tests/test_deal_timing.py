"""Deal-by-deal timing and the pull rule (issue 20, part 2; docs/behavior.md).

Each controllable deal is slipped, closed or pulled in on its own draw from its AR's learned
policy in the AR's decision state; each decision is valued by the month with that deal turned
the other way. A pulled deal is won on the odds of its natural discount unless
``market.pull_discount_wins`` (the first model).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from sim.behavior import Learner, LearnerParams
from sim.config import load_config
from sim.effort import EffortSpace
from sim.firm import Firm, pipeline
from sim.firm.ledger import ATB, ATC, ATI
from sim.firm.market import rival
from sim.simulation import plain

SMALL = ["debug=small", "months=24"]


def test_rank_within_counts_each_owners_elements_in_index_order():
    assert pipeline._rank_within(np.array([2, 0, 2, 2, 0, 1])).tolist() == [0, 0, 1, 2, 1, 0]
    assert pipeline._rank_within(np.array([], dtype=np.intp)).tolist() == []


def test_by_deal_worked_example():
    """Worked example: two ARs and four open deals, each decided deal's two columns.

    AR 0 slips a ready deal and leaves one a month out; AR 1 pulls in one two months out; the
    fourth deal is not controllable.

    Columns are the month with one decided deal turned the other way: undoing the slip books
    its 90 (margin 20) now and gives up 0.85 of it next month; pulling the waiting deal books
    200 · 0.85 = 170 now and gives up its natural 180; undoing the pull gives back 240.
    """
    own = np.array([0, 0, 1, 1])
    can = (np.array([True, False, False, False]), np.array([False, True, True, False]))
    ahead = np.array([0, 1, 2, 1])
    move = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]])
    money = (np.array([100.0, 200.0, 300.0, 400.0]), np.full(4, 0.3), np.full(4, 0.1),
             np.array([0.1, 0.15, 0.2, 0.15]), np.array([False, True, True, False]),
             np.array([True, True, False, False]))
    p: Any = SimpleNamespace(market=SimpleNamespace(slip_loss=0.15),
                             behavior=SimpleNamespace(time_discount=0.99))
    tm = pipeline._by_deal(own, can, ahead, move, np.full(4, 0.5), money, np.zeros(4, bool), p)
    assert tm.slip.tolist() == [True, False, False, False]
    assert tm.pull.tolist() == [False, False, True, False]
    assert tm.pull_won.tolist() == [False, False, True, False]
    assert tm.decided is not None
    assert tm.decided.owner.tolist() == [0, 0, 1]
    assert tm.decided.kind.tolist() == [0, 1, 2]
    assert tm.decided.column.tolist() == [1, 2, 1]
    assert tm.decided.moved.tolist() == [True, False, True]
    np.testing.assert_allclose(tm.now[0], [[0, 90, 170], [0, -240, 0]])
    np.testing.assert_allclose(tm.now[1], [[0, 20, 30], [0, -30, 0]])
    np.testing.assert_allclose(tm.later[0], [[0, -76.5, -180], [0, 0, 0]])
    np.testing.assert_allclose(tm.later[1], [[0, -17, -40], [0, 0, 0]])


def test_a_carried_over_state_weighs_as_a_prior():
    space = EffortSpace(("move",), 1.0, 1.0, np.zeros((1, 1)))
    params = LearnerParams(precision=20.0, recency=0.9, experience_decay=0.9,
                           initial_experience=3.0)
    for as_prior, carried in ((False, 10.0), (True, 3.0)):
        lr = Learner(space, params, np.zeros((1, 1)), n_states=2, carry_as_prior=as_prior)
        u = np.array([[[0.0, 1.0]]])
        for _ in range(200):  # experience in state 0 converges to 1 / (1 − 0.9) = 10
            lr.update(u, np.zeros((1, 1), np.intp), state=np.zeros(1, np.intp))
        lr.update(u, np.zeros((1, 1), np.intp), state=np.ones(1, np.intp))
        # The first visit to state 1 starts from state 0's attractions with `carried` months.
        assert lr.experience[0, 1] == pytest.approx(0.9 * carried + 1, rel=1e-6)
        np.testing.assert_allclose(lr.attraction[0, 1], lr.attraction[0, 0], atol=1e-6)


class _Spy:
    """Records the inputs and result of every call of ``pipeline.timing``."""

    def __init__(self) -> None:
        self.calls: list[tuple[tuple[Any, ...], pipeline.Timing]] = []
        self.real = pipeline.timing

    def __call__(self, *args: Any) -> pipeline.Timing:
        out = self.real(*args)
        deals, acc, ctx, _, stage, _, discount, _, p = args[:9]
        # The accounts and the ledger change later: what the gates saw is taken now.
        w, comp = p.market.gate_weights[ATC], rival(acc, deals, ctx.open_, p.market)
        odds = {wins: pipeline.pass_probability(w, ctx.rel, ctx.fit, ctx.cred, d, comp)
                for wins, d in ((False, discount[deals.owner[ctx.open_]]),
                                (True, out.pull_discount))}
        self.calls.append(((deals, ctx, stage.copy(), deals.u_atc[ctx.open_], odds), out))
        return out


def _spied(monkeypatch: pytest.MonkeyPatch, *overrides: str) -> tuple[Firm, _Spy]:
    spy = _Spy()
    monkeypatch.setattr(pipeline, "timing", spy)
    firm = Firm(plain(load_config([*SMALL, *overrides])))
    for _ in range(firm.months):
        firm.step()
    return firm, spy


@pytest.mark.parametrize("wins", [False, True])
def test_a_pulled_deal_is_won_on_the_odds_of_its_natural_discount(monkeypatch, wins):
    """Unless ``pull_discount_wins``, the extra discount does not raise a pull's ATC odds."""
    # Starting attractions nearly flat: ARs pull about half their pullable deals at first, so
    # there are pulls to look at.
    _, spy = _spied(monkeypatch, f"market.pull_discount_wins={str(wins).lower()}",
                    "behavior.learner.prior_precision=0.001")
    pulls = 0
    for (_, _, _, u, odds), tm in spy.calls:
        pulls += int(tm.pull.sum())
        assert (tm.pull_won == (tm.pull & (u < odds[wins]))).all()
    assert pulls >= 20


def test_each_controllable_deal_is_decided_once_a_month_on_its_own(monkeypatch):
    """Every deal that can slip or be pulled gets one decision, and no other deal moves."""
    firm, spy = _spied(monkeypatch)
    decided_months = 0
    for (deals, ctx, stage, *_), tm in spy.calls:
        assert tm.decided is not None
        movable = deals.u_timing[ctx.open_] < 0.5
        moved = tm.slip | tm.pull
        assert not (moved & ~movable).any()
        assert not (tm.slip & (stage != ATC)).any()
        assert not (tm.pull & ~np.isin(stage, (ATB, ATI))).any()
        assert tm.now.shape[2] == 1 + (np.bincount(tm.decided.owner).max()
                                       if tm.decided.owner.size else 0)
        decided_months += tm.decided.owner.size > 0
    assert decided_months >= 12
    # Learners of both kinds of decision were updated somewhere in two years.
    assert all((lr._visited.any()) for lr in firm.people.deal_learners[:2])


def test_ar_timing_switch_keeps_the_one_action_per_ar_month(monkeypatch):
    _, spy = _spied(monkeypatch, "behavior.timing=ar")
    assert all(tm.decided is None and tm.now.shape[2] == 4 for _, tm in spy.calls)


def test_next_months_baseline_holds_the_bookings_a_candidate_takes_out():
    """Worked example: a deal of 100 leaving next month is priced from a next month holding it."""
    from sim.firm.counterfactual import Deltas, timing_kinds

    nxt = {"revenue": np.array([[0.0, -100.0, 50.0]]), "margin": np.array([[0.0, -30.0, 10.0]])}
    d = Deltas(sales={}, discount={}, support={}, timing={}, timing_next=nxt)
    held = timing_kinds(d, True)
    np.testing.assert_allclose(held["timing_next"]["revenue"], [[0, 0, 50]])
    np.testing.assert_allclose(held["timing_zero"]["revenue"], [[0, 100, 0]])
    np.testing.assert_allclose(held["timing_zero"]["margin"], [[0, 30, 0]])
    for kinds in (held, timing_kinds(d, False)):  # the change itself is the same
        for k in nxt:
            np.testing.assert_allclose(kinds["timing_next"][k] - kinds["timing_zero"][k], nxt[k])
    assert not timing_kinds(d, False)["timing_zero"]["revenue"].any()


def test_a_deal_moved_out_of_next_month_costs_its_whole_commission(monkeypatch):
    """Under the 4 % monthly commission next month's pay moves by 4 % of a booking change.

    However large the deal: no floor at the stand-in month's pay.
    """
    from sim.firm import people as people_module

    seen: list[tuple[np.ndarray, np.ndarray]] = []
    real = people_module.People.learn_timing

    def learn(self, acts, now, nxt, decided=None):  # type: ignore[no-untyped-def]
        seen.append((nxt[self.org.idx[0]], last[0].later[0]))
        real(self, acts, now, nxt, decided)

    last: list[pipeline.Timing] = []
    real_timing = pipeline.timing
    monkeypatch.setattr(pipeline, "timing", lambda *a: last.insert(0, real_timing(*a)) or last[0])
    monkeypatch.setattr(people_module.People, "learn_timing", learn)
    firm = Firm(plain(load_config([*SMALL, "scheme=commission"])))
    for _ in range(firm.months):
        firm.step()
    big = 0
    for pay_next, revenue_next in seen:
        np.testing.assert_allclose(pay_next, 0.04 * revenue_next, atol=1e-9)
        big += int((revenue_next < -200).sum())
    assert big > 0  # deals larger than a typical month's bookings were priced


def test_a_first_visit_decides_from_the_state_it_carries_over_from():
    space = EffortSpace(("move",), 1.0, 1.0, np.zeros((1, 1)))
    params = LearnerParams(precision=20.0, recency=0.9, experience_decay=0.9,
                           initial_experience=3.0)
    u = np.array([[[0.0, 1.0]]])  # moving pays 1
    for as_prior in (False, True):
        lr = Learner(space, params, np.zeros((1, 1)), n_states=2, carry_as_prior=as_prior)
        for _ in range(20):
            lr.update(u, np.ones((1, 1), np.intp), state=np.zeros(1, np.intp))
        p0 = lr.probabilities(np.zeros(1, np.intp))[0, 0, 1]
        p1 = lr.probabilities(np.ones(1, np.intp))[0, 0, 1]
        assert p0 > 0.99
        # Without carry_as_prior the first decision in state 1 is the starting "leave it".
        assert p1 == pytest.approx(p0) if as_prior else p1 < 1e-4
