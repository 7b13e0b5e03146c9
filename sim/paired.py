"""Paired-seed comparisons for the experiment scripts (``experiments/``).

An *arm* is a tuple of config overrides; every arm runs on the same seeds (common random
numbers), and a row of a table is the mean paired difference between two arms with its 95 % t
half-width (:func:`sim.stats.mean_ci`).
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from sim.stats import mean_ci

Arm = tuple[str, ...]
Outcomes = dict[tuple[Arm, int], dict[str, float]]


def parser(description: str, seed: int) -> argparse.ArgumentParser:
    """The scripts' common options: ``--seeds`` (20), ``--jobs`` (2) and ``--seed``."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=seed)
    return ap


def run_metrics(overrides: Sequence[str], seed: int, metrics: Iterable[str],
                tasks: Mapping[str, Sequence[str]]) -> dict[str, float]:
    """One run's metrics and each role's mean effort per task (``"<role>.<task>"``)."""
    logging.getLogger("MESA").setLevel(logging.WARNING)
    from sim.config import load_config
    from sim.simulation import run

    r = run(load_config([*overrides, f"seed={seed}"]))
    m = {k: float(r.metrics.get(k, 0.0)) for k in metrics}
    for role, names in tasks.items():
        rows = [p for p in r.people if p["role"] == role]
        for t in names:
            m[f"{role}.{t}"] = float(np.mean([p[f"effort_{t}"] for p in rows]))
    return m


def run_arms(one: Callable[[tuple[Arm, int]], dict[str, float]], arms: Sequence[Arm],
             seeds: Sequence[int], jobs: int) -> Outcomes:
    """Every arm on every seed, in ``jobs`` processes; ``one`` must be picklable."""
    tasks = [(a, s) for a in arms for s in seeds]
    with ProcessPoolExecutor(jobs) as pool:
        return dict(zip(tasks, pool.map(one, tasks, chunksize=4), strict=True))


def differences(out: Outcomes, on: Arm, off: Arm, seeds: Sequence[int], key: str
                ) -> np.ndarray:
    """Paired differences ``on − off`` of one outcome, one per seed."""
    return np.array([out[(on, s)][key] - out[(off, s)][key] for s in seeds])


def print_block(out: Outcomes, title: str, on: Arm, off: Arm, seeds: Sequence[int],
                keys: Sequence[str], off_label: str = "off", width: int = 26) -> None:
    """A table: each outcome's mean paired difference ± half-width, and the ``off`` arm's level.

    The title says when the two arms gave the same run (every outcome equal on every seed).
    """
    same = all(out[(on, s)] == out[(off, s)] for s in seeds)
    print(f"\n{title}   ({len(seeds)} seeds{'; identical runs' if same else ''})")
    for key in keys:
        ci = mean_ci(differences(out, on, off, seeds, key))
        lvl = np.mean([out[(off, s)][key] for s in seeds])
        print(f"  {key:{width}s} {ci.mean:+10.4g} ± {ci.half:.3g}   ({off_label} {lvl:.4g})")


def print_did(out: Outcomes, title: str, arms: tuple[Arm, Arm, Arm, Arm], seeds: Sequence[int],
              keys: Sequence[str], gap_label: str, width: int = 22, gap_of: int = 1) -> None:
    """Difference in differences ``(a − b) − (c − d)`` per outcome, beside one gap's level.

    Args:
        out: Outcomes of every arm and seed.
        title: The table's title.
        arms: ``(a, b, c, d)``: e.g. gain_sharing on, commission on, gain_sharing off,
            commission off.
        seeds: The seeds.
        keys: Outcomes.
        gap_label: Words for the gap shown beside each row.
        width: Width of the outcome's name.
        gap_of: Which gap to show: 0 for ``a − b``, 1 for ``c − d``.
    """
    a, b, c, d = arms
    print(f"\n{title}")
    for key in keys:
        did = differences(out, a, b, seeds, key) - differences(out, c, d, seeds, key)
        ci = mean_ci(did)
        gap = mean_ci(differences(out, *((a, b) if gap_of == 0 else (c, d)), seeds, key))
        print(f"  {key:{width}s} {ci.mean:+10.4g} ± {ci.half:.3g}   ({gap_label} "
              f"{gap.mean:+.4g} ± {gap.half:.3g})")

