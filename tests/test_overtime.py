"""Overtime (issue 20, part 4; sim/firm/overtime.py): effort above normal hours, to a cap.

Expectations committed with the mechanism, before any firm run with it: a month's effort never
exceeds ``firm.overtime.max``; with the cap at 1.2 somebody works above normal hours; and ARs,
whose effort sat at 0.994 of the first model's budget of 1, work more in total than without
overtime, under the default commission (paired by seed).
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

from sim.config import ConfigError, load_config
from sim.effort import EffortSpace
from sim.firm import Firm
from sim.firm.overtime import OvertimeParams
from sim.firm.params import ROLES, SALES
from sim.firm.people import People
from sim.simulation import plain, run
from sim.stats import mean_ci

SMALL = ["debug=small"]
ON = ["firm.overtime.max=1.2"]
OFF = ["firm.overtime.max=1.0"]


def _ar_space(ot: OvertimeParams) -> EffortSpace:
    """The AR's effort space at the defaults (5 tasks, cost 1.5, substitution 0.3)."""
    cost = 1.5 * (0.7 * np.eye(5) + 0.3)
    prior = np.array([0.35, 0.15, 0.1, 0.25, 0.15]) * 0.8
    return EffortSpace(("a", "b", "c", "d", "e"), ot.max, 0.02, cost, np.zeros(5),
                       overtime_cost=ot.cost(cost, prior))


def test_worked_example_of_the_ar_overtime_cost():
    """The AR's coefficient from the job description's split u, worked by hand.

    Σu² = 0.24, uᵀCu = 1.5·(0.7·0.24 + 0.3) = 0.702, c = (1 + 0.5 − 1.2)·0.702 / 0.2 = 1.053.
    """
    space = _ar_space(OvertimeParams(max=1.2, premium=0.5))
    assert space.overtime_cost == pytest.approx(1.053, abs=1e-12)
    assert space.grid[-1] == pytest.approx(1.2) and space.grid.size == 61


def test_an_hour_at_the_cap_costs_the_premium_more_than_at_normal_hours():
    space = _ar_space(OvertimeParams(max=1.2, premium=0.5))
    u = np.array([[0.35, 0.15, 0.1, 0.25, 0.15]])
    h = 1e-6

    def marginal(total: float) -> float:
        return float((space.net_cost((total + h) * u) - space.net_cost((total - h) * u))[0]
                     / (2 * h))

    assert marginal(1.2 - h) / marginal(1.0 - h) == pytest.approx(1.5, rel=1e-4)
    # below normal hours nothing changes
    plain_space = _ar_space(OvertimeParams())
    t = np.array([[0.3, 0.2, 0.1, 0.2, 0.1]])
    assert space.net_cost(t) == plain_space.net_cost(t)


def test_candidate_costs_equal_the_direct_form_with_overtime():
    space = _ar_space(OvertimeParams(max=1.2, premium=0.5))
    rng = np.random.default_rng(3)
    t = space.project(rng.uniform(0, 0.4, (7, 5)))
    direct = space.net_cost(space.candidates(t))
    assert np.allclose(space.candidate_net_cost(t), direct, rtol=0, atol=1e-12)
    assert (space.candidates(t).sum(axis=-1) <= 1.2 + 1e-12).all()


def test_without_overtime_the_effort_space_is_the_first_models():
    ot = OvertimeParams()
    assert not ot.enabled and ot.cost(np.eye(2), np.ones(2)) == 0.0
    assert _ar_space(ot).budget == 1.0


@pytest.mark.parametrize(("override", "field"), [
    ("firm.overtime.max=2.5", "firm.overtime.max"),
    ("firm.overtime.max=0.9", "firm.overtime.max"),
    ("firm.overtime.premium=0.1", "firm.overtime.premium"),
    ("+firm.overtime.cap=1", "firm.overtime.cap"),
])
def test_a_bad_overtime_setting_is_one_line_naming_the_field(override, field):
    with pytest.raises(ConfigError) as err:
        load_config([*SMALL, *ON, override])
    assert str(err.value).startswith(field) and "\n" not in str(err.value)


def test_effort_never_exceeds_the_cap_and_somebody_works_overtime(monkeypatch):
    seen: list[np.ndarray] = []
    act = People.act

    def spy(self, states, rng):
        out = act(self, states, rng)
        seen.append(np.concatenate([e.sum(axis=1) for e in out.effort]))
        return out

    monkeypatch.setattr(People, "act", spy)
    logging.getLogger("MESA").setLevel(logging.WARNING)
    firm = Firm(plain(load_config([*SMALL, *ON])))
    for _ in range(firm.months):
        firm.step()
    totals = np.concatenate(seen)
    assert totals.max() <= 1.2 + 1e-9
    assert (totals > 1.0 + 1e-9).mean() > 0.01


def test_ars_work_more_in_total_with_overtime_than_without():
    """Paired by seed over 6 seeds: the ARs' realised total effort over the last 12 months."""

    def ar_effort(extra: list[str], seed: int) -> float:
        logging.getLogger("MESA").setLevel(logging.WARNING)
        eff = run(load_config([*SMALL, *extra, f"seed={seed}"])).effort
        total = sum(v for k, v in eff.items() if k.startswith(f"{ROLES[SALES]}."))
        return float(np.mean(total[-12:]))

    d = np.array([ar_effort(ON, s) - ar_effort(OFF, s) for s in range(6)])
    assert mean_ci(d).low > 0, d
