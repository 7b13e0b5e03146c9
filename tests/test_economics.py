"""The default firm's economics inside published ranges (issue 15; slow).

Under the problem-state scheme (commission) at sizes s and m, 20 seeds each: the 95 % CI of
the operating margin, of compensation as a share of revenue and of the sales compensation cost
of sales lie inside the ranges of docs/calibration.md ("The firm's economics"), which were
written down before any calibration run. The gross margin, the fourth check there, is 0.4 pp
below its range (34.6 %): docs/calibration.md gives the numbers and the cause (the published
margins are after price concessions; the model's line margins are before them). It is not
asserted here.
"""

from __future__ import annotations

import functools
import logging
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from sim.config import load_config
from sim.rng import replication_seeds
from sim.stats import mean_ci

pytestmark = pytest.mark.slow

#: metric → (low, high), from docs/calibration.md
RANGES = {
    "bsc_financial": (0.05, 0.15),        # operating margin
    "comp_cost_ratio": (0.17, 0.25),      # personnel cost / revenue
    "comp_cost_of_sales": (0.03, 0.09),   # sales compensation / revenue (CCOS)
}
SEED = 20261201  # reported seeds, disjoint from the calibration's pilot seeds (424299)


def _one(task: tuple[str, int]) -> dict[str, float]:
    from sim.simulation import run

    logging.getLogger("MESA").setLevel(logging.WARNING)
    size, seed = task
    m = run(load_config([f"size={size}", f"seed={seed}"])).metrics
    return {**m, "gross_margin": m["gross_profit"] / m["revenue"]}


@functools.cache
def economics(size: str) -> dict[str, tuple[float, float, float]]:
    seeds = replication_seeds(SEED, 20)
    with ProcessPoolExecutor(max_workers=2) as pool:
        rows = list(pool.map(_one, [(size, s) for s in seeds]))
    return {k: mean_ci(np.array([r[k] for r in rows])).interval for k in RANGES}


@pytest.mark.parametrize("size", ["s", "m"])
def test_the_commission_firm_is_inside_the_published_ranges(size):
    # One test per size, not per metric: under pytest-xdist the metrics of one size landed on
    # both workers, each running the same 20 size-m runs (about 9 CPU-minutes twice).
    stats = economics(size)
    outside = [f"{metric} {mean:.4f} [{low:.4f}, {high:.4f}] not inside [{lo}, {hi}]"
               for metric, (lo, hi) in RANGES.items()
               for mean, low, high in [stats[metric]] if not (lo <= low and high <= hi)]
    assert not outside, f"size {size}: " + "; ".join(outside)
