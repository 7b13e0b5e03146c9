"""Firm metrics over whole fiscal years after burn-in (definitions in docs/metrics.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.firm.ledger import COLLECTED, LOST
from sim.firm.params import RND, ROLES, SALES, SUPPLY, SUPPORT

if TYPE_CHECKING:
    from sim.firm import Firm


def gini(x: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = equal)."""
    x = np.sort(np.asarray(x, dtype=float))
    if x.size == 0 or x.sum() <= 0:
        return 0.0
    n = x.size
    return float((2 * np.arange(1, n + 1) - n - 1) @ x / (n * x.sum()))


def compute(firm: Firm) -> dict[str, float]:
    """All metrics of a finished run.

    The measurement window is every whole fiscal year after ``firm.burn_in`` months (a run is
    at least one such year long: :class:`sim.firm.params.Params` checks it).
    """
    p, rec, idx = firm.params, firm.record, firm.org.idx
    burn = p.firm.burn_in
    end = burn + 12 * ((firm.month - burn) // 12)
    if end <= burn:  # a model stepped by hand for less than a measured year
        burn, end = 0, firm.month
    years = (end - burn) / 12
    d = firm.deals
    win = lambda col: (col >= burn) & (col < end)  # noqa: E731 - a local window predicate
    project = ~d.run_rate
    net = d.value * (1 - d.discount)
    margin = d.value * (d.margin_rate - d.discount)
    delivered = win(d.delivered)
    booked = win(d.booked)
    revenue = float(net[delivered].sum())
    gross = float(margin[delivered].sum())
    pays = np.array(rec.pay_log[burn:end])
    recs = rec.records[burn:end]
    comp = float(pays.sum())
    opex = p.market.opex_per_head * firm.org.n * (end - burn)
    valued = bool(recs) and "kpi_savings" in recs[0]  # own KPI saves cost (firm.kpi_value)
    savings = float(sum(x["kpi_savings"] for x in recs)) if valued else 0.0
    closed = project & win(d.created + 3) & (d.owner >= 0)
    decided = closed & ((d.stage == LOST) | (d.booked >= 0))
    won = decided & (d.booked >= 0)
    integ = decided & d.integrated
    # Revenue *from strategic lines*: a deal's value is split equally over its lines (as its
    # margin is), so a multi-line deal that includes one strategic line is not all strategic.
    strat_share = firm.lines.mask_strategic_share(d.lines)
    strat_rev = float((net * strat_share)[delivered].sum())
    project_rev = float(net[delivered & project].sum())
    needs = booked & project & ((d.sr_need > 0) | (d.fr_need > 0))
    collab_w = d.value * needs
    sup = np.nan_to_num(d.support_ratio)
    collected = win(d.collected) & (d.stage == COLLECTED)
    r = lambda k: float(np.mean([x[k] for x in recs])) if recs else 0.0  # noqa: E731
    sales_pay = pays[:, idx[SALES]].mean() if pays.size else 0.0
    other = np.concatenate([idx[RND], idx[SUPPLY], idx[SUPPORT]])
    other_pay = pays[:, other].mean() if pays.size else 0.0
    annual = pays.sum(axis=0) / years if pays.size else np.zeros(1)
    eff = np.array(rec.effort_mean_log[max(end - 12, 0):end])
    drift = float(np.abs(np.diff(eff, axis=0)).mean()) if len(eff) > 1 else 0.0
    last_q = delivered & (((d.delivered - burn) % 12) >= 9)
    last_qb = ((d.booked - burn) % 12) >= 9
    # One fixed reference tiering by true wallet, the same under every tiering mode and org.
    acc = firm.accounts
    top = max(1, round(p.tiering.top_share * acc.n))
    key = np.zeros(acc.n, dtype=bool)
    key[np.argsort(-acc.wallet, kind="stable")[:top]] = True
    on_key = (d.account >= 0) & key[np.maximum(d.account, 0)]
    key_int = integ & on_key
    out = {
        "revenue": revenue / years,
        "bookings": float(net[booked].sum()) / years,
        "gross_profit": gross / years,
        "comp_cost": comp / years,
        "operating_profit": (gross - comp - opex + savings) / years,
        "comp_cost_ratio": comp / revenue if revenue else float("nan"),
        "strategic_mix": strat_rev / revenue if revenue else 0.0,
        "strategic_project_mix": strat_rev / project_rev if project_rev else 0.0,
        "win_rate": float(won.sum() / max(decided.sum(), 1)),
        "win_rate_value": float(d.value[won].sum() / max(d.value[decided].sum(), 1e-12)),
        "integrated_win_rate": float((won & integ).sum() / max(integ.sum(), 1)),
        "key_account_integrated_win_rate": float((won & key_int).sum() / max(key_int.sum(), 1)),
        "key_account_revenue_share": float(net[delivered & on_key].sum() / max(revenue, 1e-12)),
        "avg_discount": float(d.discount[booked & project].mean()) if (booked & project).any()
        else 0.0,
        "on_time_delivery": float(1 - d.late[delivered & project].mean())
        if (delivered & project).any() else 1.0,
        "complaints": float((d.late & delivered & project).sum()) / years,
        "collection_rate": float(net[collected].sum() / max(revenue, 1e-12)),
        "customer_satisfaction": float(firm.accounts.satisfaction[firm.accounts.owner >= 0].mean()),
        "collaboration_index": float((collab_w * np.minimum(1.0, sup)).sum()
                                     / max(collab_w.sum(), 1e-12)),
        "help_effort_sr_fr": r("help_effort_sr_fr"),
        "ar_volume_share": r("ar_volume_share"),
        "total_effort": r("total_effort"),
        "attrition_rate": rec.leavers / firm.org.n / (firm.month / 12),
        "rate_pressure": (r("rate_raises") + r("sales_pay_quits")) * 12,
        "rate_raises": r("rate_raises") * 12,
        "new_accounts": r("new_accounts") * 12,
        "pay_ratio_sales_to_others": float(sales_pay / other_pay) if other_pay else float("nan"),
        "pay_gini": gini(annual),
        "revenue_per_head": revenue / years / firm.org.n,
        "pull_in_share": float(d.pulled[booked & project].mean()) if (booked & project).any()
        else 0.0,
        "slip_share": float(d.slipped[booked & project].mean()) if (booked & project).any()
        else 0.0,
        "last_quarter_bookings_share": float(net[booked & last_qb].sum()
                                             / max(float(net[booked].sum()), 1e-12)),
        "last_quarter_revenue_share": float(net[last_q].sum() / max(revenue, 1e-12)),
        "convergence_drift": drift,
    }
    if valued:
        out["kpi_savings"] = savings / years
    n_key = max(int(key.sum()), 1)
    out["bsc_financial"] = out["operating_profit"] / revenue * years if revenue else 0.0
    out["bsc_customer"] = 0.5 * out["customer_satisfaction"] + 0.5 * float(
        acc.relationship[key].sum() / n_key)
    out["bsc_efficiency"] = out["bookings"] / firm.org.n
    kn = np.array(rec.knowledge_log[burn:end])
    out["bsc_learning"] = float((kn / (1 + kn)).mean()) if kn.size else 0.0
    for role, rows in zip(ROLES, idx, strict=True):  # realised pay per role (realised basis)
        out[f"pay_{role}"] = float(annual[rows].mean()) if pays.size else float("nan")
    out.update(_support(firm, decided, won, on_key, burn, end))
    if firm.requirements is not None:
        out.update(_requirements(firm, decided, won, on_key, burn, end))
    out.update(_traps(firm, pays, burn, end))
    out.update(_comp_practice(firm, pays, years, revenue))
    out.update(_rollout(firm))
    if p.market.tender.per_month > 0:  # the stream of tenders: how many were decided, and won
        tenders = decided & d.tender
        out["tenders_decided"] = float(tenders.sum())
        out["tender_win_rate"] = float((won & tenders).sum() / max(tenders.sum(), 1))
    tid = firm.tender_id
    if tid is not None:  # the one large tender (market.tender): won, and how well supported
        out["tender_won"] = float(d.booked[tid] >= 0)
        out["tender_support"] = float(np.nan_to_num(d.support_ratio[tid]))
    return out


def _support(firm: Firm, decided: np.ndarray, won: np.ndarray, on_key: np.ndarray, burn: int,
             end: int) -> dict[str, float]:
    """How support reached deals, and win rates by the lines a deal spans (issue 16).

    ``win_rate_lines_*``: won / decided project deals spanning 1, 2, or 3+ product lines.
    ``support_coverage_key_accounts``: value-weighted support ratio at their last gate of the
    decided deals on the reference key accounts that need SR or FR support. From the support
    log: ``srfr_utilisation`` (SR support and FR bid support that met a need / what was put in)
    and ``reach_back_share`` (of the support granted to triangle deals, the line pools' share).
    """
    d = firm.deals
    n_lines = firm.lines.mask_count(d.lines)
    out = {}
    for name, sel in (("1", n_lines == 1), ("2", n_lines == 2), ("3plus", n_lines >= 3)):
        out[f"win_rate_lines_{name}"] = float((won & sel).sum() / max((decided & sel).sum(), 1))
    needs = decided & on_key & ((d.sr_need > 0) | (d.fr_need > 0))
    w = d.value * needs
    out["support_coverage_key_accounts"] = float(
        (w * np.minimum(1.0, np.nan_to_num(d.support_ratio))).sum() / max(w.sum(), 1e-12))
    log = np.array(firm.record.support_log[burn:end]).reshape(-1, 6)
    offered, used = log[:, 0].sum() + log[:, 2].sum(), log[:, 1].sum() + log[:, 3].sum()
    out["srfr_utilisation"] = float(used / offered) if offered > 0 else 0.0
    out["reach_back_share"] = float(log[:, 5].sum() / log[:, 4].sum()) if log[:, 4].sum() > 0 \
        else 0.0
    return out


def _requirements(firm: Firm, decided: np.ndarray, won: np.ndarray, on_key: np.ndarray,
                  burn: int, end: int) -> dict[str, float]:
    """Fit gaps, integration and win rates by lines (issue 17, ``solution_fit=closeness``).

    ``solution_fit_gap``: mean distance between requirement and solution on decided project
    deals, at their last gate (0 where there are none, as the win rates); ``_lines_*`` by the
    lines a deal spans. ``key_fit_gap_lines_*`` and ``key_win_rate_lines_*``: the same gap, and
    won / decided, on the reference key accounts; ``key_support_lines_*``: their mean support
    ratio at the last gate, of those that need SR or FR. ``integration_quality``: mean integration
    (share of hand-off loss repaired) of decided integrated deals that had a hand-off to repair
    (silo deals). ``integration_effort_<role>``: mean effort share on the tasks integration
    reads (AR coordination, SR support, FR bid support) over the window.
    """
    d, req = firm.deals, firm.requirements
    assert req is not None
    pad = d.size - req.gap.size  # run-rate orders booked after the month's draws
    gap = np.r_[req.gap, np.full(pad, np.nan)]
    integ = np.r_[req.integration, np.full(pad, np.nan)]
    n_lines = firm.lines.mask_count(d.lines)
    out = {}

    def mean(x: np.ndarray, sel: np.ndarray) -> float:
        sel = sel & np.isfinite(x)
        return float(x[sel].mean()) if sel.any() else 0.0  # none: 0, as the win rates

    out["solution_fit_gap"] = mean(gap, decided)
    needs = (d.sr_need > 0) | (d.fr_need > 0)
    for name, sel in (("1", n_lines == 1), ("2", n_lines == 2), ("3plus", n_lines >= 3)):
        out[f"solution_fit_gap_lines_{name}"] = mean(gap, decided & sel)
        out[f"key_fit_gap_lines_{name}"] = mean(gap, decided & sel & on_key)
        key = decided & sel & on_key
        out[f"key_win_rate_lines_{name}"] = float((won & key).sum() / max(key.sum(), 1))
        out[f"key_support_lines_{name}"] = mean(np.minimum(d.support_ratio, 1.0), key & needs)
    out["integration_quality"] = mean(integ, decided & d.integrated)
    fp = firm.params.firm
    eff = np.array(firm.record.effort_mean_log[burn:end])
    offsets = np.cumsum([0] + [len(fp.tasks[r]) for r in ROLES])
    for r, task in ((SALES, "coordination"), (RND, "support"), (SUPPLY, "bid_support")):
        c = offsets[r] + fp.column(r, task)
        out[f"integration_effort_{ROLES[r]}"] = float(eff[:, c].mean()) if eff.size else 0.0
    return out


def _rollout(firm: Firm) -> dict[str, float]:
    """What a plan switch at ``rollout.month`` did (only when one is configured).

    Pay change per seat compares mean monthly pay in the 12 months after the switch with the
    12 months before; top earners are the seats in the top 20 % of pay before it.
    """
    if firm.rollout is None:
        return {}
    m = firm.rollout[0]
    pays = np.array(firm.record.pay_log)
    before, after = pays[max(m - 12, 0):m], pays[m:m + 12]
    if len(before) == 0 or len(after) == 0:
        return {}
    b, a = before.mean(axis=0), after.mean(axis=0)
    change = a / np.where(b > 0, b, np.nan) - 1
    out = {"rollout_share_losing_10pct": float(np.nanmean(change < -0.1))}
    for r, rows in enumerate(firm.org.idx):
        out[f"rollout_pay_change_{ROLES[r]}"] = float(np.nanmean(change[rows]))
        out[f"rollout_share_losing_10pct_{ROLES[r]}"] = float(np.mean(change[rows] < -0.1))
    quits = np.asarray(np.array(firm.record.quit_log[m:m + 12]).any(axis=0), dtype=bool)
    top = b >= np.quantile(b, 0.8)
    out["rollout_top_earner_attrition"] = float(quits[top].mean())
    out["rollout_attrition"] = float(quits.mean())
    revenue = np.array([r["revenue"] for r in firm.record.records])
    final = revenue[-12:].mean()
    ma = np.convolve(revenue, np.ones(3) / 3, mode="valid")  # ma[i] ends at month i + 2
    settled = [i + 2 for i in range(ma.size) if i + 2 >= m and abs(ma[i] - final) <= 0.05 * final]
    out["rollout_transition_months"] = float(settled[0] - m) if settled else float(
        revenue.size - m)
    return out


def _comp_practice(firm: Firm, pays: np.ndarray, years: float, revenue: float
                   ) -> dict[str, float]:
    """Compensation-practice KPIs over the window (definitions in docs/metrics.md)."""
    nan = float("nan")
    if pays.size == 0:
        return {k: nan for k in ("pay_mix_variable", "pay_mix_variable_sales", "leverage_top10",
                                 "share_at_or_above_target", "comp_cost_of_sales",
                                 "pay_for_performance", "pay_gini_functions")}
    ref = firm.params.pay
    salary = firm.payroll.salary
    annual = pays.sum(axis=0) / years
    variable = (pays - salary[None, :]).sum(axis=0) / years
    sales = firm.org.idx[SALES]
    target_var = ref.otc["sales"] - 12 * float(salary[sales[0]])
    top = variable[sales] >= np.quantile(variable[sales], 0.9)
    d = firm.deals
    burn = firm.params.firm.burn_in
    end = burn + round(12 * years)
    booked = (d.booked >= burn) & (d.booked < end) & (d.owner >= 0)
    net = d.value * (1 - d.discount)
    bookings = np.bincount(d.owner[booked], weights=net[booked], minlength=sales.size) / years
    quota = 12 * ref.on_target_revenue
    by_role = [annual[rows].mean() for rows in firm.org.idx if rows.size]
    pfp = (float(np.corrcoef(annual[sales], bookings)[0, 1])
           if sales.size > 1 and annual[sales].std() > 0 and bookings.std() > 0 else 0.0)
    assert len(by_role) == len(ROLES)
    return {
        "pay_mix_variable": float(variable.sum() / annual.sum()),
        "pay_mix_variable_sales": float(variable[sales].sum() / annual[sales].sum()),
        "leverage_top10": float(variable[sales][top].mean() / target_var) if target_var > 0
        else nan,
        "share_at_or_above_target": float((bookings >= quota).mean()),
        "comp_cost_of_sales": float(annual[sales].sum() / (revenue / years)) if revenue else nan,
        "pay_for_performance": pfp,
        "pay_gini_functions": gini(np.array(by_role)),
    }


def _traps(firm: Firm, pays: np.ndarray, burn: int, end: int) -> dict[str, float]:
    """Absorbing traps of floors and thresholds (issue 3), over the last measured fiscal year.

    * ``trap_zero_bonus_share``: share of seats paid no variable pay all year (below every
      threshold, or in a pool floored at 0) — the give-up trap's pay side;
    * ``trap_give_up_share``: share of seats whose mean worked effort fell below half the job
      description's level (``firm.prior_level``) — the give-up trap's effort side;
    * ``trap_pool_floor_share``: share of (pool, pay period) pairs in the window in which a
      pooled plan paid nothing — the free-riding collapse of a pool floored at 0.
    """
    last = slice(max(end - 12, burn), end)
    year = pays[-12:] if pays.size else np.zeros((1, firm.org.n))
    variable = (year - firm.payroll.salary[None, :]).sum(axis=0)
    effort = np.array(firm.record.effort_total_log[last])
    level = firm.params.firm.prior_level
    floors = []
    plans = firm.all_plans()
    for name, log in firm.payroll.pool_log.items():
        start = firm.payroll.pool_log_start[name]
        period = plans[name].period if name in plans else 1
        # whole pay periods inside the window (periods start when the plan did)
        first = start + -(-max(burn - start, 0) // period) * period
        whole = (end - first) // period
        if whole > 0:
            months = np.array(log[first - start:first - start + whole * period])
            per = months.reshape(whole, period, months.shape[1]).sum(axis=1)
            floors.append((per <= 1e-12).ravel())
    return {
        "trap_zero_bonus_share": float((variable <= 1e-9).mean()),
        "trap_give_up_share": float((effort.mean(axis=0) < 0.5 * level).mean())
        if effort.size else 0.0,
        "trap_pool_floor_share": float(np.concatenate(floors).mean()) if floors else 0.0,
    }
