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


#: Most decision states a role may have (``behavior.states_from: all`` multiplies the plans'
#: states). Attractions take heads × states × tasks × grid levels × 8 bytes: at size l's 1,400
#: people, four tasks and 51 levels, 400 states would be ~900 MB for one role, most of the 2 GB
#: target; the presets' plans give at most 25 states each.
MAX_STATES = 400


@dataclass(frozen=True)
class JointStates:
    """The product of several plans' decision states (``behavior.states_from: all``).

    A person paid by two periodic plans (a commission and an annual quota bonus) stands somewhere
    in each; the joint state is the tuple of the plans' states, indexed in mixed radix (the first
    plan's state most significant). Features are the plans' feature triples concatenated.

    Attributes:
        parts: One state space per plan, in the role's order of plans.
    """

    parts: tuple[StateSpace, ...]

    @property
    def n_states(self) -> int:
        """Product of the parts' state counts."""
        return int(np.prod([s.n_states for s in self.parts]))

    def _combine(self, indices: list[np.ndarray]) -> np.ndarray:
        out = np.zeros(np.shape(indices[0]), dtype=np.intp)
        for s, i in zip(self.parts, indices, strict=True):
            out = out * s.n_states + i
        return out

    def groups(self) -> np.ndarray:
        """The joint state's tuple of months-left bins, as one id per state ``(S,)``."""
        grids = np.meshgrid(*[np.arange(s.n_states) for s in self.parts], indexing="ij")
        per_part = [s.groups()[g.ravel()] for s, g in zip(self.parts, grids, strict=True)]
        out = np.zeros(self.n_states, dtype=np.intp)
        for s, g in zip(self.parts, per_part, strict=True):
            out = out * s.n_months + g
        return out

    def index(self, *features: np.ndarray) -> np.ndarray:
        """Joint state index from the parts' (months left, attainment, target ratio) triples."""
        if len(features) != 3 * len(self.parts):
            raise ValueError(f"expected {3 * len(self.parts)} features, got {len(features)}")
        return self._combine([s.index(*features[3 * i:3 * i + 3])
                              for i, s in enumerate(self.parts)])


def chosen(spaces: list[dict], states_from: str) -> list[int]:
    """Positions of the plans whose decision states a role conditions on.

    ``first``: the first plan listed (the first model's rule). ``all``: every plan with more
    than one state (periodic or ratcheted), in the listed order; the first if none has.
    """
    if not spaces:
        return []
    if states_from == "first":
        return [0]
    many = [i for i, kw in enumerate(spaces) if StateSpace(**kw).n_states > 1]
    return many or [0]


def build(spaces: list[dict]) -> StateSpace | JointStates:
    """One plan's state space, or the joint space of several (none: a single state)."""
    if len(spaces) <= 1:
        return StateSpace(**(spaces[0] if spaces else {}))
    return JointStates(tuple(StateSpace(**kw) for kw in spaces))


def of_plans(spaces: list[dict], states_from: str) -> tuple[list[int], StateSpace | JointStates]:
    """Which of a role's plans set its decision state (:func:`chosen`), and their state space.

    Args:
        spaces: Each of the role's plans' ``decision_space()``, in the role's order.
        states_from: ``all`` or ``first`` (``behavior.states_from``).
    """
    pick = chosen(spaces, states_from)
    return pick, build([spaces[i] for i in pick])
