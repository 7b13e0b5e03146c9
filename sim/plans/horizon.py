"""Valuing a candidate by what it does to the whole pay period's expected payout (issue 20).

A plan accrues its pay month by month (:mod:`sim.plans.base`); what a month's candidate is worth
to a person who looks ahead is not the change in this month's accrual but the change in what the
*period* will pay::

    E[P(done + Δ + R)] − E[P(done + R)]

``done`` is the period's result to date including this month's realised measures, ``Δ`` the
candidate's change to this month's measures and ``R`` the rest of the period's result, which the
person forecasts from their own monthly pace and its spread (:class:`Pace`: an exponentially
weighted mean and variance of their own monthly measures). ``R`` over ``L`` months left is
normal with mean ``L · pace`` and standard deviation ``√L · spread`` (months independent), and
the expectation is taken over ``behavior.forecast_nodes`` equally likely quantiles of it
(:func:`nodes`). For a pooled plan every member's rest is
forecast the same way, at the same quadrature node (the pool's members share one market), so
that the pool's result moves with its members' forecasts.

What follows from it, without any plan-specific code: for a plan whose period payout is affine
in its measures the valuation equals the month-by-month accrual's (tested for every linear
plan); in a period's last month nothing is left to forecast and both are the period payout; a
kink (threshold, cap, tier, a pool's floor) matters more the nearer the period's end, because
the forecast's spread shrinks with the months left. ``behavior.horizon: month`` keeps the old
valuation (the change in this month's accrual).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtri

from sim.plans.base import Groups, Measures, PeriodState, Plan


def nodes(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` equally likely points of a standard normal: its quantiles at (i + ½)/n.

    Not Gauss–Hermite: plans pay in steps (a quota, a curve's threshold), and Gauss–Hermite's
    few central points carry most of the weight, so a step's expected value jumps by half of it
    at once; equally likely points move it by 1/n at a time.
    """
    z = ndtri((np.arange(n) + 0.5) / n)
    return z, np.full(n, 1.0 / n)


@dataclass
class Pace:
    """Each person's monthly pace of every measure a plan reads, and its spread.

    An exponentially weighted mean and variance of the person's own monthly measures, with
    memory ``memory`` (the weight of the past against one new month). The first month seen sets
    the mean and a zero spread.

    Attributes:
        memory: Weight of the past, in [0, 1).
        mean: Per measure, each person's mean monthly measure ``(N,)`` (empty before any month).
        var: Per measure, its variance ``(N,)``.
    """

    memory: float
    mean: dict[str, np.ndarray] = field(default_factory=dict)
    var: dict[str, np.ndarray] = field(default_factory=dict)

    def observe(self, measures: Measures) -> None:
        """Take one month's realised measures ``(N,)`` each into the pace."""
        phi = self.memory
        for m, x in measures.items():
            x = np.asarray(x, dtype=float)
            if m not in self.mean:
                self.mean[m], self.var[m] = x.copy(), np.zeros_like(x)
                continue
            d = x - self.mean[m]
            self.mean[m] = self.mean[m] + (1 - phi) * d
            self.var[m] = phi * (self.var[m] + (1 - phi) * d * d)

    def rows(self, idx: np.ndarray) -> Pace:
        """The pace of a subset of people."""
        return Pace(self.memory, {m: v[idx] for m, v in self.mean.items()},
                    {m: v[idx] for m, v in self.var.items()})

    def rest(self, measure: str, months: int, z: np.ndarray) -> np.ndarray:
        """Forecast of the next ``months`` months at standard-normal quantiles ``z``, ``(N, Q)``."""
        return (months * self.mean[measure][:, None]
                + np.sqrt(months * self.var[measure])[:, None] * z[None, :])


def months_left_after(plan: Plan, state: PeriodState) -> int:
    """Months of the period still to come after the current one."""
    return plan.period - (state.month + 1)


def period_value(plan: Plan, measures: Measures, candidates: Measures, state: PeriodState,
                 groups: Groups | None, rest: Measures | None, pace: Pace,
                 quadrature: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Change in the period's expected payout under each candidate, ``(N, M)``.

    Args:
        plan: The plan.
        measures: Everyone's realised measures this month, ``(N,)`` each.
        candidates: Each person's candidate measures this month, ``(N, M)`` each.
        state: The period state before this month.
        groups: Pool membership (pooled plans).
        rest: What each candidate gives one's teammates (teaching), as in
            :meth:`Plan.counterfactual`.
        pace: Everyone's pace (same rows as ``measures``), with this month observed.
        quadrature: Nodes and weights (:func:`nodes`).

    Returns:
        ``E[P(done + Δ + R)] − E[P(done + R)]`` per person and candidate; in a period's last
        month (nothing left to forecast) the change in the period payout itself.
    """
    left = months_left_after(plan, state)
    z, w = (np.zeros(1), np.ones(1)) if left == 0 else quadrature
    shift = {m: pace.rest(m, left, z) for m in plan.measures}  # (N, Q); 0 with none left
    if plan.scope == "individual":
        # One's pay reads one's own measures only: every node in one call, ``(N, Q·M)``.
        n, k = candidates[plan.measures[0]].shape
        q = z.size
        end = PeriodState(month=plan.period - 1, cum=state.cum, accrued=state.accrued,
                          target=state.target)
        cum = {m: state.cum[m][:, None] + shift[m] for m in plan.measures}  # (N, Q)
        cand = {m: (cum[m][:, :, None] + candidates[m][:, None, :]).reshape(n, q * k)
                for m in plan.measures}
        real = {m: cum[m] + measures[m][:, None] for m in plan.measures}
        moved = plan.accrued_candidates(measures, cand, 1.0, end, None, None).reshape(n, q, k)
        base = plan.accrued_candidates(measures, real, 1.0, end, None, None)
        return np.einsum("nqm,q->nm", moved - base[:, :, None], w)
    out: np.ndarray | float = 0.0
    for i in range(z.size):
        cum_q = {m: state.cum[m] + shift[m][:, i] for m in plan.measures}
        end = PeriodState(month=plan.period - 1, cum=cum_q, accrued=state.accrued,
                          target=state.target)
        cand_q = {m: cum_q[m][:, None] + candidates[m] for m in plan.measures}
        real_q = {m: (cum_q[m] + measures[m])[:, None] for m in plan.measures}
        moved_q = plan.accrued_candidates(measures, cand_q, 1.0, end, groups, rest)
        base_q = plan.accrued_candidates(measures, real_q, 1.0, end, groups, None)
        out = out + w[i] * (moved_q - base_q)
    return np.asarray(out)


def counterfactual(  # noqa: D417 (the arguments shared with period_value are documented there)
        plan: Plan, measures: Measures, candidates: Measures, state: PeriodState,
        groups: Groups | None, rest: Measures | None, pace: Pace | None,
        quadrature: tuple[np.ndarray, np.ndarray], now: np.ndarray | None) -> np.ndarray:
    """A candidate's pay as a person who looks to the period's end values it, ``(N, M)``.

    This month's realised pay ``now`` plus :func:`period_value`: the realised action is worth
    what it was paid, another action that plus what it changes in the period's expected payout.
    A plan paid monthly, or one without a pace yet (``pace`` ``None``), is valued as
    :meth:`Plan.counterfactual` values it.

    The other arguments are those of :func:`period_value`.

    Args:
        pace: Everyone's pace with this month observed (``None``: the month's valuation).
        now: This month's realised pay under the plan ``(N,)`` (``None``: zero, for
            differences of two valuations).
    """
    if not plan.periodic or pace is None:
        return plan.counterfactual(measures, candidates, state, groups, rest)
    base = 0.0 if now is None else np.asarray(now)[:, None]
    return base + period_value(plan, measures, candidates, state, groups, rest, pace,
                               quadrature)


def observed(plan: Plan, measures: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The measures a plan reads, out of a month's credited measures."""
    return {m: measures[m] for m in plan.measures}
