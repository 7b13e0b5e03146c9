"""The firm's kernels on their own, with pencil-and-paper worked examples (issue 13 point 7).

Each kernel is a pure function of arrays and parameters; no firm is built. The numbers in the
comments are the hand computation the assertion repeats.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.config import load_config
from sim.firm.fulfilment import collection_due, on_time_probability
from sim.firm.ledger import ATC
from sim.firm.market import relationship_after
from sim.firm.params import Params
from sim.firm.people import quit_hazard
from sim.firm.pipeline import (
    credibility,
    fit,
    integration,
    knowledge_factor,
    pass_probability,
)
from sim.firm.support import allocate
from sim.simulation import plain


@pytest.fixture(scope="module")
def params() -> Params:
    return Params.from_config(plain(load_config()))


def test_silo_integration_loses_the_hand_off_and_a_triangle_does_not():
    # hand-off 0.7: silo = 0.7 + 0.3 · min(1, 0.5) = 0.85; coordination beyond need: 1.0
    q = integration(np.array([0.5, 2.0, 0.5]), np.array([-1, -1, 3]), 0.7)
    np.testing.assert_allclose(q, [0.85, 1.0, 1.0])


def test_knowledge_raises_fit_towards_its_ceiling(params):
    # K = 1: 0.85 + 0.15 · 1 / 2 = 0.925; K = 0: 0.85
    assert knowledge_factor(1.0, params.firm) == pytest.approx(0.925)
    assert knowledge_factor(0.0, params.firm) == pytest.approx(0.85)


def test_complementary_fit_is_the_weakest_needed_input(params):
    # strategic and integrated: 0.925 · min(0.6, 0.8, 0.9, 0.85) = 0.555;
    # integrated only (pitch and SR not needed): 0.925 · min(0.9, 0.85) = 0.78625;
    # neither: 0.925 · 1; a sharpened bid adds 0.1 (capped at 1): 0.655
    pitch, sr, fr, integ = (np.full(4, v) for v in (0.6, 0.8, 0.9, 0.85))
    strategic = np.array([True, False, False, True])
    integrated = np.array([True, True, False, True])
    bonus = np.array([0.0, 0.0, 0.0, 0.1])
    f = fit(pitch, sr, fr, integ, strategic, integrated, 0.925, params.market, bonus)
    np.testing.assert_allclose(f, [0.555, 0.78625, 0.925, 0.655])


def test_additive_fit_is_the_mean_of_the_needed_inputs(params):
    # ablation complementary_fit=false: strategic and integrated: 0.925 · (0.6+0.8+0.9+0.85)/4
    # = 0.7284375; strategic only: 0.925 · (0.6 + 0.8) / 2 = 0.6475; integrated only:
    # 0.925 · (0.9 + 0.85) / 2 = 0.809375; neither: 0.925
    from dataclasses import replace

    mp = replace(params.market, complementary_fit=False)
    pitch, sr, fr, integ = (np.full(4, v) for v in (0.6, 0.8, 0.9, 0.85))
    strategic = np.array([True, True, False, False])
    integrated = np.array([True, False, True, False])
    f = fit(pitch, sr, fr, integ, strategic, integrated, 0.925, mp)
    np.testing.assert_allclose(f, [0.7284375, 0.6475, 0.809375, 0.925])


def test_credibility_is_half_satisfaction_half_bid_support():
    # integrated: 0.5 · 0.6 + 0.5 · 0.5 = 0.55; single-line: 0.5 · 0.6 + 0.5 = 0.8
    c = credibility(np.array([0.6, 0.6]), np.array([0.5, 0.5]), np.array([True, False]))
    np.testing.assert_allclose(c, [0.55, 0.8])


def test_gate_probability_is_the_logit_of_the_weighted_evidence(params):
    # ATC: −0.5 + 1·0.5 + 0.8·0.5 + 1·0.9 + 10·0.05 − 0.2 = 1.6 → 1 / (1 + e^−1.6)
    w = params.market.gate_weights
    np.testing.assert_allclose(w[ATC], [-0.5, 1.0, 0.8, 1.0, 10.0])
    p = pass_probability(w[ATC], 0.5, 0.5, 0.9, 0.05, 0.2)
    assert p == pytest.approx(1 / (1 + math.exp(-1.6)))
    # one row of weights per deal: ATI (0, 1, 2, 0, 0) on the same deal: 0.5 + 1.0 − 0.2 = 1.3
    rows = pass_probability(w[[0, ATC]], np.array([0.5, 0.5]), np.array([0.5, 0.5]),
                            np.array([0.9, 0.9]), np.array([0.0, 0.05]), np.array([0.2, 0.2]))
    np.testing.assert_allclose(rows, [1 / (1 + math.exp(-1.3)), 1 / (1 + math.exp(-1.6))])


def test_support_is_split_by_priority_times_need_and_a_deal_gets_its_weakest_part():
    # group 0 (supply 0.24) serves deal 0 (need 0.1) and deal 1 (need 0.2): shares 1/3, 2/3,
    # ratios 0.24/3/0.1 = 0.8 and 0.24·2/3/0.2 = 0.8; group 1 (supply 0.05) serves deal 1's
    # other part (need 0.1): 0.5. Deal 1 gets its weakest part: 0.5.
    deal, group = np.array([0, 1, 1]), np.array([0, 0, 1])
    need, supply = np.array([0.1, 0.2, 0.1]), np.array([0.24, 0.05])
    share, ratio, per_deal, _ = allocate(deal, group, need, np.ones(3), supply, 2)
    np.testing.assert_allclose(share, [1 / 3, 2 / 3, 1.0])
    np.testing.assert_allclose(ratio, [0.8, 0.8, 0.5])
    np.testing.assert_allclose(per_deal, [0.8, 0.5])
    # triple priority for deal 0 (a tier-A account): weights 0.3 and 0.2 → shares 0.6, 0.4;
    # deal 0 gets min(1, 0.24·0.6/0.1) = 1, deal 1's part 0.24·0.4/0.2 = 0.48
    _, ratio, per_deal, _ = allocate(deal, group, need, np.array([3.0, 1.0, 1.0]), supply, 2)
    np.testing.assert_allclose(ratio, [1.0, 0.48, 0.5])
    np.testing.assert_allclose(per_deal, [1.0, 0.48])


def test_fill_passes_what_one_part_cannot_use_on_to_the_others():
    # The capped rule's second example wastes 0.24 − 0.1 − 0.096 = 0.044 of group 0's supply.
    # Filling by priority: deal 0 (priority 3) is full from level 1/3, where the group uses
    # (0.3 + 0.2)/3 = 0.1667 ≤ 0.24; the level is then (0.24 − 0.1)/0.2 = 0.7 for deal 1's part,
    # which uses the rest. Group 1 has one part: 0.05/0.1 = 0.5, as before.
    deal, group = np.array([0, 1, 1]), np.array([0, 0, 1])
    need, supply = np.array([0.1, 0.2, 0.1]), np.array([0.24, 0.05])
    _, ratio, per_deal, fill = allocate(deal, group, need, np.array([3.0, 1.0, 1.0]), supply, 2,
                                        "fill")
    np.testing.assert_allclose(ratio, [1.0, 0.7, 0.5])
    np.testing.assert_allclose(per_deal, [1.0, 0.5])
    assert fill is not None
    # Below the first saturation it is the capped rule: equal priority, 0.24 over 0.3 → 0.8.
    _, ratio, _, _ = allocate(deal, group, need, np.ones(3), supply, 2, "fill")
    np.testing.assert_allclose(ratio, [0.8, 0.8, 0.5])
    # Supply beyond the group's whole need fills every part; no supply, no support.
    np.testing.assert_allclose(fill.level(np.array([0, 0]), np.array([0.5, 0.0])), [np.inf, 0.0])


def test_fill_uses_all_supply_or_all_need_and_never_less_than_capped():
    """Invariants on random groups: used = min(supply, need) per group; ratio rises with supply."""
    rng = np.random.default_rng(5)
    for _ in range(200):
        n_parts, n_groups = int(rng.integers(1, 30)), int(rng.integers(1, 5))
        group = rng.integers(0, n_groups, n_parts)
        need = rng.uniform(0.01, 0.5, n_parts)
        prio = rng.choice([0.5, 1.0, 3.0], n_parts) * rng.uniform(0.5, 1.5, n_parts)
        supply = rng.uniform(0, 2, n_groups)
        deal = np.arange(n_parts)
        _, r_cap, _, _ = allocate(deal, group, need, prio, supply, n_parts, "capped")
        _, r_fill, _, fill = allocate(deal, group, need, prio, supply, n_parts, "fill")
        used_cap = np.bincount(group, weights=need * r_cap, minlength=n_groups)
        used_fill = np.bincount(group, weights=need * r_fill, minlength=n_groups)
        total = np.bincount(group, weights=need, minlength=n_groups)
        np.testing.assert_allclose(used_fill, np.minimum(supply, total), atol=1e-12)
        assert (used_fill >= used_cap - 1e-12).all()
        assert fill is not None
        more = np.minimum(1.0, fill.level(group, supply[group] * 1.1 + 0.01) * prio)
        assert (more >= r_fill - 1e-12).all()


def test_attention_builds_relationship_past_its_fixed_cost(params):
    # 0.5 effort-months · 10 % of the portfolio = 0.05, minus the fixed cost 0.01 → 0.04;
    # gain 4 · 0.04 = 0.16 of the gap: 0.4 · 0.97 + 0.16 · 0.6 = 0.484. A prospect only decays.
    r = relationship_after(np.array([0.5, 0.5]), np.array([0.1, 0.1]), np.array([True, False]),
                           np.array([0.4, 0.4]), params.market)
    np.testing.assert_allclose(r, [0.484, 0.388])


def test_late_deliveries_follow_capacity_against_load(params):
    # 0.6 deliveries kept on time for 2 due: 0.05 + 0.95 · 0.3 = 0.335; no load: certain
    p = on_time_probability(np.array([0.6, 3.0]), np.array([2, 0]), params.market)
    np.testing.assert_allclose(p, [0.335, 1.0])


def test_poor_relationships_pay_late_and_collapsed_ones_are_written_off(params):
    # delay 1 month, +2 below relationship 0.25; below 0.05 written off when u < 0.5
    delay, write = collection_due(np.array([0.5, 0.2, 0.04, 0.04]),
                                  np.array([0.9, 0.9, 0.3, 0.7]), params.market)
    np.testing.assert_array_equal(delay, [1, 3, 3, 3])
    np.testing.assert_array_equal(write, [False, False, True, False])


def test_quit_hazard_rises_with_the_gap_to_the_outside_option():
    # 0.005 + 0.05 · max(0, 1 − pay/outside): pay 9 of 10 → 0.01; 4.5 → 0.0325; 12 → 0.005
    h = quit_hazard(np.array([9.0, 4.5, 12.0]), np.full(3, 10.0), 0.005, 0.05)
    np.testing.assert_allclose(h, [0.01, 0.0325, 0.005])


def test_expected_need_plans_for_deals_that_go_the_distance(params):
    """SR and FR need per month of an account that needs all four lines and of a one-line one.

    Both at the mean wallet: 0.02 deals a month × 3 months open = 0.06. All four lines (two
    strategic): expected strategic lines ½·2 + ½⁴·2/4 = 1.03125 → SR 0.06 · 0.15 · 1.03125; lines
    of an integrated deal ½·4 − 4·½⁴ = 1.75 → FR 0.06 · 0.10 · 1.75. Platform only: SR
    0.06 · 0.15 · (½ + ½), FR 0 (a one-line deal is never integrated).
    """
    from types import SimpleNamespace

    from sim.firm.ledger import Lines
    from sim.firm.org import expected_need

    lines = Lines.from_params(params.market.lines)
    assert lines.names == ("hardware", "services", "platform", "solutions")
    acc = SimpleNamespace(needs=np.array([0b1111, 0b0100]), wallet=np.array([1.0, 1.0]))
    sr, fr = expected_need(acc, lines, params.market)
    np.testing.assert_allclose(sr, [0.06 * 0.15 * 1.03125, 0.06 * 0.15 * 1.0])
    np.testing.assert_allclose(fr, [0.06 * 0.10 * 1.75, 0.0])
    # The combinatorics against the arrival rule itself: each needed line with probability ½,
    # one needed line at random when the coins pick none.
    rng = np.random.default_rng(0)
    bits = rng.random((200_000, 4)) < 0.5
    forced = rng.integers(0, 4, 200_000)
    none = ~bits.any(axis=1)
    bits[none, forced[none]] = True
    n = bits.sum(axis=1)
    assert abs(bits[:, 2:].sum(axis=1).mean() - 1.03125) < 0.01
    assert abs((n * (n >= 2)).mean() - 1.75) < 0.01


def test_triangles_keep_the_key_accounts_their_capacity_covers():
    """Accounts dealt largest first round-robin; each triangle keeps a prefix that fits.

    Triangle 0 is dealt accounts 10, 12, 14 (SR need 0.1, 0.1, 0.05: cumulative 0.1, 0.2, 0.25
    against capacity 0.2 → keeps 10 and 12); triangle 1 accounts 11, 13 (0.1, 0.25 → keeps 11).
    A triangle always keeps its first account, even when it alone exceeds the capacity.
    """
    from sim.firm.org import by_workload

    cand = np.array([10, 11, 12, 13, 14])
    sr = np.zeros(15)
    sr[10:15] = [0.1, 0.1, 0.1, 0.15, 0.05]
    taken, tri = by_workload(cand, (sr, np.zeros(15)), 2, (0.2, 1.0))
    assert dict(zip(taken.tolist(), tri.tolist(), strict=True)) == {10: 0, 11: 1, 12: 0}
    taken, tri = by_workload(cand, (sr, np.zeros(15)), 2, (0.05, 1.0))
    assert dict(zip(taken.tolist(), tri.tolist(), strict=True)) == {10: 0, 11: 1}
    # FR binds as well: capacity 0.2 for SR but nothing for FR keeps only the first accounts.
    taken, _ = by_workload(cand, (sr, np.full(15, 0.1)), 2, (0.2, 0.1))
    assert taken.tolist() == [10, 11]


def test_fill_serves_no_part_of_priority_zero_and_fills_a_group_its_supply_exactly_covers():
    """Two edge cases found in review: a priority-0 part gave NaN; supply equal to need gave 0.

    Priority 0 (a valid ``tiering.tier_a_priority``) is never served, as under ``capped``. A
    group whose supply is exactly its need is filled whatever the rounding of cumulative sums
    across groups (the second group's last part once got a level of ulp/ulp).
    """
    _, ratio, _, _ = allocate(np.array([0, 1]), np.array([0, 0]), np.ones(2),
                              np.array([1.0, 0.0]), np.array([5.0]), 2, "fill")
    np.testing.assert_array_equal(ratio, [1.0, 0.0])
    need = np.array([0.79153444, 0.6134194])
    prio = np.array([0.67619143, 0.77895252])
    group = np.array([0, 1])
    for supply in (need, np.nextafter(need, 0), np.nextafter(need, 2)):
        _, ratio, _, _ = allocate(np.arange(2), group, need, prio, supply, 2, "fill")
        np.testing.assert_allclose(ratio, [1.0, 1.0], rtol=1e-12)
