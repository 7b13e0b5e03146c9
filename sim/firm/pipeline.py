"""The LTC pipeline: support reaching deals, solution fit, the gates, reviews and timing (phase 3).

Open deals get SR support, FR bid support and their AR's pitch and coordination; those make a
deal's *fit* (complementary: the weakest input a deal needs) and *credibility*; each deal then
meets its gate (ATI, ATB or ATC) and passes with probability
logistic(bias + w·(relationship, fit, credibility, price) − competitor) (M8, S11). ATC winners
are booked, except where the AR slips or pulls in deals (M3, M7); LTC reviews withdraw or
sharpen deals that just passed ATB (S12). docs/firm.md describes each mechanism.

Kernels (:func:`integration`, :func:`fit`, :func:`credibility`, :func:`pass_probability`,
:func:`allocate`) are pure functions of arrays, tested with worked examples on their own.
Nothing here knows about pay.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.firm.ledger import ATB, ATC, ATI, LOST, WON, Deals, Lines
from sim.firm.market import Accounts
from sim.firm.org import Org, fr_groups, sr_groups
from sim.firm.params import RND, SALES, SUPPLY, FirmParams, MarketParams, Params


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


# -- kernels ------------------------------------------------------------------------------------

def integration(coord_ratio: np.ndarray, team: np.ndarray, handoff: float) -> np.ndarray:
    """Integration quality of integrated deals.

    A triangle integrates by structure; a silo through AR coordination beyond hand-off losses
    (S3): ``handoff + (1 − handoff) · min(1, coordination ratio)``.
    """
    silo = handoff + (1 - handoff) * np.minimum(1.0, coord_ratio)
    return np.where(np.broadcast_to(team >= 0, np.shape(silo)), 1.0, silo)


def knowledge_factor(knowledge: float, fp: FirmParams) -> float:
    """Share of the best fit the firm's solution knowledge allows: base + gain · K / (1 + K)."""
    return fp.fit_base + fp.fit_knowledge * knowledge / (1.0 + knowledge)


def knowledge_after(knowledge: float, e_knowledge: np.ndarray, fp: FirmParams) -> float:
    """The knowledge stock after a month: it depreciates and grows with SR knowledge work."""
    return fp.knowledge_retention * knowledge + float(
        e_knowledge.mean() if e_knowledge.size else 0.0)


def fit(pitch: np.ndarray, sr: np.ndarray, fr: np.ndarray, integ: np.ndarray,
        strategic: np.ndarray, integrated: np.ndarray, kf: float, mp: MarketParams,
        bonus: Any = 0.0) -> np.ndarray:
    """Solution fit: complementary (min) across the inputs a deal needs, or additive (mean).

    Args:
        pitch: AR pitch ratio (strategic deals).
        sr: SR support ratio (strategic deals, when strategic lines need SR).
        fr: FR support ratio (integrated deals).
        integ: Integration quality (integrated deals).
        strategic: Whether each deal has a strategic line.
        integrated: Whether each deal spans two or more lines.
        kf: The knowledge factor (:func:`knowledge_factor`).
        mp: Market parameters (``strategic_needs_sr``, ``complementary_fit``).
        bonus: Sharpening of a bid that passed an LTC review (fit capped at 1).
    """
    one = np.ones(np.broadcast_shapes(np.shape(pitch), np.shape(sr), np.shape(fr),
                                      np.shape(integ)))
    needs_sr = mp.strategic_needs_sr
    inputs = [np.where(strategic, pitch, one),
              np.where(strategic & needs_sr, sr, one),
              np.where(integrated, fr, one),
              np.where(integrated, integ, one)]
    if mp.complementary_fit:
        f = kf * np.minimum.reduce(inputs)
    else:  # the ablation: the mean of the inputs the deal needs (the others are 1 above)
        needed = (strategic * (1 + needs_sr) + 2 * integrated).astype(float)
        total = sum(inputs) - (4 - needed) * 1.0
        f = kf * np.where(needed > 0, total / np.maximum(needed, 1), 1.0)
    return np.minimum(1.0, f + bonus)


def credibility(satisfaction: np.ndarray, fr_ratio: np.ndarray, integrated: np.ndarray
                ) -> np.ndarray:
    """Delivery credibility: half the account's satisfaction, half FR bid support (integrated)."""
    return 0.5 * satisfaction + 0.5 * np.where(integrated, fr_ratio, 1.0)


def pass_probability(weights: np.ndarray, rel: Any, fit_: Any, cred: Any, disc: Any, comp: Any
                     ) -> np.ndarray:
    """Gate pass probability; ``weights`` is one gate's row or one row per deal ``(D, 5)``.

    Columns: bias, relationship, fit, credibility, price. Arguments broadcast (candidates).
    """
    w = np.asarray(weights)
    if w.ndim == 1:
        return _logistic(w[0] + w[1] * rel + w[2] * fit_ + w[3] * cred + w[4] * disc - comp)
    return _logistic(w[:, 0] + w[:, 1] * rel + w[:, 2] * fit_ + w[:, 3] * cred
                     + w[:, 4] * disc - comp)


@dataclass(frozen=True)
class Fill:
    """Water-filling by priority within each group (``org.allocation=fill``).

    A group's supply ``S`` reaches its part ``i`` (need ``n_i``, priority ``p_i``) at the ratio
    ``min(1, λ p_i)``, with the level ``λ`` that uses the supply up: ``Σ n_i min(1, λ p_i) = S``,
    or every part at 1 when ``S`` covers the group's whole need. What one part cannot use goes on
    to the group's other parts in proportion to their priority, until supply or need runs out.
    Below the first saturation this is the capped rule's ratio ``S p_i / Σ p_j n_j``.

    The parts are held sorted by group and falling priority, with the supply the group uses up
    at the level where each part saturates (``spent``), so the level of any supply is one binary
    search.

    Attributes:
        start: First sorted part of each group, and the end ``(G + 1,)``.
        spent: Supply the group uses at the level where sorted part ``k`` saturates.
        need_through: Need of the group's sorted parts up to and including ``k``.
        weight_after: Σ need × priority of the group's sorted parts after ``k``.
        weight: Σ need × priority of each group's parts ``(G,)``.
    """

    start: np.ndarray
    spent: np.ndarray
    need_through: np.ndarray
    weight_after: np.ndarray
    weight: np.ndarray

    @classmethod
    def build(cls, group: np.ndarray, need: np.ndarray, priority: np.ndarray,
              n_groups: int) -> Fill:
        """The breakpoints of every group's water level (parts need ``need > 0``, ``p > 0``)."""
        order = np.lexsort((-priority, group))
        g, n, p = group[order], need[order], priority[order]
        w = n * p
        start = np.searchsorted(g, np.arange(n_groups + 1))
        cum_n, cum_w = np.cumsum(n), np.cumsum(w)
        off_n = np.r_[0.0, cum_n][start[:-1]]
        off_w = np.r_[0.0, cum_w][start[:-1]]
        weight = np.bincount(g, weights=w, minlength=n_groups)
        need_through = cum_n - off_n[g]
        weight_after = weight[g] - (cum_w - off_w[g])
        spent = need_through - n + (weight_after + w) / p
        # One sentinel entry so that index arithmetic never runs off an empty array.
        return cls(start=start, spent=np.r_[spent, np.inf], need_through=np.r_[need_through, 0.0],
                   weight_after=np.r_[weight_after, 0.0], weight=weight)

    def level(self, group: np.ndarray, supply: np.ndarray) -> np.ndarray:
        """The water level ``λ`` of each ``(group, supply)`` pair (``inf``: every part full)."""
        shape = np.broadcast(np.asarray(group), np.asarray(supply)).shape
        g = np.broadcast_to(group, shape).ravel()
        s = np.broadcast_to(np.asarray(supply, dtype=float), shape).ravel()
        first = self.start[g]
        lo, hi = first.copy(), self.start[g + 1].copy()
        while (lo < hi).any():  # count the group's parts that saturate at or below this supply
            mid = (lo + hi) // 2
            searching = lo < hi
            ok = self.spent[mid] <= s
            lo = np.where(searching & ok, mid + 1, lo)
            hi = np.where(searching & ~ok, mid, hi)
        k = lo - 1  # the last saturated part (first − 1: none)
        none = k < first
        k = np.where(none, self.spent.size - 1, k)
        rest = np.where(none, self.weight[g], self.weight_after[k])
        used = np.where(none, 0.0, self.need_through[k])
        lam = np.full(s.shape, np.inf)
        pos = rest > 0
        lam[pos] = (s[pos] - used[pos]) / rest[pos]
        return lam.reshape(shape)


@dataclass(frozen=True)
class Support:
    """How one kind of support (SR, or FR bid support) reaches open deals, part by part.

    Attributes:
        deal: Open position of each part's deal.
        group: Group (triangle or pool) serving each part.
        need: Effort-months each part needs.
        share: Each part's share of its group's supply (the capped rule).
        ratio: Supply reaching each part over its need (≤ 1).
        supply: Pooled effort per group.
        people_group: Group of each SR (or FR) seat.
        deal_ratio: Weakest part ratio per open deal (1 where nothing is needed).
        priority: Each part's priority in its group.
        fill: The water levels under ``org.allocation=fill``, ``None`` under ``capped``.
        slot: The slot each part serves: its own, or (reach-back) its triangle part's.
        base: What reaches the part's slot from its other parts, over the slot's need.
        coef: The part's need over its slot's need.
        slot_ratio: Each slot's coverage (≤ 1).
        slot_deal: Open position of each slot's deal.
        reach_back: Effort-months that reached triangle deals through reach-back parts.
    """

    deal: np.ndarray
    group: np.ndarray
    need: np.ndarray
    share: np.ndarray
    ratio: np.ndarray
    supply: np.ndarray
    people_group: np.ndarray
    deal_ratio: np.ndarray
    priority: np.ndarray
    fill: Fill | None
    slot: np.ndarray
    base: np.ndarray
    coef: np.ndarray
    slot_ratio: np.ndarray
    slot_deal: np.ndarray
    reach_back: float

    def ratio_at(self, sel: np.ndarray, supply: np.ndarray) -> np.ndarray:
        """Ratios of parts ``sel`` if their groups' supply were ``supply`` (broadcasting)."""
        if self.fill is None:
            return np.minimum(1.0, supply * self.share[sel] / np.maximum(self.need[sel], 1e-12))
        return np.minimum(1.0, self.fill.level(self.group[sel], supply) * self.priority[sel])

    def slot_at(self, sel: np.ndarray, supply: np.ndarray) -> np.ndarray:
        """Coverage of the slots of parts ``sel`` if their groups' supply were ``supply``.

        A part's slot holds the rest of what reaches it fixed (``base``) and scales its own
        ratio by its share of the slot's need (``coef``); without reach-back it is the ratio.
        """
        r = self.ratio_at(sel, supply)
        if self.reach_back_parts:
            return np.minimum(1.0, self.base[sel] + self.coef[sel] * r)
        return r

    @property
    def reach_back_parts(self) -> bool:
        """Whether any part serves another part's slot (reach-back)."""
        return self.slot.size > self.slot_ratio.size

    @property
    def used(self) -> float:
        """Effort-months of supply that reached a part this month."""
        return float((self.need * self.ratio).sum())


def allocate(deal: np.ndarray, group: np.ndarray, need: np.ndarray, priority: np.ndarray,
             supply: np.ndarray, n_open: int, rule: str = "capped"
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, Fill | None]:
    """Split each group's supply over its parts by priority.

    ``capped`` (the first rule): in proportion to priority × need, each part's ratio
    min(1, supply · share / need), so supply a part cannot use is lost. ``fill``: water-filling
    by priority (:class:`Fill`), so it goes on to the group's other parts.

    Returns:
        ``(share, ratio, deal_ratio, fill)``: each part's capped share of its group's supply,
        its support ratio, each open deal's weakest part ratio (1 if none), and the water
        levels (``None`` under ``capped``).
    """
    w = priority * need
    tot = np.bincount(group, weights=w, minlength=supply.size)
    share = np.where(w > 0, w / np.maximum(tot[group], 1e-12), 0.0)
    fill = None
    if rule == "capped":
        ratio = np.minimum(1.0, supply[group] * share / np.maximum(need, 1e-12))
    else:
        fill = Fill.build(group, need, priority, supply.size)
        ratio = np.minimum(1.0, fill.level(group, supply[group]) * priority)
    deal_ratio = np.ones(n_open)
    np.minimum.at(deal_ratio, deal, ratio)
    return share, ratio, deal_ratio, fill


# -- the month's deal context ---------------------------------------------------------------------

@dataclass(frozen=True)
class DealContext:
    """Support, pitch, integration, fit and credibility of the open deals this month.

    Arrays are over ``open_`` (the open deals' ledger indices) unless said otherwise.
    """

    open_: np.ndarray
    sr: Support
    fr: Support
    pitch_need: np.ndarray  # per AR
    coord_need: np.ndarray  # per AR
    pitch: np.ndarray
    integration: np.ndarray
    rel: np.ndarray
    bonus: np.ndarray
    fit: np.ndarray
    cred: np.ndarray
    support: np.ndarray
    knowledge_factor: float

    @property
    def sr_ratio(self) -> np.ndarray:
        """SR support ratio per open deal."""
        return self.sr.deal_ratio

    @property
    def fr_ratio(self) -> np.ndarray:
        """FR bid-support ratio per open deal."""
        return self.fr.deal_ratio


def _priority(acc: Accounts, deals: Deals, open_: np.ndarray, deal: np.ndarray,
              view: np.ndarray, p: Params) -> np.ndarray:
    """How a pool ranks the support parts of open deals: company tier or its own view (S1).

    Under ``tiering=company`` every pool gives tier-A accounts ``tier_a_priority`` times the
    weight. Under ``by_unit`` each pool weighs a deal by its value times the account's share of
    wallet *as that unit sees it* (a per-unit, per-account perception drawn once), so units chase
    different "key accounts" and their support scatters across deals.
    """
    if p.tiering.company_wide:
        return np.where(acc.tier_a[deals.account[open_]], p.tiering.tier_a_priority, 1.0)[deal]
    value = deals.value[open_] / max(float(deals.value[open_].mean()) if open_.size else 1.0,
                                     1e-9)
    return value[deal] * view


def support(kind: str, deals: Deals, acc: Accounts, org: Org, lines: Lines, open_: np.ndarray,
            team: np.ndarray, effort: np.ndarray, p: Params) -> Support:
    """How SR support (``kind="sr"``) or FR bid support (``"fr"``) reaches open deals.

    Support is needed in *parts*, each served by one group's pooled effort and split over the
    group's parts by priority (``org.allocation``). A triangle serves every part of its
    accounts' deals. In silos, FR is one pool, while SR pools are organised by strategic
    product line: a deal spanning two strategic lines needs both lines' pools, and its support
    is the weakest part (S4: each product line pitches its own piece).

    Reach-back (``org.reach_back``): a triangle asks the line pools for the share of each of its
    deals' need that its *planned* capacity (its SR's or FR's support at the job description's
    split) would not cover, split over the deal's strategic lines (SR) or to the FR pool; the
    pools serve these parts by the same priority rule as their own. The triangle's own part and
    its reach-back parts add up to one *slot*, the deal's coverage from the triangle (≤ 1). The
    request follows the plan, not this month's effort, so each person's effort still moves only
    their own group's supply (the counterfactual stays exact).

    Args:
        kind: ``sr`` or ``fr``.
        deals: The ledger.
        acc: The accounts.
        org: Who sits where.
        lines: The product lines.
        open_: Ledger indices of the open deals.
        team: The triangle serving each open deal's account (``-1``: silos).
        effort: The SR seats' ``support`` (or FR seats' ``bid_support``) effort.
        p: The firm's parameters.
    """
    mp, t, op = p.market, org.n_triangles, p.org
    views = acc.unit_view[deals.account[open_]]  # (open, lines + 1)
    if kind == "sr":
        strategic = np.flatnonzero(lines.strategic)
        bits = ((deals.lines[open_][:, None] >> strategic) & 1).astype(bool)
        per_line = mp.sr_need * mp.strategic_needs_sr
        total = deals.sr_need[open_]
        silo_deal, silo_line = np.nonzero(bits & (team < 0)[:, None] & (per_line > 0))
        tri_deal = np.flatnonzero((team >= 0) & (total > 0))
        deal = np.concatenate([silo_deal, tri_deal])
        group = np.concatenate([t + silo_line, team[tri_deal]])
        view = np.concatenate([views[silo_deal, strategic[silo_line]], np.ones(tri_deal.size)])
        need = np.concatenate([np.full(silo_deal.size, per_line), total[tri_deal]])
        n_groups = t + max(strategic.size, 1)
        people_group = sr_groups(org, org.idx[RND], lines)
        planned = p.firm.prior["rnd"]["support"] * p.firm.prior_level
    else:
        total = deals.fr_need[open_]
        deal = np.flatnonzero(total > 0)
        tri_deal = deal[team[deal] >= 0]
        group = np.where(team[deal] >= 0, team[deal], t)
        need = total[deal]
        view = views[deal, -1]
        n_groups = t + 1
        people_group = fr_groups(org, org.idx[SUPPLY])
        planned = p.firm.prior["supply_chain"]["bid_support"] * p.firm.prior_level
    prio = _priority(acc, deals, open_, deal, view, p)
    n0 = deal.size  # one slot per part so far
    slot = np.arange(n0)
    if op.reach_back and t and tri_deal.size:
        own = np.flatnonzero(group < t)  # the triangles' parts
        seats = np.bincount(people_group[people_group < t], minlength=t).astype(float)
        _, cover, _, _ = allocate(deal[own], group[own], need[own], prio[own], seats * planned,
                                  open_.size, op.allocation)
        request = need[own] * (1.0 - cover)
        if kind == "sr":
            rows, line = np.nonzero(bits[deal[own]] & (request > 0)[:, None])
            n_strat = bits[deal[own]].sum(axis=1)
            rb_need = request[rows] / n_strat[rows]
            rb_group = t + line
            rb_view = views[deal[own][rows], strategic[line]]
        else:
            rows = np.flatnonzero(request > 0)
            rb_need, rb_group, rb_view = request[rows], np.full(rows.size, t), views[
                deal[own][rows], -1]
        rb_deal = deal[own][rows]
        deal = np.concatenate([deal, rb_deal])
        group = np.concatenate([group, rb_group])
        need = np.concatenate([need, rb_need])
        prio = np.concatenate([prio, _priority(acc, deals, open_, rb_deal, rb_view, p)])
        slot = np.concatenate([slot, own[rows]])
    supply = np.bincount(people_group, weights=effort, minlength=n_groups)
    share, ratio, _, fill = allocate(deal, group, need, prio, supply, open_.size, op.allocation)
    # A slot's need is its first part's (the triangle's own, or the one silo part).
    slot_need, slot_deal = need[:n0], deal[:n0]
    if deal.size == n0:
        slot_ratio, base, coef = ratio, np.zeros(n0), np.ones(n0)  # no reach-back: as before
    else:
        got = np.bincount(slot, weights=need * ratio, minlength=n0)
        slot_ratio = np.minimum(1.0, got / np.maximum(slot_need, 1e-12))
        coef = need / np.maximum(slot_need[slot], 1e-12)
        base = (got[slot] - need * ratio) / np.maximum(slot_need[slot], 1e-12)
    deal_ratio = np.ones(open_.size)
    np.minimum.at(deal_ratio, slot_deal, slot_ratio)
    return Support(deal=deal, group=group, need=need, share=share, ratio=ratio, supply=supply,
                   people_group=people_group, deal_ratio=deal_ratio, priority=prio, fill=fill,
                   slot=slot, base=base, coef=coef, slot_ratio=slot_ratio, slot_deal=slot_deal,
                   reach_back=float((need * ratio)[n0:].sum()))


def context(deals: Deals, acc: Accounts, org: Org, lines: Lines, eff: list[np.ndarray],
            knowledge: float, t: int, p: Params) -> DealContext:
    """The open deals of month ``t`` and how the month's effort reaches them."""
    fp = p.firm
    open_ = np.flatnonzero((deals.stage <= ATC) & (deals.created < t) & ~deals.run_rate)
    a, owner = deals.account[open_], deals.owner[open_]
    team = acc.team[a]
    n_s = org.heads["sales"]
    sr = support("sr", deals, acc, org, lines, open_, team, eff[RND][:, fp.column(RND, "support")],
                 p)
    fr = support("fr", deals, acc, org, lines, open_, team,
                 eff[SUPPLY][:, fp.column(SUPPLY, "bid_support")], p)
    need_sr, need_fr = deals.sr_need[open_], deals.fr_need[open_]
    # AR pitch for strategic deals and coordination of integrated ones
    strat = deals.strategic[open_]
    integ = deals.integrated[open_]
    n_strat = np.bincount(owner, weights=strat.astype(float), minlength=n_s)
    n_int = np.bincount(owner, weights=integ.astype(float), minlength=n_s)
    e = eff[SALES]
    pitch_need = fp.strategic_effort_need * np.maximum(n_strat, 1)
    coord_need = fp.coordination_need * np.maximum(n_int, 1)
    pitch = np.minimum(1.0, e[owner, fp.column(SALES, "strategic")] / pitch_need[owner])
    integ_q = integration(e[owner, fp.column(SALES, "coordination")] / coord_need[owner], team,
                          p.market.handoff)
    bonus = p.process.sharpen * deals.sharpened[open_]
    kf = knowledge_factor(knowledge, fp)
    f = fit(pitch, sr.deal_ratio, fr.deal_ratio, integ_q, strat, integ, kf, p.market, bonus)
    cred = credibility(acc.satisfaction[a], fr.deal_ratio, integ)
    sup = np.where(integ | (need_sr > 0), np.minimum(
        np.where(need_sr > 0, sr.deal_ratio, 1.0), np.where(need_fr > 0, fr.deal_ratio, 1.0)),
        np.nan)
    return DealContext(open_=open_, sr=sr, fr=fr, pitch_need=pitch_need, coord_need=coord_need,
                       pitch=pitch, integration=integ_q, rel=acc.relationship[a], bonus=bonus,
                       fit=f, cred=cred, support=sup, knowledge_factor=kf)


# -- timing and the gates -------------------------------------------------------------------------

@dataclass(frozen=True)
class Timing:
    """Deal timing this month (M3, M7), over the open deals.

    Attributes:
        slip: Deals the AR holds a month.
        slip_lost: Deals held last month that are lost now.
        pull: Deals the AR tries to close early.
        pull_won: Pulled deals that closed now.
        pull_discount: The discount a pulled deal closes at.
        now: Per AR and action (slip, natural, pull 1, pull 2): (revenue, margin) booked this
            month, ``(2, N_sales, 4)``.
        later: The same for bookings moved out of (or into) later months.
    """

    slip: np.ndarray
    slip_lost: np.ndarray
    pull: np.ndarray
    pull_won: np.ndarray
    pull_discount: np.ndarray
    now: np.ndarray
    later: np.ndarray


def timing(deals: Deals, acc: Accounts, ctx: DealContext, passed: np.ndarray, stage: np.ndarray,
           action: np.ndarray, discount: np.ndarray, n_sales: int, p: Params) -> Timing:
    """Deal timing this month over the open deals.

    A deal's natural close month is its ATC month. On the share ``market.timing_control`` of
    deals the AR controls timing: *slip* (``action = -1``) holds a deal that would close now at
    ATC for a month, at a risk ``market.slip_loss`` of losing it then (once per deal); *pull in*
    by ``action = k ≥ 1`` months closes now every deal up to ``k`` months from its natural close,
    each passing its remaining gates on its own draws now, at the discount plus
    ``market.pull_discount`` per month advanced (within ``market.max_discount``). Also returns
    each AR's booking change under every timing action for the counterfactuals.
    """
    mp, d, open_ = p.market, deals, ctx.open_
    own = d.owner[open_]
    act = action[own]
    movable = d.u_timing[open_] < mp.timing_control
    held = d.slipped[open_]
    slip_lost = held & (stage == ATC) & (d.u_slip[open_] < mp.slip_loss)
    ok = passed & ~slip_lost
    can_slip = ok & (stage == ATC) & movable & ~held
    ahead = np.where(stage == ATB, 1, np.where(stage == ATI, 2, 0))  # months to close
    disc = discount[own]
    pull_disc = np.minimum(disc + mp.pull_discount * ahead, mp.max_discount)
    comp = acc.competitor[d.account[open_]]
    rel, fit_, cred = ctx.rel, ctx.fit, ctx.cred
    w = mp.gate_weights
    p_pull = pass_probability(w[ATC], rel, fit_, cred, pull_disc, comp)
    p_nat = pass_probability(w[ATC], rel, fit_, cred, disc, comp)
    # A deal pulled two months must also pass ATB now, on its own ATB draw.
    atb_now = d.u_atb[open_] < pass_probability(w[np.full(open_.size, ATB)], rel, fit_, cred,
                                                np.zeros(open_.size), comp)
    can_pull = ok & movable & (ahead > 0) & ((ahead == 1) | atb_now)
    u = d.u_atc[open_]
    pull_ok = can_pull & (u < p_pull)
    nat_ok = can_pull & (u < p_nat)
    value = d.value[open_]
    gamma = p.behavior.time_discount

    def per_ar(mask: np.ndarray, dsc: np.ndarray, wt: Any = 1.0) -> np.ndarray:
        """Booked revenue and margin per AR, shape ``(2, n_sales)``."""
        rev = np.bincount(own, weights=mask * wt * value * (1 - dsc), minlength=n_sales)
        mar = np.bincount(own, weights=mask * wt * value * (d.margin_rate[open_] - dsc),
                          minlength=n_sales)
        return np.stack([rev, mar])

    slip = can_slip & (act == -1)
    pull = can_pull & (act >= ahead)
    # Per AR and action (slip, natural, pull 1, pull 2): bookings moved into this month and
    # out of later months (a deal two months out counts one extra month of discounting).
    slip_v = per_ar(can_slip, disc)
    now, later = [-slip_v, 0 * slip_v], [(1 - mp.slip_loss) * slip_v, 0 * slip_v]
    for k in (1, 2):
        sel = ahead <= k
        now.append(per_ar(pull_ok & sel, pull_disc))
        later.append(-per_ar(nat_ok & sel, disc, gamma ** (ahead - 1)))
    return Timing(slip=slip, slip_lost=slip_lost, pull=pull, pull_won=pull & pull_ok,
                  pull_discount=pull_disc, now=np.stack(now, axis=-1),
                  later=np.stack(later, axis=-1))


@dataclass(frozen=True)
class Gated:
    """What phase 3 made.

    Attributes:
        stage: Each open deal's stage before its gate this month.
        atc: Ledger indices of the open deals that met ATC this month.
        timing: The month's timing moves and their booking changes.
    """

    stage: np.ndarray
    atc: np.ndarray
    timing: Timing


def _review(deals: Deals, acc: Accounts, ctx: DealContext, reviewed: np.ndarray,
            mask: np.ndarray, discount: np.ndarray, p: Params) -> None:
    """LTC gate review (S12) of deals that just passed ATB, when ``process.ltc_gates``.

    The review estimates the deal's ATC odds with noise (``review_noise``); a deal below
    ``review_threshold`` is withdrawn (its support goes to other deals), the others get a
    sharpened bid (``sharpen`` added to their fit at ATC).
    """
    proc = p.process
    if not proc.ltc_gates or reviewed.size == 0:
        return
    a = deals.account[reviewed]
    p_hat = pass_probability(p.market.gate_weights[ATC], ctx.rel[mask], ctx.fit[mask],
                             ctx.cred[mask], discount[deals.owner[reviewed]], acc.competitor[a])
    p_hat = p_hat + proc.review_noise * deals.z_review[reviewed]
    drop = p_hat < proc.review_threshold
    deals.data["stage"][reviewed[drop]] = LOST
    deals.data["reviewed_out"][reviewed[drop]] = True
    deals.data["sharpened"][reviewed[~drop]] = True


def advance(deals: Deals, acc: Accounts, ctx: DealContext, discount: np.ndarray,
            action: np.ndarray, run_rate: np.ndarray, t: int, p: Params) -> Gated:
    """Every open deal meets its gate; winners are booked; run-rate orders are booked.

    Args:
        deals: The ledger (stages, bookings and flags change in place).
        acc: The accounts.
        ctx: The month's deal context.
        discount: Each AR's discount this month.
        action: Each AR's timing action (−1 slip, 0 natural, 1 or 2 pull in).
        run_rate: Each AR's run-rate orders this month (booked as won deals).
        t: The month.
        p: The firm's parameters.
    """
    d, open_ = deals, ctx.open_
    stage = d.stage[open_]
    disc = np.where(stage == ATC, discount[d.owner[open_]], 0.0)
    prob = pass_probability(p.market.gate_weights[np.asarray(stage, int)], ctx.rel, ctx.fit,
                            ctx.cred, disc, acc.competitor[d.account[open_]])
    u = np.where(stage == ATI, d.u_ati[open_], np.where(stage == ATB, d.u_atb[open_],
                                                        d.u_atc[open_]))
    passed = u < prob
    tm = timing(d, acc, ctx, passed, stage, action, discount, run_rate.size, p)
    passed &= ~tm.slip_lost
    d.data["support_ratio"][open_] = ctx.support
    on_time = passed & (stage == ATC) & ~tm.slip
    won = open_[on_time | tm.pull_won]
    d.data["stage"][open_[~passed | (tm.pull & ~tm.pull_won)]] = LOST
    adv = open_[passed & (stage < ATC) & ~tm.pull]
    d.data["stage"][adv] += 1
    d.data["stage"][won] = WON
    d.data["booked"][won] = t
    d.data["discount"][won] = discount[d.owner[won]]
    pulled = open_[tm.pull_won]
    d.data["discount"][pulled] = tm.pull_discount[tm.pull_won]
    d.data["pulled"][pulled] = True
    d.data["slipped"][open_[tm.slip]] = True
    review = passed & (stage == ATB) & ~tm.pull
    _review(d, acc, ctx, open_[review], review, discount, p)
    n = run_rate.size
    d.add(account=np.full(n, -1), owner=np.arange(n), value=run_rate,
          lines=np.zeros(n, dtype=np.int64), margin_rate=np.full(n, p.market.run_rate_margin),
          created=np.full(n, t), stage=np.full(n, WON), booked=np.full(n, t),
          run_rate=np.ones(n, bool))
    return Gated(stage=stage, atc=open_[stage == ATC], timing=tm)
