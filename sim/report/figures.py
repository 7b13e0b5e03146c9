"""The report's figures: one style, 16:9, readable when projected; PNG and SVG.

Every function takes the collected tables and returns a matplotlib figure (or ``None`` when the
sweep has nothing to show, e.g. no swept numeric parameter); :func:`save` writes both formats.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: figures are files, never windows
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from sim.report.findings import KEY_METRICS, Comparison, short_name
from sim.stats import mean_ci

SLIDE = (12.8, 7.2)  # inches: 1280 × 720 px at 100 dpi, a 16:9 slide
STYLE: dict[str, Any] = {
    "font.size": 13, "axes.titlesize": 14, "axes.labelsize": 13, "legend.fontsize": 11,
    "xtick.labelsize": 11, "ytick.labelsize": 11, "axes.spines.top": False,
    "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3, "figure.dpi": 100,
    "svg.hashsalt": "incentive-sim",  # reproducible SVG ids
    "text.parse_math": False,  # a design point named "$x$" is text, not mathtext
}
#: Colour-blind-safe palette (Okabe–Ito), baseline first.
COLORS = ("#555555", "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9",
          "#F0E442")


def _style() -> Any:
    """The report's matplotlib style as a context."""
    return plt.rc_context(STYLE)  # type: ignore[arg-type]  # rcParams keys are Literal-typed


def _color(i: int) -> str:
    return COLORS[i % len(COLORS)]


def save(fig: Figure, folder: Path, name: str) -> list[Path]:
    """Write ``name.png`` and ``name.svg`` (reproducible metadata) and close the figure.

    Each file is written under a temporary name and renamed, so a figure is whole or absent.
    """
    import os

    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{name}.png", folder / f"{name}.svg"]
    tmps = [p.with_name(f".{p.name}.tmp") for p in paths]
    fig.savefig(tmps[0], format="png", metadata={"Software": None})
    # The layout is settled by the first save; freezing it saves re-solving it for the second.
    fig.set_layout_engine("none")
    fig.savefig(tmps[1], format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    for tmp, path in zip(tmps, paths, strict=True):
        os.replace(tmp, path)
    return paths


def _fig(nrows: int = 1, ncols: int = 1, **kw: Any) -> tuple[Figure, Any]:
    with _style():
        fig, axes = plt.subplots(nrows, ncols, figsize=SLIDE, constrained_layout=True, **kw)
    return fig, axes


def metric_bars(comparisons: Mapping[tuple[str, str], Comparison], points: list[str],
                metrics: list[str]) -> Figure:
    """Mean and 95 % CI of key metrics per design point (small multiples)."""
    metrics = metrics[:8]
    with _style():
        fig, axes = _fig(2, 4)
        for ax, m in zip(np.ravel(axes), metrics, strict=False):
            means = [comparisons[(p, m)].summary.mean for p in points]
            lows = [comparisons[(p, m)].summary.low for p in points]
            highs = [comparisons[(p, m)].summary.high for p in points]
            err = np.array([np.subtract(means, lows), np.subtract(highs, means)])
            ax.bar(range(len(points)), means, yerr=err, capsize=4,
                   color=[_color(i) for i in range(len(points))])
            ax.set_title(KEY_METRICS.get(m, (m,))[0])
            ax.set_xticks(range(len(points)), [short_name(p) for p in points], rotation=20,
                          ha="right")
        for ax in np.ravel(axes)[len(metrics):]:
            ax.set_visible(False)
        fig.suptitle("Key metrics by design point (mean, 95 % CI over replications)")
    return fig


def differences(comparisons: Mapping[tuple[str, str], Comparison], points: list[str],
                baseline: str, metrics: list[str]) -> Figure:
    """Paired % change vs the baseline with 95 % CI, per metric and design point."""
    others = [p for p in points if p != baseline]
    with _style():
        fig, ax = _fig()
        height = 0.8 / max(len(others), 1)
        for i, p in enumerate(others):
            ys, xs, lo, hi = [], [], [], []
            for j, m in enumerate(metrics):
                t = comparisons[(p, m)].vs_baseline
                base = comparisons[(baseline, m)].summary.mean
                if t is None or not base or math.isnan(t.diff):
                    continue
                scale = 100 / abs(base)
                ys.append(j + i * height)
                xs.append(t.diff * scale)
                lo.append((t.diff - t.low) * scale)
                hi.append((t.high - t.diff) * scale)
            ax.errorbar(xs, ys, xerr=[lo, hi], fmt="o", capsize=4, color=_color(i + 1),
                        label=short_name(p))
        ax.axvline(0, color="black", lw=1)
        # A metric whose baseline is near 0 (operating profit) can change by hundreds of %:
        # clip the axis so the others stay readable and write the clipped values out.
        lim = 120.0
        for line in ax.lines:
            for x, y in zip(*line.get_data(), strict=True):
                if abs(x) > lim:
                    ax.annotate(f"{x:+.0f} % →" if x > 0 else f"← {x:+.0f} %",
                                (math.copysign(lim * 0.97, x), y), ha="right" if x > 0 else
                                "left", va="center", fontsize=11, color=line.get_color())
        ax.set_xlim(-lim, lim)
        ax.set_yticks(np.arange(len(metrics)) + 0.4 - height / 2,
                      [KEY_METRICS.get(m, (m,))[0] for m in metrics])
        ax.invert_yaxis()
        ax.set_xlabel(f"change vs {short_name(baseline)} (% of its mean; paired, 95 % CI)")
        if others:
            ax.legend(loc="lower right")
        ax.set_title("What each design changes, against the baseline")
    return fig


def timeseries(series: list[dict[str, Any]], points: list[str], burn_in: int) -> Figure:
    """Monthly revenue, SR/FR help and discount: mean and 95 % band over replications."""
    panels = (("revenue", "revenue per month (k)"), ("help_effort_sr_fr", "SR/FR help share"),
              ("discount_policy", "AR discount level"))
    with _style():
        fig, axes = _fig(1, 3)
        for ax, (key, title) in zip(axes, panels, strict=True):
            for i, p in enumerate(points):
                rows = [r for r in series if r["design_point"] == p]
                if not rows:
                    continue
                months = sorted({int(r["month"]) for r in rows})
                by_month: dict[int, list[float]] = {m: [] for m in months}
                for r in rows:
                    by_month[int(r["month"])].append(float(r[key]))
                stats = [mean_ci(by_month[m]) for m in months]
                mean = np.array([s.mean for s in stats])
                ax.plot(months, mean, color=_color(i), label=short_name(p))
                ax.fill_between(months, [s.low for s in stats], [s.high for s in stats],
                                color=_color(i), alpha=0.2, lw=0)
            ax.axvspan(0, burn_in, color="grey", alpha=0.1)
            ax.set_title(title)
            ax.set_xlabel("month (grey: burn-in)")
        axes[0].legend()
        fig.suptitle("Over time (mean and 95 % band over replications)")
    return fig


def product_mix(comparisons: Mapping[tuple[str, str], Comparison], points: list[str]
                ) -> Figure:
    """Revenue by source: strategic project lines, standard project lines, run-rate orders."""
    with _style():
        fig, ax = _fig()
        strat = np.array([comparisons[(p, "strategic_mix")].summary.mean for p in points])
        within = np.array([comparisons[(p, "strategic_project_mix")].summary.mean
                           for p in points])
        project = np.where(within > 0, strat / np.where(within > 0, within, 1), 0.0)
        parts = (("strategic lines (projects)", strat, "#009E73"),
                 ("standard lines (projects)", project - strat, "#56B4E9"),
                 ("run-rate orders", 1 - project, "#999999"))
        bottom = np.zeros(len(points))
        for label, share, color in parts:
            ax.bar(range(len(points)), 100 * share, bottom=100 * bottom, label=label,
                   color=color)
            bottom += share
        ax.set_xticks(range(len(points)), [short_name(p) for p in points], rotation=15, ha="right")
        ax.set_ylabel("share of revenue (%)")
        ax.set_ylim(0, 100)
        ax.legend(loc="upper right")
        ax.set_title("Product mix: where revenue comes from")
    return fig


BSC = (("bsc_financial", "financial\n(operating margin)"),
       ("bsc_customer", "customer\n(satisfaction, key relationships)"),
       ("bsc_efficiency", "efficiency\n(bookings per head)"),
       ("bsc_learning", "learning\n(knowledge stock)"))


def bsc_radar(comparisons: Mapping[tuple[str, str], Comparison], points: list[str],
              baseline: str) -> Figure:
    """Balanced scorecard (S9): each axis relative to the baseline (= 1)."""
    angles = np.linspace(0, 2 * np.pi, len(BSC), endpoint=False)
    with _style():
        fig, ax = _fig(subplot_kw={"projection": "polar"})
        for i, p in enumerate(points):
            vals = []
            for key, _ in BSC:
                base = comparisons[(baseline, key)].summary.mean
                v = comparisons[(p, key)].summary.mean
                vals.append(v / base if base and not math.isnan(base) and base > 0 else 1.0)
            closed = np.append(vals, vals[0])
            ax.plot(np.append(angles, angles[0]), closed, color=_color(i), label=short_name(p),
                    lw=2)
        ax.set_xticks(angles, [label for _, label in BSC])
        ax.legend(loc="upper right", bbox_to_anchor=(1.35, 1.1))
        ax.set_title(f"Balanced scorecard relative to {short_name(baseline)} (= 1)")
    return fig


def pay_by_role(people: list[dict[str, Any]], points: list[str]) -> Figure:
    """Distribution of annual pay by role and design point (all people, all replications)."""
    roles = ("sales", "rnd", "supply_chain", "support")
    with _style():
        fig, ax = _fig()
        width = 0.8 / max(len(points), 1)
        for i, p in enumerate(points):
            data = [[float(r["annual_pay"]) for r in people
                     if r["design_point"] == p and r["role"] == role] or [0.0] for role in roles]
            pos = np.arange(len(roles)) + i * width
            bp = ax.boxplot(data, positions=pos, widths=width * 0.9, patch_artist=True,
                            showfliers=False)
            for patch in bp["boxes"]:
                patch.set_facecolor(_color(i))
                patch.set_alpha(0.7)
            ax.plot([], [], color=_color(i), lw=8, alpha=0.7, label=short_name(p))
        ax.set_xticks(np.arange(len(roles)) + 0.4 - width / 2, roles)
        ax.set_ylabel("annual pay (k)")
        ax.legend()
        ax.set_title("Pay by role (people × replications; boxes: quartiles, whiskers: 1.5 IQR)")
    return fig


def attainment_histogram(people: list[dict[str, Any]], points: list[str]) -> Figure:
    """ARs' annual bookings against the on-target revenue (1 = on target)."""
    with _style():
        fig, ax = _fig()
        bins = np.linspace(0, 4, 41)
        for i, p in enumerate(points):
            att = [float(r["attainment"]) for r in people
                   if r["design_point"] == p and r["role"] == "sales" and r["attainment"] != ""]
            if att:
                ax.hist(np.clip(att, 0, 4), bins=bins, histtype="step", lw=2, density=True,
                        color=_color(i), label=short_name(p))
        ax.axvline(1.0, color="black", lw=1, ls="--")
        ax.set_xlabel("AR bookings / on-target revenue (clipped at 4)")
        ax.set_ylabel("density")
        ax.legend()
        ax.set_title("Attainment distribution of account managers")
    return fig


def payout_curves(plans: Mapping[str, tuple[Any, str]], on_target: Mapping[str, Any]
                  ) -> Figure:
    """Each plan's period payout against attainment, as the designer configured it.

    Attainment ``a`` sets every measure the plan reads to ``a`` × the on-target amount of its
    first paid role for one period (``calibration.on_target_monthly``); a pooled plan is shown
    for a pool of one (its formula, before the split).
    """
    from sim.plans import Groups

    a = np.linspace(0, 2, 201)
    with _style():
        fig, ax = _fig()
        for i, (label, (plan, role)) in enumerate(plans.items()):
            target = on_target.get(role, {})
            cum = {m: a * float(target.get(m, 0.0)) * plan.period for m in plan.measures}
            state = plan.initial_state(a.size)
            pay = plan.accrued(cum, 1.0, state, Groups.teams(a.size, 1))
            ax.plot(a, pay, lw=2, color=_color(i), ls="-" if i < len(COLORS) else "--",
                    label=f"{label} ({role}, per {plan.period} mo)")
        ax.axvline(1.0, color="black", lw=1, ls="--")
        ax.set_xlabel("attainment (1 = on target for the period)")
        ax.set_ylabel("payout for the period (k)")
        ax.legend(fontsize=10)
        ax.set_title("Payout curves of the plans, as configured")
    return fig


def sweep_plot(comparisons: Mapping[tuple[str, str], Comparison], points: list[str],
               rows: list[dict[str, Any]]) -> Figure | None:
    """Metrics against a swept numeric parameter, with 95 % bands (``None`` if none is swept)."""
    design = [k for k in dict.fromkeys(k for r in rows for k in r) if "." in k]
    swept = None
    for k in design:
        vals = {r.get(k) for r in rows}
        if len(vals) > 1 and all(isinstance(v, int | float) for v in vals):
            swept = k
            break
    if swept is None:
        return None
    x_of = {str(r["design_point"]): float(r[swept]) for r in rows}
    order = sorted(points, key=lambda p: x_of[p])
    xs = [x_of[p] for p in order]
    with _style():
        fig, axes = _fig(1, 2)
        for ax, m in zip(axes, ("pay_ratio_sales_to_others", "collaboration_index"),
                         strict=True):
            s = [comparisons[(p, m)].summary for p in order]
            ax.plot(xs, [v.mean for v in s], "o-", color=_color(1))
            ax.fill_between(xs, [v.low for v in s], [v.high for v in s], color=_color(1),
                            alpha=0.2)
            ax.set_xlabel(swept)
            ax.set_title(KEY_METRICS.get(m, (m,))[0])
        fig.suptitle(f"Sweep of {swept} (mean and 95 % band)")
    return fig
