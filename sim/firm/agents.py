"""The firm's Mesa face: people and iron triangles as thin ``mesa.Agent`` views over the arrays.

A Mesa user can select and inspect people as agents — ``firm.agents_by_type[AccountManager]``,
``firm.agents.select(lambda a: a.team >= 0)``, a ``mesa.DataCollector`` with agent reporters,
Mesa's visualisation — while the model itself works on arrays: views hold only their seat and
read the model's state when asked. Nothing is stepped per agent, and a view costs nothing per
month. A seat keeps its view when a leaver is replaced (the view shows whoever holds the seat).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import mesa
import numpy as np

from sim.firm.params import RND, ROLES, SALES, SUPPLY, SUPPORT

if TYPE_CHECKING:
    from sim.firm.model import Firm


class Person(mesa.Agent):
    """One seat of the firm.

    Args:
        model: The firm.
        seat: The seat's index in the firm's arrays.
    """

    role_index: ClassVar[int]
    model: Firm

    def __init__(self, model: Firm, seat: int) -> None:
        super().__init__(model)
        self.seat = seat
        #: Position within the role (the row of the role's learner).
        self.row = int(seat - model.org.idx[self.role_index][0])

    @property
    def role(self) -> str:
        """The role's name (sales, rnd, supply_chain, support)."""
        return ROLES[self.role_index]

    @property
    def team(self) -> int:
        """The triangle this seat belongs to, ``-1`` outside triangles."""
        return int(self.model.org.team[self.seat])

    @property
    def tasks(self) -> tuple[str, ...]:
        """The role's tasks."""
        return self.model.params.firm.tasks[self.role]

    @property
    def effort(self) -> dict[str, float]:
        """Effort played per task in the month just simulated (the job description before)."""
        last = self.model.last
        row = (last.actions.effort[self.role_index][self.row] if last is not None
               else self.model.people.priors[self.role_index])
        return {t: float(row[k]) for k, t in enumerate(self.tasks)}

    @property
    def policy(self) -> dict[str, float]:
        """Expected effort per task under the learned policy at the seat's decision state."""
        states = self.model.decision_states()[self.role_index]
        mean = self.model.people.learners[self.role_index].mean_effort(states)[self.row]
        return {t: float(mean[k]) for k, t in enumerate(self.tasks)}

    @property
    def pay(self) -> float:
        """Pay in the month just simulated (0 before the first month)."""
        log = self.model.record.pay_log
        return float(log[-1][self.seat]) if log else 0.0


class AccountManager(Person):
    """An account responsible (AR, 客户经理): relationships, deals, run-rate orders."""

    role_index = SALES

    @property
    def accounts(self) -> np.ndarray:
        """Indices of the accounts this AR owns."""
        return np.flatnonzero(self.model.accounts.owner == self.row)

    @property
    def discount(self) -> float | None:
        """The discount played in the month just simulated."""
        last = self.model.last
        return None if last is None else float(last.actions.discount[self.row])


class SolutionEngineer(Person):
    """A solution responsible (SR, 解决方案经理): solution support, own KPI, knowledge."""

    role_index = RND


class DeliveryEngineer(Person):
    """A fulfilment responsible (FR, 交付经理): delivery, bid support, own KPI."""

    role_index = SUPPLY


class SupportStaff(Person):
    """Support functions: service to the front line and their own KPI."""

    role_index = SUPPORT


VIEWS: tuple[type[Person], ...] = (AccountManager, SolutionEngineer, DeliveryEngineer,
                                   SupportStaff)


class Team(mesa.Agent):
    """An iron triangle (铁三角): one AR, one SR and one FR bound to tier-A accounts.

    Args:
        model: The firm.
        index: The triangle's number (its AR is AR ``index``).
        members: Its members' views.
    """

    model: Firm

    def __init__(self, model: Firm, index: int, members: list[Person]) -> None:
        super().__init__(model)
        self.index = index
        self.members = members

    @property
    def accounts(self) -> np.ndarray:
        """Indices of the accounts the triangle serves (re-tiered each fiscal year)."""
        return np.flatnonzero(self.model.accounts.team == self.index)

    @property
    def pay(self) -> float:
        """The members' pay in the month just simulated."""
        return float(sum(m.pay for m in self.members))


def collector() -> mesa.DataCollector:
    """A ``mesa.DataCollector`` of the firm's monthly series and each person's role, team, pay.

    Set it as ``firm.datacollector`` and ``Firm.step`` collects every month (what Mesa's
    ``SolaraViz`` plots read); without one, nothing is collected and nothing costs.
    """
    keys = ("revenue", "bookings", "comp_cost", "help_effort_sr_fr", "ar_volume_share",
            "discount_policy", "pay_sales", "pay_others")

    def series(key: str) -> object:
        return lambda m: m.record.records[-1][key] if m.record.records else float("nan")

    return mesa.DataCollector(
        model_reporters={k: series(k) for k in keys},
        agent_reporters={"role": lambda a: getattr(a, "role", "team"),
                         "team": lambda a: getattr(a, "team", getattr(a, "index", -1)),
                         "pay": "pay"})


def make_agents(model: Firm) -> None:
    """One view per seat, one :class:`Team` per triangle (registered with the model)."""
    views: list[Person] = []
    for cls in VIEWS:
        views.extend(cls(model, int(seat)) for seat in model.org.idx[cls.role_index])
    team = model.org.team
    for t in range(model.org.n_triangles):
        Team(model, t, [views[int(s)] for s in np.flatnonzero(team == t)])


__all__ = ["VIEWS", "AccountManager", "DeliveryEngineer", "Person", "SolutionEngineer",
           "SupportStaff", "Team", "collector", "make_agents"]
