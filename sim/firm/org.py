"""The organisation: seats per role, iron triangles, support pools and tiering (S1, S3, S5).

* Seats: people per role in array order (sales, rnd, supply_chain, support); a seat keeps its
  index when a leaver is replaced.
* ``org=silo``: SR work in pools by strategic product line, FR in one pool.
* ``org=iron_triangle``: a share of ARs each lead a triangle with one SR and one FR, taking every
  owned tier-A account; a triangle serves only its own accounts.
* Tiering: tier A is the top share of accounts by one company-wide score, or — each unit its own
  view — sales ranks by last year's revenue; re-done at every fiscal year end.

Nothing here knows about pay.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.firm.ledger import Lines
from sim.firm.market import Accounts
from sim.firm.params import RND, ROLES, SALES, SUPPLY, OrgParams, TieringParams


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


def retier(acc: Accounts, org: Org, tp: TieringParams) -> None:
    """Tier A: company-wide score, or each unit's own view (sales by last year's revenue).

    Triangles take every owned tier-A account, largest first, round-robin; the triangle's AR
    becomes the owner and hands their other accounts to silo ARs, so a triangle is dedicated to
    its key accounts (S5). Re-tiering moves accounts between triangles and silos.
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
        acc.team[take] = np.arange(take.size) % n_tri
        acc.owner[take] = acc.team[take]  # AR t leads triangle t
        n_s = org.heads["sales"]
        if n_s > n_tri:
            handed = np.flatnonzero((acc.owner >= 0) & (acc.owner < n_tri) & (acc.team < 0))
            acc.owner[handed] = n_tri + np.arange(handed.size) % (n_s - n_tri)
