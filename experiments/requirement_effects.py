"""docs/firm.md's requirements table (issue 17): why a triangle wins integrated deals, and where.

Default firm at size s (60 months), both tiering modes, ``commission`` and ``gain_sharing``:
the paired difference iron_triangle − silo (same seeds, common random numbers) of key-account
win rates and fit gaps by the lines a deal spans, integration, integration effort by role,
revenue, operating profit and collaboration — at the defaults and with each switch of the
mechanism off in both arms (``org.handoff_noise=0``, ``market.complementary_fit=false``, both
together, and ``org.triangle_pay=none`` in the triangle arm). ``gradient`` is the triangle −
silo win-rate gap on 3+-line deals minus the gap on 1-line deals. Mean ± 95 % t half-width
over the seeds, per (tiering, scheme) cell and pooled over the four cells (each seed of each
cell one paired unit).

Usage: ``python experiments/requirement_effects.py [--seeds 20] [--jobs 2]`` (about 8 minutes
on 2 cores at 20 seeds). ``--levels [--seeds 10]`` prints instead the silo firm's integration,
the effort on the tasks it reads and the fit gaps under each scheme, with the paired difference
against commission (about 30 seconds).
"""

from __future__ import annotations

import argparse
import logging
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from sim.stats import mean_ci

TIERING = ("by_unit", "company")
SCHEMES = ("commission", "gain_sharing")
#: Variant → overrides for both arms; the silo arm drops those that only act on triangles.
VARIANTS = {"defaults": [], "handoff_noise=0": ["org.handoff_noise=0"],
            "complementary_fit=false": ["market.complementary_fit=false"],
            "handoff_noise=0, complementary_fit=false": ["org.handoff_noise=0",
                                                         "market.complementary_fit=false"],
            "triangle_pay=none": ["org.triangle_pay=none"],
            "all three off": ["org.handoff_noise=0", "market.complementary_fit=false",
                              "org.triangle_pay=none"]}
TRIANGLE_ONLY = ("org.triangle_pay",)
METRICS = ("key_win_rate_lines_1", "key_win_rate_lines_2", "key_win_rate_lines_3plus",
           "gradient", "key_support_lines_1", "key_support_lines_2", "key_support_lines_3plus",
           "key_fit_gap_lines_1", "key_fit_gap_lines_2", "key_fit_gap_lines_3plus",
           "solution_fit_gap", "integration_quality", "integration_effort_sales",
           "integration_effort_rnd", "integration_effort_supply_chain",
           "key_account_integrated_win_rate", "revenue", "operating_profit",
           "collaboration_index")


def arm(tiering: str, scheme: str, variant: str, org: str) -> tuple[str, ...]:
    """The overrides of one arm."""
    extra = VARIANTS[variant]
    if org == "silo":
        extra = [o for o in extra if not o.startswith(TRIANGLE_ONLY)]
    return (f"tiering={tiering}", f"scheme={scheme}", f"org={org}", *extra)


def one(args: tuple[tuple[str, ...], int]) -> dict[str, float]:
    """One run's metrics, with the win-rate gradient over lines."""
    logging.getLogger("MESA").setLevel(logging.WARNING)
    from sim.config import load_config
    from sim.simulation import run

    overrides, seed = args
    m = run(load_config([*overrides, f"seed={seed}"])).metrics
    m["gradient"] = m["key_win_rate_lines_3plus"] - m["key_win_rate_lines_1"]
    return m


def differences(seeds: int, jobs: int, variants: tuple[str, ...] = tuple(VARIANTS)
                ) -> dict[tuple[str, str, str], dict[str, np.ndarray]]:
    """Per (tiering, scheme, variant): metric → triangle − silo per seed."""
    cells = [(t, sc, v) for t in TIERING for sc in SCHEMES for v in variants]
    arms = sorted({arm(*c, org) for c in cells for org in ("silo", "iron_triangle")})
    tasks = [(a, k) for a in arms for k in range(seeds)]
    with ProcessPoolExecutor(jobs) as pool:
        out = dict(zip(tasks, pool.map(one, tasks, chunksize=4), strict=True))
    diffs = {}
    for c in cells:
        tri, silo = arm(*c, "iron_triangle"), arm(*c, "silo")
        diffs[c] = {key: np.array([out[(tri, k)][key] - out[(silo, k)][key]
                                   for k in range(seeds)]) for key in METRICS}
    return diffs


LEVELS = ("integration_quality", "integration_effort_sales", "integration_effort_rnd",
          "integration_effort_supply_chain", "solution_fit_gap_lines_2",
          "solution_fit_gap_lines_3plus", "win_rate_lines_2")


def levels(seeds: int, jobs: int) -> None:
    """Print the silo firm's integration levels per scheme and the difference to commission."""
    schemes = ("commission", "target_bonus", "gain_sharing")
    tasks = [((f"scheme={sc}",), k) for sc in schemes for k in range(seeds)]
    with ProcessPoolExecutor(jobs) as pool:
        out = dict(zip(tasks, pool.map(one, tasks, chunksize=2), strict=True))
    print("| silo firm | " + " | ".join(schemes)
          + " | target_bonus − commission | gain_sharing − commission |")
    print("|---" * 6 + "|")
    for key in LEVELS:
        val = {sc: np.array([out[((f"scheme={sc}",), k)][key] for k in range(seeds)])
               for sc in schemes}
        cells = [f"{val[sc].mean():.3f}" for sc in schemes]
        for sc in schemes[1:]:
            d = mean_ci(val[sc] - val["commission"])
            cells.append(f"{d.mean:+.3f} ± {d.half:.3f}")
        print(f"| {key} | " + " | ".join(cells) + " |", flush=True)


def main() -> None:
    """Print one Markdown table per variant: cells as columns, pooled last."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--levels", action="store_true",
                    help="the silo firm's integration levels per scheme instead")
    a = ap.parse_args()
    if a.seeds < 2 or a.jobs < 1:
        ap.error("--seeds must be at least 2 and --jobs at least 1")
    if a.levels:
        levels(a.seeds, a.jobs)
        return
    diffs = differences(a.seeds, a.jobs)
    cols = [(t, sc) for t in TIERING for sc in SCHEMES]
    for v in VARIANTS:
        print(f"\n#### {v}\n")
        print("| triangle − silo | " + " | ".join(f"{t}, {sc}" for t, sc in cols)
              + " | pooled |")
        print("|---" * (len(cols) + 2) + "|")
        for key in METRICS:
            cells = [diffs[(t, sc, v)][key] for t, sc in cols]
            parts = [mean_ci(x) for x in [*cells, np.concatenate(cells)]]
            big = key in ("revenue", "operating_profit")
            fmt = (lambda s: f"{s.mean:+,.0f} ± {s.half:,.0f}") if big else (
                lambda s: f"{s.mean:+.3f} ± {s.half:.3f}")
            print(f"| {key} | " + " | ".join(fmt(s) for s in parts) + " |", flush=True)


if __name__ == "__main__":
    main()
