"""Later payoffs (issue 20, part 5; sim/firm/later.py): hunting and relationship valued ahead.

Worked examples of the three formulas with literal numbers, the candidates' ``new_accounts``
measure in a firm run (moved by hunting candidates only with the switch on, by exactly the
expected prospects), and the direction committed with the mechanism before any firm run of it:
under a plan paying per new account, valuing later payoffs raises ARs' hunting effort (paired by
seed; with the switch off such a plan changes nothing, issue 20's finding).
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

from sim.config import ConfigError, load_config
from sim.firm import Firm, payroll
from sim.firm.later import annuity, hunting, relationship
from sim.firm.params import SALES
from sim.simulation import plain, run
from sim.stats import mean_ci

SMALL = ["debug=small"]
ON = ["behavior.value_later_payoffs=true"]
OFF = ["behavior.value_later_payoffs=false"]
BONUS = ["+scheme.plans.sales_hunting={kind: commission, measure: new_accounts, rate: 20.0, "
         "period: 1, crediting: booking}", "scheme.roles.sales.plans=[sales_commission, "
         "sales_hunting]"]


def test_annuity_worked_example():
    # Σ_{k=3}^{14} 0.99^k = 0.99³ · (1 − 0.99¹²) / 0.01 = 0.970299 · 11.361513 = 11.024065
    assert annuity(0.99, 3, 12) == pytest.approx(11.024065, abs=1e-6)
    assert annuity(0.5, 0, 3) == pytest.approx(1.75, abs=1e-12)


def test_hunting_worked_example():
    # 0.1 more hunting at 0.6 prospects per effort-month: 0.06 prospects, joining 3 months on.
    accounts, share = hunting(np.array([[0.1, -0.1, 0.0], [0.1, 0.0, 0.0]]), np.array([20, 0]),
                              rate=0.6, lag=3, delta=0.99, horizon=12)
    assert accounts[0, 0] == pytest.approx(0.06 * 0.970299, abs=1e-9)  # 0.0582179
    assert accounts[0, 1] == pytest.approx(-0.0582179, abs=1e-7)
    assert share[0, 0] == pytest.approx(0.06 * 11.024065 / 20, abs=1e-8)  # 0.0330722
    assert share[0, 2] == 0.0
    assert share[1, 0] == 0.0  # an AR who owns no account has nothing to stand in
    assert accounts[1, 0] == pytest.approx(0.0582179, abs=1e-7)


def test_relationship_worked_example():
    # One deal at P = 0.5 under relationship weight 1: slope 0.25. Δr = 0.02 decays 3 % a month;
    # weight Σ_{k=1}^{12} (0.99 · 0.97)^k = 0.9603 · (1 − 0.9603¹²) / 0.0397 = 9.312458.
    rev, mar = relationship(np.array([[0.02, 0.0]]), np.array([1]), np.array([0.5]),
                            np.array([100.0]), np.array([30.0]), n_sales=2, w_rel=1.0,
                            decay=0.03, delta=0.99, horizon=12)
    weight = 0.9603 * (1 - 0.9603 ** 12) / 0.0397
    assert weight == pytest.approx(9.312458, abs=1e-6)
    assert rev[1, 0] == pytest.approx(0.25 * 0.02 * weight * 100, abs=1e-9)  # 4.656
    assert mar[1, 0] == pytest.approx(0.25 * 0.02 * weight * 30, abs=1e-9)
    assert rev[0].tolist() == [0.0, 0.0] and rev[1, 1] == 0.0


def test_credit_worked_example():
    """Two people, AR in row 1: each money measure gains base · share + the relationship term."""
    from sim.firm.later import Later, credit
    from sim.firm.payroll import MONEY

    lt = Later(accounts=np.array([[0.5, 0.0]]), share=np.array([[0.1, 0.0]]),
               revenue=np.array([[2.0, 1.0]]), margin=np.array([[0.6, 0.3]]))
    base = {"revenue": np.array([0.0, 100.0]), "margin": np.array([0.0, 30.0]),
            "profit": np.array([0.0, 30.0]), "team_revenue": np.array([0.0, 100.0]),
            "new_accounts": np.array([0.0, 1.0]), "value_added": np.array([0.0, 12.0])}
    ce = {k: np.repeat(v[:, None], 3, axis=1) for k, v in base.items()}
    credit(ce, base, lt, np.array([1]), MONEY, fraction=np.array([0.0, 0.5]))
    assert ce["revenue"][1].tolist() == [112.0, 101.0, 100.0]  # 100 + 100·0.1 + 2; + 1; untouched
    assert ce["margin"][1].tolist() == pytest.approx([33.6, 30.3, 30.0])
    assert ce["profit"][1].tolist() == pytest.approx([33.6, 30.3, 30.0])  # profit is margin
    assert ce["team_revenue"][1].tolist() == [112.0, 101.0, 100.0]
    assert ce["new_accounts"][1].tolist() == [1.5, 1.0, 1.0]
    assert ce["value_added"][1].tolist() == pytest.approx([13.8, 12.15, 12.0])  # + 0.5 · 3.6
    assert ce["revenue"][0].tolist() == [0.0, 0.0, 0.0]


def _capture(monkeypatch, extra: list[str], months: int = 14) -> list[tuple]:
    seen: list[tuple] = []
    measures = payroll.measures

    def spy(eff, cand, events, deltas, new_accounts, org, *args, **kwargs):
        out = measures(eff, cand, events, deltas, new_accounts, org, *args, **kwargs)
        seen.append((eff[SALES], cand[SALES], new_accounts, org.idx[SALES], out, deltas))
        return out

    monkeypatch.setattr(payroll, "measures", spy)
    logging.getLogger("MESA").setLevel(logging.WARNING)
    firm = Firm(plain(load_config([*SMALL, *extra])))
    for _ in range(months):
        firm.step()
    return seen


@pytest.mark.parametrize("switch", ["on", "off"])
def test_candidates_new_accounts_are_the_expected_prospects(monkeypatch, switch):
    seen = _capture(monkeypatch, ON if switch == "on" else OFF)
    col = 2  # hunting, the third sales task
    for eff, cand, joined, rows, out, deltas in seen:
        n, ks = eff.shape
        flat = cand.reshape(n, -1, ks)
        got = out.candidates["effort"]["booking"]["new_accounts"][rows, :flat.shape[1]]
        moved = 0.6 * (flat[..., col] - eff[:, col][:, None]) * 0.99 ** 3
        expected = joined[:, None] + (moved if switch == "on" else 0.0 * moved)
        np.testing.assert_allclose(got, expected, atol=1e-12)
        later = deltas.later
        assert (later is None) == (switch == "off")
        rev = out.candidates["effort"]["booking"]["revenue"][rows, :flat.shape[1]]
        base = out.realised["booking"]["revenue"][rows]
        extra = 0.0 if later is None else base[:, None] * later.share + later.revenue
        np.testing.assert_allclose(rev, base[:, None] + deltas.sales["revenue"] + extra,
                                   rtol=1e-12, atol=1e-9)
    assert switch == "off" or any(np.ptp(o.candidates["effort"]["booking"]["new_accounts"]) > 0
                                  for *_, o, _d in seen)


def test_a_new_account_bonus_raises_hunting_once_later_payoffs_are_valued():
    """Paired by seed over 5 seeds: ARs' hunting effort over the last 12 months, on − off."""

    def hunt(extra: list[str], seed: int) -> float:
        logging.getLogger("MESA").setLevel(logging.WARNING)
        eff = run(load_config([*SMALL, *BONUS, *extra, f"seed={seed}"])).effort
        return float(np.mean(eff["sales.hunting"][-12:]))

    d = np.array([hunt(ON, s) - hunt(OFF, s) for s in range(5)])
    assert mean_ci(d).low > 0, d


@pytest.mark.parametrize("override", ["behavior.later_horizon=0",
                                      "behavior.value_later_payoffs=maybe"])
def test_a_bad_later_setting_is_one_line_naming_the_field(override):
    with pytest.raises(ConfigError) as err:
        load_config([*SMALL, override])
    field = override.split("=")[0]
    assert str(err.value).startswith(field) and "\n" not in str(err.value)
