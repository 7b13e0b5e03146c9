"""Several equilibria? Each scheme from a collaborative and from a non-collaborative start.

Helping is complementary (a deal needs SR *and* FR *and* the AR's pitch), so "nobody helps
because nobody else does" can be self-sustaining. Every scheme starts from the same job
description; this study moves that shared start for SR and FR to a collaborative split and to a
non-collaborative one, runs each scheme from both, paired by seed, and reports whether the last
year's help and collaboration end up the same (the start is forgotten) or not (path dependence).

Usage: ``python experiments/starts.py [--seeds 5] [--months 60]`` (about a minute on 2 cores).
The slow test ``tests/test_firm_starts.py`` runs the same function; docs/firm.md has the table.
"""

from __future__ import annotations

import argparse
import logging
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy import stats

#: SR and FR job descriptions for the two starts (sales and support keep the default).
STARTS: dict[str, list[str]] = {
    "collaborative": ["firm.prior.rnd.own_kpi=0.3", "firm.prior.rnd.support=0.5",
                      "firm.prior.rnd.knowledge=0.2", "firm.prior.supply_chain.own_kpi=0.3",
                      "firm.prior.supply_chain.delivery=0.4",
                      "firm.prior.supply_chain.bid_support=0.3"],
    "non_collaborative": ["firm.prior.rnd.own_kpi=0.9", "firm.prior.rnd.support=0.05",
                          "firm.prior.rnd.knowledge=0.05", "firm.prior.supply_chain.own_kpi=0.9",
                          "firm.prior.supply_chain.delivery=0.05",
                          "firm.prior.supply_chain.bid_support=0.05"],
}
KEYS = ("help_effort_sr_fr", "collaboration_index")
#: Outcomes whose paired difference lies within ± this (95 % CI) count as "the same".
SAME = 0.03


@dataclass(frozen=True)
class Row:
    """One scheme's comparison of the two starts on one metric."""

    scheme: str
    metric: str
    collaborative: float
    non_collaborative: float
    diff: float
    half_width: float

    @property
    def same(self) -> bool:
        """Equivalence: the whole CI of the difference lies within ± SAME."""
        return abs(self.diff) + self.half_width <= SAME


def _one(args: tuple[list[str], int]) -> dict[str, float]:
    logging.getLogger("MESA").setLevel(logging.WARNING)
    from sim.config import load_config
    from sim.simulation import run

    overrides, seed = args
    return run(load_config([*overrides, f"seed={seed}"])).metrics


def compare_starts(schemes: tuple[str, ...] = ("commission", "target_bonus", "gain_sharing"),
                   seeds: int = 5, months: int = 60, workers: int = 2) -> list[Row]:
    """Run every scheme from both starts over paired seeds.

    Args:
        schemes: Scheme presets.
        seeds: Seeds 0 … seeds−1, the same for both starts.
        months: Run length.
        workers: Processes.

    Returns:
        One row per scheme and metric in ``KEYS``.
    """
    jobs = [([f"scheme={s}", f"months={months}", *STARTS[start]], seed)
            for s in schemes for start in STARTS for seed in range(seeds)]
    with ProcessPoolExecutor(workers) as pool:
        results = list(pool.map(_one, jobs))
    rows = []
    it = iter(results)
    for s in schemes:
        by_start = {start: [next(it) for _ in range(seeds)] for start in STARTS}
        for key in KEYS:
            a = np.array([m[key] for m in by_start["collaborative"]])
            b = np.array([m[key] for m in by_start["non_collaborative"]])
            d = a - b
            half = float(stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size))
            rows.append(Row(s, key, float(a.mean()), float(b.mean()), float(d.mean()), half))
    return rows


def table(rows: list[Row]) -> str:
    """Markdown table of the comparison."""
    out = ["| scheme | metric | collaborative start | non-collaborative start | "
           "difference (95 % CI) | same outcome? |", "|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r.scheme} | {r.metric} | {r.collaborative:.3f} | "
                   f"{r.non_collaborative:.3f} | {r.diff:+.3f} ± {r.half_width:.3f} | "
                   f"{'yes' if r.same else 'no'} |")
    return "\n".join(out)


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--months", type=int, default=60)
    args = parser.parse_args()
    print(table(compare_starts(seeds=args.seeds, months=args.months)))


if __name__ == "__main__":
    main()
