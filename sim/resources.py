"""How much memory a run will need, estimated from its sizes before anything is allocated.

A run's peak memory is dominated by a few arrays whose sizes follow from the config: the
learners' attractions (people × decision states × tasks × grid levels), the month's candidate
measures and pay (people × candidates), the deal ledger (every opportunity and monthly run-rate
order of the run), the accounts, and the monthly logs. :func:`estimate` adds them up;
``tests/test_resources.py`` checks it against measured peak RSS at sizes s and m (within 30 %).
:func:`check_memory` refuses a run (or a sweep's parallel jobs) that would not fit in the memory
available, in one line, before Hydra starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sim.config import ConfigError

MiB = 1024**2
#: The interpreter with numpy, scipy, pandas (Mesa), Hydra and the package imported, and a tiny
#: run (measured: debug=small peaks at 129 MiB).
BASE = 125 * MiB
#: Attractions and the temporaries of choosing and learning over them (measured: a size-m run
#: grows by 1.5 times what the attraction arrays alone hold when states or grid levels grow).
ATTRACTION_FACTOR = 1.5
#: Bytes per deal in the ledger (31 fields, mostly 8 bytes), times the growth slack of doubling.
DEAL_BYTES = 200 * 1.5
#: Bytes per person and effort candidate of the month's measures and pay (about 18 live arrays
#: of float64 per crediting event in use, measured by halving the grid at size m).
CANDIDATE_BYTES = 18 * 8
#: Bytes per account: its state and the month's temporaries over accounts.
ACCOUNT_BYTES = 40 * 8
#: Bytes per person and month of the logs (pay, total effort, quits, mean effort).
LOG_BYTES = 8 + 8 + 1 + 8


@dataclass(frozen=True)
class Estimate:
    """A run's estimated peak memory, by part (bytes)."""

    attractions: float
    candidates: float
    ledger: float
    accounts: float
    logs: float

    @property
    def total(self) -> float:
        """The whole estimate, with the interpreter's base."""
        return BASE + self.attractions + self.candidates + self.ledger + self.accounts + self.logs

    def text(self) -> str:
        """The estimate in words (GiB or MiB)."""
        return _size(self.total)

    def largest(self) -> str:
        """The largest part and the settings it grows with."""
        parts = {
            "the learners (people × decision states × tasks × behavior.grid_step levels)":
                self.attractions,
            "the month's candidates (people × tasks × behavior.grid_step levels)":
                self.candidates,
            "the deal ledger (months × accounts)": self.ledger,
            "the accounts (market.n_accounts or size.n_accounts)": self.accounts,
            "the monthly logs (people × months)": self.logs,
        }
        return max(parts, key=lambda k: parts[k])


def _size(b: float) -> str:
    return f"{b / 1024**3:.1f} GiB" if b >= 1024**3 else f"{b / MiB:.0f} MiB"


def estimate(cfg: Mapping[str, Any]) -> Estimate:
    """Estimate the peak memory of one run of ``cfg`` (a composed, validated config).

    Nothing is allocated: the counts come from the parameters and the plans' decision spaces.
    """
    from sim.behavior.state import of_plans
    from sim.firm.params import ROLES, Params
    from sim.scheme import build_scheme
    from sim.simulation import plain

    c = cfg if isinstance(cfg, dict) else plain(cfg)  # type: ignore[arg-type]
    p = Params.from_config(c)
    scheme = build_scheme(c["scheme"])
    # EffortSpace.grid's size, unbuilt: levels 0 … the effort cap (firm.overtime.max)
    levels = int(p.firm.overtime.max / p.behavior.grid_step + 1e-9) + 1
    attractions = 0.0
    m = 0
    for role in ROLES:
        k = len(p.firm.tasks[role])
        states = of_plans([scheme.plans[n].decision_space() for n in scheme.roles[role].plans],
                          p.behavior.states_from)[1].n_states
        # attractions, plus the cached state values and experience per state
        attractions += ATTRACTION_FACTOR * p.heads[role] * (states * k * levels + 2 * states) * 8
        m = max(m, k * levels)
    events = len({plan.crediting for plan in scheme.plans.values()}) or 1
    n = sum(p.heads.values())
    arrivals = p.market.deal_rate * p.n_accounts * p.months
    run_rate = p.heads["sales"] * p.months
    return Estimate(attractions=attractions, candidates=n * m * CANDIDATE_BYTES * events,
                    ledger=(arrivals + run_rate) * DEAL_BYTES,
                    accounts=p.n_accounts * ACCOUNT_BYTES, logs=n * p.months * LOG_BYTES)


def available() -> float | None:
    """Memory available to a new process now (``MemAvailable``; ``None`` where unknown)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def check_memory(cfg: Any, jobs: int = 1) -> Estimate:
    """Refuse a run whose estimated memory (times the jobs that run at once) does not fit.

    Raises:
        ConfigError: One line with the estimate, the memory available and what to change.
    """
    est = estimate(cfg)
    free = available()
    need = est.total * jobs
    if free is not None and need > free:
        each = f" ({jobs} jobs at once, {est.text()} each)" if jobs > 1 else ""
        raise ConfigError(f"memory: this would need about {_size(need)}{each}, mostly "
                          f"{est.largest()}, more than the {_size(free)} available; use a "
                          f"smaller size, fewer accounts, people or months"
                          + (", or hydra.launcher.n_jobs=1" if jobs > 1 else ""))
    return est
