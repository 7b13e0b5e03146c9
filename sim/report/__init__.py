"""Reports of sweeps: collect the jobs, compare against the baseline, draw, write HTML + Markdown.

``build_report(sweep_dir)`` is what runs at the end of every sweep and what
``incentive-sim-report <sweep dir>`` runs on demand.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.progress import progress
from sim.report.aggregate import (
    collect,
    collect_extra,
    job_dirs,
    metric_columns,
    rows_to_csv,
    write_summary,
)
from sim.results import atomic_write

__all__ = ["build_report", "main"]


_MAKERS: list[tuple[str, str, Any]] = []  # read by forked figure workers


def _render_one(i: int, folder: Path) -> bool:
    from sim.report import figures as fg

    name, _, make = _MAKERS[i]
    fig = make()
    if fig is None:
        return False
    fg.save(fig, folder, name)
    return True


def _render_figures(makers: list[tuple[str, str, Any]], folder: Path) -> list[bool]:
    """Draw and save every figure; on two worker processes where the OS can fork.

    Drawing dominates the report's time and figures are independent, so forked workers (which
    inherit the collected tables without pickling them) halve it on two cores. Output is the same
    files either way.
    """
    import multiprocessing as mp
    import os

    global _MAKERS
    _MAKERS = makers
    try:
        workers = min(2, os.cpu_count() or 1, len(makers))
        # Forking is only safe without runtime threads that hold locks (Ray, after a ray sweep).
        if workers > 1 and "fork" in mp.get_all_start_methods() and "ray" not in sys.modules:
            with mp.get_context("fork").Pool(workers) as pool:
                results = pool.starmap(_render_one, [(i, folder) for i in range(len(makers))],
                                       chunksize=1)
                return [bool(r) for r in results]
        return [_render_one(i, folder)
                for i in progress(range(len(makers)), len(makers), "figures", "fig")]
    finally:
        _MAKERS = []


def _job_config(sweep: Path) -> dict[str, Any]:
    """The resolved config of the sweep's first job (the shared settings)."""
    from omegaconf import OmegaConf

    for job in job_dirs(sweep):
        path = job / ".hydra" / "config.yaml"
        if path.exists():
            cfg = OmegaConf.to_container(OmegaConf.load(path), resolve=True)
            return {str(k): v for k, v in cfg.items()} if isinstance(cfg, dict) else {}
    return {}


def _plans_of(sweep: Path) -> dict[str, tuple[Any, str]]:
    """Every distinct plan of the sweep's design points, with the first role it pays."""
    import yaml

    from sim.scheme import build_scheme

    out: dict[str, tuple[Any, str]] = {}
    for job in job_dirs(sweep):
        path = job / ".hydra" / "config.yaml"
        if not path.exists():
            continue
        cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
        try:
            scheme = build_scheme(cfg["scheme"])
        except Exception:
            continue
        for name, plan in scheme.plans.items():
            roles = scheme.members(name)
            key = f"{scheme.name}: {name}"
            if roles and key not in out:
                out[key] = (plan, roles[0])
    return out


def _plan_table(sweep: Path) -> list[tuple[str, str, str, str, str]]:
    """(design point, scheme, plan, paid roles, settings) for every plan of every design point.

    Settings are the plan's fields that differ from the plan kind's defaults.
    """
    import dataclasses

    from omegaconf import OmegaConf

    from sim.report.aggregate import point_names
    from sim.scheme import build_scheme

    names = point_names(sweep)
    rows = []
    for job in job_dirs(sweep):
        path = job / ".hydra" / "config.yaml"
        if not path.exists():
            continue
        cfg = OmegaConf.to_container(OmegaConf.load(path), resolve=True)
        assert isinstance(cfg, dict)
        schemes = [cfg["scheme"]]
        if (cfg.get("rollout") or {}).get("scheme"):
            schemes.append(cfg["rollout"]["scheme"])
        for node in schemes:
            try:
                scheme = build_scheme(node)
            except Exception:
                continue
            for name, plan in scheme.plans.items():
                defaults = type(plan)()
                diff = [f"{f.name}={getattr(plan, f.name)}" for f in dataclasses.fields(plan)
                        if getattr(plan, f.name) != getattr(defaults, f.name)]
                paid = ", ".join(f"{r} (salary {scheme.roles[r].salary:g}/month)"
                                 for r in scheme.members(name))
                rows.append((names[job.name], scheme.name, f"{name} ({plan.kind})", paid,
                             "; ".join(diff)))
    return rows


def build_report(sweep: Path) -> Path:
    """Aggregate a sweep folder and write ``summary.csv``, ``findings.csv``, figures and reports.

    Args:
        sweep: The sweep folder (``hydra.sweep.dir``).

    Returns:
        The path of ``report.html``.
    """
    from sim.report import figures as fg
    from sim.report.findings import (
        KEY_METRICS,
        compare,
        design_points,
        find_baseline,
        findings,
    )
    from sim.report.render import write_reports

    rows = collect(sweep)
    write_summary(sweep, rows)
    cfg = _job_config(sweep)
    points = design_points(rows)
    baseline = find_baseline(points, (cfg.get("experiment") or {}).get("baseline"))
    metrics = metric_columns(rows)
    comparisons = compare(rows, metrics, baseline) if metrics else {}
    table = findings(comparisons, baseline)
    atomic_write(sweep / "findings.csv", rows_to_csv(table))
    series = collect_extra(sweep, "series.csv")
    people = collect_extra(sweep, "people.csv")
    ok_points = [p for p in points if (p, "revenue") in comparisons
                 and comparisons[(p, "revenue")].summary.n > 0]
    key = [m for m in KEY_METRICS if m in metrics]
    burn = int((cfg.get("firm") or {}).get("burn_in", 12))
    on_target = (cfg.get("calibration") or {}).get("on_target_monthly", {})
    figs: list[tuple[str, str, Any]] = []
    if ok_points and key:
        base_ok = baseline if baseline in ok_points else ok_points[0]
        makers = [
            ("metrics", "Key metrics by design point", lambda: fg.metric_bars(
                comparisons, ok_points, key)),
            ("differences", "Paired differences against the baseline", lambda: fg.differences(
                comparisons, ok_points, base_ok, key)),
            ("timeseries", "Over time", lambda: fg.timeseries(series, ok_points, burn)),
            ("product_mix", "Product mix", lambda: fg.product_mix(comparisons, ok_points)),
            ("scorecard", "Balanced scorecard", lambda: fg.bsc_radar(
                comparisons, ok_points, base_ok)),
            ("pay_by_role", "Pay by role", lambda: fg.pay_by_role(people, ok_points)),
            ("attainment", "Attainment of account managers", lambda: fg.attainment_histogram(
                people, ok_points)),
            ("payout_curves", "Payout curves as configured", lambda: fg.payout_curves(
                _plans_of(sweep), on_target)),
            ("sweep", "Sweep", lambda: fg.sweep_plot(comparisons, ok_points, rows)),
        ]
        made = _render_figures(makers, sweep / "figures")
        figs = [(name, title, sweep / "figures" / f"{name}.png")
                for (name, title, _), ok in zip(makers, made, strict=True) if ok]
    return write_reports(sweep, rows=rows, cfg=cfg, points=points, baseline=baseline,
                         comparisons=comparisons, findings=table, figures=figs,
                         plans=_plan_table(sweep))


def main(argv: Sequence[str] | None = None) -> int:
    """``incentive-sim-report <sweep dir>``: (re)build a sweep's summary and report."""
    parser = argparse.ArgumentParser(prog="incentive-sim-report",
                                     description="Aggregate a sweep folder and write its report.")
    parser.add_argument("sweep", help="the sweep folder (hydra.sweep.dir)")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    sweep = Path(args.sweep)
    if not sweep.is_dir() or not job_dirs(sweep):
        print(f"error: sweep: {sweep} is not a sweep folder (no job folders with .hydra/)",
              file=sys.stderr)
        return 2
    print(f"Report: {build_report(sweep)}")
    return 0
