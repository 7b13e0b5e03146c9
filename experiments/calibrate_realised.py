"""Solve the realised-pay offsets of ``calibration.basis=realised`` (issue 15).

Usage: ``python experiments/calibrate_realised.py [--seeds 10] [--write]``

For each preset other than the baseline (``calibration.realised.baseline``, commission), finds
the monthly salary offset per role that makes each role's mean realised pay over the measured
years (``pay_<role>``) equal the baseline's, on pilot seeds spawned from 424299 (disjoint from
every reported seed), at the default firm. People respond to a salary change (attrition,
inequity), so the offsets are iterated to a fixed point: each step adds the remaining gap / 12.
``--write`` puts them into ``configs/calibration/default.yaml``. Held-out seeds check them
(``tests/test_realised_basis.py``, slow).
"""

from __future__ import annotations

import argparse
import logging
import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from sim.config import load_config
from sim.firm.params import ROLES
from sim.rng import replication_seeds

PILOT = 424299
ROOT = Path(__file__).resolve().parent.parent


def _pay(task: tuple[list[str], int]) -> list[float]:
    from sim.simulation import run

    logging.getLogger("MESA").setLevel(logging.WARNING)
    overrides, seed = task
    m = run(load_config([*overrides, f"seed={seed}"])).metrics
    return [m[f"pay_{r}"] for r in ROLES]


def realised(pool: ProcessPoolExecutor, overrides: list[str], seeds: list[int]) -> np.ndarray:
    """Mean realised pay per role over the seeds."""
    return np.mean(list(pool.map(_pay, [(overrides, s) for s in seeds])), axis=0)


def solve(scheme: str, target: np.ndarray, pool: ProcessPoolExecutor, seeds: list[int],
          steps: int = 6, tol: float = 0.002) -> np.ndarray:
    """Offsets per role (per month) that bring ``scheme``'s realised pay to ``target``."""
    offset = np.zeros(len(ROLES))
    for step in range(steps):
        over = [f"scheme={scheme}", "calibration.basis=realised",
                *(f"calibration.realised.{scheme}.{r}={float(o)!r}" for r, o in
                  zip(ROLES, offset, strict=True))]
        got = realised(pool, over, seeds)
        gap = target - got
        print(f"  {scheme} step {step}: realised {np.round(got, 2).tolist()}, gap "
              f"{np.round(gap / target, 4).tolist()}", flush=True)
        if np.all(np.abs(gap / target) < tol):
            break
        offset = offset + gap / 12
    return offset


def main() -> None:
    """Solve, print and optionally write the offsets."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    cfg = load_config()
    base = str(cfg.calibration.realised.baseline)
    seeds = replication_seeds(PILOT, args.seeds)
    out = {}
    with ProcessPoolExecutor(max_workers=2) as pool:
        target = realised(pool, [f"scheme={base}"], seeds)
        print(f"baseline {base}: realised pay per role {np.round(target, 2).tolist()}")
        for scheme in (s for s in cfg.calibration.realised if s not in ("baseline", base)):
            out[scheme] = solve(str(scheme), target, pool, seeds)
    for scheme, offset in out.items():
        print(f"  {scheme}: " + ", ".join(f"{r}: {o:+.4f}" for r, o in
                                          zip(ROLES, offset, strict=True)))
    if args.write:
        path = ROOT / "configs" / "calibration" / "default.yaml"
        text = path.read_text(encoding="utf-8")
        for scheme, offset in out.items():
            line = f"  {scheme}: {{" + ", ".join(f"{r}: {o:.4f}" for r, o in
                                                 zip(ROLES, offset, strict=True)) + "}"
            text = re.sub(rf"^  {scheme}: \{{.*\}}$", line, text, flags=re.M)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
