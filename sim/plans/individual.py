"""Individual plans: commission, target bonus (MBO) and lump-sum quota bonus.

Each person's pay depends only on their own credited measures (``scope = "individual"``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from sim.plans.base import Groups, Measures, PeriodState, Plan, PlanError, per_person
from sim.plans.curves import check_curve, payout_curve, tiered_amount


def _nonneg(value: float | None, where: str) -> None:
    if value is not None and not value >= 0:
        raise PlanError(f"{where}: must be ≥ 0, got {value}")


@dataclass(frozen=True)
class Commission(Plan):
    """Commission: a rate table on one credited measure, accumulated over the period.

    Pay to date = min(cap, F(cumulative measure)), where F applies the rate table; the measure is
    floored at 0 (no negative pay). With one tier and no cap the plan is linear.

    Attributes:
        measure: The credited measure (``revenue`` by default, or ``margin``).
        rate: Rate of a single-tier table (used when ``tiers`` is empty).
        tiers: Rate table ``[[start, rate], …]`` on the period's cumulative measure; first start 0.
            Rates above a start may fall (a decelerator) only for marginal tiers.
        tier_style: ``marginal`` (each tier's rate on its slice) or ``retroactive`` (the rate
            reached applies to everything).
        cap: Maximum commission per period (money), or ``None``.
    """

    kind = "commission"
    scope = "individual"
    budget_balanced = False
    pay_fields = ("rate", "cap")

    measure: str = "revenue"
    rate: float = 0.0
    tiers: tuple[tuple[float, float], ...] = ()
    tier_style: str = "marginal"
    cap: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        _nonneg(self.rate, "commission.rate")
        _nonneg(self.cap, "commission.cap")
        if self.tier_style not in ("marginal", "retroactive"):
            raise PlanError(
                f"commission.tier_style: must be marginal or retroactive, got {self.tier_style!r}"
            )
        table = self.table
        if table[0][0] != 0 or (np.diff(table[0]) <= 0).any():
            raise PlanError("commission.tiers: starts must begin at 0 and increase strictly")
        if (table[1] < 0).any():
            raise PlanError("commission.tiers: rates must be ≥ 0")
        if self.tier_style == "retroactive" and (np.diff(table[1]) < 0).any():
            raise PlanError("commission.tiers: retroactive rates must not fall (pay would drop)")

    def scaled(self, factor: float) -> Commission:
        """Rates (every tier's) and the cap times ``factor``; tier starts unchanged."""
        plan = super().scaled(factor)
        assert isinstance(plan, Commission)
        tiers = tuple((float(a), factor * float(r)) for a, r in self.tiers)
        return replace(plan, tiers=tiers) if tiers else plan

    @property
    def table(self) -> tuple[np.ndarray, np.ndarray]:
        """Tier starts and rates as arrays."""
        if self.tiers:
            arr = np.asarray(self.tiers, dtype=float)
            return arr[:, 0], arr[:, 1]
        return np.zeros(1), np.array([float(self.rate)])

    @property
    def measures(self) -> tuple[str, ...]:
        """The one credited measure."""
        return (self.measure,)

    @property
    def linear(self) -> bool:
        """One tier and no cap."""
        return self.table[0].size == 1 and self.cap is None

    @property
    def _scale(self) -> float | None:
        """The measure level that defines attainment 1: the first tier break (else none)."""
        starts, _ = self.table
        return float(starts[1]) if starts.size > 1 else None

    def attainment(self, cum: Measures, frac: float, state: PeriodState) -> np.ndarray | None:
        """Run-rate cumulative measure over the first tier break (tiered plans only)."""
        scale = self._scale
        return None if scale is None else np.asarray(cum[self.measure] / (frac * scale))

    def attainment_marks(self) -> tuple[float, ...]:
        """Tier breaks relative to the first break."""
        scale = self._scale
        return () if scale is None else tuple(float(s) / scale for s in self.table[0][1:])

    def accrued(
        self, cum: Measures, frac: float, state: PeriodState, groups: Groups | None
    ) -> np.ndarray:
        """Commission earned to date on the cumulative measure, capped."""
        starts, rates = self.table
        y = np.maximum(cum[self.measure], 0.0)
        amount = tiered_amount(y, starts, rates, self.tier_style == "retroactive")
        if self.cap is not None:
            amount = np.minimum(amount, self.cap)
        return amount


@dataclass(frozen=True)
class TargetBonus(Plan):
    """Target bonus (MBO): bonus = target amount × payout curve(attainment of one's own target).

    Attainment = Σⱼ wⱼ · cumⱼ / targetⱼ. Accrued to date = f · bonus · curve(attainment projected
    at run rate, i.e. cum / (f · target)), with f the elapsed share of the period, so a year's
    accruals sum to the annual payout. The curve passes through (threshold, payout),
    (1, 1) and (excellence, cap) — any increasing list of points.

    Attributes:
        weights: Measure weights (sum to 1), e.g. ``{own_kpi: 0.7, revenue: 0.3}``.
        target: First-period target per measure (per period, in the measure's unit).
        bonus: Bonus at 100 % attainment (money per period).
        curve: Payout curve points ``[[attainment, payout share], …]``; 0 below the first.
        ratchet: Share ρ ∈ [0, 1] of over- or under-achievement carried into the next target.
        growth: Growth g ≥ 0 of every new target:
            next = (1 + g) · (target + ρ · (result − target)).
    """

    kind = "target_bonus"
    scope = "individual"
    budget_balanced = False
    pay_fields = ("bonus",)

    weights: Mapping[str, float] = field(default_factory=lambda: {"kpi": 1.0})
    target: Mapping[str, float] = field(default_factory=lambda: {"kpi": 1.0})
    bonus: float = 0.0
    curve: tuple[tuple[float, float], ...] = ((0.5, 0.5), (1.0, 1.0), (1.5, 2.0))
    ratchet: float = 0.0
    growth: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "weights", dict(self.weights))
        object.__setattr__(self, "target", dict(self.target))
        check_curve(self.curve, "target_bonus.curve")
        _nonneg(self.bonus, "target_bonus.bonus")
        if not self.weights or any(w < 0 for w in self.weights.values()):
            raise PlanError("target_bonus.weights: need at least one measure, weights ≥ 0")
        if abs(sum(self.weights.values()) - 1.0) > 1e-9:
            raise PlanError(
                f"target_bonus.weights: must sum to 1, got {sum(self.weights.values()):g}"
            )
        if set(self.target) != set(self.weights):
            raise PlanError("target_bonus.target: give one target per weighted measure")
        if any(not t > 0 for t in self.target.values()):
            raise PlanError("target_bonus.target: targets must be > 0")
        if not 0 <= self.ratchet <= 1:
            raise PlanError(f"target_bonus.ratchet: must be in [0, 1], got {self.ratchet}")
        _nonneg(self.growth, "target_bonus.growth")

    @functools.cached_property
    def _curve_xy(self) -> tuple[np.ndarray, np.ndarray]:
        """The validated curve points (checked once, not every month)."""
        return check_curve(self.curve, "target_bonus.curve")

    @property
    def measures(self) -> tuple[str, ...]:
        """The weighted measures, in a stable order."""
        return tuple(sorted(self.weights))

    @property
    def linear(self) -> bool:
        """Never: the curve has a threshold and a cap."""
        return False

    def first_targets(self, n: int) -> dict[str, np.ndarray]:
        """Everyone starts on the configured target."""
        return {m: np.full(n, float(self.target[m])) for m in self.measures}

    def next_targets(self, state: PeriodState) -> dict[str, np.ndarray]:
        """Ratchet: next = (1 + growth) · (target + ratchet · (result − target))."""
        out = {}
        for m in self.measures:
            t = per_person(state.target[m], state.cum[m])
            out[m] = (1.0 + self.growth) * np.maximum(t + self.ratchet * (state.cum[m] - t), 1e-9)
        return out

    @property
    def ratcheted(self) -> bool:
        """Targets move with results (ratchet) or grow."""
        return self.ratchet > 0 or self.growth > 0

    def attainment_marks(self) -> tuple[float, ...]:
        """The curve's points: threshold, target, excellence/cap."""
        return tuple(float(a) for a, _ in self.curve)

    def target_ratio(
        self, state: PeriodState, targets: Mapping[str, np.ndarray] | None = None
    ) -> np.ndarray:
        """Weighted target over the first target."""
        targets = state.target if targets is None else targets
        total: np.ndarray | float = 0.0
        for m in self.measures:
            total = total + self.weights[m] * targets[m] / self.target[m]
        return np.asarray(total, dtype=float)

    def attainment(self, cum: Measures, frac: float, state: PeriodState) -> np.ndarray:
        """Weighted attainment projected at run rate: Σ wⱼ cumⱼ / (frac · targetⱼ)."""
        total: np.ndarray | float = 0.0
        for m in self.measures:
            c = cum[m]
            total = total + self.weights[m] * c / (frac * per_person(state.target[m], c))
        return np.asarray(total)

    def accrued(
        self, cum: Measures, frac: float, state: PeriodState, groups: Groups | None
    ) -> np.ndarray:
        """Run-rate accrual of the period bonus."""
        x, y = self._curve_xy
        return frac * self.bonus * payout_curve(self.attainment(cum, frac, state), x, y)


@dataclass(frozen=True)
class QuotaBonus(Plan):
    """Lump-sum quota bonus: B if the period's measure reaches the quota Q, else nothing.

    Accrued to date = f · B · 1{cum / f ≥ Q} (run-rate projection; exact at period end).

    Attributes:
        measure: The credited measure.
        quota: Q (measure units per period), > 0.
        bonus: B (money per period), ≥ 0.
    """

    kind = "quota_bonus"
    scope = "individual"
    budget_balanced = False
    pay_fields = ("bonus",)

    measure: str = "revenue"
    quota: float = 1.0
    bonus: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.quota > 0:
            raise PlanError(f"quota_bonus.quota: must be > 0, got {self.quota}")
        _nonneg(self.bonus, "quota_bonus.bonus")

    @property
    def measures(self) -> tuple[str, ...]:
        """The one credited measure."""
        return (self.measure,)

    @property
    def linear(self) -> bool:
        """Never: the bonus is a step."""
        return False

    def attainment_marks(self) -> tuple[float, ...]:
        """The quota."""
        return (1.0,)

    def attainment(self, cum: Measures, frac: float, state: PeriodState) -> np.ndarray:
        """Run-rate attainment against the quota."""
        return np.asarray(cum[self.measure] / (frac * self.quota))

    def accrued(
        self, cum: Measures, frac: float, state: PeriodState, groups: Groups | None
    ) -> np.ndarray:
        """B at run rate once the quota is reached."""
        hit = self.attainment(cum, frac, state) >= 1.0
        return frac * self.bonus * hit.astype(float)
