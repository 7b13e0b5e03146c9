"""Statistics for comparing design points over replications (issue 4).

Everything works on plain arrays of per-replication values. Comparisons against a baseline are
*paired*: replication k of every design point uses the same seed (common random numbers), so the
differences d_k = treated_k − baseline_k carry the comparison.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps


@dataclass(frozen=True)
class Summary:
    """Mean of one metric at one design point with its 95 % t-interval."""

    n: int
    mean: float
    sd: float
    low: float
    high: float

    @property
    def half(self) -> float:
        """Half-width of the interval."""
        return (self.high - self.low) / 2

    @property
    def interval(self) -> tuple[float, float, float]:
        """``(mean, low, high)``."""
        return self.mean, self.low, self.high


@dataclass(frozen=True)
class Paired:
    """A paired comparison of treated against baseline over the same seeds.

    Attributes:
        n: Number of pairs.
        diff: Mean paired difference (treated − baseline).
        low, high: Its 95 % t-interval.
        pct: ``diff`` as a share of the baseline mean (NaN when the baseline mean is 0).
        p_t: Two-sided p-value of the paired t-test.
        p_wilcoxon: Two-sided p-value of the Wilcoxon signed-rank test (NaN if all d are 0).
        d_z: Effect size: mean difference / SD of the differences (0 if both are 0).
        p_holm: Holm-adjusted p-value (filled by :func:`holm` across a family of metrics).
    """

    n: int
    diff: float
    low: float
    high: float
    pct: float
    p_t: float
    p_wilcoxon: float
    d_z: float
    p_holm: float = float("nan")

    @property
    def significant(self) -> bool:
        """The Holm-adjusted t-test rejects at 5 % (the CI then also excludes 0 unadjusted)."""
        return bool(self.p_holm < 0.05)


def _clean(x: np.ndarray | list[float]) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    return a[np.isfinite(a)]


def mean_ci(x: np.ndarray | list[float], level: float = 0.95) -> Summary:
    """Mean and t-interval of finite values (a single value has a zero-width interval).

    Args:
        x: Per-replication values; non-finite ones (failed replications) are dropped.
        level: Confidence level.
    """
    a = _clean(x)
    n = a.size
    if n == 0:
        nan = float("nan")
        return Summary(0, nan, nan, nan, nan)
    m = float(a.mean())
    if n == 1:
        return Summary(1, m, 0.0, m, m)
    sd = float(a.std(ddof=1))
    half = float(sps.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return Summary(n, m, sd, m - half, m + half)


def paired(treated: np.ndarray | list[float], baseline: np.ndarray | list[float],
           level: float = 0.95) -> Paired:
    """Paired comparison over replications with the same seeds.

    Pairs where either value is missing (a failed replication) are dropped.

    Args:
        treated: Values of the treated design point, one per replication.
        baseline: Values of the baseline, same order (same seeds).
        level: Confidence level of the interval.
    """
    t = np.asarray(treated, dtype=float)
    b = np.asarray(baseline, dtype=float)
    if t.shape != b.shape:
        raise ValueError(f"paired: {t.size} treated values but {b.size} baseline values")
    ok = np.isfinite(t) & np.isfinite(b)
    d = t[ok] - b[ok]
    n = d.size
    nan = float("nan")
    if n == 0:
        return Paired(0, nan, nan, nan, nan, nan, nan, nan)
    mean = float(d.mean())
    base_mean = float(b[ok].mean())
    pct = mean / abs(base_mean) if base_mean != 0 else nan
    if n == 1:
        return Paired(1, mean, mean, mean, pct, nan, nan, nan)
    sd = float(d.std(ddof=1))
    half = float(sps.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    if sd > 0:
        p_t = float(sps.ttest_rel(t[ok], b[ok]).pvalue)
        d_z = mean / sd
    else:  # every pair differs by the same amount: certain if non-zero
        p_t = 1.0 if mean == 0 else 0.0
        d_z = 0.0 if mean == 0 else math.copysign(math.inf, mean)
    p_w = float(sps.wilcoxon(d).pvalue) if np.any(d != 0) else nan
    return Paired(n, mean, mean - half, mean + half, pct, p_t, p_w, d_z)


def holm(p_values: list[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values (step-down, monotone, capped at 1).

    NaN p-values are left NaN and do not count towards the family size.

    Args:
        p_values: Unadjusted p-values of a family of tests.
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.size, np.nan)
    idx = np.flatnonzero(np.isfinite(p))
    m = idx.size
    if m == 0:
        return out.tolist()
    order = idx[np.argsort(p[idx], kind="stable")]
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out.tolist()
