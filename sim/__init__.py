"""incentive-sim: how pay schemes shape collaboration in a key-account B2B firm.

Public entry points so far: :func:`load_config` (compose and validate the Hydra tree),
:mod:`sim.plans` (the pay-plan library), :mod:`sim.behavior` (the learning engine) and
:mod:`sim.theory_checks` (the engine against incentive theory's closed forms).
"""

from sim.config import ConfigError, load_config

__version__ = "0.1.0"

__all__ = ["ConfigError", "__version__", "load_config"]
