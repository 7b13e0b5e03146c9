"""The key-account market: accounts and their motion (phase 2 of the month, docs/ODD.md §3).

* **Accounts** have a heavy-tailed wallet (monthly spend potential), a relationship strength that
  decays without attention and builds with focused attention past a fixed cost per account (so
  focus pays, S2), a satisfaction hit by late deliveries (S13), the product lines they need, and
  a competitor whose strength drifts and can reverse (S11).
* Each month relationships move with the owners' attention, competitors drift, prospects won by
  hunting join portfolios after a lag, opportunities arrive (behaviour-independent: the same
  stream under every scheme and org), and one large tender may arrive (S4). Run-rate orders come
  from the existing portfolio.

Nothing here knows about pay: the module returns what moved, and payroll prices it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.firm.ledger import ATC, ATI, LOST, Deals, Lines
from sim.firm.params import MarketParams


class Accounts:
    """Account arrays (state that lives from month to month).

    Args:
        n: Number of accounts.
        mp: Market parameters.
        lines: Product lines.
        rng: The market stream.
    """

    def __init__(self, n: int, mp: MarketParams, lines: Lines, rng: np.random.Generator):
        self.n = n
        self.wallet = rng.lognormal(mp.wallet_log_mean, mp.wallet_log_sd, n)
        needs = rng.random((n, len(lines.names))) < mp.need_prob
        needs[np.arange(n), rng.integers(0, len(lines.names), n)] = True
        self.needs = (needs * (1 << np.arange(len(lines.names)))).sum(axis=1)
        self.relationship = np.full(n, mp.relationship_start)
        self.satisfaction = np.full(n, mp.satisfaction_start)
        self.competitor = rng.normal(0.0, mp.competitor_sd, n)
        # How each unit (one SR pool per product line, the FR pool) perceives each account's
        # share of wallet: the basis of per-unit tiering (S1). Drawn once.
        self.unit_view = rng.lognormal(0.0, mp.unit_view_spread, (n, len(lines.names) + 1))
        self.owner = np.full(n, -1, dtype=np.intp)
        self.tier_a = np.zeros(n, dtype=bool)
        self.team = np.full(n, -1, dtype=np.intp)  # iron triangle serving the account, or -1
        self.revenue_ytd = np.zeros(n)
        self.revenue_last_year = np.zeros(n)
        #: Prospects won by hunting, waiting to join: (month they join, accounts, their ARs).
        self.pending: list[tuple[int, np.ndarray, np.ndarray]] = []


@dataclass(frozen=True)
class Focus:
    """How ARs spread attention over their portfolios this month.

    Attributes:
        share: Share of its owner's attention each owned account gets (∝ √wallet), ``(A,)``.
        portfolio: Each AR's portfolio weight Σ √wallet · (0.5 + relationship), ``(N_sales,)``.
    """

    share: np.ndarray
    portfolio: np.ndarray


def focus(acc: Accounts, n_sales: int) -> Focus:
    """Attention shares and portfolio weights of the accounts as they stand now."""
    w = np.sqrt(acc.wallet) * (acc.owner >= 0)
    owner = np.maximum(acc.owner, 0)
    tot = np.bincount(owner, weights=w, minlength=n_sales)
    share = np.where(acc.owner >= 0, w / np.maximum(tot[owner], 1e-12), 0.0)
    portfolio = np.bincount(owner, weights=w * (0.5 + acc.relationship), minlength=n_sales)
    return Focus(share=share, portfolio=portfolio)


def relationship_after(e_owner: np.ndarray, share: np.ndarray, owned: np.ndarray,
                       rel: np.ndarray, mp: MarketParams) -> np.ndarray:
    """Relationship after a month in which the owner gave ``e_owner`` to the portfolio.

    Args:
        e_owner: The owner's relationship effort (effort-months), broadcasting with ``share``.
        share: The account's share of its owner's attention.
        owned: Whether the account has an owner.
        rel: Relationship at the start of the month.
        mp: Market parameters (decay, gain, fixed cost of attention).
    """
    attention = e_owner * share
    gain = mp.relationship_gain * np.maximum(attention - mp.attention_fixed_cost, 0.0)
    new = rel * (1 - mp.relationship_decay) + np.where(owned, gain, 0.0) * (1 - rel)
    return np.clip(new, 0.0, 1.0)


@dataclass(frozen=True)
class Moved:
    """What phase 2 made.

    Attributes:
        relationship_before: Relationships at the start of the month (for counterfactuals).
        focus: Attention shares and portfolios after prospects joined this month.
        new_accounts: Prospects who joined each AR's portfolio this month, ``(N_sales,)``.
    """

    relationship_before: np.ndarray
    focus: Focus
    new_accounts: np.ndarray


def move(acc: Accounts, e_rel: np.ndarray, e_hunt: np.ndarray, t: int, mp: MarketParams,
         rng_market: np.random.Generator, rng_hunting: np.random.Generator) -> Moved:
    """Relationships, competitors and hunting for month ``t`` (arrivals are :func:`arrive`).

    Args:
        acc: The accounts (changed in place).
        e_rel: Each AR's relationship effort.
        e_hunt: Each AR's hunting effort.
        t: The month.
        mp: Market parameters.
        rng_market: The market stream (competitors; the same under every scheme).
        rng_hunting: The hunting stream (its draws depend on behaviour).
    """
    n_sales = e_rel.size
    fo = focus(acc, n_sales)  # portfolios as they stand at the start of the month
    before = acc.relationship.copy()
    acc.relationship = relationship_after(e_rel[np.maximum(acc.owner, 0)], fo.share,
                                          acc.owner >= 0, acc.relationship, mp)
    acc.competitor = mp.competitor_persistence * acc.competitor + (
        mp.competitor_noise * rng_market.standard_normal(acc.n))
    won = np.zeros(n_sales)
    if acc.pending and acc.pending[0][0] == t:
        _, accts, ars = acc.pending.pop(0)
        free = acc.owner[accts] < 0
        acc.owner[accts[free]] = ars[free]
        acc.relationship[accts[free]] = mp.hunted_relationship
        np.add.at(won, ars[free], 1.0)
        fo = focus(acc, n_sales)
    draws = rng_hunting.poisson(mp.hunting_rate * np.maximum(e_hunt, 0))
    prospects = np.flatnonzero(acc.owner < 0)
    total = int(draws.sum())
    if total and prospects.size:
        pick = rng_hunting.choice(prospects, size=min(total, prospects.size), replace=False)
        owners = np.repeat(np.arange(draws.size), draws)[: pick.size]
        acc.pending.append((t + mp.hunting_lag, pick, owners))
    return Moved(relationship_before=before, focus=fo, new_accounts=won)


def demand(mp: MarketParams, t: int) -> float:
    """Demand multiplier of month ``t``: ``market.shock.demand`` from its month on, else 1.

    A downturn (S6) scales opportunity arrivals and run-rate orders alike; the draws stay the
    same under every scheme (the multiplier does not depend on behaviour).
    """
    if mp.shock.month is not None and t >= mp.shock.month:
        return mp.shock.demand
    return 1.0


def _probit(u: np.ndarray) -> np.ndarray:
    from scipy.special import ndtri

    return ndtri(np.clip(u, 1e-12, 1 - 1e-12))


def arrive(acc: Accounts, deals: Deals, lines: Lines, t: int, mp: MarketParams,
           rng_market: np.random.Generator, rng_customer: np.random.Generator,
           rng_write_off: np.random.Generator) -> None:
    """Opportunities of month ``t`` join the ledger (independent of behaviour).

    A deal covers a random subset of the account's needed lines (at least one); its uniforms for
    the gates, lateness, review, timing and slipping are drawn now from the customer stream, and
    the one that decides a write-off from its own stream, so a deal's fate differs across
    schemes only through what people do (common random numbers).
    """
    rate = mp.deal_rate * demand(mp, t) * np.sqrt(acc.wallet / acc.wallet.mean())
    hit = np.flatnonzero(rng_market.random(acc.n) < rate)
    m = hit.size
    if m == 0:
        return
    value = acc.wallet[hit] * rng_market.gamma(2.0, mp.deal_months_mean / 2, m)
    n_lines_all = len(lines.names)
    bits = rng_market.random((m, n_lines_all)) < 0.5
    needs = lines.bits(acc.needs[hit]).astype(bool)
    bits &= needs
    # A deal always has a line: if the coin flips picked none, one of the account's needed
    # lines at random (not the first, which would tilt single-line deals to one line).
    pick = np.argmax(rng_market.random((m, n_lines_all)) * needs, axis=1)
    bits[np.arange(m), pick] |= ~bits.any(axis=1)
    mask = (bits * (1 << np.arange(n_lines_all))).sum(axis=1).astype(np.int64)
    n_lines = bits.sum(axis=1)
    strategic = lines.mask_strategic(mask)
    n_strat = (bits * lines.strategic).sum(axis=1)
    u = rng_customer.random((m, 7))
    owner = acc.owner[hit]
    stage = np.where(owner >= 0, ATI, LOST)  # nobody covers a prospect: the competitor wins
    deals.add(
        account=hit, owner=owner, value=value, lines=mask, strategic=strategic,
        integrated=n_lines >= 2, margin_rate=lines.mask_margin(mask),
        sr_need=mp.sr_need * n_strat * mp.strategic_needs_sr,
        fr_need=mp.fr_need * n_lines * (n_lines >= 2),
        created=np.full(m, t), stage=stage.astype(np.int8),
        u_ati=u[:, 0], u_atb=u[:, 1], u_atc=u[:, 2], u_late=u[:, 3],
        z_review=_probit(u[:, 4]), u_timing=u[:, 5], u_slip=u[:, 6],
        u_write_off=rng_write_off.random(m),
    )


def tender(acc: Accounts, deals: Deals, lines: Lines, t: int, mp: MarketParams,
           tender_id: int | None, rng_customer: np.random.Generator,
           rng_write_off: np.random.Generator) -> int | None:
    """One large multi-product tender against a strong competitor (S4, ``market.tender``).

    At ``month`` it arrives on the tier-A account with the largest wallet: every product line
    (integrated and strategic), worth ``value_months`` of that account's wallet. While it is open
    the account's competitor has strength ``competitor`` (a strong rival that works as one team).
    Its uniforms come from the customer stream like any deal's.

    Returns:
        The tender's deal index once it has arrived (else ``tender_id`` as given).
    """
    spec = mp.tender
    if spec.month is None:
        return tender_id
    if t == spec.month:
        cand = np.flatnonzero(acc.tier_a & (acc.owner >= 0))
        if cand.size == 0:
            return tender_id
        a = cand[[np.argmax(acc.wallet[cand])]]
        u = rng_customer.random((1, 7))
        tender_id = int(_add_tenders(acc, deals, lines, a, t, mp, u, rng_write_off.random(1))[0])
    if tender_id is not None and deals.stage[tender_id] <= ATC:  # still at a gate
        acc.competitor[deals.account[tender_id]] = spec.competitor
    return tender_id


def tender_stream(acc: Accounts, deals: Deals, lines: Lines, t: int, mp: MarketParams,
                  rng_tenders: np.random.Generator) -> None:
    """A stream of large all-line tenders on key accounts (S4, ``market.tender.per_month``).

    Each month every owned tier-A account gets a tender with probability ``per_month`` / their
    number: every product line, ``value_months`` of the account's wallet, against a rival of
    strength ``competitor`` at every gate (the deal's own competitor; the account's other deals
    keep theirs). Its timing is not the AR's. Every draw, its uniforms included, comes from the
    ``tenders`` stream, so every other deal arrives with the same draws with or without the
    stream (their outcomes can differ: tenders compete for the same support).
    """
    spec = mp.tender
    if spec.per_month <= 0:
        return
    cand = np.flatnonzero(acc.tier_a & (acc.owner >= 0))
    if cand.size == 0:
        return
    hit = cand[rng_tenders.random(cand.size) < min(1.0, spec.per_month / cand.size)]
    m = hit.size
    if m == 0:
        return
    u = rng_tenders.random((m, 8))
    _add_tenders(acc, deals, lines, hit, t, mp, u[:, :7], u[:, 7], stream=True)


def _add_tenders(acc: Accounts, deals: Deals, lines: Lines, hit: np.ndarray, t: int,
                 mp: MarketParams, u: np.ndarray, u_write_off: np.ndarray, stream: bool = False
                 ) -> np.ndarray:
    """Tenders on accounts ``hit`` (every line, ``value_months`` of the wallet), given their draws.

    ``u`` holds each tender's gate, lateness, review and slip uniforms ``(m, 7)`` (column 5, a
    deal's timing draw, is unused: a tender's timing is not the AR's). ``stream`` marks them as
    the stream's, whose rival is ``market.tender.competitor`` deal by deal.
    """
    m = hit.size
    mask = np.full(m, (1 << len(lines.names)) - 1, dtype=np.int64)
    n_strat = int(lines.strategic.sum())
    return deals.add(
        account=hit, owner=acc.owner[hit], value=acc.wallet[hit] * mp.tender.value_months,
        lines=mask, strategic=np.full(m, n_strat > 0), integrated=np.full(m, len(lines.names) > 1),
        margin_rate=lines.mask_margin(mask),
        sr_need=np.full(m, mp.sr_need * n_strat * mp.strategic_needs_sr),
        fr_need=np.full(m, mp.fr_need * len(lines.names)), created=np.full(m, t),
        stage=np.full(m, ATI, dtype=np.int8), u_ati=u[:, 0], u_atb=u[:, 1], u_atc=u[:, 2],
        u_late=u[:, 3], z_review=_probit(u[:, 4]), u_timing=np.ones(m), u_slip=u[:, 6],
        u_write_off=u_write_off, tender=np.full(m, stream))


def rival(acc: Accounts, deals: Deals, idx: np.ndarray, mp: MarketParams) -> np.ndarray:
    """The competitor strength each deal ``idx`` faces: its account's, or a tender's rival."""
    comp = acc.competitor[deals.account[idx]]
    if mp.tender.per_month <= 0:
        return comp
    return np.where(deals.tender[idx], mp.tender.competitor, comp)


def run_rate_scale(fo: Focus, portfolio0: float, t: int, mp: MarketParams) -> np.ndarray:
    """Run-rate orders per unit of volume effort^θ for each AR (portfolio and demand)."""
    return demand(mp, t) * mp.volume_productivity * fo.portfolio / portfolio0


def run_rate(e_vol: np.ndarray, fo: Focus, portfolio0: float, t: int, mp: MarketParams
             ) -> np.ndarray:
    """Run-rate orders from an AR's existing accounts this month."""
    return (demand(mp, t) * mp.volume_productivity * np.maximum(e_vol, 0) ** mp.volume_exponent
            * fo.portfolio / portfolio0)


def lose_relationships(acc: Accounts, ars: np.ndarray, kept: float) -> None:
    """A leaving AR's accounts keep only ``kept`` of their relationship (M6)."""
    if ars.size:
        lost = np.isin(acc.owner, ars)
        acc.relationship[lost] *= kept
