"""incentive-sim: how pay schemes shape collaboration in a key-account B2B firm.

Public entry points so far: :func:`load_config` (compose and validate the Hydra tree),
:mod:`sim.plans` (the pay-plan library), :mod:`sim.behavior` (the learning engine) and
:mod:`sim.theory_checks` (the engine against incentive theory's closed forms).
"""

from sim.config import ConfigError, load_config

__version__ = "0.1.0"

__all__ = ["ConfigError", "__version__", "load_config", "run"]


def __getattr__(name: str) -> object:
    """``from sim import run`` without importing Mesa for every ``import sim`` (0.6 s)."""
    if name == "run":
        from sim.simulation import run

        return run
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
