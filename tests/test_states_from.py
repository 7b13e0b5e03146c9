"""Decision states from every periodic plan of a role (``behavior.states_from: all``, issue 20).

A role paid by a monthly commission and an annual quota bonus used to take its decision state
from the first plan listed (one state: the quota's months left and attainment were invisible).
With ``all`` the state is the tuple of every periodic plan's state, in a bounded space.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.behavior import state
from sim.behavior.state import JointStates, StateSpace
from sim.config import ConfigError, load_config
from sim.firm.model import Firm
from sim.simulation import plain

QUOTA = StateSpace(period=12, attainment_edges=(1.0,))   # 5 months-left × 3 attainment bins
MBO = StateSpace(period=12, attainment_edges=(0.5, 1.0, 1.5))  # 5 × 5


def test_joint_space_is_the_mixed_radix_product():
    joint = JointStates((QUOTA, MBO))
    assert (QUOTA.n_states, MBO.n_states, joint.n_states) == (15, 25, 375)
    # 3 months left and on quota (QUOTA state (2·3 + 2) = 8); 7 months left below half (MBO
    # state (4·5 + 1) = 21): joint 8 · 25 + 21 = 221.
    got = joint.index(np.array([3]), np.array([1.2]), np.array([1.0]),
                      np.array([7]), np.array([0.3]), np.array([1.0]))
    assert got.tolist() == [221]
    groups = joint.groups()
    assert groups.shape == (375,) and groups[221] == 2 * 5 + 4  # months-left bins (2, 4)
    assert np.unique(groups).size == 25


def test_states_come_from_every_periodic_plan_or_the_first():
    spaces = [{}, QUOTA.__dict__ | {}, {}]
    spaces[1] = {"period": 12, "attainment_edges": (1.0,)}
    assert state.chosen(spaces, "first") == [0]
    assert state.chosen(spaces, "all") == [1]
    assert state.chosen([{}, {}], "all") == [0]
    assert state.build([spaces[1]]).n_states == 15


BONUS = ["scheme=commission", "scheme.plans.sales_commission.rate=0.03",
         "+scheme.plans.sales_quota={kind: quota_bonus, measure: revenue, quota: 1700.0, "
         "bonus: 15.0, period: 12}",
         "scheme.roles.sales.plans=[sales_commission, sales_quota]", "debug=small"]


@pytest.mark.parametrize(("states_from", "n_states", "plans"),
                         [("all", 15, ["sales_quota"]), ("first", 1, ["sales_commission"])])
def test_a_commission_with_a_quota_bonus_conditions_on_the_quota(states_from, n_states, plans):
    firm = Firm(plain(load_config([*BONUS, f"behavior.states_from={states_from}"])))
    assert firm.people.state_spaces[0].n_states == n_states
    assert firm.payroll.state_plans(0) == plans
    for _ in range(13):
        firm.step()
    # With the quota's states: 11 months left (bin 7–12, the fifth) and below the quota after
    # one month: state 4 · 3 + 1 = 13 for every AR. Ten months on, one month left (the first
    # bin): below (1) or at/above (2) the quota.
    assert set(firm.decision_states()[0]) == ({13} if states_from == "all" else {0})
    for _ in range(10):
        firm.step()
    assert set(firm.decision_states()[0]) <= ({1, 2} if states_from == "all" else {0})


def test_too_many_joint_states_are_refused_in_one_line():
    mbo = ("{kind: target_bonus, weights: {revenue: 1.0}, target: {revenue: 1200.0}, "
           "bonus: 16.0, period: 12}")
    with pytest.raises(ConfigError, match=r"^behavior\.states_from: all gives sales 625 "):
        load_config(["scheme=target_bonus", f"+scheme.plans.second={mbo}",
                     "scheme.roles.sales.plans=[sales_mbo, second]"])
