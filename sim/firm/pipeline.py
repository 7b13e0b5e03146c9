"""The LTC pipeline: support reaching deals, solution fit, the gates, reviews and timing (phase 3).

Open deals get SR support, FR bid support and their AR's pitch and coordination; those make a
deal's *fit* (complementary: the weakest input a deal needs) and *credibility*; each deal then
meets its gate (ATI, ATB or ATC) and passes with probability
logistic(bias + w·(relationship, fit, credibility, price) − competitor) (M8, S11). ATC winners
are booked, except where the AR slips or pulls in deals (M3, M7); LTC reviews withdraw or
sharpen deals that just passed ATB (S12). docs/firm.md describes each mechanism.

Kernels (:func:`integration`, :func:`fit`, :func:`credibility`, :func:`pass_probability`,
and in :mod:`sim.firm.support` :func:`~sim.firm.support.allocate`) are pure functions of
arrays, tested with worked examples on their own.
Nothing here knows about pay.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.firm import requirements
from sim.firm.ledger import ATB, ATC, ATI, LOST, WON, Deals, Lines
from sim.firm.market import Accounts, rival
from sim.firm.org import Org
from sim.firm.params import RND, SALES, SUPPLY, FirmParams, MarketParams, Params
from sim.firm.requirements import Errors, Requirements
from sim.firm.support import Support, support


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
        bonus: Any = 0.0, close: np.ndarray | None = None) -> np.ndarray:
    """Solution fit: complementary (min) across the inputs a deal needs, or additive (mean).

    Args:
        pitch: AR pitch ratio (strategic deals).
        sr: SR support ratio (strategic deals, when strategic lines need SR).
        fr: FR support ratio (integrated deals).
        integ: Integration quality (integrated deals; unused when ``close`` is given).
        strategic: Whether each deal has a strategic line.
        integrated: Whether each deal spans two or more lines.
        kf: The knowledge factor (:func:`knowledge_factor`).
        mp: Market parameters (``strategic_needs_sr``, ``complementary_fit``).
        bonus: Sharpening of a bid that passed an LTC review (fit capped at 1).
        close: ``market.solution_fit=closeness``: every deal's closeness to the requirement
            (:func:`sim.firm.requirements.closeness`), an input of every deal in place of
            the assigned integration of integrated deals.
    """
    fourth = integ if close is None else close
    one = np.ones(np.broadcast_shapes(np.shape(pitch), np.shape(sr), np.shape(fr),
                                      np.shape(fourth)))
    needs_sr = mp.strategic_needs_sr
    inputs = [np.where(strategic, pitch, one),
              np.where(strategic & needs_sr, sr, one),
              np.where(integrated, fr, one),
              np.where(integrated, integ, one) if close is None else close * one]
    if mp.complementary_fit:
        f = kf * np.minimum.reduce(inputs)
    else:  # the ablation: the mean of the inputs the deal needs (the others are 1 above)
        needed = (strategic * (1 + needs_sr) + 2 * integrated).astype(float)
        if close is not None:  # closeness is needed by every deal, integration by none
            needed = needed - integrated + 1
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
    integration: np.ndarray  # assigned, or (closeness) the share of hand-off loss repaired
    rel: np.ndarray
    bonus: np.ndarray
    fit: np.ndarray
    cred: np.ndarray
    support: np.ndarray
    knowledge_factor: float
    errors: Errors | None = None

    @property
    def sr_ratio(self) -> np.ndarray:
        """SR support ratio per open deal."""
        return self.sr.deal_ratio

    @property
    def fr_ratio(self) -> np.ndarray:
        """FR bid-support ratio per open deal."""
        return self.fr.deal_ratio


def closeness_at(e: Errors, sel: Any, rel: Any, coordination: Any, sup: Any, mp: MarketParams
                 ) -> np.ndarray:
    """Closeness of deals ``sel`` of ``e`` at a relationship, coordination ratio and support.

    ``rel``, ``coordination`` and ``sup`` broadcast together (one value per deal, or per deal
    and candidate); ``sel`` indexes the open deals and may carry new axes (``pos[:, None]``).
    """
    return requirements.solution(e.ar2[sel], e.handoff2[sel], e.n_lines[sel], rel, coordination,
                                 sup, mp.complementary_fit)[2]


def context(deals: Deals, acc: Accounts, org: Org, lines: Lines, eff: list[np.ndarray],
            knowledge: float, t: int, p: Params, req: Requirements | None = None
            ) -> DealContext:
    """The open deals of month ``t`` and how the month's effort reaches them.

    With ``market.solution_fit=closeness`` (``req`` given), fit reads each deal's closeness to
    its requirement, and each open deal's fit gap and integration are written to ``req``.
    """
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
    coord = e[owner, fp.column(SALES, "coordination")] / coord_need[owner]
    bonus = p.process.sharpen * deals.sharpened[open_]
    kf = knowledge_factor(knowledge, fp)
    rel = acc.relationship[a]
    errs, close = None, None
    if req is None:
        integ_q = integration(coord, team, p.market.handoff)
    else:
        errs = requirements.errors(req, deals, lines, open_, team, coord,
                                   p.market.requirement_noise, p.org.handoff_noise,
                                   p.market.strategic_needs_sr)
        integ_q, err2, close = requirements.solution(
            errs.ar2, errs.handoff2, errs.n_lines, rel, errs.coordination,
            np.minimum(sr.deal_ratio, fr.deal_ratio), p.market.complementary_fit)
        req.record(open_, requirements.fit_gap(err2),
                   np.where(errs.handed, integ_q, np.nan))
    f = fit(pitch, sr.deal_ratio, fr.deal_ratio, integ_q, strat, integ, kf, p.market, bonus,
            close)
    cred = credibility(acc.satisfaction[a], fr.deal_ratio, integ)
    sup = np.where(integ | (need_sr > 0), np.minimum(
        np.where(need_sr > 0, sr.deal_ratio, 1.0), np.where(need_fr > 0, fr.deal_ratio, 1.0)),
        np.nan)
    return DealContext(open_=open_, sr=sr, fr=fr, pitch_need=pitch_need, coord_need=coord_need,
                       pitch=pitch, integration=integ_q, rel=rel, bonus=bonus,
                       fit=f, cred=cred, support=sup, knowledge_factor=kf, errors=errs)


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
            month, ``(2, N_sales, 4)``; deal by deal (``behavior.timing: deal``) the change from
            the month as played when the AR's ``c``-th decided deal goes the other way, column
            ``c`` (column 0, as played, is 0), ``(2, N_sales, 1 + most deals an AR decided)``.
        later: The same for bookings moved out of (or into) later months.
        decided: Deal by deal, the decisions made (``None`` with one action per AR-month).
    """

    slip: np.ndarray
    slip_lost: np.ndarray
    pull: np.ndarray
    pull_won: np.ndarray
    pull_discount: np.ndarray
    now: np.ndarray
    later: np.ndarray
    decided: Decided | None = None


@dataclass(frozen=True)
class Decided:
    """This month's deal-by-deal timing decisions (``behavior.timing: deal``), one per deal.

    Attributes:
        owner: The deciding AR (position among the ARs).
        kind: 0 ready to close (close or slip), 1 or 2 months from its close (wait or pull in).
        column: The deal's column in :attr:`Timing.now` (1, 2, … within its AR).
        moved: Whether it was slipped or pulled.
    """

    owner: np.ndarray
    kind: np.ndarray
    column: np.ndarray
    moved: np.ndarray


def _rank_within(owner: np.ndarray) -> np.ndarray:
    """Each element's rank among the elements with its owner (0, 1, …, in index order)."""
    order = np.argsort(owner, kind="stable")
    sorted_ = owner[order]
    first = np.searchsorted(sorted_, sorted_, side="left")
    rank = np.empty(owner.size, dtype=np.intp)
    rank[order] = np.arange(owner.size) - first
    return rank


def timing(deals: Deals, acc: Accounts, ctx: DealContext, passed: np.ndarray, stage: np.ndarray,
           action: np.ndarray, discount: np.ndarray, n_sales: int, p: Params,
           move: np.ndarray | None = None, rng: np.random.Generator | None = None) -> Timing:
    """Deal timing this month over the open deals.

    A deal's natural close month is its ATC month. On the share ``market.timing_control`` of
    deals the AR controls timing: *slip* (``action = -1``) holds a deal that would close now at
    ATC for a month, at a risk ``market.slip_loss`` of losing it then (once per deal); *pull in*
    by ``action = k ≥ 1`` months closes now every deal up to ``k`` months from its natural close,
    each passing its remaining gates on its own draws now, at the discount plus
    ``market.pull_discount`` per month advanced (within ``market.max_discount``). Also returns
    each AR's booking change under every timing action for the counterfactuals.

    With ``move`` (``behavior.timing: deal``) the AR decides each controllable deal on its own:
    ``move[ar, kind]`` is the chance of slipping a deal ready to close (kind 0) or pulling one
    in that is 1 or 2 months from its close (kind 1, 2), drawn per deal from ``rng``. Unless
    ``market.pull_discount_wins`` (the first model), a pulled deal is won on the odds of its
    natural discount: the extra discount is what the customer takes for signing early, not a
    reason to sign.
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
    comp = rival(acc, d, open_, mp)
    rel, fit_, cred = ctx.rel, ctx.fit, ctx.cred
    w = mp.gate_weights
    p_nat = pass_probability(w[ATC], rel, fit_, cred, disc, comp)
    p_pull = (pass_probability(w[ATC], rel, fit_, cred, pull_disc, comp)
              if mp.pull_discount_wins else p_nat)
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

    if move is not None:
        assert rng is not None
        return _by_deal(own, (can_slip, can_pull), ahead, move, rng.random(open_.size),
                        (value, d.margin_rate[open_], disc, pull_disc, pull_ok, nat_ok),
                        slip_lost, p)
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


def _by_deal(own: np.ndarray, can: tuple[np.ndarray, np.ndarray], ahead: np.ndarray,
             move: np.ndarray, u: np.ndarray, money: tuple[np.ndarray, ...],
             slip_lost: np.ndarray, p: Params) -> Timing:
    """Deal-by-deal timing: each controllable deal slips, closes or is pulled on its own draw.

    Column ``c`` of the booking changes is the month with the AR's ``c``-th decided deal turned
    the other way (a slip undone, a close slipped, a pull undone, a wait pulled in), everything
    else as played.

    Args:
        own: Each open deal's AR.
        can: Which open deals can slip, and which can be pulled in.
        ahead: Months from each deal's natural close.
        move: Each AR's chance of moving a deal, per kind ``(N_sales, 3)``.
        u: A uniform per open deal.
        money: Per open deal: value, margin rate, discount, pull discount, and whether it closes
            if pulled now and (on this month's odds) at its natural close.
        slip_lost: Deals held last month that are lost now.
        p: The firm's parameters.
    """
    can_slip, can_pull = can
    value, m_rate, disc, pull_disc, pull_ok, nat_ok = money
    kind = np.where(can_slip, 0, np.where(can_pull, ahead, -1))
    decided = np.flatnonzero(kind >= 0)
    k, owner = kind[decided], own[decided]
    moved_all = np.zeros(own.size, dtype=bool)
    moved_all[decided] = u[decided] < move[owner, k]
    moved = moved_all[decided]
    column = _rank_within(owner) + 1
    n_cols = 1 + (int(column.max()) if column.size else 0)
    n_sales = move.shape[0]
    # What moving each decided deal books now and later against leaving it (revenue, margin).
    v, dd, dp = value[decided], disc[decided], pull_disc[decided]
    nat = np.stack([v * (1 - dd), v * (m_rate[decided] - dd)])
    pulled = np.stack([v * (1 - dp), v * (m_rate[decided] - dp)])
    ready = k == 0
    gamma = p.behavior.time_discount
    on_pull = pull_ok[decided] * 1.0
    on_nat = nat_ok[decided] * gamma ** np.maximum(k - 1, 0)
    now = np.where(ready, -nat, on_pull * pulled)
    later = np.where(ready, (1 - p.market.slip_loss) * nat, -on_nat * nat)
    sign = np.where(moved, -1.0, 1.0)  # turning a moved deal back undoes the move
    slot = owner * n_cols + column

    def spread(x: np.ndarray) -> np.ndarray:
        return np.stack([np.bincount(slot, weights=sign * row, minlength=n_sales * n_cols)
                         .reshape(n_sales, n_cols) for row in x])

    slip, pull = can_slip & moved_all, can_pull & moved_all
    return Timing(slip=slip, slip_lost=slip_lost, pull=pull, pull_won=pull & pull_ok,
                  pull_discount=pull_disc, now=spread(now), later=spread(later),
                  decided=Decided(owner=owner, kind=k, column=column, moved=moved))


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
    p_hat = pass_probability(p.market.gate_weights[ATC], ctx.rel[mask], ctx.fit[mask],
                             ctx.cred[mask], discount[deals.owner[reviewed]],
                             rival(acc, deals, reviewed, p.market))
    p_hat = p_hat + proc.review_noise * deals.z_review[reviewed]
    drop = p_hat < proc.review_threshold
    deals.data["stage"][reviewed[drop]] = LOST
    deals.data["reviewed_out"][reviewed[drop]] = True
    deals.data["sharpened"][reviewed[~drop]] = True


def advance(deals: Deals, acc: Accounts, ctx: DealContext, discount: np.ndarray,
            action: np.ndarray, run_rate: np.ndarray, t: int, p: Params,
            move: np.ndarray | None = None, rng: np.random.Generator | None = None) -> Gated:
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
        move: Deal by deal, each AR's chance of moving a deal per kind (see :func:`timing`);
            ``None`` for one action per AR-month.
        rng: The timing stream (deal by deal).
    """
    d, open_ = deals, ctx.open_
    stage = d.stage[open_]
    disc = np.where(stage == ATC, discount[d.owner[open_]], 0.0)
    prob = pass_probability(p.market.gate_weights[np.asarray(stage, int)], ctx.rel, ctx.fit,
                            ctx.cred, disc, rival(acc, d, open_, p.market))
    u = np.where(stage == ATI, d.u_ati[open_], np.where(stage == ATB, d.u_atb[open_],
                                                        d.u_atc[open_]))
    passed = u < prob
    tm = timing(d, acc, ctx, passed, stage, action, discount, run_rate.size, p, move, rng)
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
