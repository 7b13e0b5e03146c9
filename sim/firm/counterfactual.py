"""What each candidate action would have changed this month, the month's uniforms held fixed.

Every month each person values every candidate effort level (and every AR every discount level
and timing action) by the pay the plans *would* have paid. This module computes the change in
*measures* under each candidate; payroll prices them. Per AR: booked revenue and margin (effort
and discount candidates; timing actions). Per SR/FR: firm profit and team revenue through the
support they give the deals of their group.

Counterfactuals are local to the month: a candidate changes this month's ATC outcomes (through
relationship, pitch, support, coordination and discount; under ``market.solution_fit=closeness``
relationship, coordination and support also move how close the solution is to the customer's
requirement), run-rate orders and (in payroll) KPI
output; effects that only show later (relationship stock, accounts hunted, delivery reputation)
are not valued unless a plan pays for them.

The SR/FR counterfactual is exact and fast: only candidates that change one's support move the
group's pooled supply, and a deal's ATC outcome only improves with that supply, so one binary
search over every group's sorted candidate supplies finds, for all deals at once, the first
candidate that wins each deal (``_pooled_search``); ``_pooled_direct`` is the reference
computation it must equal (and the one used when a gate weight is negative).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.firm.later import Later, hunting, relationship
from sim.firm.ledger import ATC, Deals
from sim.firm.market import Accounts, Focus, relationship_after, rival, run_rate_scale
from sim.firm.params import RND, ROLES, SALES, SUPPLY, MarketParams, Params
from sim.firm.pipeline import DealContext, Gated, closeness_at, credibility, fit, integration
from sim.firm.pipeline import pass_probability as _pass
from sim.firm.support import Support

Change = dict[str, np.ndarray]


@dataclass(frozen=True)
class Deltas:
    """Change in this month's measures under each candidate, against what was played.

    Attributes:
        sales: ARs' booked ``revenue`` and ``margin`` per effort candidate ``(N_sales, K·G)``.
        discount: The same per discount level ``(N_sales, G_discount)``.
        support: Per SR/FR role name: firm ``profit`` and ``team_revenue`` per effort candidate.
        timing: ARs' ``revenue`` and ``margin`` this month per timing action ``(N_sales, 4)``.
        timing_next: The same for next month.
        later: With ``behavior.value_later_payoffs``, the effort candidates' later payoffs
            (:mod:`sim.firm.later`); ``None`` when off.
    """

    sales: Change
    discount: Change
    support: dict[str, Change]
    timing: Change
    timing_next: Change
    later: Later | None = None


def deltas(deals: Deals, acc: Accounts, ctx: DealContext, gated: Gated, fo: Focus,
           rel_before: np.ndarray, portfolio0: float, eff: list[np.ndarray],
           cand: list[np.ndarray], discount: np.ndarray, discount_grid: np.ndarray,
           action: np.ndarray, t: int, p: Params, method: str = "search") -> Deltas:
    """Every candidate's change in this month's measures.

    Args:
        deals: The ledger.
        acc: The accounts.
        ctx: The month's deal context.
        gated: The month's gates (which deals met ATC, the timing moves).
        fo: Attention shares and portfolios this month.
        rel_before: Relationships at the start of the month.
        portfolio0: The mean portfolio weight at the start of the run (run-rate scale).
        eff: Effort played per role ``(N_r, K_r)``.
        cand: Effort candidates per role ``(N_r, K_r, G, K_r)``.
        discount: Each AR's discount this month.
        discount_grid: The discount levels an AR can choose.
        action: Each AR's timing action.
        t: The month.
        p: The firm's parameters.
        method: ``search`` or ``direct`` for the pooled-support deltas (identical results).
    """
    mp, fp = p.market, p.firm
    d, open_, atc = deals, ctx.open_, gated.atc
    n_s = eff[SALES].shape[0]
    pos = np.flatnonzero(np.isin(open_, atc))
    dd = open_[pos]
    o, a = d.owner[dd], d.account[dd]
    value, m_rate = d.value[dd], d.margin_rate[dd]
    disc = discount[o]
    comp = rival(acc, d, dd, mp)
    rel, fit_, cred = ctx.rel[pos], ctx.fit[pos], ctx.cred[pos]
    strat, integ = d.strategic[dd], d.integrated[dd]
    u = d.u_atc[dd]
    w_atc = mp.gate_weights[ATC]
    p_win = _pass(w_atc, rel, fit_, cred, disc, comp)
    won = u < p_win
    at = {"strat": strat, "integ": integ, "u": u, "rel": rel, "cred": cred, "disc": disc,
          "comp": comp, "sat": acc.satisfaction[a]}

    # Sales: relationship, pitch, coordination (ATC deals) and volume (run-rate orders).
    ks = eff[SALES].shape[1]
    c = cand[SALES].reshape(n_s, -1, ks)
    kg = c.shape[1]
    col = {n: fp.column(SALES, n) for n in ("volume", "strategic", "relationship",
                                            "coordination", "hunting")}
    cd = c[o]
    rel_c = relationship_after(cd[..., col["relationship"]], fo.share[a][:, None],
                               (acc.owner[a] >= 0)[:, None], rel_before[a][:, None], mp)
    pitch_c = np.minimum(1.0, cd[..., col["strategic"]] / ctx.pitch_need[o][:, None])
    coord_c = cd[..., col["coordination"]] / ctx.coord_need[o][:, None]
    close_c = None
    if ctx.errors is None:
        integ_c = integration(coord_c, acc.team[a][:, None], mp.handoff)
    else:  # closeness: relationship and coordination both move how close the solution is
        integ_c = coord_c  # not read by fit when closeness is given
        close_c = closeness_at(ctx.errors, pos[:, None], rel_c,
                               np.where(integ[:, None], coord_c, 1.0),
                               np.minimum(ctx.sr_ratio[pos], ctx.fr_ratio[pos])[:, None], mp)
    fit_c = fit(pitch_c, ctx.sr_ratio[pos][:, None], ctx.fr_ratio[pos][:, None], integ_c,
                strat[:, None], integ[:, None], ctx.knowledge_factor, mp, ctx.bonus[pos][:, None],
                close_c)
    won_c = u[:, None] < _pass(w_atc, rel_c, fit_c, cred[:, None], disc[:, None], comp[:, None])
    dw = won_c.astype(float) - won[:, None]
    rev = np.zeros((n_s, kg))
    mar = np.zeros((n_s, kg))
    np.add.at(rev, o, dw * (value * (1 - disc))[:, None])
    np.add.at(mar, o, dw * (value * (m_rate - disc))[:, None])
    theta = mp.volume_exponent
    scale = run_rate_scale(fo, portfolio0, t, mp)
    e_vol = eff[SALES][:, col["volume"]]
    d_rr = scale[:, None] * (np.maximum(c[..., col["volume"]], 0) ** theta
                             - np.maximum(e_vol, 0)[:, None] ** theta)
    sales = {"revenue": rev + d_rr, "margin": mar + mp.run_rate_margin * d_rr}

    # Discount candidates.
    grid = discount_grid
    won_d = u[:, None] < _pass(w_atc, rel[:, None], fit_[:, None], cred[:, None],
                               grid[None, :], comp[:, None])
    rev_d = won_d * (value[:, None] * (1 - grid[None, :])) - (won * value * (1 - disc))[:, None]
    mar_d = won_d * (value[:, None] * (m_rate[:, None] - grid[None, :])) - (
        won * value * (m_rate - disc))[:, None]
    drev, dmar = np.zeros((n_s, grid.size)), np.zeros((n_s, grid.size))
    np.add.at(drev, o, rev_d)
    np.add.at(dmar, o, mar_d)

    # SR support and FR bid support reach the deal parts of their group.
    atc_of_open = np.full(open_.size, -1)
    atc_of_open[pos] = np.arange(pos.size)
    support: dict[str, Change] = {}
    pooled = _pooled_direct if method == "direct" else _pooled_search
    for r, kind, task in ((RND, "sr", "support"), (SUPPLY, "fr", "bid_support")):
        parts = ctx.sr if kind == "sr" else ctx.fr
        k = eff[r].shape[1]
        people = eff[r].shape[0]
        cr = cand[r].reshape(people, -1, k)[..., fp.column(r, task)]
        e_now = eff[r][:, fp.column(r, task)]
        profit = np.zeros(cr.shape)
        team_rev = np.zeros(cr.shape)
        at_atc = atc_of_open[parts.deal] >= 0
        v_profit = value * (m_rate - disc)  # per ATC deal
        v_team = value * (1 - disc)
        pooled(_Outcome(kind, ctx, at, mp), parts, at_atc, atc_of_open, cr, e_now, won,
               (v_profit, v_team), (profit, team_rev))
        support[ROLES[r]] = {"profit": profit, "team_revenue": team_rev}
    tm = gated.timing
    if tm.decided is None:
        now, later = timing_changes(tm.now, tm.later, action)
    else:  # deal by deal the columns already are changes against the month as played
        now, later = ({"revenue": tm.now[0], "margin": tm.now[1]},
                      {"revenue": tm.later[0], "margin": tm.later[1]})
    payoffs = None
    if p.behavior.value_later_payoffs:
        bp = p.behavior
        owned = np.bincount(acc.owner[acc.owner >= 0], minlength=n_s)
        accounts, share = hunting(c[..., col["hunting"]] - eff[SALES][:, col["hunting"]][:, None],
                                  owned, mp.hunting_rate, mp.hunting_lag, bp.time_discount,
                                  bp.later_horizon)
        l_rev, l_mar = relationship(rel_c - rel[:, None], o, p_win, value * (1 - disc),
                                    value * (m_rate - disc), n_s, float(w_atc[1]),
                                    mp.relationship_decay, bp.time_discount, bp.later_horizon)
        payoffs = Later(accounts=accounts, share=share, revenue=l_rev, margin=l_mar)
    return Deltas(sales=sales, discount={"revenue": drev, "margin": dmar}, support=support,
                  timing=now, timing_next=later, later=payoffs)


def timing_kinds(deltas: Deltas, held: bool) -> dict[str, Change]:
    """The timing candidates' booking changes: this month, next month, next month's baseline.

    Next month's pay is priced with this month's measures standing in for next month's. With
    ``held`` (deal by deal) the baseline of a candidate that takes bookings out of next month
    holds them, so a deal leaving next month is priced at what it would have paid there,
    ``P(base + deal) − P(base)``, not ``P(base) − P(base − deal)``, which a plan's floor at zero
    cuts short when the deal is larger than the stand-in month. Without it (one action per
    AR-month, the first model) the baseline is the stand-in month itself.
    """
    nxt = deltas.timing_next
    base = {k: np.zeros_like(v) for k, v in nxt.items()}
    if held:
        out = nxt["revenue"] < 0
        base = {k: np.where(out, -v, 0.0) for k, v in nxt.items()}
        nxt = {k: v + base[k] for k, v in nxt.items()}
    return {"timing": deltas.timing, "timing_next": nxt, "timing_zero": base}


def timing_changes(now: np.ndarray, later: np.ndarray, action: np.ndarray
                   ) -> tuple[Change, Change]:
    """Change in this month's and next month's bookings per AR under each timing action.

    Columns are the actions slip, natural, pull 1, pull 2 months; changes are against the action
    played. "Next month" collects what slipped deals bring (at the risk of loss) and what pulled
    deals would have booked at their natural close.
    """
    played = (action + 1)[:, None]
    out: tuple[Change, Change] = ({}, {})
    for key, col in (("revenue", 0), ("margin", 1)):
        for change, arr in zip(out, (now[col], later[col]), strict=True):
            change[key] = arr - np.take_along_axis(arr, played, axis=1)
    return out


@dataclass(frozen=True)
class _Outcome:
    """ATC outcomes of one kind of support's parts under another pooled supply.

    Attributes:
        kind: ``sr`` or ``fr``.
        ctx: The month's deal context.
        at: Arrays over this month's ATC deals (flags, uniforms, relationship, credibility,
            discount, competitor, satisfaction).
        mp: Market parameters.
    """

    kind: str
    ctx: DealContext
    at: dict[str, np.ndarray]
    mp: MarketParams

    def wins(self, parts: Support, sel: np.ndarray, q: np.ndarray, j: np.ndarray,
             other: np.ndarray, supply: np.ndarray) -> np.ndarray:
        """ATC outcome of a group's parts if the group's pooled supply were ``supply``.

        Args:
            parts: The support parts of ``kind``.
            sel: The group's parts at ATC.
            q: Their deals' open positions.
            j: Their deals' ATC positions.
            other: Per selected part, the weakest coverage of its deal's other slots (1 if
                none).
            supply: Pooled supply, broadcasting against the parts (``(n, 1)`` or ``(p,)``).
        """
        ctx, at = self.ctx, self.at
        ratio = np.minimum(parts.slot_at(sel, supply), other)
        strat, integ = at["strat"][j], at["integ"][j]
        kf = ctx.knowledge_factor
        close = None
        if ctx.errors is not None:  # closeness: the deal's weakest support limits integration
            sup = np.minimum(ratio, ctx.fr_ratio[q] if self.kind == "sr" else ctx.sr_ratio[q])
            close = closeness_at(ctx.errors, q, at["rel"][j], ctx.errors.coordination[q], sup,
                                 self.mp)
        if self.kind == "sr":
            f = fit(ctx.pitch[q], ratio, ctx.fr_ratio[q], ctx.integration[q], strat, integ, kf,
                    self.mp, ctx.bonus[q], close)
            cred = at["cred"][j]
        else:
            f = fit(ctx.pitch[q], ctx.sr_ratio[q], ratio, ctx.integration[q], strat, integ, kf,
                    self.mp, ctx.bonus[q], close)
            cred = credibility(at["sat"][j], ratio, integ)
        return at["u"][j] < _pass(self.mp.gate_weights[ATC], at["rel"][j], f, cred,
                                  at["disc"][j], at["comp"][j])


def _pooled_direct(outcome: _Outcome, parts: Support, at_atc: np.ndarray,
                   atc_of_open: np.ndarray, cr: np.ndarray, e_now: np.ndarray, won: np.ndarray,
                   values: tuple[np.ndarray, ...], out: tuple[np.ndarray, ...]) -> None:
    """Pooled-support deltas group by group, every candidate against every deal.

    The reference computation (and the one used when a gate weight is negative, where outcomes
    need not be monotone in supply); :func:`_pooled_search` must equal it.
    """
    for g in np.unique(parts.group[at_atc]):
        members = np.flatnonzero(parts.people_group == g)
        if members.size == 0:
            continue
        sel = np.flatnonzero(at_atc & (parts.group == g))
        q = parts.deal[sel]  # open positions (one part per deal within a group)
        j = atc_of_open[q]  # ATC positions
        elsewhere = np.ones(parts.slot_ratio.size, dtype=bool)
        elsewhere[parts.slot[parts.group == g]] = False  # the deal's slot this group serves
        other = np.ones(atc_of_open.size)
        np.minimum.at(other, parts.slot_deal[elsewhere], parts.slot_ratio[elsewhere])
        # Only candidates that change one's support change the group's supply; the rest leave
        # every outcome as realised (Δ = 0 exactly), so they are skipped.
        change = cr[members] - e_now[members][:, None]  # (m, KG)
        mi, ci = np.nonzero(change != 0)
        if mi.size == 0:
            continue
        total = parts.supply[g] + change[mi, ci]  # (n,)
        dw = outcome.wins(parts, sel, q, j, other[q], total[:, None]).astype(float) - won[j]
        for v, acc in zip(values, out, strict=True):
            acc[members[mi], ci] += (dw * v[j]).sum(axis=-1)


def _pooled_search(outcome: _Outcome, parts: Support, at_atc: np.ndarray,
                   atc_of_open: np.ndarray, cr: np.ndarray, e_now: np.ndarray, won: np.ndarray,
                   values: tuple[np.ndarray, ...], out: tuple[np.ndarray, ...]) -> None:
    """Pooled-support deltas for all groups at once, exactly as :func:`_pooled_direct`.

    A deal's ATC outcome only improves as its group's supply grows (support ratio, fit,
    credibility and win probability are non-decreasing in it when gate weights are ≥ 0), so
    each deal part is won from some candidate supply of its group on. One binary search over
    every group's *sorted candidate supplies* finds that first candidate for all parts at once
    (⌈log₂(candidates + 1)⌉ outcome evaluations, each over all parts, with no loop over
    groups); each candidate's change in won value is then a difference of cumulative sums over
    the parts sorted by (group, first candidate won).
    """
    sel = np.flatnonzero(at_atc)
    if sel.size == 0:
        return
    deal, group = parts.deal, parts.group
    # The weakest coverage of each deal's *other* slots (1 if none): the minimum over the deal's
    # slots, or the second smallest for the part whose slot is the minimum. Without reach-back
    # every part is its own slot.
    ratio, slot_deal = parts.slot_ratio, parts.slot_deal
    order = np.lexsort((ratio, slot_deal))
    d_sorted = slot_deal[order]
    first_of = np.r_[True, d_sorted[1:] != d_sorted[:-1]]
    starts = np.flatnonzero(first_of)
    counts = np.diff(np.r_[starts, d_sorted.size])
    min1 = np.ones(atc_of_open.size)
    min2 = np.ones(atc_of_open.size)
    arg1 = np.full(atc_of_open.size, -1)
    min1[d_sorted[starts]] = ratio[order[starts]]
    arg1[d_sorted[starts]] = order[starts]
    two = starts[counts > 1]
    min2[d_sorted[two]] = ratio[order[two + 1]]
    q = deal[sel]
    other = np.where(arg1[q] == parts.slot[sel], min2[q], min1[q])
    j = atc_of_open[q]
    gp = group[sel]

    # Candidates that change someone's support, in groups that have parts at ATC.
    n_groups = parts.supply.size
    has = np.bincount(gp, minlength=n_groups) > 0
    pg = parts.people_group
    change = cr - e_now[:, None]
    mi, ci = np.nonzero((change != 0) & has[pg][:, None])
    if mi.size == 0:
        return
    cg = pg[mi]
    total = parts.supply[cg] + change[mi, ci]
    # Each group's distinct candidate supplies, sorted, concatenated group after group.
    pair = np.lexsort((total, cg))
    key_g, key_s = cg[pair], total[pair]
    new = np.r_[True, (key_g[1:] != key_g[:-1]) | (key_s[1:] != key_s[:-1])]
    levels, level_group = key_s[new], key_g[new]
    level_of = np.empty(mi.size, dtype=np.intp)
    level_of[pair] = np.cumsum(new) - 1
    n_levels = np.bincount(level_group, minlength=n_groups)
    start = np.r_[0, np.cumsum(n_levels)[:-1]]
    lo = np.zeros(sel.size, dtype=np.intp)
    hi = n_levels[gp].copy()  # n: not won at any candidate of the group
    base, last = start[gp], np.maximum(n_levels[gp] - 1, 0)
    while (lo < hi).any():
        mid = (lo + hi) // 2
        ok = outcome.wins(parts, sel, q, j, other,
                          levels[np.minimum(base + np.minimum(mid, last), levels.size - 1)])
        searching = lo < hi
        hi = np.where(searching & ok, mid, hi)
        lo = np.where(searching & ~ok, mid + 1, lo)
    # Parts sorted by (group, first candidate index won); a candidate at index i of its group
    # wins exactly the group's parts with first index ≤ i.
    span = int(n_levels.max()) + 1
    part_key = gp * span + lo
    by = np.argsort(part_key, kind="stable")
    sorted_key = part_key[by]
    lo_pos = np.searchsorted(sorted_key, cg * span, side="left")
    hi_pos = np.searchsorted(sorted_key, cg * span + (level_of - start[cg]), side="right")
    now = won[j]
    for v, acc in zip(values, out, strict=True):
        vj = v[j]
        cum = np.r_[0.0, np.cumsum(vj[by])]
        realised = np.bincount(gp, weights=vj * now, minlength=n_groups)
        acc[mi, ci] += cum[hi_pos] - cum[lo_pos] - realised[cg]
