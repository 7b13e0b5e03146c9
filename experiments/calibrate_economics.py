"""Calibrate the firm's economics (issue 15, docs/calibration.md "The firm's economics").

Usage: ``python experiments/calibrate_economics.py [--seeds 10] [--size s]``

Runs the problem-state firm (``commission``) on pilot seeds spawned from 424299 — disjoint from
every reported seed — and prints its gross margin, personnel cost and sales compensation as
shares of revenue and its operating margin, then the one calibrated number: the non-pay
operating cost per head (``market.opex_per_head``) that gives the central operating margin of
10 %. Operating cost enters only the accounts (no plan reads operating profit net of it), so it
is solved in closed form from the pilot runs: ``opex = (gross − comp + KPI savings − 0.10 ·
revenue) / (12 · headcount)`` (KPI savings: the cost own KPIs save, ``firm.kpi_value``; issue
18). It also prints the gross margin rate per 100 of revenue, the reference AR's on-target
margin (``calibration.on_target_monthly.sales.margin``).
"""

from __future__ import annotations

import argparse
import logging
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from sim.config import load_config
from sim.rng import replication_seeds

PILOT = 424299
TARGET = 0.10


def _one(task: tuple[list[str], int]) -> dict[str, float]:
    from sim.simulation import run

    logging.getLogger("MESA").setLevel(logging.WARNING)
    overrides, seed = task
    cfg = load_config([*overrides, f"seed={seed}"])
    m = run(cfg).metrics
    return {"revenue": m["revenue"], "gross": m["gross_profit"], "comp": m["comp_cost"],
            "sales_comp": m["comp_cost_of_sales"] * m["revenue"], "op": m["operating_profit"],
            "savings": m.get("kpi_savings", 0.0), "heads": float(cfg.size.n_people)}


def main() -> None:
    """Print the pilot's economics and the calibrated opex per head."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--size", default="s")
    args = parser.parse_args()
    overrides = [f"size={args.size}", "scheme=commission"]
    with ProcessPoolExecutor(max_workers=2) as pool:
        rows = list(pool.map(_one, [(overrides, s) for s in
                                    replication_seeds(PILOT, args.seeds)]))
    mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    rev = mean["revenue"]
    opex = (mean["gross"] - mean["comp"] + mean["savings"] - TARGET * rev) / (12 * mean["heads"])
    print(f"pilot: {args.seeds} seeds from {PILOT}, size {args.size}, commission")
    print(f"  revenue {rev:,.0f}/yr; gross margin {mean['gross'] / rev:.4f}; personnel "
          f"{mean['comp'] / rev:.4f}; sales comp (CCOS) {mean['sales_comp'] / rev:.4f}; "
          f"own-KPI savings {mean['savings'] / rev:.4f}; operating margin now "
          f"{mean['op'] / rev:.4f}")
    print(f"  market.opex_per_head for a {TARGET:.0%} operating margin: {opex:.4f}")
    print(f"  on-target margin per 100 of revenue: {100 * mean['gross'] / rev:.1f}")


if __name__ == "__main__":
    main()
