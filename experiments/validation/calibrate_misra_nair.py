"""Calibrate the Misra & Nair preset's new commission rate to the old plan's compensation cost.

The new plan (linear commission, no quota, no cap) must cost the firm what the old one did
(salary + capped commission above a ratcheted quota). Runs both arms of
``configs/experiment/validate_misra_nair.yaml`` on pilot seeds *disjoint from the validation's*
(spawned from a different root), and solves comp_cost(new, rate) = comp_cost(old) by the secant
method. The rate it prints was written into the preset before the validation ran (git order).

Usage: python experiments/validation/calibrate_misra_nair.py [--seeds 6]
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from sim.rng import replication_seeds
from sim.validation import firm_task, load_preset

PILOT_ROOT = 777  # not the preset's seed (2011): pilot and validation seeds never coincide


def comp_cost(pool: ProcessPoolExecutor, overrides: list[str], seeds: list[int]) -> float:
    """Mean firm compensation cost per year of the preset with ``overrides`` over ``seeds``."""
    cfg = load_preset("misra_nair", overrides)
    return float(np.mean([r["comp_cost"] for r in pool.map(firm_task,
                                                           [(cfg, s) for s in seeds])]))


def main() -> None:
    """Solve for the new plan's rate and print it."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=6)
    args = parser.parse_args()
    seeds = replication_seeds(PILOT_ROOT, args.seeds)
    arms = load_preset("misra_nair")["validation"]["arms"]
    new = [o for o in arms["new"] if not o.startswith("scheme.plans.sales_commission.rate=")]
    with ProcessPoolExecutor(2) as pool:
        target = comp_cost(pool, list(arms["old"]), seeds)
        print(f"old plan: comp cost {target:,.1f}/yr")
        r0, r1 = 0.02, 0.04
        c0 = comp_cost(pool, [*new, f"scheme.plans.sales_commission.rate={r0}"], seeds)
        for _ in range(6):
            c1 = comp_cost(pool, [*new, f"scheme.plans.sales_commission.rate={r1}"], seeds)
            print(f"rate {r1:.5f}: comp cost {c1:,.1f}/yr ({100 * (c1 / target - 1):+.2f} %)")
            if abs(c1 / target - 1) < 0.002:
                print(f"calibrated rate: {r1:.4f}")
                return
            if c1 == c0:
                break
            r0, r1, c0 = r1, r1 + (target - c1) * (r1 - r0) / (c1 - c0), c1
    raise SystemExit("error: no rate within 0.2 % of the old plan's cost; widen the search")


if __name__ == "__main__":
    main()
