"""Units of the gain-sharing pool, their scorecards, and the value each person added (issue 18).

The business case's two-stage split (DOMAIN S9, S10): a pool goes first to *organisations* —
front-line units by their balanced scorecard, support units by the service they gave the front
line — then to people by what they contributed. This module says who is in which unit, keeps the
units' results for the fiscal year to date, turns them into scores, and attributes the margin of
every deal won this month to the inputs the deal needed. Nothing here calls a plan (it reads only
the scorecard's part names): the plan declares the weights (``sim.plans.pools.GainSharing``) and
payroll passes the scores on.

* **Units** (``units: organisations``): each iron triangle (unless ``org.triangle_pay=none``;
  under ``scorecard`` its members are outside the pool, so it has no share; its results stay
  out of the account teams but count in the front line's means and the support units'
  rating); account teams of ``org.account_team_size`` ARs outside triangles, in seat order (a
  region); one unit per silo SR line pool; the FR pool; the support functions.
  With ``none`` a triangle's AR sits in an account team, its SR in line pool t mod n, its FR in
  the FR pool. ``units: roles`` is the first model's four role units.
* **Scorecard of a front-line unit**, each measure as attainment of the unit's own target, clipped
  to ``[0, cap]`` (never summed raw): *financial* — orders, revenue delivered and cash collected
  against ``ARs × on-target revenue × months``; *customer* — the mean relationship of the unit's
  key accounts against its level at the start of the year, and satisfaction against the starting
  satisfaction; *efficiency* — orders per head of the unit against the front line's mean;
  *learning* — knowledge work per head against the front line's mean (1 where no front-line unit
  does any; where triangles are units, AR-only account teams score 0 on it: ARs have no
  knowledge task). Score = Σ weight × part. With ``units: roles`` the support roles serve no one
  group and are scored by rating alone.
* **Service score of a support unit**: *delivered* — the effort-months that reached the parts
  its groups served (reach-back parts included) over those parts' need (FR: the mean of that and
  the on-time share of the year's project deliveries to accounts no triangle serves); *rating* —
  the front line's mean score (the functions, who serve no deal, are scored by rating alone).
* **Candidates** move a unit's score at first order through the measures the plan credits:
  ``team_revenue`` for front-line units (an AR's own bookings; a triangle SR's or FR's change in
  its triangle's revenue; orders, revenue and cash all move with a candidate's booking, as the
  model credits a candidate's change at every event), ``help`` for support units (all of a
  role's helping tasks: a candidate's knowledge work or delivery moves the score as if it were
  support, though the realised score counts only support reaching deals). The
  slopes are 0 where a measure is clipped. Relationships, satisfaction and knowledge are stocks
  one month's effort barely moves; candidates hold them.
* **Value added, in money** (the ``value_added`` measure): a won deal's margin is split equally
  among the inputs it needed — its AR and each SR and FR slot with a need — which is the Shapley
  value of a weakest-link deal (every needed input is pivotal in the same coalitions); a slot's
  credit goes to the groups that supplied it, by effort-months supplied, and within a group to
  its people by their help effort (a group whose people gave no help keeps none). An AR's
  run-rate margin is its own. Everyone adds the value of their own KPI (``firm.kpi_value``). It
  is the month's bookings, whatever event the plan credits at. A candidate (effort, discount,
  timing) keeps the attributed share of the margin it changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.firm.fulfilment import Events
from sim.firm.ledger import Deals, Lines
from sim.firm.market import Accounts
from sim.firm.org import Org, sr_groups
from sim.firm.params import RND, ROLES, SALES, SUPPLY, SUPPORT, Params
from sim.firm.support import Support
from sim.plans.pools import FRONT_PARTS, SERVICE_PARTS


@dataclass(frozen=True)
class Units:
    """Who is in which unit of a pool.

    Attributes:
        unit: Unit of every seat ``(N,)``.
        frontline: Whether each unit is front-line ``(U,)``.
        names: A readable name per unit (``account team 2``, ``triangle 0``, ``SR line 1``, …).
        group: Support group of each support unit (SR or FR), ``-1`` for others ``(U,)``.
        kind: Role served by each support unit's group (``RND``, ``SUPPLY``), ``-1`` else.
    """

    unit: np.ndarray
    frontline: np.ndarray
    names: tuple[str, ...]
    group: np.ndarray
    kind: np.ndarray

    @property
    def n(self) -> int:
        """Units in all."""
        return int(self.frontline.size)


def roles(org: Org) -> Units:
    """The first model's units: one per role, sales front-line."""
    return Units(unit=org.role.astype(np.intp), frontline=np.array([True, False, False, False]),
                 names=ROLES, group=np.full(4, -1, np.intp), kind=np.full(4, -1, np.intp))


def organisations(org: Org, p: Params, lines_sr: np.ndarray, triangles: bool) -> Units:
    """Account teams, triangles (when their pay is in the pool), SR line pools, FR, functions.

    Args:
        org: The seats.
        p: The firm's parameters (``org.account_team_size``).
        lines_sr: Support group of every SR seat (:func:`sim.firm.org.sr_groups`).
        triangles: Whether triangles are units of the pool; else their members sit in the units
            of their roles (their AR in an account team, SR in its line's pool, FR in the FR pool).
    """
    n_tri = org.n_triangles if triangles else 0
    unit = np.full(org.n, -1, dtype=np.intp)
    names: list[str] = [f"triangle {t}" for t in range(n_tri)]
    ars = org.idx[SALES]
    in_tri = (org.team >= 0) if triangles else np.zeros(org.n, bool)
    unit[in_tri] = org.team[in_tri]
    free = ars[~in_tri[ars]]
    teams = np.arange(free.size) // p.org.account_team_size
    unit[free] = n_tri + teams
    names += [f"account team {k}" for k in range(int(teams.max()) + 1 if free.size else 0)]
    n_front = len(names)
    group, kind = [-1] * n_front, [-1] * n_front
    # SR line pools: one unit per pool group.
    srs = org.idx[RND][~in_tri[org.idx[RND]]]
    g_sr = lines_sr[~in_tri[org.idx[RND]]]
    n_line_pools = max(int(lines_sr.max()) + 1 - org.n_triangles, 1) if lines_sr.size else 1
    # A triangle SR outside the pool's triangles (triangle_pay=none) joins line pool t mod n.
    g_sr = np.where(g_sr < org.n_triangles, org.n_triangles + g_sr % n_line_pools, g_sr)
    for g in np.unique(g_sr):
        unit[srs[g_sr == g]] = len(names)
        names.append(f"SR line pool {int(g) - org.n_triangles}")
        group.append(int(g))
        kind.append(RND)
    frs = org.idx[SUPPLY][~in_tri[org.idx[SUPPLY]]]
    if frs.size:
        unit[frs] = len(names)
        names.append("FR pool")
        group.append(org.n_triangles)
        kind.append(SUPPLY)
    unit[org.idx[SUPPORT]] = len(names)
    names.append("support functions")
    group.append(-1)
    kind.append(-1)
    frontline = np.arange(len(names)) < n_front
    return Units(unit=unit, frontline=frontline, names=tuple(names),
                 group=np.array(group, np.intp), kind=np.array(kind, np.intp))


@dataclass
class Year:
    """A unit map's results for the fiscal year to date (reset at each year start).

    Attributes:
        orders, revenue, cash: Money per unit (its ARs' bookings, deliveries, collections).
        knowledge: Knowledge effort-months per unit.
        need, supplied: Per support group and kind: effort-months needed and supplied.
        on_time, deliveries: The year's on-time and all project deliveries of the FR pool's
            accounts (those no triangle serves).
        months: Months observed this year.
        rel_start: Each account's relationship at the start of the year.
    """

    n_units: int
    orders: np.ndarray = field(init=False)
    revenue: np.ndarray = field(init=False)
    cash: np.ndarray = field(init=False)
    knowledge: np.ndarray = field(init=False)
    need: dict[int, np.ndarray] = field(default_factory=dict)
    supplied: dict[int, np.ndarray] = field(default_factory=dict)
    on_time: float = 0.0
    deliveries: float = 0.0
    months: int = 0
    rel_start: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """A new fiscal year."""
        for name in ("orders", "revenue", "cash", "knowledge"):
            setattr(self, name, np.zeros(self.n_units))
        self.need, self.supplied = {}, {}
        self.on_time = self.deliveries = 0.0
        self.months = 0
        self.rel_start = None


@dataclass(frozen=True)
class Scores:
    """The units' scores this month and how a candidate moves them.

    Attributes:
        score: Each unit's score ``(U,)``.
        slopes: Per measure (``team_revenue``, ``help``): the score's change per unit of the
            measure summed over the unit ``(U,)``.
        parts: Each unit's parts ``(U, 4)``: front-line units in :data:`FRONT_PARTS`' order,
            support units ``delivered, rating`` then 0s.
    """

    score: np.ndarray
    slopes: dict[str, np.ndarray]
    parts: np.ndarray


def _att(x: np.ndarray, target: np.ndarray, cap: float) -> tuple[np.ndarray, np.ndarray]:
    """Attainment ``x / target`` clipped to ``[0, cap]`` and its slope (0 where clipped)."""
    safe = np.where(target > 0, target, 1.0)
    raw = np.where(target > 0, x / safe, 1.0)
    inside = (raw >= 0) & (raw < cap) & (target > 0)
    return np.clip(raw, 0.0, cap), np.where(inside, 1.0 / safe, 0.0)


def scores(u: Units, y: Year, heads: np.ndarray, ars: np.ndarray, key_rel: np.ndarray,
           satisfaction: np.ndarray, on_target_revenue: float, satisfaction_start: float,
           scorecard: dict[str, float], service: dict[str, float], cap: float) -> Scores:
    """Scores of every unit from the year to date.

    Args:
        u: The units.
        y: Their results for the year to date.
        heads: People per unit ``(U,)``.
        ars: ARs per unit ``(U,)``.
        key_rel: Mean relationship of each unit's key accounts now over at the year start
            (1 where a unit has none) ``(U,)``.
        satisfaction: Mean satisfaction of each unit's accounts (``satisfaction_start`` where
            none) ``(U,)``.
        on_target_revenue: An AR's on-target revenue per month.
        satisfaction_start: Every account's starting satisfaction (its target).
        scorecard: Weights of :data:`FRONT_PARTS`.
        service: Weights of :data:`SERVICE_PARTS`.
        cap: Attainment cap.
    """
    fl = u.frontline
    months = max(y.months, 1)
    target = ars * on_target_revenue * months
    fin = np.zeros(u.n)
    fin_slope = np.zeros(u.n)
    for x in (y.orders, y.revenue, y.cash):
        a, s = _att(x, target, cap)
        fin += a / 3.0
        fin_slope += s / 3.0  # a candidate's booking moves all three in time (module docstring)
    cust = 0.5 * np.clip(key_rel, 0.0, cap) + 0.5 * _att(
        satisfaction, np.full(u.n, satisfaction_start), cap)[0]
    fh = max(float(heads[fl].sum()), 1.0)
    bench = float(y.orders[fl].sum()) / fh
    eff, eff_slope = _att(y.orders / np.maximum(heads, 1.0), np.full(u.n, bench), cap)
    eff_slope = eff_slope / np.maximum(heads, 1.0)
    kb = float(y.knowledge[fl].sum()) / fh
    learn = (_att(y.knowledge / np.maximum(heads, 1.0), np.full(u.n, kb), cap)[0] if kb > 0
             else np.ones(u.n))
    front = (scorecard["financial"] * fin + scorecard["customer"] * cust
             + scorecard["efficiency"] * eff + scorecard["learning"] * learn)
    rating = float(front[fl].mean()) if fl.any() else 1.0
    delivered = np.ones(u.n)
    del_slope = np.zeros(u.n)
    for k in np.flatnonzero(u.group >= 0):
        g, kind = int(u.group[k]), int(u.kind[k])
        need = float(y.need[kind][g]) if kind in y.need and g < y.need[kind].size else 0.0
        got = float(y.supplied[kind][g]) if kind in y.supplied and g < y.supplied[kind].size \
            else 0.0
        cov, sl = _att(np.array([got]), np.array([need]), 1.0)
        if kind == SUPPLY:
            ot = y.on_time / y.deliveries if y.deliveries else 1.0
            delivered[k], del_slope[k] = 0.5 * cov[0] + 0.5 * ot, 0.5 * sl[0]
        else:
            delivered[k], del_slope[k] = cov[0], sl[0]
    has_service = u.group >= 0
    w_del = np.where(has_service, service["delivered"], 0.0)
    w_rat = np.where(has_service, service["rating"], service["delivered"] + service["rating"])
    support = w_del * delivered + w_rat * rating
    score = np.where(fl, front, support)
    slopes = {"team_revenue": np.where(fl, scorecard["financial"] * fin_slope
                                       + scorecard["efficiency"] * eff_slope, 0.0),
              "help": np.where(fl, 0.0, w_del * del_slope)}
    parts = np.where(fl[:, None], np.stack([fin, cust, eff, learn], axis=1),
                     np.stack([delivered, np.full(u.n, rating), np.zeros(u.n), np.zeros(u.n)],
                              axis=1))
    return Scores(score=score, slopes=slopes, parts=parts)


@dataclass(frozen=True)
class Credit:
    """The margin of this month's won deals, attributed to the inputs they needed.

    Attributes:
        own: Each seat's attributed margin this month ``(N,)``: an AR's own, an SR's or FR's
            group's (to be split by help effort, :func:`value_added`).
        fraction: The attributed share of the margin a seat's candidate changes ``(N,)``: an AR's
            ``own / booked margin``, a group's ``attributed / served``.
        group: Support group of each SR/FR seat, ``-1`` for others ``(N,)``.
    """

    own: np.ndarray
    fraction: np.ndarray
    group: np.ndarray


def attribute(deals: Deals, open_: np.ndarray, sr: Support, fr: Support, booked_margin: np.ndarray,
              org: Org, t: int) -> Credit:
    """Split each deal won this month equally among its AR and its SR and FR slots.

    Args:
        deals: The ledger.
        open_: Ledger indices of the month's open deals (the supports' positions).
        sr: How SR support reached them.
        fr: How FR bid support reached them.
        booked_margin: Margin booked per AR this month (project and run-rate).
        org: The seats.
        t: The month.
    """
    d = deals
    won = d.booked[open_] == t
    margin = np.where(won, d.value[open_] * (d.margin_rate[open_] - d.discount[open_]), 0.0)
    n_open = open_.size
    k = 1.0 + np.bincount(sr.slot_deal, minlength=n_open) + np.bincount(fr.slot_deal,
                                                                        minlength=n_open)
    own = np.zeros(org.n)
    fraction = np.ones(org.n)
    group = np.full(org.n, -1, dtype=np.intp)
    for s, rows, g_of in ((sr, org.idx[RND], sr.people_group), (fr, org.idx[SUPPLY],
                                                                  fr.people_group)):
        supplied = s.need * s.ratio
        tot = np.bincount(s.slot, weights=supplied, minlength=s.slot_ratio.size)
        own_part = np.arange(s.slot.size) < s.slot_ratio.size
        w = np.where(tot[s.slot] > 0, supplied / np.where(tot[s.slot] > 0, tot[s.slot], 1.0),
                     own_part.astype(float))
        m = margin[s.slot_deal[s.slot]]
        n_g = s.supply.size
        credit = np.bincount(s.group, weights=m / k[s.slot_deal[s.slot]] * w, minlength=n_g)
        served = np.bincount(s.group, weights=m * w, minlength=n_g)
        own[rows] = credit[g_of]
        fraction[rows] = np.where(served[g_of] > 0, credit[g_of] / np.where(
            served[g_of] > 0, served[g_of], 1.0), 1.0)
        group[rows] = g_of
    ars = org.idx[SALES]
    owner = d.owner[open_]
    lost_share = np.bincount(np.maximum(owner, 0), weights=np.where(
        owner >= 0, margin * (1.0 - 1.0 / k), 0.0), minlength=ars.size)
    own[ars] = booked_margin - lost_share
    fraction[ars] = np.where(booked_margin > 0, own[ars] / np.where(
        booked_margin > 0, booked_margin, 1.0), 1.0)
    return Credit(own=own, fraction=fraction, group=group)


def value_added(c: Credit, org: Org, help_: np.ndarray, help_c: np.ndarray,
                d_margin: np.ndarray, kpi_money: np.ndarray, kpi_money_c: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Each seat's value added this month, realised ``(N,)`` and per candidate ``(N, M)``.

    An AR keeps its attributed margin, plus its share of a candidate's change in booked margin;
    an SR or FR gets its group's attributed margin (plus the attributed share of its candidate's
    change in firm margin) in proportion to its help effort in the group, everyone else's held;
    everyone adds the money value of their own KPI.

    Args:
        c: The month's attribution.
        org: The seats.
        help_: Help effort realised ``(N,)``.
        help_c: Help effort per candidate ``(N, M)``.
        d_margin: Each candidate's change in margin ``(N, M)`` (an AR's booked margin, an SR's or
            FR's firm margin; 0 for others).
        kpi_money: Own-KPI output in money ``(N,)``.
        kpi_money_c: The same per candidate ``(N, M)``.
    """
    va = c.own.copy()
    va_c = va[:, None] + c.fraction[:, None] * d_margin
    for r in (RND, SUPPLY):
        rows = org.idx[r]
        g = c.group[rows]
        h_tot = np.bincount(g, weights=help_[rows], minlength=int(g.max()) + 1 if g.size else 0)
        others = (h_tot[g] - help_[rows])[:, None]
        h, hc = help_[rows], help_c[rows]
        share = np.where(h_tot[g] > 0, h / np.where(h_tot[g] > 0, h_tot[g], 1.0), 0.0)
        tot_c = others + hc
        share_c = np.where(tot_c > 0, hc / np.where(tot_c > 0, tot_c, 1.0), 0.0)
        va[rows] = c.own[rows] * share
        va_c[rows] = va_c[rows] * share_c
    va[org.idx[SUPPORT]] = 0.0
    va_c[org.idx[SUPPORT]] = 0.0
    return va + kpi_money, va_c + kpi_money_c


def work_groups(org: Org, lines: Lines, p: Params) -> np.ndarray:
    """Size of every seat's work group, who watches whom under a peer sanction (issue 19).

    A work group is where people see each other work, whatever the pay: a triangle, an account
    team of ARs, an SR line pool, the FR pool, a support function (the units of organisations,
    with every triangle a group of its own).
    """
    unit = work_group_ids(org, lines, p)
    return np.bincount(unit)[unit]


def work_group_ids(org: Org, lines: Lines, p: Params) -> np.ndarray:
    """Work group of every seat ``(N,)`` (:func:`work_groups`; teammates under teaching)."""
    return organisations(org, p, sr_groups(org, org.idx[RND], lines), org.n_triangles > 0).unit


class UnitBook:
    """The unit maps the plans in force need, their year-to-date results and yearly scorecards.

    Args:
        org: The seats.
        lines: The product lines (the SR pools' groups).
        p: The firm's parameters.
        kinds: Unit maps needed (``roles``, ``organisations``).
        attribution: Whether some plan reads ``value_added`` (deal margins are attributed).
    """

    def __init__(self, org: Org, lines: Lines, p: Params, kinds: set[str], attribution: bool
                 ) -> None:
        self.org, self.p, self.attribution = org, p, attribution
        # Triangles are units unless their members are paid by their roles' plans (none): under
        # scorecard they are outside the pool, and their results stay out of the others' units.
        triangles = p.org.triangle_pay != "none"
        self.maps: dict[str, Units] = {}
        if "roles" in kinds:
            self.maps["roles"] = roles(org)
        if "organisations" in kinds:
            self.maps["organisations"] = organisations(
                org, p, sr_groups(org, org.idx[RND], lines), triangles)
        self.years = {k: Year(u.n) for k, u in self.maps.items()}
        self.heads = {k: np.bincount(u.unit, minlength=u.n).astype(float)
                      for k, u in self.maps.items()}
        self.ars = {k: np.bincount(u.unit[org.idx[SALES]], minlength=u.n).astype(float)
                    for k, u in self.maps.items()}
        self.key_rel: dict[str, np.ndarray] = {}
        self.satisfaction: dict[str, np.ndarray] = {}
        #: One row per unit and fiscal year: its scorecard parts and score (S9's report); the
        #: payroll hands every book of a run the same list.
        self.log: list[dict[str, float | str]] = []

    def observe(self, deals: Deals, acc: Accounts, open_: np.ndarray, sr: Support, fr: Support,
                events: Events, knowledge: np.ndarray, t: int) -> Credit | None:
        """Add the month's results to every unit map's year; attribute the month's deals.

        Args:
            deals: The ledger.
            acc: The accounts.
            open_: The month's open deals.
            sr: How SR support reached them.
            fr: How FR bid support reached them.
            events: The month's credits.
            knowledge: Each SR's knowledge effort this month.
            t: The month.

        Returns:
            The month's attribution when some plan reads ``value_added``, else ``None``.
        """
        org = self.org
        ars = org.idx[SALES]
        project = ~deals.run_rate
        # The FR pool's deliveries: project deals of accounts no triangle serves.
        pool_acc = np.r_[acc.team < 0, True][deals.account]  # account −1: no triangle either
        done = project & (deals.delivered == t) & pool_acc
        for k, u in self.maps.items():
            y = self.years[k]
            if t % 12 == 0 or y.rel_start is None:
                y.reset()
                y.rel_start = acc.relationship.copy()
            ua = u.unit[ars]
            y.orders += np.bincount(ua, weights=events.booking.revenue, minlength=u.n)
            y.revenue += np.bincount(ua, weights=events.delivery.revenue, minlength=u.n)
            y.cash += np.bincount(ua, weights=events.collection.revenue, minlength=u.n)
            y.knowledge += np.bincount(u.unit[org.idx[RND]], weights=knowledge, minlength=u.n)
            for kind, s in ((RND, sr), (SUPPLY, fr)):
                n_g = s.supply.size
                # Need and supply over every part a group served, its reach-back parts too.
                y.need[kind] = y.need.get(kind, np.zeros(n_g))[:n_g] + np.bincount(
                    s.group, weights=s.need, minlength=n_g)
                y.supplied[kind] = y.supplied.get(kind, np.zeros(n_g))[:n_g] + np.bincount(
                    s.group, weights=s.need * s.ratio, minlength=n_g)
            y.on_time += float((done & ~deals.late).sum())
            y.deliveries += float(done.sum())
            y.months += 1
            owned = acc.owner >= 0
            au = np.where(owned, u.unit[ars][np.maximum(acc.owner, 0)], 0)
            key = owned & acc.tier_a
            now = np.bincount(au, weights=np.where(key, acc.relationship, 0.0), minlength=u.n)
            then = np.bincount(au, weights=np.where(key, y.rel_start, 0.0), minlength=u.n)
            self.key_rel[k] = np.where(then > 0, now / np.where(then > 0, then, 1.0), 1.0)
            n_acc = np.bincount(au, weights=owned.astype(float), minlength=u.n)
            sat = np.bincount(au, weights=np.where(owned, acc.satisfaction, 0.0), minlength=u.n)
            self.satisfaction[k] = np.where(n_acc > 0, sat / np.where(n_acc > 0, n_acc, 1.0),
                                            self.p.market.satisfaction_start)
        if not self.attribution:
            return None
        return attribute(deals, open_, sr, fr, events.booking.margin, org, t)

    def scores(self, kind: str, scorecard: dict[str, float], service: dict[str, float],
               cap: float) -> Scores:
        """Scores of the units of map ``kind`` under a plan's weights, from the year to date."""
        return scores(self.maps[kind], self.years[kind], self.heads[kind], self.ars[kind],
                      self.key_rel[kind], self.satisfaction[kind], self.p.pay.on_target_revenue,
                      self.p.market.satisfaction_start, scorecard, service, cap)

    def report(self, plan: str, kind: str, s: Scores, share: np.ndarray, t: int) -> None:
        """Log each unit's scorecard at the fiscal year end (month ``t``)."""
        u = self.maps[kind]
        for i in range(u.n):
            row: dict[str, float | str] = {
                "year": t // 12, "plan": plan, "unit": u.names[i],
                "frontline": float(u.frontline[i]), "heads": float(self.heads[kind][i])}
            names = FRONT_PARTS if u.frontline[i] else SERVICE_PARTS
            for j, name in enumerate(names):
                row[name] = float(s.parts[i, j])
            row["score"] = float(s.score[i])
            row["pool_share"] = float(share[i])
            self.log.append(row)
