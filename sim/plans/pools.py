"""Shared pay: the gain-sharing pool and the team scorecard bonus (iron triangles).

Both fund a pool from a group's results and split it so that payouts sum *exactly* to the pool
(``budget_balanced``). The pool goes first to units, in proportion to
``weight(front-line or support) × scorecard score × headcount``, then inside a unit a share λ
equally and ``1 − λ`` by a contribution measure. The contribution measure is either

* ``proportional`` — the person's share cᵢ / Σc of the unit's total. When the pool's base is the
  same sum (pool = k·v·Q, contribution = xᵢ) this is an *absolute* incentive:
  payᵢ = k·v·[λ·Q/n + (1 − λ)·xᵢ], the closed form of the theory checks; when the base is a
  different result (firm profit) it becomes relative, a tournament-like incentive; or
* ``rank`` — by mid-rank within the unit (a tournament: one's share moves only by overtaking).

Counterfactuals hold everyone else's measures fixed and recompute the group totals as
``total − own + candidate`` (vectorised, no loop over people).
"""

from __future__ import annotations

import functools
from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from sim.plans.base import Groups, Measures, PeriodState, Plan, PlanError
from sim.plans.curves import check_curve, payout_curve

SPLIT_MODES = ("proportional", "rank")
#: Scorecard parts of a front-line unit (S9) and of a support unit (``sim.firm.units``).
FRONT_PARTS = ("financial", "customer", "efficiency", "learning")
SERVICE_PARTS = ("delivered", "rating")
#: What a unit of a gain-sharing pool is, and what it scores (``units``, ``unit_score``).
UNIT_KINDS = ("roles", "organisations")
UNIT_SCORES = ("headcount", "scorecard")
LEAVER_RULES = ("forfeit", "paid")
#: A measure a candidate does not move in others' results (``rest``).
_ZERO = np.zeros((1, 1))


def _weighted(cum: Measures, weights: Mapping[str, float]) -> np.ndarray:
    total: np.ndarray | float = 0.0
    for m in sorted(weights):
        total = total + weights[m] * cum[m]
    return np.asarray(total, dtype=float)


def _group_sum(values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    return np.bincount(group, weights=values, minlength=n_groups)


def nested(groups: Groups) -> Groups:
    """``groups`` with every unit cut along pool lines, so that each unit lies in one pool.

    A unit whose members fund different pools (role units at ``level: team``, where each person
    or triangle is a pool) becomes one unit per (pool, unit) pair, with the unit's front-line
    flag, score and slopes; otherwise ``groups`` itself. Without it such a unit's share would be
    taken of one pool and its equal split spread over people of several: payouts would not sum
    to the pools.
    """
    n_units = groups.frontline.size
    lo = np.full(n_units, np.iinfo(np.intp).max, dtype=np.intp)
    hi = np.full(n_units, -1, dtype=np.intp)
    np.minimum.at(lo, groups.unit, groups.pool)
    np.maximum.at(hi, groups.unit, groups.pool)
    used = hi >= 0
    if (lo[used] == hi[used]).all():
        return groups
    uniq, inv = np.unique(groups.pool.astype(np.int64) * n_units + groups.unit,
                          return_inverse=True)
    orig = (uniq % n_units).astype(np.intp)
    return replace(groups, unit=inv.astype(np.intp), frontline=groups.frontline[orig],
                   score=groups.score[orig],
                   slopes={m: v[orig] for m, v in groups.slopes.items()})


@dataclass(frozen=True)
class PoolPlan(Plan):
    """Common split logic of pooled plans; subclasses define the pool from group sums.

    Attributes:
        contribution: Weights of the measures that make up a person's contribution.
        split: ``proportional`` or ``rank`` (see module docstring).
        equal_share: λ ∈ [0, 1], the share of a unit's pool split equally.
        frontline_weight: Unit weight of front-line units in the split to units.
        support_weight: Unit weight of support units.
        leavers: ``forfeit`` (leavers' shares go to those who stay) or ``paid``.
    """

    contribution: Mapping[str, float] = field(default_factory=lambda: {"revenue": 1.0})
    split: str = "proportional"
    equal_share: float = 0.5
    frontline_weight: float = 1.0
    support_weight: float = 1.0
    leavers: str = "forfeit"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "contribution", dict(self.contribution))
        if self.split not in SPLIT_MODES:
            raise PlanError(f"{self.kind}.split: must be proportional or rank, got {self.split!r}")
        if self.leavers not in LEAVER_RULES:
            raise PlanError(f"{self.kind}.leavers: must be forfeit or paid, got {self.leavers!r}")
        if not 0 <= self.equal_share <= 1:
            raise PlanError(f"{self.kind}.equal_share: must be in [0, 1], got {self.equal_share}")
        if any(w < 0 for w in self.contribution.values()):
            raise PlanError(f"{self.kind}.contribution: weights must be ≥ 0")
        for name in ("frontline_weight", "support_weight"):
            if not getattr(self, name) > 0:
                raise PlanError(f"{self.kind}.{name}: must be > 0")

    # -- pool ---------------------------------------------------------------------------------
    @property
    @abstractmethod
    def base_measures(self) -> tuple[str, ...]:
        """Measures the pool is computed from."""

    @abstractmethod
    def own_base(self, cum: Measures) -> np.ndarray:
        """Each person's part of the quantity the pool is computed from (summed per group)."""

    @abstractmethod
    def pool_from(self, base_sum: np.ndarray, members: np.ndarray, frac: float) -> np.ndarray:
        """Pool to date from a group's summed base and its headcount (money, ≥ 0)."""

    @property
    def measures(self) -> tuple[str, ...]:
        """Measures read for the base and for contributions."""
        return tuple(sorted(set(self.base_measures) | set(self.contribution)))

    # -- split --------------------------------------------------------------------------------
    def unit_shares(self, groups: Groups, members: np.ndarray) -> np.ndarray:
        """Share of its pool that each unit receives, ``(U,)``."""
        n_units = groups.frontline.size
        heads = np.bincount(groups.unit, weights=members.astype(float), minlength=n_units)
        raw = np.where(groups.frontline, self.frontline_weight, self.support_weight)
        raw = raw * groups.score * heads
        unit_pool = np.zeros(n_units, dtype=np.intp)
        np.maximum.at(unit_pool, groups.unit, groups.pool)
        n_pools = int(groups.pool.max()) + 1
        tot = np.bincount(unit_pool, weights=raw, minlength=n_pools)
        # A pool whose units all score 0 is still paid out: by headcount, never lost.
        heads_tot = np.bincount(unit_pool, weights=heads, minlength=n_pools)
        raw = np.where(tot[unit_pool] > 0, raw, heads)
        tot = np.where(tot > 0, tot, heads_tot)
        return np.where(raw > 0, raw / np.where(tot[unit_pool] > 0, tot[unit_pool], 1.0), 0.0)

    def _moving_unit_shares(self, groups: Groups, members: np.ndarray, cum: Measures,
                            cand: Measures) -> np.ndarray:
        """Each person's unit's share ``(N, M)`` when a candidate moves its own unit's score.

        The candidate changes its unit's score by Σ slope × (candidate − realised) (floored at 0)
        and so its unit's raw weight and the pool's total; every other unit is as realised.
        """
        n_units = groups.frontline.size
        heads = np.bincount(groups.unit, weights=members.astype(float), minlength=n_units)
        w = np.where(groups.frontline, self.frontline_weight, self.support_weight)
        u = groups.unit
        move: np.ndarray | float = 0.0
        for m, slope in sorted(groups.slopes.items()):
            move = move + slope[u][:, None] * (cand[m] - cum[m][:, None])
        score_c = np.maximum(groups.score[u][:, None] + move, 0.0)
        raw = w * groups.score * heads
        raw_c = (w * heads)[u][:, None] * score_c
        unit_pool = np.zeros(n_units, dtype=np.intp)
        np.maximum.at(unit_pool, u, groups.pool)
        n_pools = int(groups.pool.max()) + 1
        # Totals of the pool each unit is split in (as unit_shares: a unit's pool is its members'
        # largest pool id, which matters only where a unit spans several pools, at team level).
        tot = np.bincount(unit_pool, weights=raw, minlength=n_pools)[unit_pool[u]]
        tot_c = tot[:, None] - raw[u][:, None] + raw_c
        # A pool whose units all score 0 is still paid out: by headcount, never lost.
        heads_tot = np.bincount(unit_pool, weights=heads, minlength=n_pools)[unit_pool[u]]
        fallback = heads[u] / np.where(heads_tot > 0, heads_tot, 1.0)
        return np.where(tot_c > 0, raw_c / np.where(tot_c > 0, tot_c, 1.0), fallback[:, None])

    def _members(self, groups: Groups) -> np.ndarray:
        """Who shares the pool: the active, or (``leavers: paid``) everyone."""
        return groups.active if self.leavers == "forfeit" else np.ones_like(groups.active)

    def _pool(self, cum: Measures, cand: Measures, frac: float, groups: Groups,
              rest: Measures | None = None) -> np.ndarray:
        """Each person's pool to date under each candidate ``(N, M)``.

        The group total with one's own part replaced by the candidate's (and the teammates'
        parts moved by ``rest``). Everyone's results fund the pool, leavers' included; only
        members share it.
        """
        n_pools = int(groups.pool.max()) + 1
        own = self.own_base(cum)
        base_sum = _group_sum(own, groups.pool, n_pools)[groups.pool]
        heads = np.bincount(groups.pool, weights=self._members(groups).astype(float),
                            minlength=n_pools)[groups.pool]
        others = (base_sum - own)[:, None]
        if rest is not None:
            others = others + self.own_base({m: rest.get(m, _ZERO) for m in self.measures})
        return self.pool_from(others + self.own_base(cand), heads[:, None], frac)

    def _split(
        self, cum: Measures, cand: Measures, frac: float, groups: Groups | None,
        rest: Measures | None = None,
    ) -> np.ndarray:
        """Pay to date of each person for each of their candidate cumulative measures.

        Args:
            cum: Everyone's realised cumulative measures ``(N,)``.
            cand: Each person's candidate cumulative measures ``(N, M)``; others stay as in ``cum``.
            frac: Elapsed share of the period.
            groups: Pool membership.
            rest: Per measure, the change ``(N, M)`` a candidate makes to the sum over the
                others of one's unit (teaching); it moves the pool's base and the unit's
                contribution total (as given: the caller passes members' results only, each
                ≥ 0). ``None``: others stay as in ``cum``. Only a proportional split whose unit
                scores the moved measures do not move can take it (a rank needs each
                teammate's value, not their sum).

        Returns:
            Pay to date ``(N, M)``; with ``cand`` equal to ``cum`` the column sums per pool equal
            the pool.
        """
        if groups is None:
            raise PlanError(f"{self.kind}: needs pool membership (groups)")
        if rest is not None and (self.split == "rank" or set(rest) & set(groups.slopes)):
            raise PlanError(f"{self.kind}: teammates' moved results (teaching) need "
                            "split=proportional and unit scores they do not move")
        groups = nested(groups)
        members = self._members(groups)
        live = members.astype(float)
        n_units = groups.frontline.size
        pool = self._pool(cum, cand, frac, groups, rest)
        if groups.slopes:
            unit_pool = pool * self._moving_unit_shares(groups, members, cum, cand)
        else:
            unit_pool = pool * self.unit_shares(groups, members)[groups.unit][:, None]
        # Within the unit: λ equally, 1 − λ by contribution.
        n_u = np.maximum(np.bincount(groups.unit, weights=live, minlength=n_units), 1.0)
        n_u = n_u[groups.unit][:, None]
        c_own = np.where(members, np.maximum(_weighted(cum, self.contribution), 0.0), 0.0)
        c_cand = np.where(
            members[:, None], np.maximum(_weighted(cand, self.contribution), 0.0), 0.0
        )
        if self.split == "rank":
            weight = np.zeros_like(c_cand)
            for u in range(n_units):
                idx = np.flatnonzero(groups.unit == u)
                vals = np.sort(c_own[idx][members[idx]])
                cc = c_cand[idx]
                me = members[idx][:, None]
                mine = c_own[idx][:, None]
                below = np.searchsorted(vals, cc, side="left") - (me & (mine < cc))
                ties = np.searchsorted(vals, cc, side="right") - np.searchsorted(
                    vals, cc, side="left"
                ) - (me & (mine == cc))
                weight[idx] = (1.0 + below + 0.5 * ties) / (n_u[idx] * (n_u[idx] + 1.0) / 2.0)
        else:
            total = (_group_sum(c_own, groups.unit, n_units)[groups.unit] - c_own)[:, None]
            if rest is not None:
                total = total + _weighted({m: rest.get(m, _ZERO) for m in self.contribution},
                                          self.contribution)
            total = total + c_cand
            weight = np.where(total > 0, c_cand / np.where(total > 0, total, 1.0), 1.0 / n_u)
        share = self.equal_share / n_u + (1.0 - self.equal_share) * weight
        return np.where(members[:, None], unit_pool * share, 0.0)

    def accrued(
        self, cum: Measures, frac: float, state: PeriodState, groups: Groups | None
    ) -> np.ndarray:
        """Each member's share of the pool to date; the shares sum to the pool."""
        return self._split(cum, {m: cum[m][:, None] for m in self.measures}, frac, groups)[:, 0]

    def accrued_candidates(
        self, measures: Measures, cand: Measures, frac: float, state: PeriodState,
        groups: Groups | None, rest: Measures | None = None,
    ) -> np.ndarray:
        """Pool shares for each person's candidates, everyone else's measures as realised."""
        cum = {m: state.cum[m] + measures[m] for m in self.measures}
        return self._split(cum, cand, frac, groups, rest)

    def peer_counterfactual(
        self, measures: Measures, candidates: Measures, state: PeriodState,
        groups: Groups | None = None, rest: Measures | None = None,
        own: np.ndarray | None = None,
    ) -> np.ndarray:
        """The others' total pay moves by the pool's change less one's own (payouts sum to it).

        Exact for every split: whatever the units and contributions, a pool pays out exactly
        its pool, so the others of one's pool receive the pool less one's own payout. ``own``
        is :meth:`counterfactual`'s result for these candidates where the caller has it (the
        split is then not computed twice).
        """
        if groups is None:
            raise PlanError(f"{self.kind}: needs pool membership (groups)")
        frac = (state.month + 1) / self.period
        cum = {m: state.cum[m] + measures[m] for m in self.measures}
        cand = {m: state.cum[m][:, None] + candidates[m] for m in self.measures}
        if own is None:
            own = self.counterfactual(measures, candidates, state, groups, rest)
        realised = self.counterfactual(measures, {m: measures[m][:, None] for m in self.measures},
                                       state, groups)
        pools = self._pool(cum, cand, frac, groups, rest)
        pool = self._pool(cum, {m: cum[m][:, None] for m in self.measures}, frac, groups)
        return (pools - pool) - (own - realised)

    def pool_total(self, cum: Measures, frac: float, groups: Groups) -> np.ndarray:
        """The pool to date of every pool group, ``(P,)`` (for budget-balance checks)."""
        members = groups.active if self.leavers == "forfeit" else np.ones_like(groups.active)
        n_pools = int(groups.pool.max()) + 1
        own = self.own_base(cum)
        heads = np.bincount(groups.pool, weights=members.astype(float), minlength=n_pools)
        return self.pool_from(_group_sum(own, groups.pool, n_pools), heads, frac)


@dataclass(frozen=True)
class GainSharing(PoolPlan):
    """Gain-sharing: pool = max(0, Σⱼ coefⱼ · resultⱼ − f · deduction) per pool group.

    Results are the group's sums of the base measures (revenue, collections, cash flow, profit
    before variable pay, …, each person's attributed part); ``deduction`` (money per period) is a
    hurdle, pro-rated over the period. Floored at 0, so a loss pays nothing (the floor can become
    an absorbing trap: see docs/plans.md).

    Attributes:
        base: Coefficient per base measure, e.g. ``{profit: 0.1, collections: 0.01}``.
        deduction: Hurdle per period (money), ≥ 0.
        level: Which group funds the pool: ``firm``, ``unit`` or ``team`` (the environment
            builds :class:`~sim.plans.base.Groups` accordingly).
    """

    kind = "gain_sharing"
    scope = "pool"
    budget_balanced = True
    pay_fields = ("base", "deduction")

    base: Mapping[str, float] = field(default_factory=lambda: {"profit": 0.1})
    deduction: float = 0.0
    level: str = "firm"
    units: str = "roles"
    unit_score: str = "headcount"
    scorecard: Mapping[str, float] = field(default_factory=lambda: dict.fromkeys(
        FRONT_PARTS, 0.25))
    service: Mapping[str, float] = field(default_factory=lambda: dict.fromkeys(
        SERVICE_PARTS, 0.5))
    attainment_cap: float = 2.0

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "base", dict(self.base))
        for name, allowed in (("units", UNIT_KINDS), ("unit_score", UNIT_SCORES)):
            if getattr(self, name) not in allowed:
                raise PlanError(f"gain_sharing.{name}: must be {' or '.join(allowed)}, got "
                                f"{getattr(self, name)!r}")
        for name, parts in (("scorecard", FRONT_PARTS), ("service", SERVICE_PARTS)):
            w = dict(getattr(self, name))
            object.__setattr__(self, name, w)
            if set(w) != set(parts) or any(not v >= 0 for v in w.values()) or abs(
                    sum(w.values()) - 1.0) > 1e-9:
                raise PlanError(f"gain_sharing.{name}: one weight ≥ 0 for each of "
                                f"{', '.join(parts)}, summing to 1, got {w!r}")
        if not self.attainment_cap > 0:
            raise PlanError(f"gain_sharing.attainment_cap: must be > 0, got "
                            f"{self.attainment_cap}")
        if not self.base or any(c < 0 for c in self.base.values()):
            raise PlanError("gain_sharing.base: give at least one measure, coefficients ≥ 0")
        if not self.deduction >= 0:
            raise PlanError(f"gain_sharing.deduction: must be ≥ 0, got {self.deduction}")
        if self.level not in ("firm", "unit", "team"):
            raise PlanError(f"gain_sharing.level: must be firm, unit or team, got {self.level!r}")

    @property
    def pool_level(self) -> str:
        """The group that funds the pool (``level``)."""
        return self.level

    @property
    def measures(self) -> tuple[str, ...]:
        """Base and contribution measures, and (scorecard) those candidates move scores by."""
        extra = {"team_revenue", "help"} if self.unit_score == "scorecard" else set()
        return tuple(sorted(set(super().measures) | extra))

    @property
    def base_measures(self) -> tuple[str, ...]:
        """The coefficient formula's measures."""
        return tuple(sorted(self.base))

    @property
    def linear(self) -> bool:
        """Never strictly: the pool is floored at 0."""
        return False

    def own_base(self, cum: Measures) -> np.ndarray:
        """Σⱼ coefⱼ · own measureⱼ."""
        return _weighted(cum, self.base)

    def pool_from(self, base_sum: np.ndarray, members: np.ndarray, frac: float) -> np.ndarray:
        """Floored coefficient formula."""
        return np.maximum(base_sum - frac * self.deduction, 0.0)


@dataclass(frozen=True)
class TeamScorecard(PoolPlan):
    """Team scorecard bonus for iron triangles: pot = members · bonus · curve(team score).

    Team score = Σⱼ wⱼ · team resultⱼ / (members · targetⱼ · f), a balanced scorecard of the
    team's results against per-member targets; by default the curve is linear and uncapped
    (payout share = score), an outcome-based shared bonus. Shared equally by default
    (``equal_share = 1``) or partly by contribution.

    Attributes:
        weights: Scorecard weights per measure (sum to 1).
        target: Per-member target per measure (per period).
        bonus: Bonus per member at score 1 (money per period).
        curve: Optional payout curve points; empty means linear and uncapped.
    """

    kind = "team_scorecard"
    scope = "team"
    budget_balanced = True
    pay_fields = ("bonus",)

    weights: Mapping[str, float] = field(default_factory=lambda: {"revenue": 1.0})
    target: Mapping[str, float] = field(default_factory=lambda: {"revenue": 1.0})
    bonus: float = 0.0
    curve: tuple[tuple[float, float], ...] = ()
    equal_share: float = 1.0
    contribution: Mapping[str, float] = field(default_factory=dict)  # none: shared equally

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "weights", dict(self.weights))
        object.__setattr__(self, "target", dict(self.target))
        if self.curve:
            check_curve(self.curve, "team_scorecard.curve")
        if not self.bonus >= 0:
            raise PlanError(f"team_scorecard.bonus: must be ≥ 0, got {self.bonus}")
        if not self.weights or abs(sum(self.weights.values()) - 1.0) > 1e-9:
            raise PlanError("team_scorecard.weights: must be non-empty and sum to 1")
        if set(self.target) != set(self.weights) or any(
            not t > 0 for t in self.target.values()
        ):
            raise PlanError("team_scorecard.target: one target > 0 per weighted measure")

    @functools.cached_property
    def _curve_xy(self) -> tuple[np.ndarray, np.ndarray]:
        """The validated curve points (checked once, not every month)."""
        return check_curve(self.curve, "team_scorecard.curve")

    @property
    def base_measures(self) -> tuple[str, ...]:
        """The scorecard's measures."""
        return tuple(sorted(self.weights))

    @property
    def linear(self) -> bool:
        """Linear when there is no curve and the pot is shared equally."""
        return not self.curve and self.equal_share == 1.0

    def own_base(self, cum: Measures) -> np.ndarray:
        """Own contribution to the score's numerator, Σⱼ wⱼ · measureⱼ / targetⱼ."""
        return _weighted({m: cum[m] / self.target[m] for m in self.weights}, self.weights)

    def pool_from(self, base_sum: np.ndarray, members: np.ndarray, frac: float) -> np.ndarray:
        """Members · bonus · curve(score), run-rate accrued."""
        m = np.maximum(members, 1.0)
        score = np.maximum(base_sum, 0.0) / (m * frac)
        if self.curve:
            x, y = self._curve_xy
            score = payout_curve(score, x, y)
        return frac * m * self.bonus * score
