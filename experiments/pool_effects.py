"""docs/validation.md's gain-sharing table (issue 18): what each stage of the two-stage split does.

Size s (60 months), paired seeds (common random numbers), mean paired difference ± 95 % t
half-width. Each comparison is run at the defaults and with one mechanism off in both arms:

* **value added against an equal split** (silo, λ = 0 against λ = 1 inside the units);
  ablations: the first model's contribution measure (margin + KPI + help, weight 1 each) in the
  treated arm; own KPI of no value (``firm.kpi_value`` 0) in both;
* **triangles in the pool against a firm-wide equal pool** (both ``org=iron_triangle``,
  ``org.triangle_pay=pool``; the baseline has role units, every unit scoring 1, λ = 1);
  ablations: no scorecard (``unit_score=headcount``), no value added (λ = 1), own KPI of no value;
* **the scorecard against headcount** (the preset, silo and triangles).

Besides the metrics it prints the effort split of triangle and line-pool SRs and FRs.

Usage: ``python experiments/pool_effects.py [--seeds 20] [--jobs 2]`` (about 4 minutes on 2
cores at 20 seeds).
"""

from __future__ import annotations

import argparse
import logging
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from sim.stats import mean_ci

GS = ("scheme=gain_sharing",)
POOL = "scheme.plans.firm_pool"
TRI = (*GS, "org=iron_triangle", "org.triangle_pay=pool")
NO_KPI_VALUE = ("firm.kpi_value.rnd=0", "firm.kpi_value.supply_chain=0",
                "firm.kpi_value.support=0")
OLD_CONTRIBUTION = (f"~{POOL}.contribution", f"+{POOL}.contribution={{margin: 1.0, kpi: 1.0, "
                    "help: 1.0}")
FIRMWIDE = (f"{POOL}.units=roles", f"{POOL}.unit_score=headcount", f"{POOL}.equal_share=1.0")
VA, EQUAL = (f"{POOL}.equal_share=0.0",), (f"{POOL}.equal_share=1.0",)
HEADCOUNT = (f"{POOL}.unit_score=headcount",)
#: (label, treated, baseline)
ROWS: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    ("value added − equal split (silo, λ 0 − 1)", (*GS, *VA), (*GS, *EQUAL)),
    ("  ablation: the first contribution measure", (*GS, *VA, *OLD_CONTRIBUTION), (*GS, *EQUAL)),
    ("  ablation: own KPI of no value", (*GS, *VA, *NO_KPI_VALUE), (*GS, *EQUAL, *NO_KPI_VALUE)),
    ("triangles in the pool − firm-wide equal pool", TRI, (*TRI, *FIRMWIDE)),
    ("  ablation: no scorecard (headcount)", (*TRI, *HEADCOUNT), (*TRI, *FIRMWIDE)),
    ("  ablation: no value added (λ = 1)", (*TRI, *EQUAL), (*TRI, *FIRMWIDE)),
    ("  ablation: own KPI of no value", (*TRI, *NO_KPI_VALUE), (*TRI, *FIRMWIDE, *NO_KPI_VALUE)),
    ("scorecard − headcount (silo preset)", GS, (*GS, *HEADCOUNT)),
    ("scorecard − headcount (triangles in the pool)", TRI, (*TRI, *HEADCOUNT)),
]
METRICS = ("help_effort_sr_fr", "collaboration_index", "win_rate", "avg_discount",
           "ar_volume_share", "strategic_mix", "revenue", "operating_profit", "kpi_savings",
           "comp_cost", "pay_gini")
TASKS = {"rnd": ("own_kpi", "support", "knowledge"),
         "supply_chain": ("own_kpi", "delivery", "bid_support")}


def one(args: tuple[tuple[str, ...], int]) -> dict[str, float]:
    """One run's metrics and the mean effort per task of triangle and pool SRs and FRs."""
    logging.getLogger("MESA").setLevel(logging.WARNING)
    from sim.config import load_config
    from sim.simulation import run

    overrides, seed = args
    r = run(load_config([*overrides, f"seed={seed}"]))
    m = {k: float(r.metrics.get(k, 0.0)) for k in METRICS}
    for role, tasks in TASKS.items():
        for where in ("triangle", "pool"):
            rows = [p for p in r.people if p["role"] == role
                    and (p["team"] >= 0) == (where == "triangle")]
            for t in tasks:
                m[f"{role}.{where}.{t}"] = (float(np.mean([p[f"effort_{t}"] for p in rows]))
                                            if rows else float("nan"))
    return m


def main() -> None:
    """Print every row's paired differences."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1800)
    args = ap.parse_args()
    arms = sorted({a for _, t, b in ROWS for a in (t, b)})
    tasks = [(a, args.seed + k) for a in arms for k in range(args.seeds)]
    with ProcessPoolExecutor(args.jobs) as pool:
        out = dict(zip(tasks, pool.map(one, tasks, chunksize=4), strict=True))
    keys = [*METRICS, *(f"{r}.{w}.{t}" for r, ts in TASKS.items()
                        for w in ("triangle", "pool") for t in ts)]
    for label, treated, base in ROWS:
        print(f"\n{label}   ({args.seeds} seeds)")
        for key in keys:
            d = np.array([out[(treated, args.seed + k)][key] - out[(base, args.seed + k)][key]
                          for k in range(args.seeds)])
            if np.isnan(d).all():
                continue
            lvl = np.mean([out[(base, args.seed + k)][key] for k in range(args.seeds)])
            ci = mean_ci(d)
            print(f"  {key:32s} {ci.mean:+10.4g} ± {ci.half:.3g}   (baseline {lvl:.4g})")


if __name__ == "__main__":
    main()
