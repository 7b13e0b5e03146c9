"""Support reaching deals: SR support and FR bid support by group, part and slot (phase 3).

A deal needs support in *parts*, each served by one *group* — a triangle, or a silo pool (SR
by strategic line, FR one pool) — whose people's pooled effort is split over its parts by
priority (``org.allocation``: capped, or filled so nothing is wasted, :class:`Fill`). With
reach-back a triangle's deal also gets parts in the line pools; a deal's own part and its
reach-back parts add up to one *slot*, and a deal's support is its weakest slot. docs/firm.md
describes the rules; :func:`allocate` and :class:`Fill` are tested with worked examples.
Nothing here knows about pay.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.firm.ledger import Deals, Lines
from sim.firm.market import Accounts
from sim.firm.org import Org, fr_groups, planned_support, sr_groups
from sim.firm.params import RND, SUPPLY, Params


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
        """The breakpoints of every group's water level.

        A part of priority 0 is never served (it never fills: its saturation level is ``inf``).
        """
        order = np.lexsort((-priority, group))
        g, n, p = group[order], need[order], priority[order]
        w = n * p
        start = np.searchsorted(g, np.arange(n_groups + 1))
        cum_n, cum_w = np.cumsum(n), np.cumsum(w)
        off_n = np.r_[0.0, cum_n][start[:-1]]
        off_w = np.r_[0.0, cum_w][start[:-1]]
        weight = np.bincount(g, weights=w, minlength=n_groups)
        need_through = cum_n - off_n[g]
        # What the parts after k weigh: exactly 0 after a group's last part (the firm-wide
        # cumulative sums would leave ±1 ulp there, and a level of ulp/ulp), never below 0.
        weight_after = np.maximum(weight[g] - (cum_w - off_w[g]), 0.0)
        weight_after[start[1:][np.diff(start) > 0] - 1] = 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            spent = np.where(p > 0, need_through - n + (weight_after + w) / p, np.inf)
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
        deal_ratio: Weakest slot coverage per open deal (1 where nothing is needed).
        priority: Each part's priority in its group.
        fill: The water levels under ``org.allocation=fill``, ``None`` under ``capped``.
        slot: The slot each part serves: its own, or (reach-back) its triangle part's.
        base: What reaches the part's slot from its other parts, over the slot's need.
        coef: The part's need over its slot's need.
        slot_ratio: Each slot's coverage (≤ 1).
        slot_deal: Open position of each slot's deal.
        reach_back: Effort-months the line pools granted triangle deals (reach-back parts).
        triangle_grant: Effort-months granted triangle deals in all, own and reach-back.
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
    triangle_grant: float

    def ratio_at(self, sel: np.ndarray, supply: np.ndarray) -> np.ndarray:
        """Ratios of parts ``sel`` if their groups' supply were ``supply`` (broadcasting)."""
        if self.fill is None:
            return np.minimum(1.0, supply * self.share[sel] / np.maximum(self.need[sel], 1e-12))
        return filled(self.fill.level(self.group[sel], supply), self.priority[sel])

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
        """Effort-months of supply that met a need this month (a slot's coverage is ≤ 1)."""
        return float((self.need[: self.slot_ratio.size] * self.slot_ratio).sum())

    @property
    def offered(self) -> float:
        """Effort-months the groups' people put into this kind of support."""
        return float(self.supply.sum())


def filled(level: np.ndarray, priority: np.ndarray) -> np.ndarray:
    """A part's ratio at a water level: min(1, λ × priority), and 0 at priority 0."""
    with np.errstate(invalid="ignore"):
        return np.where(priority > 0, np.minimum(1.0, level * priority), 0.0)


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
        ratio = filled(fill.level(group, supply[group]), priority)
    deal_ratio = np.ones(n_open)
    np.minimum.at(deal_ratio, deal, ratio)
    return share, ratio, deal_ratio, fill


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
        planned = planned_support(p)[0]
    else:
        total = deals.fr_need[open_]
        deal = np.flatnonzero(total > 0)
        tri_deal = deal[team[deal] >= 0]
        group = np.where(team[deal] >= 0, team[deal], t)
        need = total[deal]
        view = views[deal, -1]
        n_groups = t + 1
        people_group = fr_groups(org, org.idx[SUPPLY])
        planned = planned_support(p)[1]
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
                   reach_back=float((need * ratio)[n0:].sum()),
                   triangle_grant=float((need * ratio)[group[slot] < t].sum()))
