"""``run(cfg) -> Result``: one firm simulation, without Hydra."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from sim import metrics
from sim.firm import ROLES, Firm


@dataclass
class Result:
    """What a run produced.

    Attributes:
        metrics: Metric name → value (floats; definitions in docs/metrics.md).
        timeseries: One row per month.
        people: One row per person: role, team, annual pay, mean effort per task.
        deals: The deal ledger as columns (optional).
        effort: Realised effort per ``"<role>.<task>"``, averaged over the role's people, one
            value per month.
        units: One row per pool unit and fiscal year under a scorecard-scored gain-sharing plan:
            its scorecard parts, score and share of the pool (S9; ``units.csv``).
    """

    metrics: dict[str, float]
    timeseries: list[dict[str, float]]
    people: list[dict[str, Any]] = field(default_factory=list)
    deals: dict[str, np.ndarray] | None = None
    effort: dict[str, np.ndarray] = field(default_factory=dict)
    units: list[dict[str, Any]] = field(default_factory=list)


def plain(cfg: DictConfig | dict[str, Any]) -> dict[str, Any]:
    """The config as plain resolved containers."""
    if isinstance(cfg, DictConfig):
        out = OmegaConf.to_container(cfg, resolve=True)
        assert isinstance(out, dict)
        return {str(k): v for k, v in out.items()}
    return cfg


def run(cfg: DictConfig | dict[str, Any], keep_deals: bool = False,
        show_progress: bool = False) -> Result:
    """Simulate the firm for ``cfg.months`` months and compute its metrics.

    The config is checked first, however it was made or changed: a bad value raises
    :class:`sim.config.ConfigError` with the same one line the command line prints.

    Args:
        cfg: A composed config (``sim.load_config([...])``), or the same as plain containers.
        keep_deals: Also return the deal ledger.
        show_progress: A progress bar over the months on a terminal (the command line's runs).
    """
    from sim.config import validate, validate_run
    from sim.progress import progress

    if isinstance(cfg, DictConfig):
        validate(cfg)
        c = plain(cfg)
    else:
        c = plain(cfg)
        validate_run(c)
    firm = Firm(c)
    months = range(firm.months)
    try:
        for _ in progress(months, firm.months, "months", "month") if show_progress else months:
            firm.step()
        return _result(firm, keep_deals)
    finally:
        firm.release()


def _result(firm: Firm, keep_deals: bool) -> Result:
    """What a finished run hands back: metrics, series, one row per person, the ledger."""
    people = []
    pays = np.array(firm.record.pay_log)
    annual = pays.sum(axis=0) / max(firm.month / 12, 1e-12)
    states = firm.decision_states()
    d = firm.deals
    booked = (d.booked >= 0) & (d.owner >= 0)
    n_s = firm.params.heads["sales"]
    bookings = np.bincount(d.owner[booked], weights=(d.value * (1 - d.discount))[booked],
                           minlength=n_s) / max(firm.month / 12, 1e-12)
    tasks = firm.params.firm.tasks
    for r, rows in enumerate(firm.org.idx):
        mean_eff = firm.people.learners[r].mean_effort(states[r])  # the policy where each is
        for i, row in enumerate(rows):
            people.append({"person": int(row), "role": ROLES[r], "team": int(firm.org.team[row]),
                           "annual_pay": float(annual[row]),
                           "annual_bookings": float(bookings[i]) if r == 0 else 0.0,
                           **{f"effort_{t}": float(mean_eff[i, k])
                              for k, t in enumerate(tasks[ROLES[r]])}})
    deals = ({k: v[: firm.deals.size].copy() for k, v in firm.deals.data.items()}
             if keep_deals else None)
    log = np.array(firm.record.effort_mean_log)
    labels = [f"{role}.{t}" for role in ROLES for t in tasks[role]]
    effort = {lab: log[:, j].copy() for j, lab in enumerate(labels)} if log.size else {}
    return Result(metrics=metrics.compute(firm), timeseries=firm.record.records, people=people,
                  deals=deals, effort=effort, units=list(firm.payroll.unit_log))
