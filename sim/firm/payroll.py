"""Payroll: measures, plans, pay and counterfactual pay (phase 5 of the month).

Measures are credited per plan's event (booking, delivery or collection); every plan in force
pays its members, and — for learning — says what each person *would* have been paid under each
candidate (the counterfactual measures of :mod:`sim.firm.counterfactual`), what each AR would
have been paid at each discount level and timing action, and what one more unit of an AR's
revenue pays that AR (the marginal pay that moves SR/FR reference pay, M5). Only here are plans
called; nothing here branches on which plan is in force — plans declare what they need
(``crediting``, ``scope``, ``pool_level``, ``clawback``, ``budget_balanced``).

Iron triangles with ``org.triangle_pay=scorecard`` pay their members one uncapped team scorecard
instead of their own plans; with ``pool`` a triangle is a unit of the gain-sharing pool. Units of
organisations, their scorecards and the value each person added come from
:mod:`sim.firm.units`. The pay-raise policy (S6, M6) scales plans that pay only sales.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from sim.behavior.state import of_plans
from sim.firm import counterfactual, later, units
from sim.firm.counterfactual import Deltas
from sim.firm.fulfilment import Credited, Events
from sim.firm.ledger import Lines
from sim.firm.org import Org
from sim.firm.params import (
    HELP_TASKS,
    MEASURES,
    RND,
    ROLES,
    SALES,
    SUPPLY,
    TEACH,
    Params,
)
from sim.firm.skills import Taught
from sim.plans import GainSharing, Groups, PeriodState, Plan, build_plan, horizon
from sim.scheme import Scheme, build_scheme

#: Each money measure and the credited amount it is made of: net revenue or margin. The one map
#: of crediting, counterfactual changes and clawbacks.
MONEY: tuple[tuple[str, str], ...] = (("revenue", "revenue"), ("margin", "margin"),
                                      ("profit", "margin"), ("team_revenue", "revenue"))
#: Candidate kinds whose measures payroll prices.
KINDS = ("effort", "discount", "timing", "timing_next", "timing_zero", "probe", "probe_zero")
TRIANGLE_PLAN = "_triangle"


def _tiled(base: Mapping[str, np.ndarray], m: int, writable: tuple[str, ...]
           ) -> dict[str, np.ndarray]:
    """Every measure repeated over ``m`` candidates.

    Copies for the ``writable`` measures that candidates change, read-only broadcast views (no
    memory) for the rest.
    """
    return {k: (np.repeat(v[:, None], m, axis=1) if k in writable
                else np.broadcast_to(v[:, None], (v.size, m))) for k, v in base.items()}


@dataclass(frozen=True)
class Measured:
    """Realised and candidate measures of the month.

    Attributes:
        realised: ``realised[event][measure]`` ``(N,)``.
        candidates: ``candidates[kind][event][measure]`` ``(N, M)`` for the kinds of
            :data:`KINDS` (effort: M = the largest K·G of any role); only for the crediting
            events of plans in force.
        n_effort: M, the effort candidates per seat.
        n_discount: Discount levels an AR can choose.
        n_timing: Timing actions an AR can choose.
        rest: With ``firm.teaching`` on, per measure, the change ``(N, M)`` each effort
            candidate makes to the sum of that measure over one's teammates (what one's
            teaching gives them: ``kpi``, and its money value in ``profit`` and
            ``value_added``); ``None`` when off.
    """

    realised: dict[str, dict[str, np.ndarray]]
    candidates: dict[str, dict[str, dict[str, np.ndarray]]]
    n_effort: int
    n_discount: int
    n_timing: int
    rest: dict[str, np.ndarray] | None = None


def measures(eff: list[np.ndarray], cand: list[np.ndarray], events: Events, deltas: Deltas,
             new_accounts: np.ndarray, org: Org, used: set[str], n_discount: int, n_timing: int,
             p: Params, rng: np.random.Generator, credit: units.Credit | None = None,
             taught: Taught | None = None) -> Measured:
    """Realised and candidate measures per crediting event, over all people.

    KPI output is own-KPI effort times productivity (times one's ability with ``taught``,
    :mod:`sim.firm.skills`) plus a shock drawn from ``rng`` (the same shock under every
    candidate); ``help`` is effort on the role's helping tasks. With
    ``firm.kpi_value`` the KPI's money value is operating cost saved, credited to its maker's
    ``profit``; ``value_added`` (money) needs the month's attribution ``credit``
    (:mod:`sim.firm.units`), else it is 0.
    """
    fp = p.firm
    n = org.n
    kpi = np.zeros(n)
    help_ = np.zeros(n)
    noise = fp.kpi_noise * rng.standard_normal(n)
    m = max(c.shape[1] * c.shape[2] for c in cand)
    kpi_c = np.repeat(kpi[:, None], m, axis=1)
    help_c = np.zeros((n, m))
    taught_kpi = None if taught is None else np.zeros((n, m))
    for r in range(4):
        rows = org.idx[r]
        tasks = fp.tasks[ROLES[r]]
        flat = cand[r].reshape(rows.size, -1, len(tasks))
        kg = flat.shape[1]
        hidx = [tasks.index(x) for x in HELP_TASKS[r]]
        help_[rows] = eff[r][:, hidx].sum(axis=1)
        hc = flat[..., hidx].sum(axis=-1)
        help_c[rows, :kg] = hc
        help_c[rows, kg:] = help_[rows][:, None]
        if r != SALES:
            prod = fp.kpi_productivity[ROLES[r]]
            if taught is not None:  # own ability; a teaching candidate moves the teammates'
                ti = tasks.index(TEACH)
                moved = flat[..., ti] - eff[r][:, ti][:, None]
                assert taught_kpi is not None
                taught_kpi[rows, :kg] = taught.reach[rows][:, None] * moved
                prod = prod * taught.ability[rows]
            own = tasks.index("own_kpi")
            kpi[rows] = np.maximum(prod * eff[r][:, own] + noise[rows], 0.0)
            kc = np.maximum(np.reshape(prod, (-1, 1)) * flat[..., own] + noise[rows][:, None],
                            0.0)
            kpi_c[rows, :kg] = kc
            kpi_c[rows, kg:] = kpi[rows][:, None]
    sales = org.idx[SALES]
    kv = fp.kpi_value_by_role[org.role]
    valued = bool(kv.any())  # the first model: own KPI earns pay and nothing else
    kpi_money, kpi_money_c = kv * kpi, kv[:, None] * kpi_c
    rest = None
    if taught_kpi is not None:  # teammates share one's role, so one's own KPI value per unit
        moved_money = kv[:, None] * taught_kpi
        rest = {"kpi": taught_kpi, "profit": moved_money, "value_added": moved_money}
    va, va_c = np.zeros(n), np.broadcast_to(np.zeros(n)[:, None], (n, m))
    if credit is not None:
        d_margin = np.zeros((n, m))
        ks = deltas.sales["margin"].shape[1]
        d_margin[sales, :ks] = deltas.sales["margin"]
        for r in (RND, SUPPLY):
            dp = deltas.support[ROLES[r]]["profit"]
            d_margin[org.idx[r], :dp.shape[1]] = dp
        va, va_c = units.value_added(credit, org, help_, help_c, d_margin, kpi_money, kpi_money_c)
    realised: dict[str, dict[str, np.ndarray]] = {}
    cands: dict[str, dict[str, dict[str, np.ndarray]]] = {kind: {} for kind in KINDS}
    changed = tuple(key for key, _ in MONEY)
    lt = deltas.later  # later payoffs of ARs' effort candidates (sim.firm.later), or None
    probe_amount = {"revenue": 1.0, "margin": p.market.run_rate_margin}
    timing = counterfactual.timing_kinds(deltas, p.behavior.timing == "deal")
    for event in ("booking", "delivery", "collection"):
        money = events.of(event)
        base = {k: np.zeros(n) for k in MEASURES}
        for key, src in MONEY:
            base[key][sales] = getattr(money, src)
        base["new_accounts"][sales] = new_accounts
        base["kpi"], base["help"], base["value_added"] = kpi, help_, va
        if valued:
            base["profit"] = base["profit"] + kpi_money
        realised[event] = base
        if event not in used:
            continue
        ce = _tiled(base, m, changed + (("new_accounts",) if lt is not None else ()))
        ce["kpi"], ce["help"], ce["value_added"] = kpi_c, help_c, va_c
        if valued:
            ce["profit"] += kpi_money_c - kpi_money[:, None]
        ks = deltas.sales["revenue"].shape[1]
        for key, src in MONEY:
            ce[key][sales, :ks] += deltas.sales[src]
        if lt is not None:
            later.credit(ce, base, lt, sales, MONEY, None if credit is None else credit.fraction)
        for r in (RND, SUPPLY):
            rows = org.idx[r]
            d = deltas.support[ROLES[r]]
            kg = d["profit"].shape[1]
            ce["profit"][rows, :kg] += d["profit"]
            ce["team_revenue"][rows, :kg] += d["team_revenue"]
        cands["effort"][event] = ce
        cd = _tiled(base, n_discount, changed)
        for key, src in MONEY:
            cd[key][sales] += deltas.discount[src]
        if credit is not None:  # an AR keeps its attributed share of the margin it changes
            cd["value_added"] = _va_moved(va, credit, sales, deltas.discount["margin"])
        cands["discount"][event] = cd
        # One more unit of booked revenue (at the run-rate margin) for every AR: the marginal
        # pay others' help earns them, which moves SR/FR reference pay (M5).
        probe = {k: v[:, None].copy() for k, v in base.items()}
        for key, src in MONEY:
            probe[key][sales] += probe_amount[src]
        if credit is not None:
            probe["value_added"] = _va_moved(va, credit, sales,
                                             np.full((sales.size, 1), probe_amount["margin"]))
        cands["probe"][event] = probe
        cands["probe_zero"][event] = {k: v[:, None] for k, v in base.items()}
        for kind in ("timing", "timing_next", "timing_zero"):
            ct = _tiled(base, n_timing, changed)
            for key, src in MONEY:
                ct[key][sales] += timing[kind][src]
            if credit is not None:
                ct["value_added"] = _va_moved(va, credit, sales, timing[kind]["margin"])
            cands[kind][event] = ct
    return Measured(realised=realised, candidates=cands, n_effort=m, n_discount=n_discount,
                    n_timing=n_timing, rest=rest)


def teammates_inside(team: np.ndarray, g: Groups) -> np.ndarray | None:
    """Whose teammates share their pool and unit under ``g`` ``(N,)``; ``None``: everyone's.

    A plan reads ``rest`` as a change in the others of one's unit (and so of one's pool); where
    one's teammates are paid from other pools (a pool of one) teaching is worth nothing to one
    under this plan.

    Args:
        team: Teaching group of every seat ``(N,)``, −1 for ARs (``Skills.group``).
        g: A plan's pool groups.
    """
    key = g.pool.astype(np.int64) * (int(g.unit.max()) + 1) + g.unit
    learns = team >= 0
    n_groups = int(team.max()) + 1 if learns.any() else 0
    lo = np.full(n_groups, np.iinfo(np.int64).max)
    hi = np.full(n_groups, np.iinfo(np.int64).min)
    np.minimum.at(lo, team[learns], key[learns])
    np.maximum.at(hi, team[learns], key[learns])
    inside = np.zeros(team.size, dtype=bool)
    inside[learns] = lo[team[learns]] == hi[team[learns]]
    return None if inside[learns].all() else inside  # ARs' rows of ``rest`` are 0 anyway


def shared_rest(rest: dict[str, np.ndarray] | None, inside: np.ndarray | None
                ) -> dict[str, np.ndarray] | None:
    """``rest`` where the teammates share one's pool and unit (:func:`teammates_inside`), else 0."""
    if rest is None or inside is None:
        return rest
    return {k: np.where(inside[:, None], v, 0.0) for k, v in rest.items()}


def _va_moved(va: np.ndarray, credit: units.Credit, sales: np.ndarray, d_margin: np.ndarray
              ) -> np.ndarray:
    """Value added under ARs' candidates that change their booked margin by ``d_margin``."""
    out = np.repeat(va[:, None], d_margin.shape[1], axis=1)
    out[sales] += credit.fraction[sales][:, None] * d_margin
    return out


def clawed_back(ev: Mapping[str, np.ndarray], written_off: Credited, sales: np.ndarray
                ) -> dict[str, np.ndarray]:
    """Credited measures (``(N,)`` or candidates ``(N, M)``) net of this month's write-offs.

    A write-off reverses a credit given earlier; it does not depend on this month's effort, so
    realised and candidate measures lose the same amount.
    """
    out = dict(ev)
    for key, src in MONEY:
        v = out[key].copy()
        wo = getattr(written_off, src)
        v[sales] -= wo if v.ndim == 1 else wo[:, None]
        out[key] = v
    return out


@dataclass(frozen=True)
class Paid:
    """What phase 5's pay made.

    Attributes:
        pay: This month's pay per seat ``(N,)`` (salary plus every plan's payout).
        effort: Counterfactual pay per effort candidate ``(N, M)``.
        discount: Counterfactual pay per discount level ``(N, G_discount)`` (ARs' rows).
        timing_now: This month's pay per timing action ``(N, 4)`` (ARs' rows).
        timing_next: Change in next month's pay per timing action ``(N, 4)``.
        ar_marginal: Pay per unit of an AR's booked revenue, per AR ``(N_sales,)``.
        next_features: Per plan that sets a decision state: the features after this month
            under each effort candidate.
        kpi_savings: Operating cost saved by own-KPI output this month (``firm.kpi_value``);
            ``None`` when KPI is not valued.
        peer: Change in the total pay of the others who share one's pools, per effort
            candidate ``(N, M)`` (what a peer sanction is levied on); ``None`` when the
            sanction is off.
    """

    pay: np.ndarray
    effort: np.ndarray
    discount: np.ndarray
    timing_now: np.ndarray
    timing_next: np.ndarray
    ar_marginal: np.ndarray
    next_features: dict[str, tuple[np.ndarray, ...]]
    kpi_savings: float | None = None
    peer: np.ndarray | None = None


class Payroll:
    """The plans in force, their period states and the logs of pooled pay.

    Args:
        scheme_cfg: The scheme's config (``scheme`` or ``rollout.scheme``).
        org: Who sits where.
        p: The firm's parameters.
    """

    def __init__(self, scheme_cfg: Mapping[str, Any], org: Org, p: Params, lines: Lines,
                 teammates: np.ndarray | None = None) -> None:
        self.org, self.p, self.lines = org, p, lines
        #: Teaching group of every seat with ``firm.teaching`` on (``Skills.group``), else None.
        self.teammates = teammates
        # Per pooled plan and month: pay to each pool that has members (trap detection).
        self.pool_log: dict[str, list[np.ndarray]] = {}
        self.pool_log_start: dict[str, int] = {}  # month of each log's first entry
        self.unit_log: list[dict[str, float | str]] = []  # units' yearly scorecards (S9)
        #: Work-group size per seat when a peer sanction is on (issue 19), else ``None``.
        self.work_group = (units.work_groups(org, lines, p) if p.behavior.sanction_strength > 0
                           else None)
        self.switch(scheme_cfg)

    def switch(self, scheme_cfg: Mapping[str, Any]) -> None:
        """Put a scheme in force: its plans and salaries, fresh pay periods starting now."""
        self.scheme: Scheme = build_scheme(scheme_cfg)
        self.plan_of_role: list[list[str]] = [list(self.scheme.roles[r].plans) for r in ROLES]
        self.plans: dict[str, Plan] = dict(self.scheme.plans)
        self.triangle: dict[str, Plan] = self._triangle_pay()
        # On the realised basis, salaries move by the offsets that equalise realised pay.
        offset = self.p.pay.salary_offset(self.scheme.name)
        self.salary = np.array([self.scheme.roles[ROLES[r]].salary + offset[ROLES[r]]
                                for r in self.org.role])
        self.state: dict[str, PeriodState] = {name: plan.initial_state(self.org.n)
                                              for name, plan in self.all_plans().items()}
        # Looking to the period's end (behavior.horizon: period): every seat's pace of each
        # periodic plan's measures (a new scheme's forecasts start afresh).
        b = self.p.behavior
        self.pace: dict[str, horizon.Pace] = (
            {name: horizon.Pace(b.forecast_memory) for name, plan in self.all_plans().items()
             if plan.periodic} if b.horizon == "period" else {})
        # Plans paying on one's own result can pay in steps (a quota, a curve's threshold):
        # many points; a pool is smooth in one's own result and each point re-splits it.
        self.quadrature = {"individual": horizon.nodes(b.forecast_nodes),
                           "pooled": horizon.nodes(b.forecast_pool_nodes)}
        # Per role, the plans that set its decision state: fixed while the scheme is in force.
        self._state_plans = [
            [names[i] for i in of_plans([self.plans[n].decision_space() for n in names],
                                        b.states_from)[0]]
            for names in self.plan_of_role]
        self._groups: dict[str, tuple[np.ndarray, Groups]] | None = None
        self._inside: dict[str, np.ndarray | None] = {}  # per plan, see teammates_inside
        # Units of organisations and their scorecards (issue 18), for the plans that ask.
        gs = [pl for pl in self.plans.values() if isinstance(pl, GainSharing)]
        kinds = {pl.units for pl in gs if pl.units == "organisations"
                 or pl.unit_score == "scorecard"}
        reads_va = any("value_added" in pl.measures for pl in self.all_plans().values())
        self.units = units.UnitBook(self.org, self.lines, self.p, kinds, reads_va)
        self.units.log = self.unit_log  # one log across a rollout's schemes

    def _triangle_pay(self) -> dict[str, Plan]:
        """Shared pay in triangles: members' variable pay becomes one team scorecard plan.

        Budget-neutral at target: the per-member bonus is the mean on-target variable pay of the
        triangle's roles (from the calibration reference), paid on team revenue, uncapped.
        """
        if self.org.n_triangles == 0 or self.p.org.triangle_pay != "scorecard":
            return {}
        ref = self.p.pay
        var = [ref.otc[ROLES[r]] / 12 - self.scheme.roles[ROLES[r]].salary
               for r in (SALES, RND, SUPPLY)]
        return {TRIANGLE_PLAN: build_plan(
            {"kind": "team_scorecard", "weights": {"team_revenue": 1.0},
             "target": {"team_revenue": ref.on_target_revenue / 3}, "bonus": float(np.mean(var)),
             "equal_share": 1.0, "contribution": {"help": 1.0}}, "org.triangle_pay")}

    def all_plans(self) -> dict[str, Plan]:
        """Every plan in force: the scheme's and the triangle plan."""
        return {**self.plans, **self.triangle}

    def state_plans(self, r: int) -> list[str]:
        """Names of the plans that set role ``r``'s decision state (``behavior.states_from``)."""
        return self._state_plans[r]

    def decision_space(self, r: int) -> list[dict[str, Any]]:
        """Decision-state bins of role ``r``: ``StateSpace`` keyword arguments per state plan.

        Their joint count is bounded when the config is loaded (``sim.config.validate_run``).
        """
        return [self.plans[n].decision_space() for n in self.state_plans(r)]

    def decision_features(self, r: int) -> tuple[np.ndarray, ...] | None:
        """(months left, attainment, target ratio) of every seat under each state plan of ``r``.

        The plans' triples are concatenated in the order of :meth:`state_plans`.
        """
        names = self.state_plans(r)
        if not names:
            return None
        return tuple(f for n in names for f in self.plans[n].decision_features(self.state[n]))

    def crediting_events(self) -> set[str]:
        """The events some plan in force credits at."""
        return {plan.crediting for plan in self.all_plans().values()}

    def groups(self) -> dict[str, tuple[np.ndarray, Groups]]:
        """Members and pool groups of every plan in force (cached: the org is fixed)."""
        if self._groups is not None:
            return self._groups
        org, out = self.org, {}
        in_tri = (org.team >= 0) & bool(self.triangle)
        alone = np.where(org.team >= 0, org.team, org.n_triangles + np.arange(org.n))
        for name, plan in self.plans.items():
            members = np.isin(org.role, [ROLES.index(r) for r in self.scheme.members(name)])
            members &= ~in_tri
            u = self.units.maps.get(getattr(plan, "units", "roles")) or units.roles(org)
            level = plan.pool_level
            if level == "firm":
                pool = np.zeros(org.n, dtype=np.intp)
            elif level == "unit":
                pool = u.unit.copy()
            else:  # a team: the triangle, else each person alone
                pool = alone
            out[name] = (members, Groups(pool=pool, unit=u.unit, frontline=u.frontline,
                                         score=np.ones(u.n), active=members))
        for name in self.triangle:
            n_pools = int(alone.max()) + 1
            out[name] = (in_tri.copy(), Groups(
                pool=alone, unit=alone.copy(), frontline=np.ones(n_pools, bool),
                score=np.ones(n_pools), active=in_tri.copy()))
        self._groups = out
        return out

    def _counterfactual(self, plan: Plan, ev: dict[str, np.ndarray],
                        cand: dict[str, np.ndarray], state: PeriodState, g: Groups,
                        rows: np.ndarray, ratchet: bool = False,
                        peer: np.ndarray | None = None, rest: dict[str, np.ndarray] | None = None,
                        now: np.ndarray | None = None, pace: horizon.Pace | None = None
                        ) -> np.ndarray:
        """Counterfactual pay of ``rows`` under their candidates, ``(len(rows), M)``.

        A plan that reads one's own measures alone is evaluated on those rows only (the bulk of
        the month's work otherwise); a pooled plan needs everyone's measures. ``ratchet`` adds
        the value of the candidate's effect on next period's target. With ``peer`` (the peer
        sanction on), a pooled plan also adds to it what each candidate does to the others' pay.
        ``rest`` (teaching on) is what each candidate gives the teammates; only a pooled plan
        reads others' results. With a ``pace`` (``behavior.horizon: period``) a candidate is
        valued by what it changes in the period's expected payout (:mod:`sim.plans.horizon`),
        on top of this month's realised pay ``now`` (``None``: a difference of two valuations).
        """
        groups: Groups | None = g
        if plan.scope == "individual":  # it reads only its own measures of these rows
            ev = {k: ev[k][rows] for k in plan.measures}
            cand = {k: cand[k][rows] for k in plan.measures}
            state, groups = state.rows(rows), None
            rest = None
            pace = None if pace is None else pace.rows(rows)
            now = None if now is None else now[rows]
        quadrature = self.quadrature["individual" if plan.scope == "individual" else "pooled"]
        out = horizon.counterfactual(plan, ev, cand, state, groups, rest, pace, quadrature, now)
        if peer is not None and plan.budget_balanced:  # only a pool moves others' pay
            peer[rows] += plan.peer_counterfactual(ev, cand, state, groups, rest, own=out)[rows]
        if ratchet:
            out = out + plan.next_period_value(ev, cand, state, groups,
                                               self.p.behavior.ratchet_discount)
        return out if plan.scope == "individual" else out[rows]

    def pay(self, measured: Measured, events: Events, features_for: set[str], month: int
            ) -> Paid:
        """This month's pay, and counterfactual pay for every candidate kind.

        Args:
            measured: The month's realised and candidate measures.
            events: The month's credits (for clawbacks of write-offs).
            features_for: Plans whose next decision features the learners need.
            month: The month (for the pooled-pay logs).
        """
        org = self.org
        realised, cands = measured.realised, measured.candidates
        groups = self.groups()
        m, gd, gt = measured.n_effort, measured.n_discount, measured.n_timing
        pay = self.salary.copy()
        cf = np.repeat(self.salary[:, None], m, axis=1)
        cfd = np.repeat(self.salary[:, None], gd, axis=1)
        t_now = np.repeat(self.salary[:, None], gt, axis=1)
        marginal = np.zeros(org.n)
        t_next = np.zeros((org.n, gt))
        next_features: dict[str, tuple[np.ndarray, ...]] = {}
        peer = None if self.work_group is None else np.zeros((org.n, m))
        sales = org.idx[SALES]
        for name, plan in self.all_plans().items():
            members, g = groups[name]
            if isinstance(plan, GainSharing) and plan.unit_score == "scorecard":
                g = self._scored(name, plan, g, members, month)
            ev = realised[plan.crediting]
            cand = {kind: cands[kind][plan.crediting] for kind in cands}
            if plan.clawback and plan.crediting != "collection":
                ev = clawed_back(ev, events.written_off, sales)
                cand = {kind: clawed_back(c, events.written_off, sales)
                        for kind, c in cand.items()}
            before = self.state[name]
            p, after = plan.pay(ev, before, g)
            everyone = np.flatnonzero(members)
            ars = np.flatnonzero(members & (org.role == SALES))
            pace = self.pace.get(name)
            if pace is not None:
                pace.observe(horizon.observed(plan, ev))
            # Counterfactual pay is needed for members only, and for discount, timing and the
            # probe for member ARs only.
            c = self._counterfactual(plan, ev, cand["effort"], before, g, everyone, ratchet=True,
                                     peer=peer, rest=self._rest(name, measured.rest, g),
                                     now=p, pace=pace)
            c_d = self._counterfactual(plan, ev, cand["discount"], before, g, ars, now=p,
                                       pace=pace)
            c_t = self._counterfactual(plan, ev, cand["timing"], before, g, ars, now=p,
                                       pace=pace)
            c_p = (self._counterfactual(plan, ev, cand["probe"], before, g, ars, pace=pace)
                   - self._counterfactual(plan, ev, cand["probe_zero"], before, g, ars,
                                          pace=pace))[:, 0]
            if name in features_for:
                next_features[name] = plan.next_features(before, cand["effort"])
            self.state[name] = after
            pay += np.where(members, p, 0.0)
            if plan.budget_balanced:
                sums = np.bincount(g.pool, weights=np.where(members, p, 0.0),
                                   minlength=int(g.pool.max()) + 1)
                has = np.bincount(g.pool, weights=members.astype(float),
                                  minlength=sums.size) > 0
                self.pool_log_start.setdefault(name, month)
                self.pool_log.setdefault(name, []).append(sums[has])
            cf[everyone] += c
            cfd[ars] += c_d
            # Next month's pay, with this month's measures standing in for next month's.
            c_n = (self._counterfactual(plan, ev, cand["timing_next"], after, g, ars, pace=pace)
                   - self._counterfactual(plan, ev, cand["timing_zero"], after, g, ars,
                                          pace=pace))
            t_now[ars] += c_t
            marginal[ars] += c_p
            t_next[ars] += c_n
        return Paid(pay=pay, effort=cf, discount=cfd, timing_now=t_now, timing_next=t_next,
                    ar_marginal=marginal[sales], next_features=next_features,
                    kpi_savings=self._kpi_savings(realised["booking"]["kpi"]), peer=peer)

    def _rest(self, name: str, rest: dict[str, np.ndarray] | None, g: Groups
              ) -> dict[str, np.ndarray] | None:
        """What teaching gives the teammates, as plan ``name`` can price it (pools are fixed)."""
        if rest is None or self.teammates is None:
            return None
        if name not in self._inside:
            self._inside[name] = teammates_inside(self.teammates, g)
        return shared_rest(rest, self._inside[name])

    def _kpi_savings(self, kpi: np.ndarray) -> float | None:
        """Operating cost the month's own-KPI output saved (``None``: KPI is not valued)."""
        kv = self.p.firm.kpi_value_by_role
        return float((kv[self.org.role] * kpi).sum()) if kv.any() else None

    def _scored(self, name: str, plan: GainSharing, g: Groups, members: np.ndarray, month: int
                ) -> Groups:
        """``g`` with the units' scorecard scores of the year to date, and how candidates move them.

        At each fiscal year end the units' parts, scores and pool shares are logged (S9).
        """
        sc = self.units.scores(plan.units, dict(plan.scorecard), dict(plan.service),
                               plan.attainment_cap)
        scored = replace(g, score=sc.score, slopes=sc.slopes)
        if month % 12 == 11:
            sharing = members if plan.leavers == "forfeit" else np.ones_like(members)
            # At level team a unit is cut along its members' pools: no one share to report.
            share = (np.full(sc.score.size, np.nan) if plan.pool_level == "team"
                     else plan.unit_shares(scored, sharing))
            self.units.report(name, plan.units, sc, share, month)
        return scored

    def raise_rates(self, pay_smooth: np.ndarray | None, outside: np.ndarray) -> bool:
        """Raise sales pay at fiscal year end when too many ARs earn below their outside option.

        The stated, switchable policy of S6 ("press the firm to raise commission rates", M6):
        with ``firm.rate_raise.enabled``, if at least ``trigger`` of the ARs' smoothed pay is below
        their outside option, every plan that pays only sales is replaced by the same plan paying
        ``1 + step`` times as much (:meth:`sim.plans.Plan.scaled`). Plans shared with other roles
        are left alone.

        Returns:
            Whether a plan was raised.
        """
        policy = self.p.firm.rate_raise
        if not policy.enabled or pay_smooth is None:
            return False
        sales = self.org.idx[SALES]
        below = float((pay_smooth[sales] < outside[sales]).mean())
        if below < policy.trigger:
            return False
        factor = 1.0 + policy.step
        raised = [name for name in self.plans if self.scheme.members(name) == ("sales",)]
        for name in raised:
            self.plans[name] = self.plans[name].scaled(factor)
        return bool(raised)  # a firm whose sales share every plan with others has nothing to raise
