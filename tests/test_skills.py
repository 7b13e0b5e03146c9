"""Issue 19: knowledge transfer in the firm (``firm.teaching``, :mod:`sim.firm.skills`).

Worked examples of the kernels with literal numbers and against the reduced environment's
technology (:mod:`sim.teaching`), and the firm's switch: off is the first model (byte-identical
runs: tests/test_fingerprints.py), on gives every SR, FR and support person an ability that
scales their own KPI and a teach task that only a pooled plan pays for.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

from sim.config import ConfigError, load_config
from sim.firm.model import Firm
from sim.firm.params import RND, SALES, SUPPLY, SUPPORT
from sim.firm.skills import gap_sums, received
from sim.teaching import Teaching

logging.getLogger("MESA").setLevel(logging.WARNING)


def test_gap_sums_and_what_each_receives_worked_example() -> None:
    """One group of abilities 1, 1.5, 0.5 and a group of one (ability 2)."""
    a = np.array([1.0, 1.5, 0.5, 2.0])
    g = np.array([0, 0, 0, 1])
    # Σ_j max(A_i − A_j, 0): 1 → 0.5; 1.5 → 0.5 + 1; 0.5 → 0; alone → 0.
    np.testing.assert_allclose(gap_sums(a, g, np.ones(4)), [0.5, 1.5, 0.0, 0.0])
    # weighted by the less able's weights (2 for the first, 3 for the third)
    np.testing.assert_allclose(gap_sums(a, g, np.array([2.0, 1.0, 3.0, 1.0])),
                               [1.5, 0.5 * 2 + 1.0 * 3, 0.0, 0.0])
    # Σ_i s_i max(A_i − A_j, 0): 0.5 gets 0.5·s₀ + 1·s₁; 1 gets 0.5·s₁; 1.5 gets nothing.
    s = np.array([0.2, 0.4, 0.9, 1.0])
    np.testing.assert_allclose(received(a, g, s), [0.5 * 0.4, 0.0, 0.5 * 0.2 + 1.0 * 0.4, 0.0])


def test_kernels_equal_the_pairwise_sums_on_random_groups() -> None:
    rng = np.random.default_rng(3)
    n = 200
    a = np.round(rng.lognormal(0, 0.3, n), 2)  # rounded: ties occur
    g = rng.integers(0, 9, n)
    w, s = rng.random(n), rng.random(n)
    same = (g[:, None] == g[None, :]) & ~np.eye(n, dtype=bool)
    gap = np.where(same, np.maximum(a[:, None] - a[None, :], 0.0), 0.0)  # [i, j]
    np.testing.assert_allclose(gap_sums(a, g, w), gap @ w, atol=1e-12)
    np.testing.assert_allclose(received(a, g, s), s @ gap, atol=1e-12)


def test_the_firms_transfer_is_the_reduced_environments() -> None:
    """Teams of 3 with the same abilities: both technologies give the same stocks."""
    ability = np.tile([0.5, 1.0, 1.5], 4)
    teach = np.linspace(0.0, 1.0, 12)
    tech = Teaching(productivity=0.5, retention=0.75)
    want = tech.transfer(tech.gaps(ability, 3), teach)
    group = np.repeat(np.arange(4), 3)
    got = 0.5 / 2 * received(ability, group, teach)
    np.testing.assert_allclose(got, want)


def _firm(*overrides: str) -> Firm:
    return Firm(load_config(["debug=small", "firm.teaching.enabled=true", *overrides]))


def test_teaching_on_adds_a_teach_task_and_abilities_to_the_kpi_roles() -> None:
    firm = _firm("scheme=gain_sharing")
    tasks = firm.params.firm.tasks
    assert "teach" not in tasks["sales"]
    for role in ("rnd", "supply_chain", "support"):
        assert tasks[role][-1] == "teach"
    sk = firm.people.skills
    assert sk is not None
    learns = firm.org.role != SALES
    assert (sk.innate[~learns] == 1.0).all()
    # lognormal(−σ²/2, σ): mean 1, spread 0.25
    assert sk.innate[learns].mean() == pytest.approx(1.0, abs=0.1)
    assert np.log(sk.innate[learns]).std() == pytest.approx(0.25, abs=0.06)
    # teammates are one role within one work group: in the silo the SR line pools, one FR
    # pool, one support function
    for gid in np.unique(sk.group[learns]):
        assert np.unique(firm.org.role[sk.group == gid]).size == 1
    assert np.unique(sk.group[firm.org.idx[SUPPLY]]).size == 1
    assert np.unique(sk.group[firm.org.idx[SUPPORT]]).size == 1
    assert np.unique(sk.group[firm.org.idx[RND]]).size > 1


def test_own_kpi_is_made_with_ones_ability_and_the_stock_keeps_its_retention() -> None:
    """No KPI noise, no quits: the month's KPI savings are Σ value × productivity × ability × e."""
    firm = _firm("scheme=gain_sharing", "firm.kpi_noise=0", "firm.quit_base=0",
                 "firm.quit_slope=0")
    firm.keep_phases = True
    sk = firm.people.skills
    assert sk is not None
    fp = firm.params.firm
    for _ in range(3):
        stock_before = sk.stock.copy()
        firm.step()
        paid, acts = firm.last.paid, firm.last.actions
        assert paid is not None
        # the stock: retention × last month's plus what was taught (≥ 0), per seat
        assert (sk.stock >= 0.75 * stock_before - 1e-15).all()
        ability = sk.innate + sk.stock
        want = 0.0
        for r, role in ((RND, "rnd"), (SUPPLY, "supply_chain"), (SUPPORT, "support")):
            own = acts.effort[r][:, fp.column(r, "own_kpi")]
            want += fp.kpi_value[role] * fp.kpi_productivity[role] * float(
                (ability[firm.org.idx[r]] * own).sum())
        assert paid.kpi_savings == pytest.approx(want, rel=1e-12)
    assert sk.stock.max() > 0  # people taught (the job description's 5 % at least)
    assert (sk.stock[firm.org.role == SALES] == 0).all()


@pytest.mark.parametrize("scheme", ["commission", "target_bonus", "gain_sharing"])
def test_only_a_pooled_plan_pays_for_teaching(scheme: str, monkeypatch) -> None:
    """The same month with and without what teaching gives the teammates (``rest``).

    Realised pay is the same (``rest`` is a counterfactual); counterfactual pay differs only
    under a plan that pays on others' results, and there only in the teach candidates of people
    who have teammates.
    """
    import sim.firm.payroll as payroll

    def month(strip: bool):
        firm = _firm(f"scheme={scheme}")
        firm.keep_phases = True
        if strip:
            monkeypatch.setattr(payroll, "shared_rest", lambda rest, inside: None)
        firm.step()
        monkeypatch.undo()
        assert firm.last.paid is not None
        return firm, firm.last.paid

    firm, with_rest = month(False)
    _, without = month(True)
    np.testing.assert_array_equal(with_rest.pay, without.pay)
    diff = with_rest.effort != without.effort
    if scheme != "gain_sharing":
        assert not diff.any()
        return
    sk = firm.people.skills
    assert sk is not None
    assert diff.any()
    assert not diff[sk.peers == 0].any()  # ARs, and the SR/FR of a triangle: nobody to teach
    acts = firm.last.actions
    for r in (RND, SUPPLY, SUPPORT):
        rows = firm.org.idx[r]
        space = firm.people.spaces[r]
        k, g = space.n_tasks, space.grid.size
        d = diff[rows, : k * g].reshape(rows.size, k, g)
        teach = firm.params.firm.column(r, "teach")
        cand = space.candidates(acts.effort[r])[..., teach]  # (n, K, G): the teaching level
        moved = cand != acts.effort[r][:, teach][:, None, None]
        assert not (d & ~moved).any()  # only candidates that change one's teaching
        assert d[:, teach].any()


@pytest.mark.parametrize("bad", ["retention=1.5", "productivity=-1", "ability_spread=-0.1",
                                 "prior=-1", "prior=0.6", "enabled=maybe"])
def test_a_bad_teaching_setting_is_refused(bad: str) -> None:
    field = bad.split("=")[0]
    with pytest.raises(ConfigError, match=rf"^firm\.teaching\.{field}: "):
        load_config(["debug=small", f"firm.teaching.{bad}"])


def test_a_rank_split_cannot_price_teaching() -> None:
    with pytest.raises(ConfigError, match=r"^scheme\.plans\.firm_pool\.split: rank cannot "):
        load_config(["debug=small", "scheme=gain_sharing", "scheme.plans.firm_pool.split=rank",
                     "firm.teaching.enabled=true"])
    load_config(["debug=small", "scheme=gain_sharing", "scheme.plans.firm_pool.split=rank"])


def test_a_hires_job_description_puts_the_stated_share_on_teaching() -> None:
    firm = _firm("firm.teaching.prior=0.05")
    for r in (RND, SUPPLY, SUPPORT):
        prior = firm.people.priors[r]
        teach = firm.params.firm.column(r, "teach")
        assert prior[teach] / prior.sum() == pytest.approx(0.05, rel=1e-12)
