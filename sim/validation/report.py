"""The validation report: ``report.md`` and a self-contained ``report.html`` with figures."""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sim.validation.checks import Check


def json_default(x: Any) -> Any:
    """JSON for numpy scalars and arrays (``json.dumps(..., default=json_default)``)."""
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    raise TypeError(type(x))


def fmt(x: float | None) -> str:
    """A number in four significant digits; a dash for none or non-finite."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{x:.4g}"


def figures(out: Path, extras: Mapping[str, Any]) -> list[tuple[str, Path]]:
    """The validation figures (PNG): LEN profit curves, forcing basins, the S10 frontier."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figs: list[tuple[str, Path]] = []
    fdir = out / "figures"

    def finish(fig: Any, ax: Any, labels: tuple[str, str, str], file: str, caption: str) -> None:
        """Axis labels and title, save as PNG, and list it for the report."""
        ax.set_xlabel(labels[0])
        ax.set_ylabel(labels[1])
        ax.set_title(labels[2])
        fig.tight_layout()
        fig.savefig(fdir / file, dpi=110)
        plt.close(fig)
        figs.append((caption, fdir / file))

    len_ = (extras.get("len") or {}).get("len")
    if len_:
        fig, ax = plt.subplots(figsize=(6, 3.6))
        for p in len_:
            prof = np.array(p["profit"])
            ax.plot(np.array(p["betas"]) / p["target"], prof - prof.max(), "o-", label=p["point"])
        ax.axvline(1.0, color="k", lw=0.8)
        ax.legend(fontsize=7)
        finish(fig, ax, ("β / β*", "principal's profit − max",
                         "LEN: learned profit over β (vertex at β*)"), "len.png",
               "Optimal linear commission: profit from learned behaviour")
    forcing = (extras.get("forcing") or {}).get("forcing")
    if forcing:
        fig, ax = plt.subplots(figsize=(5, 3.4))
        ax.plot(np.array(forcing["priors"]) * forcing["efficient"], forcing["effort"], "o-")
        ax.axhline(forcing["efficient"], color="k", lw=0.8, ls="--", label="efficient")
        ax.legend(fontsize=7)
        finish(fig, ax, ("starting effort", "learned effort",
                         "Forcing contract: where learning ends"), "forcing.png",
               "Forcing contract: learned effort by starting point")
    for name, extra in extras.items():
        front = extra.get("frontier") if isinstance(extra, dict) else None
        if not front:
            continue
        keys = list(next(iter(front.values())))
        xk, yk = keys[0], keys[1]
        # Grid arms are named "a=1 b=x c=y": colour by the first factor, fill by the second,
        # marker by the third, so the frontier reads without a label per point.
        parts = {arm: dict(p.split("=", 1) for p in arm.split() if "=" in p) for arm in front}
        factors = list(next(iter(parts.values()))) if all(parts.values()) else []
        levels = {f: list(dict.fromkeys(parts[a][f] for a in front)) for f in factors}
        colours = plt.get_cmap("viridis")
        markers = "os^Dv"
        fig, ax = plt.subplots(figsize=(7.2, 4.6))
        for arm, vals in front.items():
            x, y = np.array(vals[xk]), np.array(vals[yk])
            style: dict[str, Any] = {"fmt": "o", "ms": 6}
            if factors:
                f0 = levels[factors[0]]
                c = colours(f0.index(parts[arm][factors[0]]) / max(len(f0) - 1, 1) * 0.85)
                style.update(color=c, mec=c)
                if len(factors) > 1 and levels[factors[1]].index(parts[arm][factors[1]]) > 0:
                    style["mfc"] = "white"
                if len(factors) > 2:
                    style["fmt"] = markers[levels[factors[2]].index(parts[arm][factors[2]]) % 5]
            else:
                ax.annotate(arm, (x.mean(), y.mean()), fontsize=6, xytext=(3, 3),
                            textcoords="offset points")
            ax.errorbar(x.mean(), y.mean(), xerr=1.96 * x.std(ddof=1) / math.sqrt(x.size),
                        yerr=1.96 * y.std(ddof=1) / math.sqrt(y.size), **style)
        if factors:
            from matplotlib.lines import Line2D

            handles = [Line2D([], [], ls="", marker="o", color=colours(
                i / max(len(levels[factors[0]]) - 1, 1) * 0.85), label=f"{factors[0]}={v}")
                for i, v in enumerate(levels[factors[0]])]
            if len(factors) > 1:
                handles += [Line2D([], [], ls="", marker="o", color="grey",
                                   mfc="grey" if i == 0 else "white", label=f"{factors[1]}={v}")
                            for i, v in enumerate(levels[factors[1]])]
            if len(factors) > 2:
                handles += [Line2D([], [], ls="", marker=markers[i % 5], color="grey",
                                   label=f"{factors[2]}={v}")
                            for i, v in enumerate(levels[factors[2]])]
            ax.legend(handles=handles, fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
        finish(fig, ax, (xk, yk, f"{name}: {yk} against {xk} (95 % CI)"),
               f"{name}_frontier.png", f"{name}: frontier")
    return figs


def reported_rows(extras: Mapping[str, Any]) -> list[str]:
    """Markdown table rows of the quantities presets list under ``validation.report``."""
    out = []
    for name, extra in extras.items():
        for arm, stats in ((extra.get("report") or {}) if isinstance(extra, dict) else {}).items():
            for key, (m, lo, hi) in stats.items():
                out.append(f"| {name} | {arm} | {key} | {fmt(m)} [{fmt(lo)}, {fmt(hi)}] |")
    return out


def write_report(out: Path, checks: Sequence[Check], extras: Mapping[str, Any]) -> None:
    """``report.md`` and a self-contained ``report.html`` with the checks and figures."""
    figs = figures(out, extras)
    passed = sum(c.passed for c in checks)
    lines = ["# Validation", "", f"{passed} of {len(checks)} checks pass. Each failure is "
             "discussed in docs/validation.md.", "",
             "| check | source | expected | measured | 95 % CI | passed |",
             "|---|---|---|---|---|---|"]
    for c in checks:
        lines.append(f"| {c.name} | {c.source} | {c.expected['text']} | {fmt(c.measured)} | "
                     f"[{fmt(c.ci_low)}, {fmt(c.ci_high)}] | {'yes' if c.passed else 'NO'} |")
    notes = [f"- **{c.name}**: {c.note}" for c in checks if c.note]
    lines += ["", "## Notes", "", *notes, ""]
    reported = reported_rows(extras)
    if reported:
        lines += ["## Reported quantities (mean [95 % CI] over seeds)", "",
                  "| preset | arm | quantity | value |", "|---|---|---|---|", *reported, ""]
    lines += [f"![{t}](figures/{p.name})" for t, p in figs]
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = "".join(
        f"<tr class='{'ok' if c.passed else 'bad'}'><td>{html.escape(c.name)}</td>"
        f"<td>{html.escape(c.source)}</td><td>{html.escape(c.expected['text'])}</td>"
        f"<td>{fmt(c.measured)}</td><td>[{fmt(c.ci_low)}, {fmt(c.ci_high)}]</td>"
        f"<td>{'yes' if c.passed else 'NO'}</td><td>{html.escape(c.note)}</td></tr>"
        for c in checks)
    rep = "".join("<tr>" + "".join(f"<td>{html.escape(x.strip())}</td>"
                                    for x in line.strip("|").split("|")) + "</tr>"
                  for line in reported)
    imgs = "".join(
        f"<figure><img alt='{html.escape(t)}' style='max-width:100%' src='data:image/png;base64,"
        f"{base64.b64encode(p.read_bytes()).decode()}'><figcaption>{html.escape(t)}</figcaption>"
        f"</figure>" for t, p in figs)
    page = ("<!doctype html><html lang='en'><meta charset='utf-8'><title>Validation</title>"
            "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}"
            "td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px}"
            "table{border-collapse:collapse}.bad td{background:#fde}.ok td{background:#efe}"
            "</style><h1>Validation</h1>"
            f"<p>{passed} of {len(checks)} checks pass. Each failure is discussed in "
            "docs/validation.md.</p><table><tr><th>check</th><th>source</th><th>expected</th>"
            f"<th>measured</th><th>95 % CI</th><th>passed</th><th>note</th></tr>{rows}</table>"
            + (f"<h2>Reported quantities (mean [95 % CI] over seeds)</h2><table><tr>"
               f"<th>preset</th><th>arm</th><th>quantity</th><th>value</th></tr>{rep}</table>"
               if rep else "")
            + f"{imgs}</html>")
    (out / "report.html").write_text(page + "\n", encoding="utf-8")

