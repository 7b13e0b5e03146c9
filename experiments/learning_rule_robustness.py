"""Robustness across the learning rule (issue 19, point 5): gain_sharing − commission against δ.

The learner's foregone-payoff weight δ (``behavior.learner.foregone_weight``, default 1.0:
every candidate split valued alike, realised or not) is the EWA parameter the field knows least
about. This script re-measures the headline comparison gain_sharing − commission (scheme presets,
default org ``silo``) at each δ on paired seeds (common random numbers: seed k runs both schemes),
for collaboration (``collaboration_index``), help (``help_effort_sr_fr``, SR/FR effort on help),
``operating_profit`` and strategic mix (``strategic_mix``).

Per δ it reports each scheme's mean, the mean paired difference with its 95 % t-interval over
seeds (:func:`sim.stats.paired`) and whether the interval excludes 0; then, per metric, whether
the difference keeps its sign and significance across every δ. The Markdown table goes to stdout
and, with a CSV of the per-seed values, into a fresh run folder ``<out>/run-NNN`` published
atomically (:func:`sim.results.new_run_dir`, :func:`sim.results.publish`).

Usage: ``python experiments/learning_rule_robustness.py [--seeds 20] [--size s]
[--deltas 0.5,0.75,1.0] [--workers 2] [--out results/learning_rule_robustness]`` (about three
minutes on 2 cores with the defaults: 3 δ × 2 schemes × 20 seeds = 120 runs).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from sim.results import atomic_write, new_run_dir, publish
from sim.stats import Paired, mean_ci, paired

SCHEMES = ("gain_sharing", "commission")
#: (metric key in sim/metrics.py, label in the table)
METRICS: tuple[tuple[str, str], ...] = (
    ("collaboration_index", "collaboration"),
    ("help_effort_sr_fr", "help (SR/FR effort)"),
    ("operating_profit", "operating profit"),
    ("strategic_mix", "strategic mix"),
)
DELTA_KEY = "behavior.learner.foregone_weight"

#: One run: (scheme, size, δ, seed).
Task = tuple[str, str, float, int]


def overrides(task: Task) -> list[str]:
    """The Hydra overrides of one run."""
    scheme, size, delta, seed = task
    return [f"scheme={scheme}", f"size={size}", f"{DELTA_KEY}={delta}", f"seed={seed}"]


def one(task: Task) -> dict[str, float]:
    """Run one configuration and return the metrics of interest.

    Args:
        task: ``(scheme, size, delta, seed)``.

    Returns:
        Metric name → value for the keys of :data:`METRICS`.
    """
    logging.getLogger("MESA").setLevel(logging.WARNING)
    from sim.config import load_config
    from sim.simulation import run

    metrics = run(load_config(overrides(task))).metrics
    return {k: float(metrics[k]) for k, _ in METRICS}


def measure(tasks: list[Task], workers: int) -> dict[Task, dict[str, float]]:
    """Run every task on a process pool, printing progress to stderr.

    Args:
        tasks: The runs to make.
        workers: Number of worker processes.

    Returns:
        Task → its metrics.
    """
    out: dict[Task, dict[str, float]] = {}
    start = time.monotonic()
    with ProcessPoolExecutor(workers) as pool:
        futures = {pool.submit(one, t): t for t in tasks}
        for done, fut in enumerate(as_completed(futures), start=1):
            task = futures[fut]
            out[task] = fut.result()
            scheme, _, delta, seed = task
            print(f"[{done:4d}/{len(tasks)}] {time.monotonic() - start:7.1f} s  "
                  f"δ={delta:g} {scheme} seed={seed}", file=sys.stderr, flush=True)
    return out


def _fmt(x: float) -> str:
    """A number with 4 significant digits (plain notation for the profit's thousands)."""
    return f"{x:.1f}" if abs(x) >= 1000 else f"{x:.4g}"


def _sign(p: Paired) -> int:
    """+1 / −1 if the 95 % interval lies above / below 0, else 0."""
    return 1 if p.low > 0 else -1 if p.high < 0 else 0


def table(out: dict[Task, dict[str, float]], size: str, deltas: list[float],
          seeds: list[int]) -> str:
    """The Markdown report: one row per δ and metric, then the verdict per metric.

    Args:
        out: Task → metrics, as from :func:`measure`.
        size: Size preset of the runs.
        deltas: Values of δ, in the order to report.
        seeds: The paired seeds.
    """
    lines = [
        f"# gain_sharing − commission across the foregone-payoff weight δ "
        f"(size={size}, {len(seeds)} paired seeds {seeds[0]}..{seeds[-1]})",
        "",
        "| δ | metric | gain_sharing | commission | difference | 95 % CI | excludes 0 |",
        "|---|---|---|---|---|---|---|",
    ]
    signs: dict[str, list[int]] = {k: [] for k, _ in METRICS}
    for delta in deltas:
        for key, label in METRICS:
            gs = [out[("gain_sharing", size, delta, s)][key] for s in seeds]
            c = [out[("commission", size, delta, s)][key] for s in seeds]
            p = paired(gs, c)
            sg = _sign(p)
            signs[key].append(sg)
            lines.append(f"| {delta:g} | {label} | {_fmt(mean_ci(gs).mean)} | "
                         f"{_fmt(mean_ci(c).mean)} | {_fmt(p.diff)} | "
                         f"[{_fmt(p.low)}, {_fmt(p.high)}] | {'yes' if sg else 'no'} |")
    lines += ["", "| metric | sign of the significant difference per δ | verdict |",
              "|---|---|---|"]
    for key, label in METRICS:
        s = signs[key]
        marks = ", ".join(f"δ={d:g}: {'+' if x > 0 else '−' if x < 0 else 'n.s.'}"
                          for d, x in zip(deltas, s, strict=True))
        if all(x == s[0] != 0 for x in s):
            verdict = "robust: same sign, significant at every δ"
        elif len({x for x in s if x != 0}) > 1:
            verdict = "sign flips across δ"
        else:
            verdict = "same sign where significant, but not significant at some δ"
        lines.append(f"| {label} | {marks} | {verdict} |")
    return "\n".join(lines) + "\n"


def per_seed_csv(out: dict[Task, dict[str, float]], size: str, deltas: list[float],
                 seeds: list[int]) -> str:
    """Per-seed values of each scheme and their difference (``scheme=difference``) as CSV."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    keys = [k for k, _ in METRICS]
    w.writerow(["delta", "seed", "scheme", *keys])
    for delta in deltas:
        for s in seeds:
            gs, c = (out[(sc, size, delta, s)] for sc in SCHEMES)
            w.writerow([delta, s, "gain_sharing", *(repr(gs[k]) for k in keys)])
            w.writerow([delta, s, "commission", *(repr(c[k]) for k in keys)])
            w.writerow([delta, s, "difference", *(repr(gs[k] - c[k]) for k in keys)])
    return buf.getvalue()


def _deltas(text: str) -> list[float]:
    """Parse ``--deltas``: comma-separated numbers in (0, 1]."""
    try:
        vals = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of numbers: {text}") from None
    if not vals or not all(0 < v <= 1 for v in vals):
        raise argparse.ArgumentTypeError(f"each δ must lie in (0, 1]: {text}")
    return vals


def main() -> None:
    """Run the comparison at every δ, print the table and publish the run folder."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20, help="paired seeds (default 20)")
    ap.add_argument("--first-seed", type=int, default=0, help="first seed (default 0)")
    ap.add_argument("--size", choices=("s", "m", "l"), default="s", help="size preset")
    ap.add_argument("--deltas", type=_deltas, default=[0.5, 0.75, 1.0],
                    help="comma-separated δ values (default 0.5,0.75,1.0)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--out", type=Path, default=Path("results/learning_rule_robustness"),
                    help="parent folder of the run folder")
    a = ap.parse_args()
    if a.seeds < 2 or a.workers < 1:
        ap.error("--seeds must be at least 2 and --workers at least 1")
    seeds = list(range(a.first_seed, a.first_seed + a.seeds))
    deltas: list[float] = a.deltas
    tasks: list[Task] = [(sc, a.size, d, s) for d in deltas for s in seeds for sc in SCHEMES]
    tmp, final = new_run_dir(a.out, "run")
    start = time.monotonic()
    out = measure(tasks, a.workers)
    elapsed = time.monotonic() - start
    report = table(out, a.size, deltas, seeds)
    report += f"\n{len(tasks)} runs on {a.workers} workers in {elapsed:.0f} s.\n"
    print(report)
    atomic_write(tmp / "table.md", report)
    atomic_write(tmp / "per_seed.csv", per_seed_csv(out, a.size, deltas, seeds))
    atomic_write(tmp / "params.json", json.dumps(
        {"size": a.size, "seeds": seeds, "deltas": deltas, "workers": a.workers,
         "override": DELTA_KEY, "schemes": list(SCHEMES), "metrics": [k for k, _ in METRICS],
         "example_overrides": overrides((SCHEMES[0], a.size, deltas[0], seeds[0])),
         "seconds": round(elapsed, 1), "command": sys.argv}, indent=2) + "\n")
    where = publish(tmp, final)
    print(f"wrote {where}", file=sys.stderr)


if __name__ == "__main__":
    main()
