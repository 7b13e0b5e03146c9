"""Piecewise-linear payout curves and commission rate tables."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.plans.base import PlanError


def check_curve(points: Sequence[Sequence[float]], where: str) -> tuple[np.ndarray, np.ndarray]:
    """Validate payout-curve points ``[(attainment, payout share), …]``.

    Attainments must increase strictly and be ≥ 0; payout shares must be ≥ 0 and non-decreasing.

    Returns:
        ``(x, y)`` arrays.
    """
    try:
        arr = np.asarray(points, dtype=float)
    except (TypeError, ValueError) as exc:
        raise PlanError(f"{where}: expected a list of [attainment, payout] pairs") from exc
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] < 1:
        raise PlanError(f"{where}: expected a list of [attainment, payout] pairs")
    x, y = arr[:, 0], arr[:, 1]
    if (x < 0).any() or (np.diff(x) <= 0).any():
        raise PlanError(f"{where}: attainment points must be ≥ 0 and strictly increasing")
    if (y < 0).any() or (np.diff(y) < 0).any():
        raise PlanError(f"{where}: payouts must be ≥ 0 and non-decreasing (cap ≥ threshold)")
    return x, y


def payout_curve(att: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Payout share at attainment ``att``.

    Zero below the first point (the threshold), linear between points, flat after the last (the
    cap).
    """
    out = np.interp(att, x, y)
    return np.where(att < x[0], 0.0, out)


def tiered_amount(
    y: np.ndarray, starts: np.ndarray, rates: np.ndarray, retroactive: bool
) -> np.ndarray:
    """Commission earned on a cumulative measure ``y`` under a rate table.

    Args:
        y: Cumulative credited measure (floored at 0 by the caller).
        starts: Tier start points, ``starts[0] == 0``, increasing.
        rates: Rate of each tier.
        retroactive: If true, the rate of the tier reached applies to the whole amount; if
            false (marginal), each tier's rate applies to the slice inside it.
    """
    if retroactive:
        tier = np.searchsorted(starts, y, side="right") - 1
        return rates[tier] * y
    if starts.size == 1:
        # A single tier is plain linear commission; written so that it is exactly rate × y.
        return rates[0] * y
    ends = np.append(starts[1:], np.inf)
    total = np.zeros(np.shape(y))
    for start, end, rate in zip(starts, ends, rates, strict=True):
        total = total + rate * np.clip(y - start, 0.0, end - start)
    return total
