"""``run(cfg) -> Result``: one firm simulation, without Hydra."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from sim import metrics
from sim.firm import Firm


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
    """

    metrics: dict[str, float]
    timeseries: list[dict[str, float]]
    people: list[dict[str, Any]] = field(default_factory=list)
    deals: dict[str, np.ndarray] | None = None
    effort: dict[str, np.ndarray] = field(default_factory=dict)


def plain(cfg: DictConfig | dict[str, Any]) -> dict[str, Any]:
    """The config as plain resolved containers."""
    if isinstance(cfg, DictConfig):
        out = OmegaConf.to_container(cfg, resolve=True)
        assert isinstance(out, dict)
        return {str(k): v for k, v in out.items()}
    return cfg


def run(cfg: DictConfig | dict[str, Any], keep_deals: bool = False) -> Result:
    """Simulate the firm for ``cfg.months`` months and compute its metrics.

    Args:
        cfg: A composed config (``sim.load_config([...])``).
        keep_deals: Also return the deal ledger.
    """
    c = plain(cfg)
    firm = Firm(c)
    for _ in range(int(c["months"])):
        firm.step()
    people = []
    pays = np.array(firm.pay_log)
    annual = pays.sum(axis=0) / max(firm.month / 12, 1e-12)
    from sim.scheme import ROLES

    states = firm._decision_states()
    d = firm.deals
    booked = (d.booked >= 0) & (d.owner >= 0)
    n_s = firm.heads["sales"]
    bookings = np.bincount(d.owner[booked], weights=(d.value * (1 - d.discount))[booked],
                           minlength=n_s) / max(firm.month / 12, 1e-12)
    for r, rows in enumerate(firm.idx):
        mean_eff = firm.learners[r].mean_effort(states[r])  # the policy where each person is
        for i, row in enumerate(rows):
            people.append({"person": int(row), "role": ROLES[r], "team": int(firm.team[row]),
                           "annual_pay": float(annual[row]),
                           "annual_bookings": float(bookings[i]) if r == 0 else 0.0,
                           **{f"effort_{t}": float(mean_eff[i, k])
                              for k, t in enumerate(firm.spaces[r].tasks)}})
    deals = {k: v.copy() for k, v in firm.deals.data.items()} if keep_deals else None
    if deals is not None:
        deals = {k: v[: firm.deals.size] for k, v in deals.items()}
    log = np.array(firm.effort_mean_log)
    labels = [f"{ROLES[r]}.{t}" for r in range(len(ROLES)) for t in firm.spaces[r].tasks]
    effort = {lab: log[:, j].copy() for j, lab in enumerate(labels)} if log.size else {}
    return Result(metrics=metrics.compute(firm), timeseries=firm.records, people=people,
                  deals=deals, effort=effort)
