"""Statistics tables and plain-language findings from a sweep's ``summary.csv`` rows."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from sim.report.aggregate import values
from sim.stats import Paired, Summary, holm, mean_ci, paired

#: Metrics the findings table speaks about, with how to say them.
KEY_METRICS: dict[str, tuple[str, str]] = {
    # metric: (label, unit) — unit "pp" for shares shown in percentage points
    "operating_profit": ("operating profit", "k/yr"),
    "revenue": ("revenue", "k/yr"),
    "collaboration_index": ("collaboration index", "pp"),
    "help_effort_sr_fr": ("SR/FR effort on helping", "pp"),
    "strategic_mix": ("strategic mix", "pp"),
    "avg_discount": ("average discount", "pp"),
    "integrated_win_rate": ("integrated-deal win rate", "pp"),
    "pay_ratio_sales_to_others": ("sales-to-others pay ratio", "x"),
    "attrition_rate": ("attrition", "pp"),
    "comp_cost_ratio": ("compensation cost / revenue", "pp"),
    "customer_satisfaction": ("customer satisfaction", "pp"),
    "pay_gini": ("pay Gini", "x"),
}

#: Comp-practice KPIs shown in their own table.
KPI_METRICS = ("pay_mix_variable", "pay_mix_variable_sales", "leverage_top10",
               "share_at_or_above_target", "comp_cost_of_sales", "pay_for_performance",
               "pay_ratio_sales_to_others", "pay_gini", "pay_gini_functions")


@dataclass(frozen=True)
class Comparison:
    """One metric at one design point against the baseline."""

    point: str
    metric: str
    summary: Summary
    vs_baseline: Paired | None


def design_points(rows: list[dict[str, Any]]) -> list[str]:
    """Design points in job order."""
    return list(dict.fromkeys(str(r["design_point"]) for r in rows))


def find_baseline(points: list[str], spec: str | None) -> str:
    """The design point matching every ``key=value`` of ``spec`` (else the first point)."""
    if spec:
        from sim.config import override_pairs

        want = override_pairs(spec.split(","))
        hits = [p for p in points if want <= override_pairs(p.split(","))]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:  # the one with nothing else varied
            return min(hits, key=lambda p: len(p.split(",")))
    return points[0]


def compare(rows: list[dict[str, Any]], metrics: list[str], baseline: str
            ) -> dict[tuple[str, str], Comparison]:
    """Mean/CI per design point and metric; paired test vs the baseline, Holm across metrics.

    The Holm correction is applied per design point over all ``metrics`` compared.
    """
    out: dict[tuple[str, str], Comparison] = {}
    base = {m: values(rows, baseline, m) for m in metrics}
    for point in design_points(rows):
        tests: dict[str, Paired] = {}
        for m in metrics:
            v = values(rows, point, m)
            if point != baseline and len(v) == len(base[m]):
                tests[m] = paired(v, base[m])
        adjusted = holm([t.p_t for t in tests.values()])
        for (m, t), p in zip(tests.items(), adjusted, strict=True):
            tests[m] = replace(t, p_holm=p)
        for m in metrics:
            out[(point, m)] = Comparison(point, m, mean_ci(values(rows, point, m)),
                                         tests.get(m))
    return out


def _amount(x: float, unit: str) -> str:
    if unit == "pp":
        return f"{100 * x:+.1f} pp"
    if unit == "x":
        return f"{x:+.3f}"
    return f"{x:+,.0f} {unit}"


def sentence(point: str, baseline: str, metric: str, t: Paired) -> str:
    """A finding in plain language, e.g. "gain_sharing raised strategic mix by +7.9 pp ...".

    The verb follows the sign of the difference and whether the interval excludes 0, so the
    sentence flips when the numbers do.
    """
    label, unit = KEY_METRICS.get(metric, (metric, "x"))
    ci = f"[{_amount(t.low, unit)}, {_amount(t.high, unit)}]"
    pct = "" if math.isnan(t.pct) else (
        f", {100 * t.pct:+.0f} %" if abs(t.pct) >= 0.1 else f", {100 * t.pct:+.1f} %")
    who, ref = short_name(point), short_name(baseline)
    verb = "raised" if t.diff > 0 else "lowered"
    size = _amount(abs(t.diff), unit).lstrip("+")
    if t.significant:
        return f"{who} {verb} {label} by {size} {ci}{pct} vs {ref}."
    if t.low > 0 or t.high < 0:
        return (f"{who} probably {verb} {label}, by {size} {ci} vs {ref}, but not significantly "
                f"once corrected for the number of metrics tested.")
    return (f"{who} did not change {label} detectably vs {ref} "
            f"({_amount(t.diff, unit)} {ci}).")


def short_name(point: str) -> str:
    """``scheme=gain_sharing,org=silo`` → ``gain_sharing, org=silo`` (the scheme by name)."""
    parts = [p.split("=", 1)[1] if p.split("=", 1)[0].endswith("scheme") else p
             for p in point.split(",")]
    return ", ".join(parts)


def findings(comparisons: dict[tuple[str, str], Comparison], baseline: str
             ) -> list[dict[str, Any]]:
    """The findings table: one row per (design point ≠ baseline, key metric)."""
    rows = []
    for (point, metric), c in comparisons.items():
        if metric not in KEY_METRICS or c.vs_baseline is None or c.vs_baseline.n < 2:
            continue
        t = c.vs_baseline
        rows.append({
            "design_point": point, "baseline": baseline, "metric": metric,
            "finding": sentence(point, baseline, metric, t),
            "baseline_mean": _mean_of(comparisons, baseline, metric),
            "mean": c.summary.mean, "diff": t.diff, "ci_low": t.low, "ci_high": t.high,
            "pct_change": t.pct, "p_t": t.p_t, "p_wilcoxon": t.p_wilcoxon, "d_z": t.d_z,
            "p_holm": t.p_holm, "significant": t.significant, "n_pairs": t.n,
        })
    return rows


def _mean_of(comparisons: dict[tuple[str, str], Comparison], point: str, metric: str) -> float:
    c = comparisons.get((point, metric))
    return c.summary.mean if c else math.nan
