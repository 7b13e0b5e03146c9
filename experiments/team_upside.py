"""docs/firm.md's peer-sanction table (issue 19): what the peer sanction does in the firm.

Size s (60 months), paired seeds (common random numbers), mean paired difference ± 95 % t
half-width. Each row switches the peer sanction on (``behavior.sanction.strength`` = κ, 0.5 as
in the reduced environment, committed before this script first ran) against off, with everything
else equal, under gain_sharing and under commission, in the silo and the iron-triangle firm.
The ablation of the mechanism is the switch itself; the ablation of its channel is commission in
the silo, where no plan is pooled (the sanction is levied on the pay of one's pool), so on and
off must be the same run
(the script says whether they are identical). A further ablation, own KPI of no value
(``firm.kpi_value`` 0), tests why the sanction moves SR/FR effort off help: the pool is funded on
profit, and a peer sanction makes everyone weigh what their effort does to the pool. The last
rows are the difference in differences: how much the sanction moves gain_sharing − commission.

Usage: ``python experiments/team_upside.py [--seeds 20] [--jobs 2] [--strength 0.5]`` (about
6 minutes on 2 cores at 20 seeds).
"""

from __future__ import annotations

import argparse
import logging
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from sim.stats import mean_ci

NO_KPI_VALUE = ("firm.kpi_value.rnd=0", "firm.kpi_value.supply_chain=0",
                "firm.kpi_value.support=0")
SCHEMES = ("gain_sharing", "commission")
ORGS = ("silo", "iron_triangle")
TASKS = {"rnd": ("own_kpi", "support", "knowledge"),
         "supply_chain": ("own_kpi", "delivery", "bid_support")}
METRICS = ("help_effort_sr_fr", "collaboration_index", "total_effort", "ar_volume_share",
           "avg_discount", "win_rate", "revenue",
           "strategic_mix", "operating_profit", "comp_cost", "pay_gini")


def arm(scheme: str, org: str, strength: float) -> tuple[str, ...]:
    """Overrides of one arm."""
    return (f"scheme={scheme}", f"org={org}", f"behavior.sanction.strength={strength}")


def one(args: tuple[tuple[str, ...], int]) -> dict[str, float]:
    """One run's metrics."""
    logging.getLogger("MESA").setLevel(logging.WARNING)
    from sim.config import load_config
    from sim.simulation import run

    overrides, seed = args
    r = run(load_config([*overrides, f"seed={seed}"]))
    m = {k: float(r.metrics.get(k, 0.0)) for k in METRICS}
    for role, tasks in TASKS.items():
        rows = [p for p in r.people if p["role"] == role]
        for t in tasks:
            m[f"{role}.{t}"] = float(np.mean([p[f"effort_{t}"] for p in rows]))
    return m


def main() -> None:
    """Print each row's paired differences."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1900)
    ap.add_argument("--strength", type=float, default=0.5)
    ap.add_argument("--ablation-only", action="store_true",
                    help="only the ablation rows (own KPI of no value)")
    args = ap.parse_args()
    seeds = [args.seed + k for k in range(args.seeds)]
    keys = [*METRICS, *(f"{r}.{t}" for r, ts in TASKS.items() for t in ts)]
    arms = [] if args.ablation_only else [arm(s, o, x) for s in SCHEMES for o in ORGS
                                          for x in (args.strength, 0.0)]
    ablated = [(*arm("gain_sharing", o, x), *NO_KPI_VALUE) for o in ORGS
               for x in (args.strength, 0.0)]
    arms += ablated
    tasks = [(a, s) for a in arms for s in seeds]
    with ProcessPoolExecutor(args.jobs) as pool:
        out = dict(zip(tasks, pool.map(one, tasks, chunksize=4), strict=True))

    def diff(a: tuple[str, ...], b: tuple[str, ...], key: str) -> np.ndarray:
        return np.array([out[(a, s)][key] - out[(b, s)][key] for s in seeds])

    def block(title: str, on: tuple[str, ...], off: tuple[str, ...]) -> None:
        same = all(out[(on, s)] == out[(off, s)] for s in seeds)
        print(f"\n{title}   ({args.seeds} seeds{'; identical runs' if same else ''})")
        for key in keys:
            ci = mean_ci(diff(on, off, key))
            lvl = np.mean([out[(off, s)][key] for s in seeds])
            print(f"  {key:26s} {ci.mean:+10.4g} ± {ci.half:.3g}   (off {lvl:.4g})")

    for org in ORGS:
        block(f"ablation, own KPI of no value (firm.kpi_value 0): sanction on − off, "
              f"gain_sharing, {org}", (*arm("gain_sharing", org, args.strength), *NO_KPI_VALUE),
              (*arm("gain_sharing", org, 0.0), *NO_KPI_VALUE))
    if args.ablation_only:
        return
    for org in ORGS:
        for scheme in SCHEMES:
            block(f"sanction on − off: {scheme}, {org}", arm(scheme, org, args.strength),
                  arm(scheme, org, 0.0))
        print(f"\ngain_sharing − commission with the sanction − without: {org}")
        g_on, g_off = arm("gain_sharing", org, args.strength), arm("gain_sharing", org, 0.0)
        c_on, c_off = arm("commission", org, args.strength), arm("commission", org, 0.0)
        for key in METRICS:
            d = diff(g_on, c_on, key) - diff(g_off, c_off, key)
            ci = mean_ci(d)
            gap = mean_ci(diff(g_off, c_off, key))
            print(f"  {key:22s} {ci.mean:+10.4g} ± {ci.half:.3g}   (gap without "
                  f"{gap.mean:+.4g} ± {gap.half:.3g})")


if __name__ == "__main__":
    main()
