"""What every pay plan is: a pure function from credited measures to pay, with declared properties.

A plan pays per *period* (1, 3 or 12 months). Pay is accrued monthly: each month a person is paid
the change in their *accrued-to-date* amount, which every plan defines from the measures
cumulated so far in the period, and which at period end equals the period's payout exactly (the
true-up). This keeps annual plans learnable within a five-year run (FACTS: an annual bonus gives
at most five realised payouts in 60 months) without changing what the plan pays over a period.

Arrays are over people (axis 0). Measures passed for *candidate* actions carry a second axis of
candidates, ``(N, M)``: :meth:`Plan.counterfactual` returns what each person would be paid for each
candidate, everyone else's measures held fixed. Learning code calls only these two methods; no
code outside ``sim.plans`` branches on which plan is in force.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, ClassVar

import numpy as np

Measures = Mapping[str, np.ndarray]

CREDITING_EVENTS = ("booking", "delivery", "collection")


class PlanError(ValueError):
    """A plan parameter is invalid; the message names the field and what is allowed."""


def per_person(x: np.ndarray | float, like: np.ndarray) -> np.ndarray:
    """Broadcast a per-person array ``(N,)`` against ``like`` of shape ``(N,)`` or ``(N, M)``."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 1 and like.ndim == 2:
        return x[:, None]
    return x


@dataclass(frozen=True)
class Groups:
    """Who shares which pool, for team and pool plans.

    Attributes:
        pool: Pool id per person ``(N,)`` (0 … P−1): the team, unit or firm whose result funds it.
        unit: Unit id per person ``(N,)`` (0 … U−1); a pool is split to its units first.
        frontline: Whether each unit is front-line (customer-facing) ``(U,)``.
        score: Balanced-scorecard score of each unit ``(U,)`` (1 = on target).
        active: Who is employed at period end ``(N,)``; leavers are the others.
        slopes: Per measure, how a unit's score moves per unit of that measure summed over the
            unit ``(U,)``: a candidate moves its own unit's score by Σ slope × (candidate −
            realised), floored at 0. Empty: scores do not move with candidates.
    """

    pool: np.ndarray
    unit: np.ndarray
    frontline: np.ndarray
    score: np.ndarray
    active: np.ndarray
    slopes: Mapping[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def teams(cls, n: int, size: int, frontline: bool = True) -> Groups:
        """``n`` people in consecutive teams of ``size``; each team is one pool and one unit."""
        team = np.arange(n) // size
        u = int(team.max()) + 1 if n else 0
        return cls(
            pool=team,
            unit=team.copy(),
            frontline=np.full(u, frontline),
            score=np.ones(u),
            active=np.ones(n, dtype=bool),
        )

    @classmethod
    def single(cls, n: int) -> Groups:
        """Everyone in one pool and one unit."""
        return cls.teams(n, max(n, 1))


@dataclass
class PeriodState:
    """Where each person stands in the current pay period.

    Attributes:
        month: Months already completed in this period (0 … period−1).
        cum: Measures credited so far this period, per measure name, ``(N,)`` each.
        accrued: Pay accrued so far this period ``(N,)`` (money).
        target: Current target per measure name ``(N,)`` each (target-based plans only).
    """

    month: int
    cum: dict[str, np.ndarray]
    accrued: np.ndarray
    target: dict[str, np.ndarray] = field(default_factory=dict)

    def rows(self, idx: np.ndarray) -> PeriodState:
        """The state of a subset of people (for plans whose pay depends on one's own measures)."""
        return PeriodState(
            month=self.month,
            cum={m: v[idx] for m, v in self.cum.items()},
            accrued=self.accrued[idx],
            target={m: (v[idx] if np.ndim(v) else v) for m, v in self.target.items()},
        )


@dataclass(frozen=True)
class Plan(ABC):
    """Base class of every pay plan.

    Subclasses are frozen dataclasses (so they pickle and compare by value) that declare their
    properties as class attributes and implement :meth:`accrued`.

    Attributes:
        period: Months per pay period (1, 3 or 12).
        crediting: Event that credits a measure: booking (ATC), delivery or collection.
        clawback: Whether pay on a credited deal is taken back if the deal is later cancelled or
            written off (the environment then passes the reversal as a negative measure).
    """

    kind: ClassVar[str]
    #: ``individual`` (pay depends on own measures only), ``team`` or ``pool``.
    scope: ClassVar[str]
    #: Payouts sum exactly to a pool computed from results.
    budget_balanced: ClassVar[bool]

    period: int = 1
    crediting: str = "booking"
    clawback: bool = False

    def __post_init__(self) -> None:
        if self.period not in (1, 3, 12):
            raise PlanError(f"{self.kind}.period: must be 1, 3 or 12 months, got {self.period}")
        if not isinstance(self.clawback, bool):
            raise PlanError(f"{self.kind}.clawback: must be true or false, got {self.clawback!r}")
        if self.crediting not in CREDITING_EVENTS:
            raise PlanError(
                f"{self.kind}.crediting: must be one of {', '.join(CREDITING_EVENTS)},"
                f" got {self.crediting!r}"
            )

    # -- declared properties ---------------------------------------------------------------
    @property
    @abstractmethod
    def measures(self) -> tuple[str, ...]:
        """Names of the measures the plan reads."""

    @property
    @abstractmethod
    def linear(self) -> bool:
        """Pay over a period is linear (affine) in every measure it reads."""

    @property
    def periodic(self) -> bool:
        """Pay depends on results accumulated over more than one month."""
        return self.period > 1

    @property
    def pool_level(self) -> str:
        """Whose results fund and share the plan's pay: ``firm``, ``unit`` or ``team``.

        The environment builds :class:`Groups` from it: one pool for the firm, one per unit
        (role), or one per team (a triangle; everyone else alone). A plan whose pay depends on
        one's own measures only reads none of it.
        """
        return "team"

    @property
    def properties(self) -> dict[str, Any]:
        """All declared properties, as checked by the generic plan tests."""
        return {
            "kind": self.kind,
            "scope": self.scope,
            "budget_balanced": self.budget_balanced,
            "linear": self.linear,
            "periodic": self.periodic,
            "pool_level": self.pool_level,
            "crediting": self.crediting,
            "clawback": self.clawback,
        }

    #: Fields holding money (or money per unit of a measure): scaling all of them by ``f``
    #: scales every payout by ``f`` (see :meth:`scaled`).
    pay_fields: ClassVar[tuple[str, ...]] = ()

    def scaled(self, factor: float) -> Plan:
        """The same plan paying ``factor`` times as much for the same results.

        Used by the firm's pay-raise policy (``firm.rate_raise``): a raise scales rates, bonuses,
        caps and hurdles together, so the plan's shape (thresholds, tiers, curve) is unchanged.

        Args:
            factor: Positive multiplier of every payout.
        """
        if not factor > 0:
            raise PlanError(f"{self.kind}: a pay scale factor must be > 0, got {factor}")
        changes: dict[str, Any] = {}
        for name in self.pay_fields:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, Mapping):
                changes[name] = {k: factor * v for k, v in value.items()}
            else:
                changes[name] = factor * value
        return replace(self, **changes)

    def to_config(self) -> dict[str, Any]:
        """The plan as a plain mapping that :func:`sim.plans.build_plan` accepts."""
        out: dict[str, Any] = {"kind": self.kind}
        for f in fields(self):
            out[f.name] = getattr(self, f.name)
        return out

    # -- pay ---------------------------------------------------------------------------------
    def initial_state(self, n: int) -> PeriodState:
        """State at the start of the first period for ``n`` people."""
        return PeriodState(
            month=0,
            cum={m: np.zeros(n) for m in self.measures},
            accrued=np.zeros(n),
            target=self.first_targets(n),
        )

    def first_targets(self, n: int) -> dict[str, np.ndarray]:
        """Targets of the first period (none for plans without targets)."""
        return {}

    def next_targets(self, state: PeriodState) -> dict[str, np.ndarray]:
        """Targets of the next period given the one just completed (fixed by default)."""
        return state.target

    @abstractmethod
    def accrued(
        self, cum: Measures, frac: float, state: PeriodState, groups: Groups | None
    ) -> np.ndarray:
        """Pay accrued to date for cumulative measures ``cum`` after a share ``frac`` of the period.

        Args:
            cum: Cumulative measures this period, ``(N,)`` (or ``(N, M)`` where a subclass supports
                candidates directly).
            frac: Elapsed share of the period, in (0, 1]; at 1 this is the period payout.
            state: The period state (targets).
            groups: Pool membership (team and pool plans).

        Returns:
            Accrued pay, same leading shape as the measures, ≥ 0.
        """

    def pay(
        self, measures: Measures, state: PeriodState, groups: Groups | None = None
    ) -> tuple[np.ndarray, PeriodState]:
        """Pay for one month and the state after it.

        Args:
            measures: This month's credited measures, ``(N,)`` each.
            state: The state before this month.
            groups: Pool membership (team and pool plans).

        Returns:
            ``(pay, new_state)``: this month's pay ``(N,)`` (the change in accrued pay; at a
            period's end, the true-up to the period payout) and the state after the month.
        """
        month = state.month + 1
        frac = month / self.period
        cum = {m: state.cum[m] + measures[m] for m in self.measures}
        accrued = self.accrued(cum, frac, state, groups)
        pay = accrued - state.accrued
        if month == self.period:
            done = PeriodState(month=month, cum=cum, accrued=accrued, target=state.target)
            n = accrued.shape[0]
            new = PeriodState(
                month=0,
                cum={m: np.zeros(n) for m in self.measures},
                accrued=np.zeros(n),
                target=self.next_targets(done),
            )
        else:
            new = PeriodState(month=month, cum=cum, accrued=accrued, target=state.target)
        return pay, new

    def counterfactual(
        self,
        measures: Measures,
        candidates: Measures,
        state: PeriodState,
        groups: Groups | None = None,
        rest: Measures | None = None,
    ) -> np.ndarray:
        """This month's pay each person would get under each candidate's measures.

        Args:
            measures: Everyone's realised measures this month, ``(N,)`` each.
            candidates: Each person's candidate measures this month, ``(N, M)`` each; others'
                measures stay as realised.
            state: The state before this month.
            groups: Pool membership.
            rest: Where a candidate also moves teammates' results (teaching, ``sim.teaching``):
                per measure, the change ``(N, M)`` it makes to the sum of that measure over
                the others of one's unit. ``None``: others' measures stay as realised.
                Individual plans ignore it (others' results do not enter their pay).

        Returns:
            Counterfactual pay ``(N, M)``.
        """
        frac = (state.month + 1) / self.period
        cand = {m: state.cum[m][:, None] + candidates[m] for m in self.measures}
        return (self.accrued_candidates(measures, cand, frac, state, groups, rest)
                - state.accrued[:, None])

    def accrued_candidates(
        self, measures: Measures, cand: Measures, frac: float, state: PeriodState,
        groups: Groups | None, rest: Measures | None = None,
    ) -> np.ndarray:
        """Accrued pay under each person's candidate cumulative measures ``(N, M)``.

        Individual plans depend on one's own measures only; pooled plans override this to hold
        everyone else's realised measures (``measures``) fixed, moved by ``rest`` where given.
        """
        return self.accrued(cand, frac, state, groups)

    def peer_counterfactual(
        self, measures: Measures, candidates: Measures, state: PeriodState,
        groups: Groups | None = None, rest: Measures | None = None,
        own: np.ndarray | None = None,
    ) -> np.ndarray:
        """How each candidate changes the total pay of everyone else who shares one's pool.

        What a peer sanction (``sim.behavior.sanction``) is levied on: the harm (or gain) one's
        action does to the others' pay this month. Plans that pay on one's own measures only
        leave others' pay untouched: zeros.

        Args:
            measures: Everyone's realised measures this month, ``(N,)`` each.
            candidates: Each person's candidate measures this month, ``(N, M)`` each.
            state: The state before this month.
            groups: Pool membership.
            rest: Teammates' moved results, as in :meth:`counterfactual` (what teaching gives
                them is part of the others' pay).
            own: :meth:`counterfactual`'s result for these candidates, if already computed.

        Returns:
            Change in the others' total pay ``(N, M)`` against the realised month.
        """
        first = candidates[self.measures[0]] if self.measures else next(iter(candidates.values()))
        return np.zeros(np.shape(first))

    def next_period_value(
        self,
        measures: Measures,
        candidates: Measures,
        state: PeriodState,
        groups: Groups | None = None,
        annual_discount: float = 0.9,
    ) -> np.ndarray:
        """Discounted change in next period's pay through the next target, per candidate (M4).

        Under a ratchet this period's result moves next period's target. A candidate adds its
        extra output to the period's result (forecast at run rate); the plan's own
        ``next_targets`` gives the next target either way, and its own payout values next
        period at the current pace under each target. The difference, discounted to today at
        ``annual_discount`` per year (months until next period's payout), is what the
        candidate costs (or earns) in the future. Zero for plans that do not ratchet.

        Returns:
            Array ``(N, M)`` in money.
        """
        shape = next(iter(candidates.values())).shape
        if not self.ratcheted:
            return np.zeros(shape)
        month = state.month + 1
        frac = month / self.period
        pace = {m: (state.cum[m] + measures[m]) / frac for m in self.measures}
        result = {m: pace[m][:, None] + candidates[m] - measures[m][:, None]
                  for m in self.measures}
        base = PeriodState(month=self.period, cum=pace, accrued=state.accrued,
                           target=state.target)
        cand = PeriodState(month=self.period, cum=result, accrued=state.accrued,
                           target=state.target)
        t_base = self.next_targets(base)
        t_cand = self.next_targets(cand)
        fresh = self.initial_state(state.accrued.shape[0])
        nxt_base = PeriodState(month=0, cum=fresh.cum, accrued=fresh.accrued, target=t_base)
        nxt_cand = PeriodState(month=0, cum=fresh.cum, accrued=fresh.accrued,
                               target={m: t_cand[m] for m in self.measures})
        pay_base = self.accrued(pace, 1.0, nxt_base, groups)
        pay_cand = self.accrued({m: np.broadcast_to(pace[m][:, None], shape)
                                 for m in self.measures}, 1.0, nxt_cand, groups)
        months = (self.period - month) + self.period
        return annual_discount ** (months / 12) * (pay_cand - pay_base[:, None])

    def attainment(self, cum: Measures, frac: float, state: PeriodState) -> np.ndarray | None:
        """Attainment to date against the period's target (``None`` for plans without one)."""
        return None

    # -- what a person's decision should condition on ---------------------------------------
    def attainment_marks(self) -> tuple[float, ...]:
        """Attainment levels where the plan's incentive changes (threshold, target, cap)."""
        return ()

    def target_ratio(self, state: PeriodState, targets: Mapping[str, np.ndarray] | None = None
                     ) -> np.ndarray | None:
        """Current (or given) target over the first period's target; ``None`` without targets."""
        return None

    @property
    def ratcheted(self) -> bool:
        """Whether this period's result moves the next period's target."""
        return False

    def decision_space(self) -> dict[str, Any]:
        """Keyword arguments of :class:`sim.behavior.state.StateSpace` for this plan.

        Months left matter when pay accumulates over several months; attainment bins (with edges
        at the plan's own marks and around them) when the plan is nonlinear in that result; target
        bins when it ratchets. A plan paying monthly and linearly needs a single state.
        """
        target = (0.95, 1.05, 1.2) if self.ratcheted else ()
        if not self.periodic:
            return {"target_edges": target} if target else {}
        edges = tuple(sorted({float(m) for m in self.attainment_marks()}))
        return {"period": self.period, "attainment_edges": edges, "target_edges": target}

    def decision_features(
        self, state: PeriodState
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(months left, run-rate attainment to date, target ratio) per person, ``(N,)`` each."""
        n = state.accrued.shape[0]
        months_left = np.full(n, self.period - state.month)
        att = None
        if state.month > 0:
            att = self.attainment(state.cum, state.month / self.period, state)
        ratio = self.target_ratio(state)
        return (
            months_left,
            np.full(n, np.nan) if att is None else np.asarray(att, dtype=float),
            np.ones(n) if ratio is None else ratio,
        )

    def next_features(
        self, state: PeriodState, candidates: Measures
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The features after this month under each candidate's measures, ``(N, M)`` each."""
        shape = next(iter(candidates.values())).shape
        month = state.month + 1
        cum = {m: state.cum[m][:, None] + candidates[m] for m in self.measures}
        if month == self.period:  # a new period starts; the result may have moved the target
            after = PeriodState(month=month, cum=cum, accrued=state.accrued, target=state.target)
            ratio = self.target_ratio(state, self.next_targets(after))
            return (
                np.full(shape, self.period),
                np.full(shape, np.nan),
                np.ones(shape) if ratio is None else np.broadcast_to(ratio, shape),
            )
        att = self.attainment(cum, month / self.period, state)
        ratio = self.target_ratio(state)
        return (
            np.full(shape, self.period - month),
            np.full(shape, np.nan) if att is None else np.broadcast_to(att, shape),
            np.ones(shape) if ratio is None else np.broadcast_to(ratio[:, None], shape),
        )
