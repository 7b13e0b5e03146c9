"""The organisation: seats per role, iron triangles, support pools and tiering (S1, S3, S5).

* Seats: people per role in array order (sales, rnd, supply_chain, support); a seat keeps its
  index when a leaver is replaced.
* ``org=silo``: SR work in pools by strategic product line, FR in one pool.
* ``org=iron_triangle``: a share of ARs each lead a triangle with one SR and one FR, taking every
  owned tier-A account (``org.staffing=one_each``) or as many as its planned SR and FR capacity
  covers (``workload``); a triangle serves only its own accounts.
* Tiering: tier A is the top share of accounts by one company-wide score, or — each unit its own
  view — sales ranks by last year's revenue; re-done at every fiscal year end.

Nothing here knows about pay.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.firm.ledger import Lines
from sim.firm.market import Accounts
from sim.firm.params import (
    RND,
    ROLES,
    SALES,
    SUPPLY,
    MarketParams,
    OrgParams,
    Params,
    TieringParams,
)


@dataclass(frozen=True)
class Org:
    """Who sits where.

    Attributes:
        heads: People per role.
        role: Role index of every seat ``(N,)``.
        idx: Seats of each role, in role order.
        team: Triangle of every seat, ``-1`` outside triangles ``(N,)``; triangle ``t`` is
            (AR ``t``, SR ``t``, FR ``t``).
        sr_line: Strategic line whose pool a silo SR works in, ``-1`` for others ``(N,)``.
        n_triangles: Number of triangles.
    """

    heads: dict[str, int]
    role: np.ndarray
    idx: list[np.ndarray]
    team: np.ndarray
    sr_line: np.ndarray
    n_triangles: int

    @property
    def n(self) -> int:
        """Seats in all."""
        return int(self.role.size)


def build(heads: dict[str, int], op: OrgParams, lines: Lines) -> Org:
    """Seats, triangles and silo SR pools from headcounts and the org design."""
    role = np.repeat(np.arange(4), [heads[r] for r in ROLES])
    idx = [np.flatnonzero(role == r) for r in range(4)]
    n_tri = round(op.triangle_share * heads["sales"]) if op.dedicated_teams else 0
    n_tri = min(n_tri, heads["rnd"], heads["supply_chain"])
    team = np.full(role.size, -1, dtype=np.intp)
    for r in (SALES, RND, SUPPLY):
        team[idx[r][:n_tri]] = np.arange(n_tri)
    # silo SR pools by strategic line; FR one pool
    strategic = np.flatnonzero(lines.strategic)
    sr_line = np.full(role.size, -1, dtype=np.intp)
    free_sr = idx[RND][n_tri:]
    if strategic.size:
        sr_line[free_sr] = strategic[np.arange(free_sr.size) % strategic.size]
    return Org(heads=heads, role=role, idx=idx, team=team, sr_line=sr_line, n_triangles=n_tri)


def sr_groups(org: Org, people: np.ndarray, lines: Lines) -> np.ndarray:
    """Support group of SR seats: their triangle, else ``n_triangles`` + their line's pool."""
    strategic = np.flatnonzero(lines.strategic)
    pos = np.searchsorted(strategic, np.maximum(org.sr_line[people], 0))
    return np.where(org.team[people] >= 0, org.team[people], org.n_triangles + pos)


def fr_groups(org: Org, people: np.ndarray) -> np.ndarray:
    """Support group of FR seats: their triangle, else the one FR pool (``n_triangles``)."""
    return np.where(org.team[people] >= 0, org.team[people], org.n_triangles)


def assign_accounts(acc: Accounts, n_sales: int, prospect_share: float,
                    rng: np.random.Generator) -> None:
    """A random share of accounts stay prospects; the others go round-robin to ARs."""
    order = rng.permutation(acc.n)
    owned = order[round(prospect_share * acc.n):]
    acc.owner[owned] = np.arange(owned.size) % n_sales


#: Months a deal needs support if it goes the distance: one gate a month, ATI, ATB and ATC.
GATE_MONTHS = 3


def expected_need(acc: Accounts, lines: Lines, mp: MarketParams) -> tuple[np.ndarray, np.ndarray]:
    """Each account's expected SR and FR support need per month, planned from its wallet.

    Opportunities arrive at ``deal_rate · √(wallet / mean wallet)`` a month (at normal demand);
    a deal covers each line the account needs with probability ½ (one of them at random if the
    coin flips pick none) and needs support for the :data:`GATE_MONTHS` it is open if it passes
    every gate on time — a plan for the deals one means to win (a slipped deal needs a fourth
    month; demand shocks and tenders are outside the plan). With ``L`` lines needed,
    ``S`` of them strategic: expected strategic lines per deal ½·S + ½^L·S/L (SR need
    ``sr_need`` per strategic line), expected lines of an integrated deal ½·L − L·½^L (FR need
    ``fr_need`` per line, only for deals of two lines or more).
    """
    bits = lines.bits(acc.needs).astype(float)
    big_l = bits.sum(axis=1)
    big_s = (bits * lines.strategic).sum(axis=1)
    none = 0.5 ** big_l
    rate = mp.deal_rate * np.sqrt(acc.wallet / acc.wallet.mean()) * GATE_MONTHS
    sr = rate * mp.sr_need * mp.strategic_needs_sr * (0.5 * big_s + none * big_s / big_l)
    fr = rate * mp.fr_need * (0.5 * big_l - big_l * none)
    return sr, fr


def by_workload(cand: np.ndarray, need: tuple[np.ndarray, np.ndarray], n_tri: int,
                 capacity: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Deal key accounts (largest first) round-robin; each triangle keeps what its capacity covers.

    Triangle ``t`` keeps the accounts dealt to it, in the order dealt, while their cumulative
    expected SR *and* FR need stays within its SR and FR capacity (its first account always);
    the rest stay in silos, served by the line pools.

    Returns:
        ``(taken, triangle)``: the accounts that go to triangles and the triangle of each.
    """
    tri = np.arange(cand.size) % n_tri
    order = np.lexsort((np.arange(cand.size), tri))  # by triangle, in the order dealt
    t_sorted = tri[order]
    first = np.r_[True, t_sorted[1:] != t_sorted[:-1]]
    keep = np.zeros(cand.size, dtype=bool)
    fits = np.ones(cand.size, dtype=bool)
    for load, cap in zip(need, capacity, strict=True):
        x = load[cand][order]
        cum = np.cumsum(x)
        start = np.maximum.accumulate(np.where(first, np.arange(x.size), 0))
        within = cum - np.r_[0.0, cum][start]  # cumulative need within the triangle
        fits &= within <= cap
    keep[order] = _prefix(fits, first) | first
    return cand[keep], tri[keep]


def _prefix(ok: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Within each run that starts at ``first``, true up to the first false (exclusive)."""
    bad = ~ok
    run = np.cumsum(first)
    # index of the first bad element of each run (or beyond the run)
    first_bad = np.full(run[-1] + 1 if run.size else 1, np.iinfo(np.intp).max)
    idx = np.flatnonzero(bad)
    np.minimum.at(first_bad, run[idx], idx)
    return np.arange(ok.size) < first_bad[run]


def workload(acc: Accounts, lines: Lines, p: Params
             ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[float, float]] | None:
    """What ``org.staffing=workload`` plans with: accounts' expected need, a triangle's capacity.

    A triangle's capacity is what its one SR and one FR give support at the job description's
    split (``firm.prior`` × ``firm.prior_level``): the firm staffs by plan, not by what people
    later learn to do. ``None`` under ``one_each``.
    """
    if p.org.staffing != "workload":
        return None
    return expected_need(acc, lines, p.market), planned_support(p)


def planned_support(p: Params) -> tuple[float, float]:
    """One SR's support and one FR's bid support a month at the job description's split.

    What the firm plans a triangle's capacity with: for staffing (``org.staffing=workload``)
    and for what a triangle asks the line pools for (``org.reach_back``).
    """
    fp = p.firm
    return (fp.prior["rnd"]["support"] * fp.prior_level,
            fp.prior["supply_chain"]["bid_support"] * fp.prior_level)


def retier(acc: Accounts, org: Org, tp: TieringParams,
           workload: tuple[tuple[np.ndarray, np.ndarray], tuple[float, float]] | None = None
           ) -> None:
    """Tier A: company-wide score, or each unit's own view (sales by last year's revenue).

    Triangles take every owned tier-A account, largest first, round-robin (``org.staffing=
    one_each``), or as many as their planned capacity covers (``workload``: the accounts'
    expected need and each triangle's SR and FR capacity, see :func:`by_workload`); the
    triangle's AR becomes the owner and hands their other accounts to silo ARs, so a triangle
    is dedicated to its key accounts (S5). Re-tiering moves accounts between triangles and
    silos.
    """
    top = max(1, round(tp.top_share * acc.n))
    if tp.company_wide:
        score = acc.wallet * (0.5 + acc.relationship) * (acc.owner >= 0)
    else:
        score = acc.revenue_last_year + 1e-9 * acc.wallet  # sales' view: current revenue
    tier = np.zeros(acc.n, dtype=bool)
    tier[np.argsort(-score)[:top]] = True
    acc.tier_a = tier
    acc.team[:] = -1
    n_tri = org.n_triangles
    if n_tri:
        cand = np.flatnonzero(tier & (acc.owner >= 0))
        take = cand[np.argsort(-acc.wallet[cand], kind="stable")]
        if workload is None:
            acc.team[take] = np.arange(take.size) % n_tri
        else:
            take, tri = by_workload(take, workload[0], n_tri, workload[1])
            acc.team[take] = tri
        acc.owner[take] = acc.team[take]  # AR t leads triangle t
        n_s = org.heads["sales"]
        if n_s > n_tri:
            handed = np.flatnonzero((acc.owner >= 0) & (acc.owner < n_tri) & (acc.team < 0))
            acc.owner[handed] = n_tri + np.arange(handed.size) % (n_s - n_tri)
