"""Random streams: one ``numpy.random.Generator`` per run, children by ``SeedSequence.spawn``.

Nothing in the package touches global random state. A run builds its root ``SeedSequence`` from the
config's integer ``seed`` and spawns one child per named process, always in the same order, so the
stream a process sees does not depend on which other processes consume random numbers. This is
what makes comparisons across schemes paired (common random numbers).
"""

from __future__ import annotations

import numpy as np

#: Named processes, each with its own child stream. Order is part of the reproducibility contract:
#: append new names at the end, never reorder.
STREAMS: tuple[str, ...] = (
    "market", "customer", "shocks", "learning", "attrition", "prior", "hunting", "write_off",
    "tenders", "requirements", "tender_requirements", "ability", "timing",
)


def spawn_streams(seed: int, names: tuple[str, ...] = STREAMS) -> dict[str, np.random.Generator]:
    """Build one generator per named process from a single integer seed.

    Args:
        seed: The run's seed (a non-negative integer).
        names: Process names; each gets the child stream at its position.

    Returns:
        Mapping from process name to an independent ``numpy.random.Generator``.
    """
    children = np.random.SeedSequence(int(seed)).spawn(len(names))
    return {name: np.random.default_rng(child) for name, child in zip(names, children, strict=True)}


def generator(seed: int) -> np.random.Generator:
    """One generator for an analysis step outside a run (e.g. a bootstrap), from an integer seed.

    The same stream as ``default_rng(seed)``; kept here so that the package builds every
    generator in one place.
    """
    return np.random.default_rng(np.random.SeedSequence(int(seed)))


def replication_seeds(seed: int, replications: int) -> list[int]:
    """Seeds of the replications: the first word of each spawned child of ``SeedSequence(seed)``.

    Every replication, sweep, search, sensitivity study and validation check draws its seeds
    here, so replication k has the same seed at every design point (common random numbers).

    Args:
        seed: The config's seed (a non-negative integer).
        replications: How many (≥ 1).

    Returns:
        32-bit integer seeds, the same for the same ``seed`` on any machine.
    """
    children = np.random.SeedSequence(int(seed)).spawn(int(replications))
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]
