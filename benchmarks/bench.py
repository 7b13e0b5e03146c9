"""``make bench``: wall time of one firm run per size, imports excluded.

Usage: ``python benchmarks/bench.py [--sizes s,m] [--repeat 3]``. Prints the median wall time,
people-months per second and peak memory (RSS) per size. Issue 6 adds the plain-Mesa reference.
"""

from __future__ import annotations

import argparse
import logging
import resource
import statistics
import time

from sim.config import load_config
from sim.simulation import run


def main() -> None:
    """Time the runs."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="s")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("MESA").setLevel(logging.WARNING)
    print(f"{'size':<5} {'people':>7} {'months':>7} {'median s':>9} {'people-months/s':>16}")
    for size in args.sizes.split(","):
        cfg = load_config([f"size={size}"])
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            run(cfg)
            times.append(time.perf_counter() - start)
        med = statistics.median(times)
        pm = cfg.size.n_people * cfg.months
        print(f"{size:<5} {cfg.size.n_people:>7} {cfg.months:>7} {med:>9.2f} {pm / med:>16.0f}",
              flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
