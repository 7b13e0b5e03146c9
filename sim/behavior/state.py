"""Decision states for periodic and nonlinear plans.

Under a plan that pays on a period's cumulative result against a target, the right effort depends
on where one stands: months left in the period, attainment to date (below the threshold, between
threshold and cap, above the cap) and, under a ratchet, how high the target has been pushed. A
:class:`StateSpace` bins those three features into a state index; the learner keeps separate
attractions per state, and (with discount γ > 0) values a candidate by this month's utility plus
the discounted value of the state it leads to — so that what this period's result does to next
period's target enters today's choice.

Bins are deliberately coarse: months left as 1, 2, 3, 4–6 and 7–12; attainment relative to the
plan's own marks (threshold, target, cap). Every extra state splits a person's experience, and a
five-year run has only five year-ends. The features themselves come from the plan
(``Plan.decision_features``); this module knows no plan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Upper ends of the months-left bins: {1}, {2}, {3}, {4–6}, {7–12}.
MONTHS_LEFT_BINS: tuple[int, ...] = (1, 2, 3, 6, 12)


@dataclass(frozen=True)
class StateSpace:
    """Bins of (months left, attainment to date, target level).

    Attributes:
        period: Months per pay period (1 drops the months-left dimension).
        attainment_edges: Edges of attainment bins (empty drops the dimension). Bin 0 is reserved
            for "no result yet" (first month of a period); ``NaN`` attainment maps there.
        target_edges: Edges on target / first target (empty drops the dimension; only ratcheted
            plans need it).
    """

    period: int = 1
    attainment_edges: tuple[float, ...] = ()
    target_edges: tuple[float, ...] = ()

    @property
    def months_bins(self) -> tuple[int, ...]:
        """Upper ends of the months-left bins used for this period length."""
        return (*(b for b in MONTHS_LEFT_BINS if b < self.period), self.period)

    @property
    def n_months(self) -> int:
        """Months-left bins."""
        return len(self.months_bins)

    @property
    def n_attainment(self) -> int:
        """Attainment bins, including the "no result yet" bin."""
        return len(self.attainment_edges) + 2 if self.attainment_edges else 1

    @property
    def n_target(self) -> int:
        """Target-level bins."""
        return len(self.target_edges) + 1

    @property
    def n_states(self) -> int:
        """Total number of states."""
        return self.n_months * self.n_attainment * self.n_target

    def groups(self) -> np.ndarray:
        """Months-left bin of every state ``(S,)``: unvisited states borrow values within it."""
        return np.arange(self.n_states) // (self.n_attainment * self.n_target)

    def index(
        self, months_left: np.ndarray, attainment: np.ndarray, target_ratio: np.ndarray
    ) -> np.ndarray:
        """State index of each (months left, attainment, target ratio); arrays broadcast.

        Args:
            months_left: 1 … period (months left including the current one).
            attainment: Run-rate attainment to date; ``NaN`` before any result.
            target_ratio: Current target over the first period's target.
        """
        ml = np.clip(np.asarray(months_left, dtype=np.intp), 1, self.period)
        m = np.searchsorted(np.asarray(self.months_bins), ml, side="left")
        if self.attainment_edges:
            att = np.asarray(attainment, dtype=float)
            a = np.where(
                np.isnan(att), 0, 1 + np.searchsorted(self.attainment_edges, np.nan_to_num(att))
            )
        else:
            a = np.zeros(np.shape(attainment), dtype=np.intp)
        if self.target_edges:
            t = np.searchsorted(self.target_edges, np.asarray(target_ratio, dtype=float))
        else:
            t = np.zeros(np.shape(target_ratio), dtype=np.intp)
        return ((m * self.n_attainment + a) * self.n_target + t).astype(np.intp)
