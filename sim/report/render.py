"""Write the report: one self-contained HTML file (figures embedded) and a Markdown twin.

Every user-supplied string (design point names, plan names, statuses) is escaped in HTML.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sim.report.findings import KEY_METRICS, KPI_METRICS, Comparison, short_name
from sim.results import atomic_write

#: The mechanisms behind the model's differences and the ablation tests that prove them
#: (docs/firm.md; tests/test_firm_directions.py).
MECHANISMS = (
    ("collaboration_index, help_effort_sr_fr up under gain-sharing",
     "the pool is split by value added — a won deal's margin shared among the inputs it "
     "needed — and helping is liked (intrinsic motivation)",
     "split by own results only (margin, KPI) and no intrinsic value of helping: the effect "
     "reverses"),
    ("avg_discount down under gain-sharing",
     "pay on profit makes a discount cost the payee (M7); pulling deals in costs discount too",
     "pool and contribution on revenue (timing control off): no longer lower"),
    ("strategic_mix up under gain-sharing",
     "ARs leave run-rate volume when pay stops rewarding their own volume (M1); SR support "
     "raises strategic wins (complementary fit)",
     "ARs held at the job description: most of it gone; with strategic lines that need no SR "
     "the project mix effect is gone"),
    ("pay ratio up, help down with a higher commission rate",
     "SR/FR envy of the ARs they serve (Fehr–Schmidt, M5, S8)",
     "α = β = 0: no change in help"),
    ("integrated wins up with iron triangles",
     "dedicated AR+SR+FR teams without hand-offs and a shared, uncapped team bonus",
     "shared pay off and additive fit: gone; shared pay back on restores a clear part"),
)

#: What holds across the learning rule's foregone-payoff weight δ (issue 19, docs/sensitivity.md).
LEARNING_RULE_LIMITATION = (
    "Scheme effects on collaboration, help and product mix hold when people weigh forgone "
    "alternatives like played ones (δ near 1, the default). Experiments put δ nearer 0.5 "
    "(Camerer & Ho 1999); in the default firm only two differences of gain-sharing against "
    "commission keep their sign and significance at both δ = 0.5 and 0.75, SR/FR help up "
    "(+0.008 and +0.023 against +0.51 at δ = 1) and operating profit down, because with pay "
    "counted in levels a δ below 1 keeps people near the job description's split "
    "(docs/sensitivity.md).")


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"data:image/png;base64,{data}"


def _num(x: Any, digits: int = 3) -> str:
    if isinstance(x, float):
        if math.isnan(x):
            return "–"
        if abs(x) >= 1000:
            return f"{x:,.0f}"
        return f"{x:.{digits}f}"
    return str(x)


def _assumptions(cfg: Mapping[str, Any]) -> list[str]:
    """Leaves of the run config whose source is an assumption (docs/parameter_sources.yaml)."""
    try:
        from sim import parameters

        table = parameters.sources()
        return sorted(k for k, _ in parameters.leaves(dict(cfg))
                      if not k.startswith(("debug.", "hydra."))
                      and "assumption" in (parameters.source_of(k, table) or "").lower())
    except Exception:  # the docs are not shipped in a wheel: say so rather than fail
        return []


def write_reports(sweep: Path, *, rows: list[dict[str, Any]], cfg: Mapping[str, Any],
                  points: list[str], baseline: str,
                  comparisons: Mapping[tuple[str, str], Comparison],
                  findings: list[dict[str, Any]], figures: list[tuple[str, str, Path]],
                  plans: Sequence[tuple[str, str, str, str, str]] = ()) -> Path:
    """Write ``report.html`` and ``report.md`` into the sweep folder (atomically).

    Returns:
        The HTML report's path.
    """
    import sim

    exp = cfg.get("experiment") or {}
    name = str(exp.get("name", "sweep"))
    failed = [r for r in rows if r.get("status") != "ok"]
    reps = max((int(r["replication"]) + 1 for r in rows), default=0)
    size = cfg.get("size") or {}
    scenario = [
        ("experiment", name), ("design points", ", ".join(points)),
        ("baseline", baseline), ("replications per design point", str(reps)),
        ("seed", str(cfg.get("seed", ""))),
        ("firm", f"{size.get('n_people', '?')} people, {size.get('n_accounts', '?')} accounts, "
                 f"{cfg.get('months', '?')} months"),
        ("org / tiering", f"{(cfg.get('org') or {}).get('design', '?')} / "
                          f"{(cfg.get('tiering') or {}).get('mode', '?')}"),
        ("pay basis", BASES.get(str((cfg.get("calibration") or {}).get("basis", "on_target")),
                                "?")),
        ("code version", f"sim {sim.__version__}"),
    ]
    kpis = [m for m in KPI_METRICS if (baseline, m) in comparisons]
    drift = {p: comparisons[(p, "convergence_drift")].summary.mean for p in points
             if (p, "convergence_drift") in comparisons}
    assumptions = _assumptions(cfg)
    cmd = (f"incentive-sim experiment={name}" if name != "sweep"
           else "incentive-sim -m <overrides>")

    # -- Markdown --------------------------------------------------------------------------
    md = [f"# {name}: what the pay schemes do", "", "## Scenario", ""]
    md += [f"- **{k}**: {md_text(v)}" for k, v in scenario]
    md += ["", "## Plans", "", "| design point | scheme | plan | paid roles | settings |",
           "|---|---|---|---|---|"]
    md += ["| " + " | ".join(md_text(c) for c in row) + " |" for row in plans]
    md += ["", "## Findings (paired by seed, 95 % CI, Holm-corrected tests)", ""]
    md += [f"- {md_text(f['finding'])}" for f in findings] or [
        "- (no comparison: one design point)"]
    md += ["", "Full table: `findings.csv`.", "", "## Figures", ""]
    md += [f"![{md_text(t)}](figures/{n}.png)" for n, t, _ in figures]
    md += ["", "## Compensation-practice KPIs (means)", "",
           "| metric | " + " | ".join(md_text(short_name(p)) for p in points) + " |",
           "|---|" + "---|" * len(points)]
    for m in kpis:
        md.append(f"| {m} | " + " | ".join(_num(comparisons[(p, m)].summary.mean)
                                         for p in points) + " |")
    md += ["", "## Mechanisms", "", "| difference | mechanism | switched off |", "|---|---|---|"]
    md += [f"| {a} | {b} | {c} |" for a, b, c in MECHANISMS]
    md += ["", "## Assumptions and limitations", "",
           f"{len(assumptions)} parameters of this study are assumptions, not sourced values "
           "(docs/parameters.md lists each one). Behaviour is learned, not optimal: people are "
           "boundedly rational learners (docs/behavior.md). Period-end deal timing is not yet "
           "calibrated to the field (issue 5). " + LEARNING_RULE_LIMITATION,
           "", "## Convergence", "",
           "Mean month-on-month drift of mean effort in the last year (below 0.03 = settled): "
           + md_text(", ".join(f"{short_name(p)} {_num(v)}" for p, v in drift.items())), "",
           "## Failures", ""]
    md += [md_text(f"- {r['design_point']} replication {r['replication']}: {r['status']}")
           for r in failed] or ["- none"]
    md += ["", "## Reproduce", "", f"`{cmd}` with seed {cfg.get('seed', '')}; the exact "
           "config of every job is in its `.hydra/config.yaml`; every replication's seed is "
           "in `summary.csv`."]
    atomic_write(sweep / "report.md", "\n".join(md) + "\n")

    # -- HTML --------------------------------------------------------------------------------
    e = html.escape
    h = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
         f"<title>{e(name)} report</title><style>",
         "body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;color:#222}",
         "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
         "padding:4px 8px;text-align:left}th{background:#f3f3f3}img{width:100%;"
         "border:1px solid #eee}.bad{color:#b00}li{margin:.3em 0}</style></head><body>",
         f"<h1>{e(name)}: what the pay schemes do</h1>", "<h2>Scenario</h2><table>"]
    h += [f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in scenario]
    h += ["</table><h2>Plans</h2><table><tr><th>design point</th><th>scheme</th><th>plan</th>"
          "<th>paid roles</th><th>settings</th></tr>"]
    h += [f"<tr><td>{e(a)}</td><td>{e(b)}</td><td>{e(c)}</td><td>{e(d)}</td><td>{e(x)}</td>"
          "</tr>" for a, b, c, d, x in plans]
    h += ["</table><h2>Findings</h2><p>Paired by seed (common random numbers), 95 % confidence "
          "intervals, paired t-tests Holm-corrected across metrics. Full table: "
          "<code>findings.csv</code>.</p><ul>"]
    h += [f"<li>{e(f['finding'])}</li>" for f in findings] or ["<li>No comparison.</li>"]
    h += ["</ul><h2>Figures</h2>"]
    for _, title, path in figures:
        h.append(f"<figure><img alt='{e(title)}' src='{_img(path)}'>"
                 f"<figcaption>{e(title)}</figcaption></figure>")
    h += ["<h2>Compensation-practice KPIs (means)</h2><table><tr><th>metric</th>"
          + "".join(f"<th>{e(short_name(p))}</th>" for p in points) + "</tr>"]
    for m in kpis:
        h.append(f"<tr><td>{e(m)}</td>" + "".join(
            f"<td>{_num(comparisons[(p, m)].summary.mean)}</td>" for p in points) + "</tr>")
    h += ["</table><h2>Mechanisms</h2><table><tr><th>difference</th><th>mechanism</th>"
          "<th>switched off</th></tr>"]
    h += [f"<tr><td>{e(a)}</td><td>{e(b)}</td><td>{e(c)}</td></tr>" for a, b, c in MECHANISMS]
    h += ["</table><h2>Assumptions and limitations</h2>",
          f"<p>{len(assumptions)} parameters of this study are assumptions, not sourced values "
          "(docs/parameters.md lists each one). People are boundedly rational learners, not "
          "optimisers. Period-end deal timing is not yet calibrated to the field. "
          + e(LEARNING_RULE_LIMITATION) + "</p>",
          "<h2>Convergence</h2><p>Drift of mean effort in the last year (below 0.03 = settled): "
          + e(", ".join(f"{short_name(p)} {_num(v)}" for p, v in drift.items())) + "</p>",
          "<h2>Failures</h2><ul>"]
    h += [f"<li class='bad'>{e(str(r['design_point']))} replication {e(str(r['replication']))}"
          f": {e(str(r['status']))}</li>" for r in failed] or ["<li>none</li>"]
    h += ["</ul><h2>Reproduce</h2>", f"<p><code>{e(cmd)}</code> (seed {e(str(cfg.get('seed')))})"
          "; each job's exact config is in its <code>.hydra/config.yaml</code>, each "
          "replication's seed in <code>summary.csv</code>.</p>",
          # Lets a headless browser (tests/test_report_browser.py) confirm every figure loaded.
          "<script>window.addEventListener('load',()=>{const i=[...document.images];"
          "document.body.dataset.imagesTotal=i.length;document.body.dataset.imagesLoaded="
          "i.filter(x=>x.complete&&x.naturalWidth>0).length;});</script></body></html>"]
    path = sweep / "report.html"
    atomic_write(path, "\n".join(h) + "\n")
    return path


#: How the schemes' pay levels were set, as a report says it (docs/calibration.md).
BASES = {"on_target": "equal on-target pay per role (the presets as calibrated)",
         "realised": "equal realised pay per role (calibration.basis=realised: salaries moved "
                     "so that each role's mean realised pay equals the baseline scheme's)"}


def md_text(text: object) -> str:
    """Text for Markdown: HTML escaped (a renderer shows it, never runs it) and table-safe."""
    return html.escape(str(text), quote=False).replace("|", "\\|").replace("`", "\\`")


__all__ = ["KEY_METRICS", "write_reports"]
