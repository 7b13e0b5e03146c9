"""What the firm records each month: the tidy monthly series and the logs metrics read.

Model-level series every month (cheap); per-seat pay, effort and quits as arrays, one row a
month, for the metrics over whole fiscal years (docs/metrics.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.firm.ledger import Deals
from sim.firm.org import Org
from sim.firm.params import HELP_TASKS, RND, ROLES, SALES, SUPPLY, SUPPORT, FirmParams

if TYPE_CHECKING:
    from sim.firm.support import Support


class Record:
    """The run's accumulators.

    Attributes:
        records: One dict of firm-level series per month.
        pay_log: Pay per seat, per month.
        effort_mean_log: Mean effort per (role, task), per month.
        effort_total_log: Total effort per seat, per month.
        quit_log: Who quit, per month (the seat is refilled).
        knowledge_log: The knowledge stock, per month.
        support_log: Per month, SR support and FR bid support offered and used, and what
            triangle deals were granted in all and through reach-back (effort-months).
        hires: Hires so far (one per leaver).
        leavers: Leavers so far.
        complaints: Late project deliveries so far.
    """

    def __init__(self) -> None:
        self.records: list[dict[str, float]] = []
        self.pay_log: list[np.ndarray] = []
        self.effort_mean_log: list[np.ndarray] = []
        self.effort_total_log: list[np.ndarray] = []
        self.quit_log: list[np.ndarray] = []
        self.knowledge_log: list[float] = []
        self.support_log: list[tuple[float, ...]] = []
        self.hires = 0
        self.leavers = 0
        self.complaints = 0

    def month(self, t: int, deals: Deals, org: Org, fp: FirmParams, eff: list[np.ndarray],
              pay: np.ndarray, discount: np.ndarray, quit: np.ndarray, sales_pay_quits: int,
              complaints: int, knowledge: float, kpi_savings: float | None = None,
              new_accounts: float = 0.0) -> None:
        """Record month ``t`` (``kpi_savings`` only where own KPI has a value).

        ``new_accounts``: prospects who joined a portfolio this month (hunting, M5).
        """
        idx = org.idx
        n_quit = int(quit.sum())
        self.leavers += n_quit
        self.hires += n_quit
        self.complaints += complaints
        self.quit_log.append(quit)
        help_share = []
        for r in (RND, SUPPLY):
            tasks = fp.tasks[ROLES[r]]
            hidx = [tasks.index(x) for x in HELP_TASKS[r]]
            help_share.append(eff[r][:, hidx].sum(axis=1))
        hs = np.concatenate(help_share)  # effort-months of help (a share of normal hours)
        s = eff[SALES]
        vol = s[:, fp.column(SALES, "volume")] / np.maximum(s.sum(axis=1), 1e-12)
        self.records.append({
            "month": t,
            "comp_cost": float(pay.sum()),
            "help_effort_sr_fr": float(hs.mean()) if hs.size else 0.0,
            "ar_volume_share": float(vol.mean()),
            "total_effort": float(np.mean(np.concatenate([e.sum(axis=1) for e in eff]))),
            "discount_policy": float(discount.mean()),
            "pay_sales": float(pay[idx[SALES]].mean()),
            "pay_others": float(pay[np.concatenate([idx[RND], idx[SUPPLY], idx[SUPPORT]])].mean()),
            "sales_pay_quits": float(sales_pay_quits),
            "revenue": _month_money(deals, "delivered", t),
            "bookings": _month_money(deals, "booked", t),
            "rate_raises": 0.0,
            "new_accounts": float(new_accounts),
        })
        if kpi_savings is not None:
            self.records[-1]["kpi_savings"] = kpi_savings
        self.effort_total_log.append(np.concatenate([e.sum(axis=1) for e in eff]))
        self.knowledge_log.append(knowledge)
        self.pay_log.append(pay.copy())
        self.effort_mean_log.append(np.concatenate([e.mean(axis=0) for e in eff]))

    def support(self, sr: Support, fr: Support) -> None:
        """Record how this month's SR and FR support reached the deals."""
        self.support_log.append((sr.offered, sr.used, fr.offered, fr.used,
                                 sr.triangle_grant + fr.triangle_grant,
                                 sr.reach_back + fr.reach_back))

    def rate_raise(self) -> None:
        """Mark the last recorded month (a fiscal year end) as one with a pay raise."""
        self.records[-1]["rate_raises"] = 1.0


def _month_money(deals: Deals, column: str, t: int) -> float:
    """Net value of deals delivered (revenue) or booked this month."""
    hit = getattr(deals, column) == t
    return float((deals.value[hit] * (1 - deals.discount[hit])).sum())
