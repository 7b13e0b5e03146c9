"""docs/firm.md's effects table: each effect, its mechanism's ablation, measured on paired seeds.

The same comparisons as the slow tests in ``tests/test_firm_directions.py`` (which assert their
directions), printed as the table's rows: mean paired difference (treated − baseline) and its
95 % t-interval half-width over seeds 0..n−1 (common random numbers), size s, 60 months, the
default calibration basis (``on_target``). Operating profit and revenue rows follow the table.

Usage: ``python experiments/firm_effects.py [--seeds 10] [--jobs 2] [--size s|m]`` (about a
minute on 2 cores at 10 seeds, size s; ``--size m --seeds 3`` re-measures the six gain-sharing
directions at size=m headcounts, about 5 minutes).
"""

from __future__ import annotations

import argparse
import logging
from concurrent.futures import ProcessPoolExecutor

from sim.stats import mean_ci

NO_INTRINSIC_HELP = ["firm.intrinsic.rnd.support=0", "firm.intrinsic.rnd.knowledge=0",
                     "firm.intrinsic.supply_chain.delivery=0",
                     "firm.intrinsic.supply_chain.bid_support=0"]
GS = ["scheme=gain_sharing"]
#: The pool split by own results only (margin, own KPI): help earns no share of won deals.
OWN_RESULTS = ["~scheme.plans.firm_pool.contribution",
               "+scheme.plans.firm_pool.contribution={margin: 1.0, kpi: 1.0}"]
NO_TIMING = ["market.timing_control=0"]
REVENUE_POOL = [*GS, "~scheme.plans.firm_pool.base.profit",
                "+scheme.plans.firm_pool.base.revenue=0.0825",
                "~scheme.plans.firm_pool.contribution",
                "+scheme.plans.firm_pool.contribution={revenue: 1.0}", *NO_TIMING]
FROZEN = ["behavior.frozen=[sales]"]
NO_SR = [*FROZEN, "market.strategic_needs_sr=false"]
HIGH = ["scheme.plans.sales_commission.rate=0.08"]
NO_ENVY = ["firm.envy=0", "firm.guilt=0"]
ADDITIVE = ["market.complementary_fit=false"]
TRIANGLE = ["org=iron_triangle"]
STRUCTURE = ["org=iron_triangle", "org.triangle_pay=none"]

#: (label, metric, baseline overrides, treated overrides)
ROWS: list[tuple[str, str, list[str], list[str]]] = [
    ("gs-c collaboration_index", "collaboration_index", [], GS),
    ("  ablation: help out of contribution, no intrinsic", "collaboration_index",
     NO_INTRINSIC_HELP, [*GS, *OWN_RESULTS, *NO_INTRINSIC_HELP]),
    ("gs-c help_effort_sr_fr", "help_effort_sr_fr", [], GS),
    ("  ablation: same", "help_effort_sr_fr",
     NO_INTRINSIC_HELP, [*GS, *OWN_RESULTS, *NO_INTRINSIC_HELP]),
    ("gs-c avg_discount", "avg_discount", [], GS),
    ("  timing control off in both arms", "avg_discount", NO_TIMING, [*GS, *NO_TIMING]),
    ("  ablation: and pool on revenue", "avg_discount", NO_TIMING, REVENUE_POOL),
    ("gs-c pay_ratio_sales_to_others", "pay_ratio_sales_to_others", [], GS),
    ("gs-c ar_volume_share", "ar_volume_share", [], GS),
    ("gs-c strategic_mix", "strategic_mix", [], GS),
    ("  ablation: ARs held", "strategic_mix", FROZEN, [*GS, *FROZEN]),
    ("gs-c strategic_project_mix (ARs held)", "strategic_project_mix", FROZEN, [*GS, *FROZEN]),
    ("  ablation: strategic lines need no SR", "strategic_project_mix", NO_SR, [*GS, *NO_SR]),
    ("rate 4->8 %: help_effort_sr_fr", "help_effort_sr_fr", [], HIGH),
    ("  pay ratio", "pay_ratio_sales_to_others", [], HIGH),
    ("  ablation: alpha = beta = 0", "help_effort_sr_fr", NO_ENVY, [*HIGH, *NO_ENVY]),
    ("triangle-silo integrated_win_rate", "integrated_win_rate", [], TRIANGLE),
    ("  ablation: shared pay off, additive fit", "integrated_win_rate",
     ADDITIVE, [*STRUCTURE, *ADDITIVE]),
    ("  shared pay off -> on", "integrated_win_rate", STRUCTURE, TRIANGLE),
    ("triangle-silo key_account_integrated_win_rate", "key_account_integrated_win_rate",
     [], TRIANGLE),
    ("  ablation: shared pay off, additive fit", "key_account_integrated_win_rate",
     ADDITIVE, [*STRUCTURE, *ADDITIVE]),
    ("triangle-silo help_effort_sr_fr", "help_effort_sr_fr", [], TRIANGLE),
    ("  ablation: shared pay off, additive fit", "help_effort_sr_fr",
     ADDITIVE, [*STRUCTURE, *ADDITIVE]),
    ("gs-c operating_profit", "operating_profit", [], GS),
    ("gs-c revenue", "revenue", [], GS),
    ("triangle-silo operating_profit", "operating_profit", [], TRIANGLE),
    ("rate 4->8 %: operating_profit", "operating_profit", [], HIGH),
    ("rate 4->8 %: revenue", "revenue", [], HIGH),
]
#: (label, metric, overrides): levels quoted in the table's text, mean over the seeds.
LEVELS: list[tuple[str, str, list[str]]] = [
    ("commission pull_in_share", "pull_in_share", []),
    ("gain_sharing pull_in_share", "pull_in_share", GS),
    ("gain_sharing trap_pool_floor_share", "trap_pool_floor_share", GS),
]
#: The six gain-sharing directions, re-measured at size=m headcounts with ``--size m``.
SIX = ("collaboration_index", "help_effort_sr_fr", "strategic_mix", "avg_discount",
       "pay_ratio_sales_to_others", "ar_volume_share")


def _one(args: tuple[tuple[str, ...], int]) -> dict[str, float]:
    logging.getLogger("MESA").setLevel(logging.WARNING)
    from sim.config import load_config
    from sim.simulation import run

    overrides, seed = args
    return run(load_config([*overrides, f"seed={seed}"])).metrics


def measure(seeds: int, jobs: int, size: str = "s") -> list[tuple[str, float, float]]:
    """Every row's mean paired difference and 95 % half-width over seeds 0..seeds−1.

    At ``size="s"`` the table's rows and the levels (half-width: 95 % CI of the mean); at
    ``size="m"`` the six gain-sharing directions with size=m headcounts over 60 months.
    """
    if size == "s":
        rows, levels = ROWS, LEVELS
    else:
        m = [f"size={size}", "months=60"]
        rows = [(f"size {size} gs-c {k}", k, m, [*m, *GS]) for k in SIX]
        levels = []
    arms = sorted({tuple(a) for _, _, b, t in rows for a in (b, t)}
                  | {tuple(a) for _, _, a in levels})
    tasks = [(arm, s) for arm in arms for s in range(seeds)]
    with ProcessPoolExecutor(jobs) as pool:
        out = dict(zip(tasks, pool.map(_one, tasks), strict=True))
    result = []
    for label, key, base, treated in rows:
        d = mean_ci([out[(tuple(treated), s)][key] - out[(tuple(base), s)][key]
                     for s in range(seeds)])
        result.append((label, d.mean, d.half))
    for label, key, arm in levels:
        x = mean_ci([out[(tuple(arm), s)][key] for s in range(seeds)])
        result.append((label, x.mean, x.half))
    return result


def main() -> None:
    """Print each row as ``label: mean ± half-width``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--size", choices=("s", "m"), default="s")
    a = ap.parse_args()
    if a.seeds < 2 or a.jobs < 1:
        ap.error("--seeds must be at least 2 and --jobs at least 1")
    for label, mean, half in measure(a.seeds, a.jobs, a.size):
        print(f"{label}: {mean:+.4f} ± {half:.4f}")


if __name__ == "__main__":
    main()
