"""Fingerprints of eight runs, to check that an optimisation leaves the model's output unchanged.

Usage: ``python benchmarks/fingerprint.py OUT.json`` before and after a change, then
``diff`` the two files. A fingerprint hashes a run's metrics, monthly series, per-person rows
and its whole deal ledger, so any change in any number shows.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import time

from sim.config import load_config
from sim.simulation import run

CASES = [["scheme=commission"], ["scheme=target_bonus"], ["scheme=gain_sharing"],
         ["scheme=commission", "org=iron_triangle"],
         ["scheme=gain_sharing", "org=iron_triangle", "seed=7"],
         ["experiment=downturn"], ["experiment=sudan"], ["experiment=rollout"]]


def fingerprint(overrides: list[str]) -> str:
    """Hash of everything one run produces."""
    result = run(load_config(overrides), keep_deals=True)
    h = hashlib.sha256(json.dumps([result.metrics, result.timeseries, result.people],
                                  sort_keys=True, default=float).encode())
    assert result.deals is not None
    for key in sorted(result.deals):
        h.update(result.deals[key].tobytes())
    return h.hexdigest()[:16]


def main() -> None:
    """Print and save the fingerprints."""
    if len(sys.argv) != 2:
        raise SystemExit("usage: python benchmarks/fingerprint.py OUT.json")
    logging.getLogger("MESA").setLevel(logging.WARNING)
    out = {}
    for case in CASES:
        start = time.perf_counter()
        out[" ".join(case)] = fingerprint(case)
        print(f"{' '.join(case):<45} {out[' '.join(case)]}  {time.perf_counter() - start:.1f} s",
              flush=True)
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
