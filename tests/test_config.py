"""Composition, validation and one-line errors for bad input."""

from __future__ import annotations

import pytest

from sim.calibration import on_target_comp
from sim.config import ConfigError, group_options, load_config
from sim.scheme import ROLES, build_scheme


def test_default_config_is_the_problem_state():
    cfg = load_config()
    assert cfg.scheme.name == "commission"
    assert isinstance(cfg.seed, int)


@pytest.mark.parametrize("scheme", ["commission", "target_bonus", "gain_sharing"])
def test_presets_build(scheme):
    cfg = load_config([f"scheme={scheme}"])
    s = build_scheme(cfg.scheme)
    assert set(s.roles) == set(ROLES)


def test_every_scheme_option_is_a_preset_we_test():
    assert group_options("scheme") == ["commission", "gain_sharing", "target_bonus"]


@pytest.mark.parametrize("scheme", ["commission", "target_bonus", "gain_sharing"])
def test_presets_have_equal_on_target_pay_per_role(scheme):
    cfg = load_config([f"scheme={scheme}"])
    otc = on_target_comp(build_scheme(cfg.scheme), cfg.calibration)
    for role in ROLES:
        want = cfg.calibration.otc[role]
        assert abs(otc[role] / want - 1) <= cfg.calibration.tolerance, (role, otc[role], want)


def test_the_reference_firms_kpi_savings_follow_firm_kpi_value():
    """The reference firm's non-sales profit is what its on-target KPI saves (issue 18)."""
    cfg = load_config([])
    for role in ROLES[1:]:
        ref = cfg.calibration.on_target_monthly[role]
        assert ref.profit == pytest.approx(cfg.firm.kpi_value[role] * ref.kpi), role


def test_unit_level_pools_are_calibrated_from_their_units_own_bases():
    """A unit-level pool on profit pays each unit from its own profit (issue 18).

    At the reference firm's on-target measures an R&D pool of 0.1 × profit pays each SR
    0.1 × 4.583 × 12 = 5.4996 a year (its unit's KPI savings), sales 0.1 × 35 × 12 = 42: not
    the firm-wide pool's share (the first calibration reported 114.5 for such a plan while
    the firm paid 0).
    """
    cfg = load_config(["scheme=gain_sharing", "scheme.plans.firm_pool.level=unit",
                       "scheme.plans.firm_pool.base.profit=0.1"])
    otc = on_target_comp(build_scheme(cfg.scheme), cfg.calibration)
    salary = {r: 12 * cfg.scheme.roles[r].salary for r in ROLES}
    assert otc["rnd"] - salary["rnd"] == pytest.approx(0.1 * 4.583 * 12)
    assert otc["sales"] - salary["sales"] == pytest.approx(0.1 * 35 * 12)


def test_calibration_detects_a_mis_set_salary():
    cfg = load_config(["scheme=gain_sharing", "scheme.roles.rnd.salary=8.0"])
    otc = on_target_comp(build_scheme(cfg.scheme), cfg.calibration)
    assert abs(otc["rnd"] / cfg.calibration.otc["rnd"] - 1) > cfg.calibration.tolerance


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (["scheme=bogus"], "scheme: unknown option 'bogus'"),
        (["seed=abc"], "seed: must be an integer"),
        (["seed=3.5"], "seed: must be an integer"),
        (["seed=-1"], "seed: must be an integer"),
        (["months=0"], "months: must be an integer ≥ 1"),
        (["sede=3"], "sede: no such setting"),
        (["scheme.plans.sales_commission.rate=-0.1"], "commission.rate: must be ≥ 0"),
        (["scheme.plans.rnd_mbo.curve=[[0.5,1.0],[1.0,0.5]]"], "target_bonus.curve"),
        (["scheme=target_bonus", "scheme.plans.sales_mbo.weights.revenue=0.9"],
         "target_bonus.weights: must sum to 1"),
        (["scheme.plans.sales_commission.ratee=0.1"], "no such setting"),
        (["behavior.learner.recency=2"], "behavior.learner.recency"),
        (["theory.window=2"], "theory.window: must be a finite number > 0 and ≤ 1"),
        (["theory.grid_step=abc"], "theory.grid_step: must be a finite number"),
        (["+scheme.plans.sales_commission.clawback=maybe"], "clawback: must be true or false"),
        (["scheme.plans.sales_commission.rate=inf"], "rate: must be finite"),
        (["behavior.frozen=[sales,boss]"], "behavior.frozen: must be a list of roles"),
        (["behavior.frozen=3"], "behavior.frozen: must be a list of roles"),
        (["behavior.sanction.strength=-1"], "behavior.sanction.strength: must be a finite"),
        (["behavior.sanction.span=0"], "behavior.sanction.span: must be an integer ≥ 1"),
        (["firm.rate_raise.enabled=maybe"], "firm.rate_raise.enabled: must be true or false"),
        (["firm.rate_raise.step=0"], "firm.rate_raise.step: must be a finite number > 0"),
        (["firm.rate_raise.trigger=1.5"], "firm.rate_raise.trigger: must be a number in (0, 1]"),
        # issue 13: accepted silently (or a traceback) before the firm's parameters were typed
        (["market.deal_rate=-1"], "market.deal_rate: must be a number in [0, 1], got -1"),
        (["market.deal_rate=nan"], "market.deal_rate: must be a number in [0, 1], got nan"),
        (["market.wallet_log_sd=inf"], "market.wallet_log_sd: must be a finite number ≥ 0"),
        (["market.delivery_lead=-1"], "market.delivery_lead: must be an integer ≥ 0"),
        (["market.need_prob=2"], "market.need_prob: must be a number in [0, 1]"),
        (["firm.burn_in=-5"], "firm.burn_in: must be an integer ≥ 0"),
        (["firm.cost=0"], "firm.cost: must be a finite number > 0"),
        (["firm.quit_base=2"], "firm.quit_base: must be a number in [0, 1]"),
        (["firm.quit_slope=0.999"], "quit_base + quit_slope"),
        (["market.lines={}"], "market.lines: ={} changes nothing"),
        (["~market.lines"], "market.lines: required"),
        (["market.gates.atc.price=abc"], "market.gates.atc.price: must be a finite number"),
        (["+market.gates.ati.price=1"], "market.gates.ati.price: no such setting"),
        (["firm.share.sales=-1"], "firm.share.sales: must be a finite number ≥ 0"),
        (["months=1"], "months: must be ≥ firm.burn_in + 12 = 24"),
        (["+market.foo=1"], "market.foo: no such setting"),
        (["firm.tasks.sales=[a,b]"], "firm.tasks.sales: must list the tasks"),
        (["org.design=matrix"], "org.design: must be one of silo, iron_triangle"),
        (["market.hunting_lag=0"], "market.hunting_lag: must be an integer ≥ 1"),
        (["firm.n_sales=0"], "firm.n_sales: must be an integer ≥ 1"),
    ],
)
def test_bad_input_is_one_line_naming_the_field(overrides, field):
    with pytest.raises(ConfigError) as err:
        load_config(overrides)
    msg = str(err.value)
    assert field in msg
    assert "\n" not in msg
