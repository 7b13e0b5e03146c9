"""The firm's stated policies and diagnostics: pay raises, absorbing traps, scorecard metrics."""

from __future__ import annotations

import numpy as np
import pytest

from sim.config import load_config
from sim.firm import Firm
from sim.simulation import plain, run

SMALL = ["debug=small", "months=36"]


def firm_after(*overrides: str) -> Firm:
    firm = Firm(plain(load_config([*SMALL, *overrides])))
    for _ in range(firm.months):
        firm.step()
    return firm


# A commission rate far too low to reach the outside option: ARs fall below it.
STARVED = ["scheme.plans.sales_commission.rate=0.005"]


def test_raise_policy_raises_sales_rates_when_ars_fall_below_their_outside_option():
    on = firm_after(*STARVED, "firm.rate_raise.enabled=true", "firm.rate_raise.trigger=0.2")
    off = firm_after(*STARVED)
    raises = sum(r["rate_raises"] for r in on.record.records)
    assert raises >= 1
    # Each raise multiplies the plan's rate by 1 + step; plans shared with others never move.
    assert on.payroll.plans["sales_commission"].rate == pytest.approx(0.005 * 1.1 ** raises)
    assert on.payroll.plans["rnd_mbo"] == off.payroll.plans["rnd_mbo"]
    assert off.payroll.plans["sales_commission"].rate == 0.005
    assert sum(r["rate_raises"] for r in off.record.records) == 0


def test_raise_policy_cannot_raise_a_pool_shared_with_everyone():
    pool = firm_after("scheme=gain_sharing", "scheme.plans.firm_pool.base.profit=0.01",
                      "firm.rate_raise.enabled=true", "firm.rate_raise.trigger=0.01")
    assert sum(r["rate_raises"] for r in pool.record.records) == 0


def test_a_demand_shock_scales_opportunities_from_its_month_on():
    base = firm_after()
    shock = firm_after("market.shock.month=12", "market.shock.demand=0.5")
    created = lambda f, lo, hi: int(((f.deals.created >= lo) & (f.deals.created < hi)  # noqa: E731
                                     & ~f.deals.run_rate).sum())
    assert created(shock, 0, 12) == created(base, 0, 12)  # same draws before the shock
    assert created(shock, 12, 36) < 0.65 * created(base, 12, 36)


def test_raise_policy_leaves_a_well_paid_sales_force_alone():
    # The default firm (90 ARs), not debug=small: with 12 ARs three below their outside option
    # are already the 25 % trigger, so one AR more or less decides it.
    firm = Firm(plain(load_config(["months=36", "firm.rate_raise.enabled=true"])))
    for _ in range(firm.months):
        firm.step()
    assert sum(r["rate_raises"] for r in firm.record.records) == 0


def test_rate_pressure_counts_raises_and_pay_driven_sales_quits():
    m = run(load_config([*SMALL, *STARVED, "firm.rate_raise.enabled=true",
                         "firm.rate_raise.trigger=0.2"])).metrics
    assert m["rate_pressure"] >= m["rate_raises"] > 0


def test_an_unreachable_target_is_reported_as_a_zero_bonus_trap():
    """R&D's target 100x too high: no R&D seat earns a bonus (30 % of seats), nobody else."""
    base = run(load_config([*SMALL, "scheme=target_bonus"])).metrics
    trap = run(load_config([*SMALL, "scheme=target_bonus",
                            "scheme.plans.rnd_mbo.target.kpi=1200"])).metrics
    heads = 40
    n_rnd = round(0.30 * heads)
    assert trap["trap_zero_bonus_share"] >= n_rnd / heads
    assert trap["trap_zero_bonus_share"] > base["trap_zero_bonus_share"]


def test_a_pool_floored_at_zero_is_reported():
    """A hurdle no firm reaches: every pool period pays nothing."""
    m = run(load_config([*SMALL, "scheme=gain_sharing",
                         "scheme.plans.firm_pool.deduction=1e9"])).metrics
    assert m["trap_pool_floor_share"] == 1.0
    assert m["trap_zero_bonus_share"] == 1.0
    ok = run(load_config([*SMALL, "scheme=gain_sharing"])).metrics
    assert ok["trap_pool_floor_share"] == 0.0


def test_scorecard_metrics_are_in_range_and_follow_their_definitions():
    m = run(load_config(SMALL)).metrics
    assert 0 <= m["bsc_customer"] <= 1 and 0 <= m["bsc_learning"] < 1
    assert m["bsc_efficiency"] == pytest.approx(m["bookings"] / 40)
    assert m["bsc_financial"] == pytest.approx(m["operating_profit"] / m["revenue"])


def _ledger(*overrides: str) -> dict:
    deals = run(load_config([*SMALL, *overrides]), keep_deals=True).deals
    assert deals is not None
    return deals


def test_pulled_deals_close_early_at_a_deeper_discount_and_slipped_ones_late():
    # Nearly flat starting attractions: ARs move about half their controllable deals at first,
    # so there are pulls and slips to look at.
    d = _ledger("seed=5", "behavior.learner.prior_precision=0.001")
    project = ~d["run_rate"]
    pulled, slipped = d["pulled"] & project, d["slipped"] & project
    assert pulled.any()
    # Natural close is three gates (months) after creation.
    early = 3 - (d["booked"][pulled] - d["created"][pulled])
    assert set(np.unique(early)) <= {1, 2}
    assert (d["discount"][pulled] >= 0.05 * early - 1e-12).all()
    assert (d["discount"][pulled] <= 0.25 + 1e-12).all()
    booked_slipped = slipped & (d["booked"] >= 0)
    assert (d["booked"][booked_slipped] - d["created"][booked_slipped] == 4).all()
    assert not (pulled & slipped).any()


def test_without_timing_control_every_deal_closes_in_its_natural_month():
    d = _ledger("seed=5", "market.timing_control=0")
    project = ~d["run_rate"] & (d["booked"] >= 0)
    assert not d["pulled"].any() and not d["slipped"].any()
    assert (d["booked"][project] - d["created"][project] == 3).all()


@pytest.mark.xfail(strict=True, reason="a known failure (issue 20, stop 33): with the deal-timing "
                   "fixes neither scheme pulls a deal in at debug=small, seed 6 (0.0 and 0.0): "
                   "the starting attractions (leave it, κ = 5) outweigh a pool AR's near-zero "
                   "stake for the whole run, so its indifference never shows")
def test_timing_is_learned_from_pay_not_drawn_at_random():
    """Revenue-paid ARs pull fewer deals in than ARs in a firm-wide pool (issue 20).

    A pull costs the customer's extra discount (5 % a month) for booking a month earlier, and
    it does not win the deal (``market.pull_discount_wins: false``): under a revenue commission
    it costs the AR 5 % of the deal's commission for 1 % of time value, so ARs learn to leave
    deals; in a firm-wide pool their pay hardly moves with the deal, so they stay near the
    logit's indifference (M7). Under the first model's rule it was the other way round.
    """
    com = run(load_config([*SMALL, "seed=6"])).metrics
    pool = run(load_config([*SMALL, "seed=6", "scheme=gain_sharing"])).metrics
    assert com["pull_in_share"] < pool["pull_in_share"]


def test_clawback_takes_back_commission_on_written_off_deals():
    """Worked example: clawback reverses commission on write-offs, down to a floor of 0.

    In the first month with write-offs, a 4 % revenue commission with clawback pays each AR
    4 % × min(write-offs, that month's bookings) less. Relationships are made to collapse so
    that receivables get written off; before that month both runs are identical.
    """
    from sim.firm import SALES
    from sim.firm.ledger import WRITTEN_OFF

    base = [*SMALL, "seed=3", "market.relationship_gain=0", "market.relationship_decay=0.5"]
    firms = {}
    for claw in ("false", "true"):
        firm = Firm(plain(load_config(
            [*base, f"+scheme.plans.sales_commission.clawback={claw}"])))
        for _ in range(firm.months):
            firm.step()
        firms[claw] = firm
    plain_firm, claw_firm = firms["false"], firms["true"]
    d = claw_firm.deals
    written = (d.stage == WRITTEN_OFF) & (d.owner >= 0)
    assert written.any()
    t0 = int(d.collected[written].min())
    sales = claw_firm.org.idx[SALES]
    pay_a = np.array(plain_firm.record.pay_log)[: t0 + 1, sales]
    pay_b = np.array(claw_firm.record.pay_log)[: t0 + 1, sales]
    np.testing.assert_array_equal(pay_a[:t0], pay_b[:t0])
    net = d.value * (1 - d.discount)
    hit = written & (d.collected == t0)
    wo = np.bincount(d.owner[hit], weights=net[hit], minlength=sales.size)
    booked = (d.booked == t0) & (d.owner >= 0)
    rev = np.bincount(d.owner[booked], weights=net[booked], minlength=sales.size)
    np.testing.assert_allclose(pay_a[t0] - pay_b[t0], 0.04 * np.minimum(wo, rev), atol=1e-9)


def test_rollout_switches_plans_at_its_month_and_not_before():
    stay = firm_after()
    switch = firm_after("rollout.month=18", "+scheme@rollout.scheme=gain_sharing")
    assert switch.payroll.scheme.name == "gain_sharing" and stay.payroll.scheme.name == "commission"
    # the same world before the switch
    assert switch.record.pay_log[17].tolist() == stay.record.pay_log[17].tolist()
    assert switch.record.pay_log[18].tolist() != stay.record.pay_log[18].tolist()
    m = run(load_config([*SMALL, "rollout.month=18", "+scheme@rollout.scheme=gain_sharing"])
            ).metrics
    assert 0 <= m["rollout_share_losing_10pct"] <= 1
    assert {"rollout_pay_change_sales", "rollout_top_earner_attrition",
            "rollout_transition_months"} <= set(m)


def test_rollout_needs_a_scheme():
    from sim.config import ConfigError

    with pytest.raises(ConfigError, match=r"rollout\.scheme: give the plan"):
        load_config(["rollout.month=12"])


def test_a_tender_arrives_once_on_the_largest_key_account_with_every_line():
    firm = firm_after("market.tender.month=20", "tiering=company")
    d, acc = firm.deals, firm.accounts
    tid = firm.tender_id
    assert d.created[tid] == 20 and d.lines[tid] == (1 << len(firm.lines.names)) - 1
    assert d.integrated[tid] and d.strategic[tid]
    assert acc.wallet[d.account[tid]] == pytest.approx(
        float(acc.wallet[acc.tier_a & (acc.owner >= 0)].max()), rel=0.5)
    m = run(load_config([*SMALL, "market.tender.month=20", "tiering=company"])).metrics
    assert m["tender_won"] in (0.0, 1.0) and 0 <= m["tender_support"] <= 1


def test_helping_an_ar_moves_the_reference_pay_an_sr_envies():
    """M5 through others' pay: helping raises the pay of the AR one compares with.

    An SR's candidate support changes the revenue their triangle's AR books, and so that AR's
    pay (the SR's reference) at the AR's marginal pay per unit of revenue.
    """
    from sim.firm import RND

    firm = Firm(plain(load_config(["org=iron_triangle", "seed=1"])))  # size s: deals flip
    firm.keep_phases = True
    moved = 0
    for _ in range(20):
        firm.step()
        last = firm.last
        assert last is not None and last.deltas is not None and last.paid is not None
        cand = firm.people.candidates(last.actions)
        refs = firm.people.reference_pay(last.paid.pay, cand, last.deltas, last.paid.ar_marginal)
        d_rev = last.deltas.support["rnd"]["team_revenue"]
        rows = firm.org.idx[RND]
        team = firm.org.team[rows]
        k, g = cand[RND].shape[1:3]
        fixed = refs[RND][..., 0].reshape(rows.size, -1) - last.paid.ar_marginal[
            np.maximum(team, 0)][:, None] * d_rev[:, : k * g]
        in_tri = team >= 0
        # Subtracting the AR's marginal pay x revenue change leaves one reference per SR.
        np.testing.assert_allclose(fixed[in_tri], fixed[in_tri][:, :1].repeat(k * g, axis=1))
        moved += int((np.abs(d_rev[in_tri]) > 0).sum())
    assert moved > 0  # the channel was exercised
