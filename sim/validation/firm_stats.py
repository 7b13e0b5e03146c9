"""Firm runs reduced to one row of statistics each.

Metrics plus the timing, discount and cap patterns the field evidence measures.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from sim.config import ConfigError
from sim.plans import PeriodState, PlanError, build_plan


def fiscal_years(n_months: int, burn: int) -> list[int]:
    """Start months of the whole fiscal years after burn-in."""
    return [y for y in range(0, n_months - 11, 12) if y >= burn]


def firm_stats(result: Any, cfg: Mapping[str, Any]) -> dict[str, float]:
    """One row of statistics from a firm run: its metrics plus timing and discount patterns.

    Fiscal years start at months 0, 12, 24, … (as the firm's plans do); only whole years that start
    at or after ``firm.burn_in`` count.

    * ``q1_excess`` / ``q4_excess``: bookings of the first / last fiscal quarter over the mean of
      the two middle quarters, minus 1, averaged over years (Oyer 1998);
    * ``jan_slipped_share`` / ``mid_slipped_share``: share (by count) of project deals booked in
      January / in Q2–Q3 that slipped from the month before — January's slipped deals are the
      previous December's (does a slipped year-end deal lift next Q1?); ``jan_slip_lift`` is the
      difference;
    * ``dec_pulled_share`` / ``mid_pulled_share``: share of project deals booked in December / in
      Q2–Q3 that were pulled in from later months;
    * ``q4_project_share``: Q4's share of the year's project bookings (0.25 without bunching);
    * ``q4_discount_gap``: value-weighted mean discount of project deals booked in Q4 minus that of
      Q2–Q3 deals, averaged over years;
    * ``revenue_lost``: Σ over Q4 project deals of (discount − value-weighted mean Q2–Q3 discount of
      the same year) × list value, over the net bookings (project and run-rate) of the years
      counted (Larkin 2014's definition);
    * ``revenue_per_effort``: annual revenue per effort-month worked (S12);
    * from realised effort averaged over the whole years counted (not the end-of-run policy):
      ``hunting_effort`` (ARs' effort on hunting new accounts, S6), ``sales_effort`` (ARs' total
      effort, Steenburgh 2008), ``own_kpi_effort_sr_fr`` and ``own_kpi_share_sr_fr`` (SR and FR
      effort on their own KPI and its share of their effort, S7; headcount-weighted);
    * ``cap_binding_share``: share of AR-years in which the plan ``validation.cap_plan``'s cap
      binds (Misra & Nair 2011), when given.
    """
    m = {k: float(v) for k, v in result.metrics.items()}
    ts = result.timeseries
    burn = int(cfg["firm"]["burn_in"])
    years = fiscal_years(len(ts), burn)
    book = np.array([r["bookings"] for r in ts])
    q1: list[float] = []
    q4: list[float] = []
    for y in years:
        q = book[y:y + 12].reshape(4, 3).sum(axis=1)
        middle = q[1:3].mean()
        q1.append(q[0] / middle - 1)
        q4.append(q[3] / middle - 1)
    m["q1_excess"] = float(np.mean(q1)) if q1 else math.nan
    m["q4_excess"] = float(np.mean(q4)) if q4 else math.nan
    d = result.deals
    if d is not None and years:
        proj = (~d["run_rate"]) & (d["booked"] >= years[0]) & (d["booked"] < years[-1] + 12)
        proj &= d["owner"] >= 0
        allb = (d["booked"] >= years[0]) & (d["booked"] < years[-1] + 12) & (d["owner"] >= 0)
        fm = d["booked"] % 12
        net = d["value"] * (1 - d["discount"])
        is_q4 = fm >= 9
        is_mid = (fm >= 3) & (fm < 9)
        pv = net[proj]
        m["q4_project_share"] = float(pv[is_q4[proj]].sum() / max(pv.sum(), 1e-12))

        def share(flag: str, mask: np.ndarray) -> float:
            sel = proj & mask
            return float(d[flag][sel].mean()) if sel.any() else math.nan

        m["jan_slipped_share"] = share("slipped", fm == 0)
        m["mid_slipped_share"] = share("slipped", is_mid)
        m["jan_slip_lift"] = m["jan_slipped_share"] - m["mid_slipped_share"]
        m["dec_pulled_share"] = share("pulled", fm == 11)
        m["mid_pulled_share"] = share("pulled", is_mid)
        gaps, lost, base = [], 0.0, 0.0
        year_of = d["booked"] // 12
        for y in years:
            in_y = proj & (year_of == y // 12)
            mids, ends = in_y & is_mid, in_y & is_q4
            if not mids.any() or not ends.any():
                continue
            ref = float(np.average(d["discount"][mids], weights=d["value"][mids]))
            gaps.append(float(np.average(d["discount"][ends], weights=d["value"][ends])) - ref)
            lost += float(((d["discount"][ends] - ref) * d["value"][ends]).sum())
            base += float(net[allb & (year_of == y // 12)].sum())
        m["q4_discount_gap"] = float(np.mean(gaps)) if gaps else math.nan
        m["revenue_lost"] = lost / base if base > 0 else math.nan
    n = len(result.people)
    m["revenue_per_effort"] = m["revenue"] / max(m["total_effort"] * n * 12, 1e-12)
    sales = [p for p in result.people if p["role"] == "sales"]
    window = slice(years[0], years[-1] + 12) if years else slice(None)
    eff = {k: float(np.mean(v[window])) for k, v in (result.effort or {}).items()}
    m["hunting_effort"] = eff.get("sales.hunting", math.nan)
    m["sales_effort"] = sum(v for k, v in eff.items() if k.startswith("sales."))
    heads = {r: sum(1 for p in result.people if p["role"] == r) for r in ("rnd", "supply_chain")}
    total = max(sum(heads.values()), 1)
    m["own_kpi_effort_sr_fr"] = sum(heads[r] * eff.get(f"{r}.own_kpi", 0.0) for r in heads) / total
    m["own_kpi_share_sr_fr"] = sum(
        heads[r] * eff.get(f"{r}.own_kpi", 0.0)
        / max(sum(v for k, v in eff.items() if k.startswith(f"{r}.")), 1e-12)
        for r in heads) / total
    cap_plan = (cfg.get("validation") or {}).get("cap_plan")
    if cap_plan and cap_plan in cfg["scheme"]["plans"] and d is not None and years:
        m["cap_binding_share"] = cap_binding(d, cfg["scheme"]["plans"][cap_plan], years,
                                             len(sales))
    return m


def cap_binding(d: Mapping[str, np.ndarray], plan_cfg: Mapping[str, Any], years: list[int],
                n_sales: int) -> float:
    """Share of AR-years in which the plan pays its most for the year's bookings (Misra & Nair).

    Each AR's bookings per fiscal year come from the deal ledger (the plan's ``revenue``
    measure, credited at booking). The plan is built from its config and asked itself: its
    payout for the year's result, against its payout for an unbounded result; the cap binds when
    the two are equal (and the plan pays something at all). Targets follow the plan's own
    ``next_targets`` from the first year on (a hire who replaced a leaver inherits the path: an
    approximation).
    """
    plan = build_plan(plan_cfg, "validation.cap_plan")
    (measure,) = plan.measures
    booked = (d["owner"] >= 0) & (d["booked"] >= 0)
    net = d["value"] * (1 - d["discount"])
    year_of = d["booked"] // 12

    def result(year: int) -> np.ndarray:
        sel = booked & (year_of == year)
        return np.bincount(d["owner"][sel], weights=net[sel], minlength=n_sales)

    def next_period(state: PeriodState, res: np.ndarray) -> PeriodState:
        done = PeriodState(month=plan.period, cum={measure: res}, accrued=np.zeros(n_sales),
                           target=state.target)
        return PeriodState(month=0, cum={measure: np.zeros(n_sales)},
                           accrued=np.zeros(n_sales), target=plan.next_targets(done))

    state = plan.initial_state(n_sales)
    first = years[0] // 12
    for k in range(first):  # years before the first whole one after burn-in moved the targets
        state = next_period(state, result(k))
    hits = []
    for k in range(len(years)):
        res = result(first + k)
        paid = plan.accrued({measure: np.maximum(res, 0.0)}, 1.0, state, None)
        most = plan.accrued({measure: np.full(n_sales, 1e15)}, 1.0, state, None)
        hits.append((paid >= most) & (most > 0))
        state = next_period(state, res)
    return float(np.mean(hits))


def check_cap_plan(plan_cfg: Mapping[str, Any], where: str) -> None:
    """The cap statistic reads annual bookings per AR: refuse a plan it cannot price that way."""
    try:
        plan = build_plan(plan_cfg, where)
    except PlanError as exc:
        raise ConfigError(str(exc)) from None
    if (plan.scope, plan.measures, plan.period, plan.crediting) != (
            "individual", ("revenue",), 12, "booking"):
        raise ConfigError(f"{where}: the cap statistic needs an individual annual (period 12) "
                          f"plan on revenue credited at booking, got {plan.kind} on "
                          f"{', '.join(plan.measures)} over {plan.period} months")


def firm_task(task: tuple[Mapping[str, Any], int]) -> dict[str, float]:
    """Run one arm at one seed in a worker and reduce it to :func:`firm_stats`."""
    import copy
    import logging

    from sim.simulation import run

    logging.getLogger("MESA").setLevel(logging.WARNING)
    cfg, seed = task
    c = copy.deepcopy(dict(cfg))
    c["seed"] = int(seed)
    return firm_stats(run(c, keep_deals=True), c)

