"""docs/firm.md's organisation table (issue 16): iron triangle − silo, and what each mechanism does.

For the default firm (size s, 60 months) and the ``sudan`` preset (36 months, a stream of
tenders), under both tiering modes and under ``commission`` and ``gain_sharing``: the paired
difference iron_triangle − silo (same seeds, common random numbers) of key-account integrated
wins, win rates by the lines a deal spans, the tender win rate (sudan), revenue, operating
profit, collaboration and SR/FR utilisation, at the defaults and with each mechanism switched off
in both arms (``org.reach_back=false``, ``org.allocation=capped``, ``org.triangle_pay=none``).
Mean ± 95 % t half-width over the seeds. The triangle arm's reach-back share is printed too.

Usage: ``python experiments/org_effects.py [--seeds 20] [--jobs 2]`` (about 10 minutes on 2
cores at 20 seeds).
"""

from __future__ import annotations

import argparse
import logging
from concurrent.futures import ProcessPoolExecutor

from sim.stats import mean_ci

SETTINGS = {"default firm": [], "sudan": ["experiment=sudan"]}
TIERING = ("by_unit", "company")
SCHEMES = ("commission", "gain_sharing")
#: Variant → overrides for both arms; the silo arm drops those that only act on triangles.
VARIANTS = {"defaults": [], "reach_back=false": ["org.reach_back=false"],
            "allocation=capped": ["org.allocation=capped"],
            "triangle_pay=none": ["org.triangle_pay=none"]}
TRIANGLE_ONLY = ("org.reach_back", "org.triangle_pay")
METRICS = ("key_account_integrated_win_rate", "win_rate_lines_1", "win_rate_lines_2",
           "win_rate_lines_3plus", "tender_win_rate", "revenue", "operating_profit",
           "collaboration_index", "srfr_utilisation")


def _arm(setting: str, tiering: str, scheme: str, variant: str, org: str) -> tuple[str, ...]:
    extra = VARIANTS[variant]
    if org == "silo":
        extra = [o for o in extra if not o.startswith(TRIANGLE_ONLY)]
    # tiering.mode as well: the sudan preset sets tiering.mode=company after the group is chosen.
    return (*SETTINGS[setting], f"tiering={tiering}", f"tiering.mode={tiering}",
            f"scheme={scheme}", f"org={org}", *extra)


def _one(args: tuple[tuple[str, ...], int]) -> dict[str, float]:
    logging.getLogger("MESA").setLevel(logging.WARNING)
    from sim.config import load_config
    from sim.simulation import run

    overrides, seed = args
    return run(load_config([*overrides, f"seed={seed}"])).metrics


def measure(seeds: int, jobs: int, settings: tuple[str, ...] = tuple(SETTINGS),
            tiering: tuple[str, ...] = TIERING
            ) -> list[tuple[tuple[str, str, str, str], str, float, float]]:
    """Every cell: ((setting, tiering, scheme, variant), metric, mean, half-width)."""
    cells = [(s, t, sc, v) for s in settings for t in tiering for sc in SCHEMES for v in VARIANTS]
    arms = sorted({_arm(*c, org) for c in cells for org in ("silo", "iron_triangle")})
    tasks = [(a, k) for a in arms for k in range(seeds)]
    with ProcessPoolExecutor(jobs) as pool:
        out = dict(zip(tasks, pool.map(_one, tasks, chunksize=4), strict=True))
    rows = []
    for c in cells:
        tri, silo = _arm(*c, "iron_triangle"), _arm(*c, "silo")
        for key in (*METRICS, "reach_back_share"):
            if key not in out[(tri, 0)]:
                continue
            if key == "reach_back_share":  # a level of the triangle arm, not a difference
                x = mean_ci([out[(tri, k)][key] for k in range(seeds)])
            else:
                x = mean_ci([out[(tri, k)][key] - out[(silo, k)][key] for k in range(seeds)])
            rows.append((c, key, x.mean, x.half))
    return rows


def main() -> None:
    """Print each cell as ``setting | tiering | scheme | variant | metric: mean ± half``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--settings", default=",".join(SETTINGS), help="comma-separated")
    ap.add_argument("--tiering", default=",".join(TIERING), help="comma-separated")
    a = ap.parse_args()
    settings, tiering = tuple(a.settings.split(",")), tuple(a.tiering.split(","))
    if a.seeds < 2 or a.jobs < 1:
        ap.error("--seeds must be at least 2 and --jobs at least 1")
    if not set(settings) <= set(SETTINGS) or not set(tiering) <= set(TIERING):
        ap.error(f"--settings from {', '.join(SETTINGS)}; --tiering from {', '.join(TIERING)}")
    for c, key, mean, half in measure(a.seeds, a.jobs, settings, tiering):
        print(f"{' | '.join(c)} | {key}: {mean:+.4f} ± {half:.4f}", flush=True)


if __name__ == "__main__":
    main()
