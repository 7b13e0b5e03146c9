"""The firm: people in roles learning under a scheme, serving a key-account market.

One month, simultaneously for everyone:

1. every person draws effort from their role's learner (state from their first plan), and every
   AR draws a discount level from a second learner (price concessions, M7);
2. relationships, competitors, hunting and new opportunities move (``sim.market``);
3. SR support, FR bid support and AR coordination reach open deals: silo pools serve deals by
   product line, iron triangles serve only their own accounts;
4. deals meet their gate (ATI, ATB, ATC); won deals are booked, later delivered (on time if the
   FR delivery capacity suffices) and collected;
5. measures are credited, plans pay, and every person values every candidate effort level by
   the pay the plans *would* have paid (same uniforms, colleagues as they were), then learns;
6. people whose pay falls below their outside option may quit and are replaced by new hires.

Counterfactuals are local to the month: a candidate changes this month's ATC outcomes (through
relationship, pitch, support, coordination and discount), run-rate orders and KPI output; effects
that only show later (relationship stock, accounts hunted, delivery reputation) are not valued
unless a plan pays for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import mesa
import numpy as np

from sim.behavior import Learner, LearnerParams, Preferences
from sim.behavior.state import StateSpace
from sim.effort import EffortSpace, job_description_prior
from sim.market import (
    ATB,
    ATC,
    ATI,
    COLLECTED,
    DELIVERED,
    LOST,
    WON,
    WRITTEN_OFF,
    Accounts,
    Deals,
    Lines,
)
from sim.plans import Groups, PeriodState, Plan, build_plan
from sim.rng import spawn_streams
from sim.scheme import ROLES, Scheme, build_scheme

SALES, RND, SUPPLY, SUPPORT = range(4)
#: Measures every plan may read, per person and month.
MEASURES = ("revenue", "margin", "profit", "team_revenue", "kpi", "help", "new_accounts")


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _tiled(base: Mapping[str, np.ndarray], m: int, writable: tuple[str, ...]
           ) -> dict[str, np.ndarray]:
    """Every measure repeated over ``m`` candidates.

    Copies for the ``writable`` measures that candidates change, read-only broadcast views (no
    memory) for the rest.
    """
    return {k: (np.repeat(v[:, None], m, axis=1) if k in writable
                else np.broadcast_to(v[:, None], (v.size, m))) for k, v in base.items()}


def _probit(u: np.ndarray) -> np.ndarray:
    from scipy.special import ndtri

    return ndtri(np.clip(u, 1e-12, 1 - 1e-12))


def headcounts(cfg: Mapping[str, Any]) -> dict[str, int]:
    """People per role: explicit ``firm.n_<role>`` or the size's total times the role share."""
    firm, total = cfg["firm"], int(cfg["size"]["n_people"])
    out = {}
    for role in ROLES:
        explicit = firm.get(f"n_{role}")
        out[role] = int(explicit) if explicit is not None else round(total * firm["share"][role])
    return out


class Firm(mesa.Model):
    """The firm model.

    Args:
        cfg: The composed run config as plain containers (see ``sim.simulation``).
    """

    def __init__(self, cfg: Mapping[str, Any]) -> None:
        self.cfg = cfg
        streams = spawn_streams(int(cfg["seed"]))
        super().__init__(rng=streams["prior"])
        self.rng_market = streams["market"]
        self.rng_customer = streams["customer"]
        self.rng_shocks = streams["shocks"]
        self.rng_learning = streams["learning"]
        self.rng_attrition = streams["attrition"]
        # Hunting draws depend on behaviour, so they get their own stream: the market stream
        # (opportunities, competitors) stays identical under every scheme and org.
        self.rng_hunting = streams["hunting"]
        mk, firm = cfg["market"], cfg["firm"]
        self.mk = mk
        self.month = 0
        self.months = int(cfg["months"])
        self.lines = Lines.from_config(mk["lines"])
        n_accounts = int(mk["n_accounts"] or cfg["size"]["n_accounts"])
        self.accounts = Accounts(n_accounts, mk, self.lines, self.rng_market)
        self.deals = Deals(capacity=max(1024, n_accounts))

        # -- people -------------------------------------------------------------------------------
        self.heads = headcounts(cfg)
        self.role = np.repeat(np.arange(4), [self.heads[r] for r in ROLES])
        self.n = self.role.size
        self.idx = [np.flatnonzero(self.role == r) for r in range(4)]
        self.scheme: Scheme = build_scheme(cfg["scheme"])
        self.spaces: list[EffortSpace] = []
        self.learners: list[Learner] = []
        self.priors: list[np.ndarray] = []
        lp = LearnerParams(**{k: float(v) for k, v in cfg["behavior"]["learner"].items()})
        self.learner_params = lp
        step = float(cfg["behavior"]["grid_step"])
        envy = float(firm["envy"])
        guilt = float(firm["guilt"])
        self.plan_of_role: list[list[str]] = [list(self.scheme.roles[r].plans) for r in ROLES]
        self._setup_org(cfg["org"])
        self.plans: dict[str, Plan] = dict(self.scheme.plans)
        self._setup_triangle_pay(cfg["org"])
        for r, role in enumerate(ROLES):
            tasks = tuple(firm["tasks"][role])
            k = len(tasks)
            cost = float(firm["cost"]) * (
                (1 - float(firm["substitution"])) * np.eye(k) + float(firm["substitution"])
            )
            n_r = self.idx[r].size
            base = np.array([float(firm["intrinsic"][role].get(t, 0.0)) for t in tasks])
            spread = self.rng.lognormal(0.0, float(firm["intrinsic_spread"]), (n_r, 1))
            space = EffortSpace(tasks, 1.0, step, cost, base[None, :] * spread)
            prior = job_description_prior(tasks, dict(firm["prior"][role]),
                                          float(firm["prior_level"]))
            prefs = Preferences(
                envy=np.full(n_r, envy if r != SALES else 0.0),
                guilt=np.full(n_r, guilt if r == SALES else 0.0),
                risk_aversion=np.zeros(n_r),
                reference=np.zeros((n_r, 1), dtype=np.intp),
            )
            primary = self._primary_plan(r)
            states = StateSpace(**primary.decision_space()) if primary else StateSpace()
            self.spaces.append(space)
            self.priors.append(prior)
            self.learners.append(
                Learner(space, lp, np.tile(prior, (n_r, 1)), prefs, states.n_states,
                        states.groups())
            )
        self.state_spaces = [
            StateSpace(**p.decision_space()) if p else StateSpace()
            for p in (self._primary_plan(r) for r in range(4))
        ]
        dmax = float(mk["max_discount"])
        self.discount_space = EffortSpace(("discount",), dmax, dmax / 25, np.zeros((1, 1)))
        self.discount_learner = Learner(
            self.discount_space, lp, np.full((self.heads["sales"], 1), dmax / 5)
        )
        # Deal timing (M3): -1 slip won deals a month, 0 natural, +1/+2 pull deals in.
        # It depends on where the AR stands in the pay period, so it has the AR's states.
        self.timing_space = EffortSpace(("timing",), 3.0, 1.0, np.zeros((1, 1)))
        sales_states = self.state_spaces[SALES]
        self.timing_learner = Learner(
            self.timing_space, lp, np.ones((self.heads["sales"], 1)),
            n_states=sales_states.n_states, state_groups=sales_states.groups())
        self.plan_state = {name: plan.initial_state(self.n) for name, plan in self.plans.items()}
        self.ratchet_discount = float(cfg["behavior"]["ratchet_discount"])
        # Ablation switch: roles whose people never update (they keep the job description's
        # split and the starting discount), to separate one role's response from the others'.
        self.frozen = frozenset(str(r) for r in cfg["behavior"]["frozen"])
        # Gate weights (rows ATI, ATB, ATC; columns bias, relationship, fit, credibility, price),
        # read once: they are used for every deal and candidate every month.
        self.gate_weights = np.array([[float(mk["gates"][g][k]) for k in
                                       ("bias", "relationship", "fit", "credibility", "price")]
                                      for g in ("ati", "atb", "atc")])
        self.company_tiering = str(cfg["tiering"]["mode"]) == "company"
        # Pooled-support counterfactuals by a search over candidate supplies (all groups at
        # once; exact when outcomes are monotone in supply, i.e. gate weights ≥ 0) or directly
        # per group, candidate and deal. Both give identical outcomes (tests compare them).
        negative = any(float(w) < 0 for gate in mk["gates"].values()
                       for k, w in gate.items() if k != "bias")
        self.pool_method = "direct" if negative else "search"
        self.salary = np.array([self.scheme.roles[ROLES[r]].salary for r in self.role])
        self.outside = self._outside_options(cfg)
        self._assign_accounts(float(mk["prospect_share"]))
        self._retier(cfg["tiering"])
        self.knowledge = 0.0
        self.pending_hunts: list[tuple[int, np.ndarray, np.ndarray]] = []
        self._groups_cache: dict[str, tuple[np.ndarray, Groups]] | None = None
        # accumulators
        self.records: list[dict[str, float]] = []
        self.pay_log: list[np.ndarray] = []
        self.effort_mean_log: list[np.ndarray] = []
        self.hires = 0
        self.leavers = 0
        self.complaints = 0
        self._month_quits = 0
        self.effort_total_log: list[np.ndarray] = []
        self.quit_log: list[np.ndarray] = []  # who quit, per month (the seat is refilled)
        self.tender_id: int | None = None  # the deal of market.tender, once it has arrived
        self.knowledge_log: list[float] = []
        # Per pooled plan and month: pay to each pool that has members (trap detection).
        self.pool_log: dict[str, list[np.ndarray]] = {}
        self.pool_log_start: dict[str, int] = {}  # month of each log's first entry
        self.last_pay = np.zeros(self.n)
        self.last_effort: list[np.ndarray] = [np.tile(p, (i.size, 1)) for p, i in
                                              zip(self.priors, self.idx, strict=True)]

    # -- organisation -----------------------------------------------------------------------------
    def _primary_plan(self, r: int) -> Plan | None:
        names = self.plan_of_role[r]
        return self.scheme.plans[names[0]] if names else None

    def _setup_org(self, org: Mapping[str, Any]) -> None:
        n_s = self.heads["sales"]
        self.design = str(org["design"])
        n_tri = round(float(org["triangle_share"]) * n_s) if self.design == "iron_triangle" else 0
        n_tri = min(n_tri, self.heads["rnd"], self.heads["supply_chain"])
        self.n_triangles = n_tri
        # team of each person (-1 = silo); triangle t = (AR t, SR t, FR t)
        self.team = np.full(self.n, -1, dtype=np.intp)
        for r in (SALES, RND, SUPPLY):
            self.team[self.idx[r][:n_tri]] = np.arange(n_tri)
        # silo SR pools by strategic line; FR one pool
        strategic = np.flatnonzero(self.lines.strategic)
        self.sr_line = np.full(self.n, -1, dtype=np.intp)
        free_sr = self.idx[RND][n_tri:]
        if strategic.size:
            self.sr_line[free_sr] = strategic[np.arange(free_sr.size) % strategic.size]

    def _setup_triangle_pay(self, org: Mapping[str, Any]) -> None:
        """Shared pay in triangles: members' variable pay becomes one team scorecard plan."""
        self.triangle_plan: str | None = None
        if self.n_triangles == 0 or not bool(org["shared_pay"]):
            return
        # Budget-neutral at target: the per-member bonus is the mean on-target variable pay of
        # the triangle's roles (from the calibration reference), paid on team revenue, uncapped.
        cal = self.cfg["calibration"]
        var = [float(cal["otc"][ROLES[r]]) / 12 - self.scheme.roles[ROLES[r]].salary
               for r in (SALES, RND, SUPPLY)]
        target_rev = float(cal["on_target_monthly"]["sales"]["revenue"])
        self.triangle_plan = "_triangle"
        # Schemes are frozen; the triangle plan lives beside the scheme's plans.
        self.plans_extra = {
            "_triangle": build_plan(
                {"kind": "team_scorecard", "weights": {"team_revenue": 1.0},
                 "target": {"team_revenue": target_rev / 3}, "bonus": float(np.mean(var)),
                 "equal_share": 1.0, "contribution": {"help": 1.0}},
                "org.shared_pay",
            )
        }

    def _outside_options(self, cfg: Mapping[str, Any]) -> np.ndarray:
        share = float(cfg["firm"]["outside_option_share"])
        otc = cfg["calibration"]["otc"]
        return np.array([share * float(otc[ROLES[r]]) / 12 for r in self.role])

    def _assign_accounts(self, prospect_share: float) -> None:
        acc, n_s = self.accounts, self.heads["sales"]
        order = self.rng_market.permutation(acc.n)
        owned = order[round(prospect_share * acc.n):]
        acc.owner[owned] = np.arange(owned.size) % n_s

    def _retier(self, tiering: Mapping[str, Any]) -> None:
        """Tier A: company-wide score, or each unit's own view (sales by last year's revenue)."""
        acc = self.accounts
        top = max(1, round(float(tiering["top_share"]) * acc.n))
        if str(tiering["mode"]) == "company":
            score = acc.wallet * (0.5 + acc.relationship) * (acc.owner >= 0)
        else:
            score = acc.revenue_last_year + 1e-9 * acc.wallet  # sales' view: current revenue
        tier = np.zeros(acc.n, dtype=bool)
        tier[np.argsort(-score)[:top]] = True
        acc.tier_a = tier
        # Triangles take every owned tier-A account, largest first, round-robin; the triangle's
        # AR becomes the owner and hands their other accounts to silo ARs, so a triangle is
        # dedicated to its key accounts (S5). Re-tiering moves accounts between triangles and silos.
        acc.team[:] = -1
        if self.n_triangles:
            cand = np.flatnonzero(tier & (acc.owner >= 0))
            take = cand[np.argsort(-acc.wallet[cand], kind="stable")]
            acc.team[take] = np.arange(take.size) % self.n_triangles
            acc.owner[take] = acc.team[take]  # AR t leads triangle t
            n_s = self.heads["sales"]
            if n_s > self.n_triangles:
                handed = np.flatnonzero((acc.owner >= 0) & (acc.owner < self.n_triangles)
                                        & (acc.team < 0))
                acc.owner[handed] = self.n_triangles + np.arange(handed.size) % (
                    n_s - self.n_triangles)
            self._focus_shares()

    # -- one month --------------------------------------------------------------------------------
    def _task(self, r: int, name: str) -> int:
        return self.spaces[r].tasks.index(name)

    def _decision_states(self) -> list[np.ndarray]:
        out = []
        for r in range(4):
            plan_name = self.plan_of_role[r][0] if self.plan_of_role[r] else None
            if plan_name is None or self.state_spaces[r].n_states == 1:
                out.append(np.zeros(self.idx[r].size, dtype=np.intp))
                continue
            feats = self.plans[plan_name].decision_features(self.plan_state[plan_name])
            out.append(self.state_spaces[r].index(*(f[self.idx[r]] for f in feats)))
        return out

    def step(self) -> None:
        """Advance one month (see the module docstring)."""
        t = self.month
        acc, mk = self.accounts, self.mk
        self._rollout(t)
        states = self._decision_states()
        eff, chosen = [], []
        for r in range(4):
            e, c = self.learners[r].act(self.rng_learning, states[r])
            eff.append(e)
            chosen.append(c)
        disc_eff, disc_idx = self.discount_learner.act(self.rng_learning)
        discount = disc_eff[:, 0]
        tim_eff, tim_idx = self.timing_learner.act(self.rng_learning, states[SALES])
        timing = np.rint(tim_eff[:, 0]).astype(np.intp) - 1
        self.last_effort = eff

        # 2. market -------------------------------------------------------------------------------
        self._focus_shares()  # portfolios as they stand at the start of the month
        rel_before = acc.relationship.copy()
        self._relationships(eff[SALES][:, self._task(SALES, "relationship")])
        acc.competitor = float(mk["competitor_persistence"]) * acc.competitor + float(
            mk["competitor_noise"]) * self.rng_market.standard_normal(acc.n)
        new_accounts = self._hunting(eff[SALES][:, self._task(SALES, "hunting")], t)
        self._new_deals(t)
        self._tender(t)
        k_rnd = eff[RND][:, self._task(RND, "knowledge")]
        self.knowledge = 0.95 * self.knowledge + float(k_rnd.mean() if k_rnd.size else 0.0)

        # 3-4. support and gates ------------------------------------------------------------------
        d = self.deals
        open_ = np.flatnonzero((d.stage <= ATC) & (d.created < t) & ~d.run_rate)
        ctx = self._deal_context(open_, eff)
        p = self._gate_probability(open_, ctx, discount)
        stage = d.stage[open_]
        u = np.where(stage == ATI, d.u_ati[open_], np.where(stage == ATB, d.u_atb[open_],
                                                            d.u_atc[open_]))
        passed = u < p
        tm = self._timing(open_, ctx, passed, stage, timing, discount)
        passed &= ~tm["slip_lost"]
        d.data["support_ratio"][open_] = ctx["support"]
        on_time = passed & (stage == ATC) & ~tm["slip"]
        won = open_[on_time | tm["pull_won"]]
        d.data["stage"][open_[~passed | (tm["pull"] & ~tm["pull_won"])]] = LOST
        adv = open_[passed & (stage < ATC) & ~tm["pull"]]
        d.data["stage"][adv] += 1
        d.data["stage"][won] = WON
        d.data["booked"][won] = t
        d.data["discount"][won] = discount[d.owner[won]]
        pulled = open_[tm["pull_won"]]
        d.data["discount"][pulled] = tm["pull_discount"][tm["pull_won"]]
        d.data["pulled"][pulled] = True
        d.data["slipped"][open_[tm["slip"]]] = True
        review = passed & (stage == ATB) & ~tm["pull"]
        self._review(open_[review], ctx, review, discount)
        run_rev = self._run_rate(eff[SALES][:, self._task(SALES, "volume")])
        d.add(account=np.full(run_rev.size, -1), owner=np.arange(run_rev.size),
                   value=run_rev, lines=np.zeros(run_rev.size, dtype=np.int64),
                   margin_rate=np.full(run_rev.size, float(mk["run_rate_margin"])),
                   created=np.full(run_rev.size, t), stage=np.full(run_rev.size, WON),
                   booked=np.full(run_rev.size, t), run_rate=np.ones(run_rev.size, bool))

        # 5. delivery and cash --------------------------------------------------------------------
        self._deliver(t, eff)
        self._collect(t)

        # 6. measures, pay, learning --------------------------------------------------------------
        atc = open_[stage == ATC]
        booked = self._event_measures(t)
        cand = [self.spaces[r].candidates(eff[r]) for r in range(4)]
        delta = self._counterfactual_deltas(atc, open_, ctx, eff, cand, discount, rel_before)
        delta.update(self._timing_deltas(tm, timing))
        self._delta = delta
        measures, cand_m = self._measures(eff, cand, booked, delta, new_accounts)
        pay, cand_pay, disc_pay = self._pay(measures, cand_m)
        self._learn(states, chosen, cand, pay, cand_pay, disc_pay, disc_idx)
        self._learn_timing(states[SALES], timing, tim_idx)
        self._attrition(pay)
        self._record(t, eff, pay, discount)
        self.month += 1
        if self.month % 12 == 0:
            acc.revenue_last_year = acc.revenue_ytd.copy()
            acc.revenue_ytd[:] = 0.0
            self._retier(self.cfg["tiering"])
            self._raise_policy()

    def _rollout(self, t: int) -> None:
        """Switch everyone to the ``rollout.scheme`` at the start of month ``rollout.month``.

        The first question of every real redesign: the new plans replace the old ones (new
        salaries, new pay periods starting now), and each person starts learning under them from
        the effort split they had (their current mean policy) rather than from scratch. Their
        learners are rebuilt because the new plans' decision states differ.
        """
        ro = self.cfg.get("rollout") or {}
        if ro.get("month") is None or not ro.get("scheme") or t != int(ro["month"]):
            return
        states = self._decision_states()
        current = [lr.mean_effort(s) for lr, s in zip(self.learners, states, strict=True)]
        timing_now = self.timing_learner.mean_effort(states[SALES])
        self.scheme = build_scheme(ro["scheme"])
        self.plan_of_role = [list(self.scheme.roles[r].plans) for r in ROLES]
        self.plans = dict(self.scheme.plans)
        self._setup_triangle_pay(self.cfg["org"])
        self.salary = np.array([self.scheme.roles[ROLES[r]].salary for r in self.role])
        self.state_spaces = [
            StateSpace(**p.decision_space()) if p else StateSpace()
            for p in (self._primary_plan(r) for r in range(4))
        ]
        lp = self.learner_params
        for r in range(4):
            old, st = self.learners[r], self.state_spaces[r]
            self.learners[r] = Learner(old.space, lp, current[r], old.preferences, st.n_states,
                                       st.groups())
        sales_states = self.state_spaces[SALES]
        self.timing_learner = Learner(self.timing_space, lp, timing_now,
                                      n_states=sales_states.n_states,
                                      state_groups=sales_states.groups())
        self.plan_state = {name: plan.initial_state(self.n) for name, plan in
                           self._all_plans().items()}
        self._groups_cache = None

    def _raise_policy(self) -> None:
        """Raise sales pay at fiscal year end when too many ARs earn below their outside option.

        The stated, switchable policy of S6 ("press the firm to raise commission rates", M6):
        with ``firm.rate_raise.enabled``, if at least ``trigger`` of the ARs' smoothed pay is below
        their outside option, every plan that pays only sales is replaced by the same plan paying
        ``1 + step`` times as much (:meth:`sim.plans.Plan.scaled`). Plans shared with other roles
        are left alone. Each raise counts in ``rate_pressure``.
        """
        policy = self.cfg["firm"]["rate_raise"]
        if not bool(policy["enabled"]) or not hasattr(self, "pay_smooth"):
            return
        sales = self.idx[SALES]
        below = float((self.pay_smooth[sales] < self.outside[sales]).mean())
        if below < float(policy["trigger"]):
            return
        factor = 1.0 + float(policy["step"])
        raised = [name for name in self.plans if self.scheme.members(name) == ("sales",)]
        for name in raised:
            self.plans[name] = self.plans[name].scaled(factor)
        if raised:  # a firm whose sales share every plan with others has nothing to raise
            self.records[-1]["rate_raises"] = 1.0  # the year-end month's record

    # -- market pieces ----------------------------------------------------------------------------
    def _relationships(self, e_rel: np.ndarray) -> None:
        acc = self.accounts
        acc.relationship = self._relationship_after(e_rel[np.maximum(acc.owner, 0)],
                                                    np.arange(acc.n), acc.relationship)

    def _relationship_after(self, e_owner: np.ndarray, a: np.ndarray, rel: np.ndarray
                            ) -> np.ndarray:
        """Relationship after a month in which the owner gave ``e_owner`` to the portfolio."""
        acc, mk = self.accounts, self.mk
        share = self._focus[a]
        owned = acc.owner[a] >= 0
        attention = e_owner * share
        gain = float(mk["relationship_gain"]) * np.maximum(
            attention - float(mk["attention_fixed_cost"]), 0.0)
        new = rel * (1 - float(mk["relationship_decay"])) + np.where(owned, gain, 0.0) * (1 - rel)
        return np.clip(new, 0.0, 1.0)

    def _focus_shares(self) -> np.ndarray:
        """Share of an AR's attention each owned account gets: ∝ √wallet (focus on big ones)."""
        acc = self.accounts
        w = np.sqrt(acc.wallet) * (acc.owner >= 0)
        tot = np.bincount(np.maximum(acc.owner, 0), weights=w, minlength=self.heads["sales"])
        self._focus = np.where(acc.owner >= 0, w / np.maximum(tot[np.maximum(acc.owner, 0)],
                                                               1e-12), 0.0)
        self._portfolio = np.bincount(np.maximum(acc.owner, 0),
                                      weights=w * (0.5 + acc.relationship),
                                      minlength=self.heads["sales"])
        if not hasattr(self, "_portfolio0"):
            self._portfolio0 = float(self._portfolio.mean()) or 1.0
        return self._focus

    def _hunting(self, e_hunt: np.ndarray, t: int) -> np.ndarray:
        """Prospects won by hunting join an AR's portfolio after three months."""
        acc = self.accounts
        won = np.zeros(self.heads["sales"])
        if self.pending_hunts and self.pending_hunts[0][0] == t:
            _, accts, ars = self.pending_hunts.pop(0)
            free = acc.owner[accts] < 0
            acc.owner[accts[free]] = ars[free]
            acc.relationship[accts[free]] = 0.3
            np.add.at(won, ars[free], 1.0)
            self._focus_shares()
        draws = self.rng_hunting.poisson(float(self.mk["hunting_rate"]) * np.maximum(e_hunt, 0))
        prospects = np.flatnonzero(acc.owner < 0)
        total = int(draws.sum())
        if total and prospects.size:
            pick = self.rng_hunting.choice(prospects, size=min(total, prospects.size),
                                          replace=False)
            ars = np.repeat(np.arange(draws.size), draws)[: pick.size]
            self.pending_hunts.append((t + 3, pick, ars))
        return won

    def _new_deals(self, t: int) -> None:
        """Opportunities arrive independently of behaviour (the same stream under every scheme)."""
        acc, mk, lines = self.accounts, self.mk, self.lines
        rate = float(mk["deal_rate"]) * self._demand(t) * np.sqrt(acc.wallet / acc.wallet.mean())
        hit = np.flatnonzero(self.rng_market.random(acc.n) < rate)
        m = hit.size
        if m == 0:
            return
        value = acc.wallet[hit] * self.rng_market.gamma(2.0, float(mk["deal_months_mean"]) / 2, m)
        bits = self.rng_market.random((m, len(lines.names))) < 0.5
        needs = ((acc.needs[hit][:, None] >> np.arange(len(lines.names))) & 1).astype(bool)
        bits &= needs
        # A deal always has a line: if the coin flips picked none, one of the account's needed
        # lines at random (not the first, which would tilt single-line deals to one line).
        pick = np.argmax(self.rng_market.random((m, len(lines.names))) * needs, axis=1)
        bits[np.arange(m), pick] |= ~bits.any(axis=1)
        mask = (bits * (1 << np.arange(len(lines.names)))).sum(axis=1).astype(np.int64)
        n_lines = bits.sum(axis=1)
        strategic = lines.mask_strategic(mask)
        n_strat = (bits * lines.strategic).sum(axis=1)
        u = self.rng_customer.random((m, 7))
        owner = acc.owner[hit]
        stage = np.where(owner >= 0, ATI, LOST)  # nobody covers a prospect: the competitor wins
        self.deals.add(
            account=hit, owner=owner, value=value, lines=mask, strategic=strategic,
            integrated=n_lines >= 2, margin_rate=lines.mask_margin(mask),
            sr_need=float(mk["sr_need"]) * n_strat * bool(mk["strategic_needs_sr"]),
            fr_need=float(mk["fr_need"]) * n_lines * (n_lines >= 2),
            created=np.full(m, t), stage=stage.astype(np.int8),
            u_ati=u[:, 0], u_atb=u[:, 1], u_atc=u[:, 2], u_late=u[:, 3],
            z_review=_probit(u[:, 4]), u_timing=u[:, 5], u_slip=u[:, 6],
        )

    def _demand(self, t: int) -> float:
        """Demand multiplier of month ``t``: ``market.shock.demand`` from its month on, else 1.

        A downturn (S6) scales opportunity arrivals and run-rate orders alike; the draws stay
        the same under every scheme (the multiplier does not depend on behaviour).
        """
        shock = self.mk["shock"]
        if shock["month"] is not None and t >= int(shock["month"]):
            return float(shock["demand"])
        return 1.0

    def _tender(self, t: int) -> None:
        """One large multi-product tender against a strong competitor (S4, ``market.tender``).

        At ``month`` it arrives on the tier-A account with the largest wallet: every product
        line (integrated and strategic), worth ``value_months`` of that account's wallet. While
        it is open the account's competitor has strength ``competitor`` (a strong rival that
        works as one team). Its uniforms come from the customer stream like any deal's.
        """
        spec = self.mk["tender"]
        if spec["month"] is None:
            return
        acc, d = self.accounts, self.deals
        if t == int(spec["month"]):
            cand = np.flatnonzero(acc.tier_a & (acc.owner >= 0))
            if cand.size == 0:
                return
            a = int(cand[np.argmax(acc.wallet[cand])])
            lines = self.lines
            mask = np.array([(1 << len(lines.names)) - 1], dtype=np.int64)
            n_strat = int(lines.strategic.sum())
            u = self.rng_customer.random(7)
            self.tender_id = int(d.add(
                account=np.array([a]), owner=acc.owner[[a]],
                value=np.array([acc.wallet[a] * float(spec["value_months"])]), lines=mask,
                strategic=np.array([n_strat > 0]), integrated=np.array([len(lines.names) > 1]),
                margin_rate=lines.mask_margin(mask),
                sr_need=np.array([float(self.mk["sr_need"]) * n_strat
                                  * bool(self.mk["strategic_needs_sr"])]),
                fr_need=np.array([float(self.mk["fr_need"]) * len(lines.names)]),
                created=np.array([t]), stage=np.array([ATI], dtype=np.int8),
                u_ati=u[[0]], u_atb=u[[1]], u_atc=u[[2]], u_late=u[[3]],
                z_review=_probit(u[[4]]), u_timing=np.array([1.0]), u_slip=u[[6]])[0])
        tid = self.tender_id
        if tid is not None and d.stage[tid] <= ATC:
            acc.competitor[d.account[tid]] = float(spec["competitor"])

    def _run_rate(self, e_vol: np.ndarray) -> np.ndarray:
        """Run-rate orders from an AR's existing accounts this month (start-of-month portfolio)."""
        mk = self.mk
        return (self._demand(self.month) * float(mk["volume_productivity"]) * np.maximum(
            e_vol, 0) ** float(
            mk["volume_exponent"]) * self._portfolio / self._portfolio0)

    def _review(self, reviewed: np.ndarray, ctx: dict[str, Any], mask: np.ndarray,
                discount: np.ndarray) -> None:
        """LTC gate review (S12) of deals that just passed ATB, when ``process.ltc_gates``.

        The review estimates the deal's ATC odds with noise (``review_noise``); a deal below
        ``review_threshold`` is withdrawn (its support goes to other deals), the others get a
        sharpened bid (``sharpen`` added to their fit at ATC).
        """
        proc = self.cfg["process"]
        if not bool(proc["ltc_gates"]) or reviewed.size == 0:
            return
        d, acc = self.deals, self.accounts
        a = d.account[reviewed]
        p_hat = self._atc_prob(ctx["rel"][mask], ctx["fit"][mask], ctx["cred"][mask],
                               discount[d.owner[reviewed]], acc.competitor[a])
        p_hat = p_hat + float(proc["review_noise"]) * d.z_review[reviewed]
        drop = p_hat < float(proc["review_threshold"])
        d.data["stage"][reviewed[drop]] = LOST
        d.data["reviewed_out"][reviewed[drop]] = True
        d.data["sharpened"][reviewed[~drop]] = True

    def _timing(self, open_: np.ndarray, ctx: dict[str, Any], passed: np.ndarray,
                stage: np.ndarray, timing: np.ndarray, discount: np.ndarray
                ) -> dict[str, np.ndarray]:
        """Deal timing this month (M3, M7), over the open deals.

        A deal's natural close month is its ATC month. On the share ``market.timing_control`` of
        deals the AR controls timing: *slip* (``timing = -1``) holds a deal that would close now
        at ATC for a month, at a risk ``market.slip_loss`` of losing it then (once per deal);
        *pull in* by ``timing = k ≥ 1`` months closes now every deal up to ``k`` months from its
        natural close, each passing its remaining gates on its own draws now, at the discount plus
        ``market.pull_discount`` per month advanced (within ``market.max_discount``). Also
        returns each AR's booking change under every timing action for the counterfactuals.
        """
        d, mk = self.deals, self.mk
        own = d.owner[open_]
        act = timing[own]
        movable = d.u_timing[open_] < float(mk["timing_control"])
        held = d.slipped[open_]
        slip_lost = held & (stage == ATC) & (d.u_slip[open_] < float(mk["slip_loss"]))
        ok = passed & ~slip_lost
        can_slip = ok & (stage == ATC) & movable & ~held
        ahead = np.where(stage == ATB, 1, np.where(stage == ATI, 2, 0))  # months to close
        disc = discount[own]
        pull_disc = np.minimum(disc + float(mk["pull_discount"]) * ahead,
                               float(mk["max_discount"]))
        comp = self.accounts.competitor[d.account[open_]]
        rel, fit, cred = ctx["rel"], ctx["fit"], ctx["cred"]
        p_pull = self._atc_prob(rel, fit, cred, pull_disc, comp)
        p_nat = self._atc_prob(rel, fit, cred, disc, comp)
        # A deal pulled two months must also pass ATB now, on its own ATB draw.
        atb_now = d.u_atb[open_] < self._prob(np.full(open_.size, ATB), rel, fit, cred,
                                              np.zeros(open_.size), comp)
        can_pull = ok & movable & (ahead > 0) & ((ahead == 1) | atb_now)
        u = d.u_atc[open_]
        pull_ok = can_pull & (u < p_pull)
        nat_ok = can_pull & (u < p_nat)
        value = d.value[open_]
        n_s = self.heads["sales"]
        gamma = float(self.cfg["behavior"]["time_discount"])

        def per_ar(mask: np.ndarray, dsc: np.ndarray, w: Any = 1.0) -> np.ndarray:
            """Booked revenue and margin per AR, shape ``(2, n_sales)``."""
            rev = np.bincount(own, weights=mask * w * value * (1 - dsc), minlength=n_s)
            mar = np.bincount(own, weights=mask * w * value * (d.margin_rate[open_] - dsc),
                              minlength=n_s)
            return np.stack([rev, mar])

        slip = can_slip & (act == -1)
        pull = can_pull & (act >= ahead)
        # Per AR and action (slip, natural, pull 1, pull 2): bookings moved into this month and
        # out of later months (a deal two months out counts one extra month of discounting).
        slip_v = per_ar(can_slip, disc)
        now, later = [-slip_v, 0 * slip_v], [(1 - float(mk["slip_loss"])) * slip_v, 0 * slip_v]
        for k in (1, 2):
            sel = ahead <= k
            now.append(per_ar(pull_ok & sel, pull_disc))
            later.append(-per_ar(nat_ok & sel, disc, gamma ** (ahead - 1)))
        return {
            "slip": slip, "slip_lost": slip_lost, "pull": pull, "pull_won": pull & pull_ok,
            "pull_discount": pull_disc, "now": np.stack(now, axis=-1),
            "later": np.stack(later, axis=-1),
        }

    def _timing_deltas(self, tm: dict[str, Any], timing: np.ndarray
                       ) -> dict[str, dict[str, np.ndarray]]:
        """Change in this month's and next month's bookings per AR under each timing action.

        Columns are the actions slip, natural, pull 1, pull 2 months; changes are against the
        action played. "Next month" collects what slipped deals bring (at the risk of loss) and
        what pulled deals would have booked at their natural close.
        """
        played = (timing + 1)[:, None]
        out: dict[str, dict[str, np.ndarray]] = {"timing": {}, "timing_next": {}}
        for key, col in (("revenue", 0), ("margin", 1)):
            for kind, arr in (("timing", tm["now"][col]), ("timing_next", tm["later"][col])):
                out[kind][key] = arr - np.take_along_axis(arr, played, axis=1)
        return out

    # -- deals: support, fit, gates ----------------------------------------------------------------
    def _groups_sr(self, people: np.ndarray) -> np.ndarray:
        """Support group of SR people: their triangle, else their line's pool."""
        strategic = np.flatnonzero(self.lines.strategic)
        pos = np.searchsorted(strategic, np.maximum(self.sr_line[people], 0))
        return np.where(self.team[people] >= 0, self.team[people], self.n_triangles + pos)

    def _deal_context(self, open_: np.ndarray, eff: list[np.ndarray]) -> dict[str, Any]:
        """Support, pitch, integration, fit and credibility of open deals this month."""
        acc, d, _mk, firm = self.accounts, self.deals, self.mk, self.cfg["firm"]
        a, owner = d.account[open_], d.owner[open_]
        team = acc.team[a]
        n_s = self.heads["sales"]
        sr = self._support_parts("sr", open_, team, eff)
        fr = self._support_parts("fr", open_, team, eff)
        sr_ratio, fr_ratio = sr["deal_ratio"], fr["deal_ratio"]
        need_sr, need_fr = d.sr_need[open_], d.fr_need[open_]
        # AR pitch for strategic deals and coordination of integrated ones
        strat = d.strategic[open_]
        integ = d.integrated[open_]
        n_strat = np.bincount(owner, weights=strat.astype(float), minlength=n_s)
        n_int = np.bincount(owner, weights=integ.astype(float), minlength=n_s)
        e = eff[SALES]
        pitch_need = float(firm["strategic_effort_need"]) * np.maximum(n_strat, 1)
        coord_need = float(firm["coordination_need"]) * np.maximum(n_int, 1)
        ctx: dict[str, Any] = {
            "sr": sr, "fr": fr, "sr_ratio": sr_ratio, "fr_ratio": fr_ratio,
            "pitch_need": pitch_need, "coord_need": coord_need,
            "pitch": np.minimum(1.0, e[owner, self._task(SALES, "strategic")] / pitch_need[owner]),
            "integration": self._integration(e[owner, self._task(SALES, "coordination")] /
                                             coord_need[owner], team),
            "rel": acc.relationship[a],
        }
        ctx["bonus"] = float(self.cfg["process"]["sharpen"]) * d.sharpened[open_]
        ctx["fit"] = self._fit(ctx["pitch"], sr_ratio, fr_ratio, ctx["integration"], strat, integ,
                               ctx["bonus"])
        ctx["cred"] = self._credibility(a, fr_ratio, integ)
        ctx["support"] = np.where(integ | (need_sr > 0), np.minimum(
            np.where(need_sr > 0, sr_ratio, 1.0), np.where(need_fr > 0, fr_ratio, 1.0)), np.nan)
        return ctx

    def _priority(self, open_: np.ndarray, deal: np.ndarray, view: np.ndarray) -> np.ndarray:
        """How a pool ranks the support parts of open deals: company tier or its own view (S1).

        Under ``tiering=company`` every pool gives tier-A accounts triple weight. Under
        ``by_unit`` each pool weighs a deal by its value times the account's share of wallet *as
        that unit sees it* (a per-unit, per-account perception drawn once), so units chase
        different "key accounts" and their support scatters across deals.
        """
        acc, d = self.accounts, self.deals
        if self.company_tiering:
            return np.where(acc.tier_a[d.account[open_]], 3.0, 1.0)[deal]
        value = d.value[open_] / max(float(d.value[open_].mean()) if open_.size else 1.0, 1e-9)
        return value[deal] * view

    def _support_parts(self, kind: str, open_: np.ndarray, team: np.ndarray,
                       eff: list[np.ndarray]) -> dict[str, np.ndarray]:
        """How SR support (``kind="sr"``) or FR bid support (``"fr"``) reaches open deals.

        Support is needed in *parts*, each served by one group's pooled effort, split over the
        group's parts in proportion to priority × need. A triangle serves every part of its
        accounts' deals. In silos, FR is one pool, while SR pools are organised by strategic
        product line: a deal spanning two strategic lines needs both lines' pools, and its
        support is the weakest part (S4: each product line pitches its own piece).

        Returns:
            ``deal`` (open position), ``group``, ``need``, ``share``, ``ratio`` per part;
            ``supply`` per group; ``people_group`` per SR/FR person; ``deal_ratio`` per open
            deal (1 where nothing is needed).
        """
        d, mk, t = self.deals, self.mk, self.n_triangles
        n_open = open_.size
        views = self.accounts.unit_view[d.account[open_]]  # (open, lines + 1)
        if kind == "sr":
            strategic = np.flatnonzero(self.lines.strategic)
            bits = ((d.lines[open_][:, None] >> strategic) & 1).astype(bool)
            per_line = float(mk["sr_need"]) * bool(mk["strategic_needs_sr"])
            total = d.sr_need[open_]
            silo_deal, silo_line = np.nonzero(bits & (team < 0)[:, None] & (per_line > 0))
            tri_deal = np.flatnonzero((team >= 0) & (total > 0))
            deal = np.concatenate([silo_deal, tri_deal])
            group = np.concatenate([t + silo_line, team[tri_deal]])
            view = np.concatenate([views[silo_deal, strategic[silo_line]],
                                   np.ones(tri_deal.size)])
            need = np.concatenate([np.full(silo_deal.size, per_line), total[tri_deal]])
            n_groups = t + max(strategic.size, 1)
            people = self.idx[RND]
            people_group = self._groups_sr(people)
            effort = eff[RND][:, self._task(RND, "support")]
        else:
            total = d.fr_need[open_]
            deal = np.flatnonzero(total > 0)
            group = np.where(team[deal] >= 0, team[deal], t)
            need = total[deal]
            view = views[deal, -1]
            n_groups = t + 1
            people = self.idx[SUPPLY]
            people_group = np.where(self.team[people] >= 0, self.team[people], t)
            effort = eff[SUPPLY][:, self._task(SUPPLY, "bid_support")]
        supply = np.bincount(people_group, weights=effort, minlength=n_groups)
        w = self._priority(open_, deal, view) * need
        tot = np.bincount(group, weights=w, minlength=n_groups)
        share = np.where(w > 0, w / np.maximum(tot[group], 1e-12), 0.0)
        ratio = np.minimum(1.0, supply[group] * share / np.maximum(need, 1e-12))
        deal_ratio = np.ones(n_open)
        np.minimum.at(deal_ratio, deal, ratio)
        return {"deal": deal, "group": group, "need": need, "share": share, "ratio": ratio,
                "supply": supply, "people_group": people_group, "deal_ratio": deal_ratio}

    def _integration(self, coord_ratio: np.ndarray, team: np.ndarray) -> np.ndarray:
        """Integration quality of integrated deals.

        A triangle integrates by structure; a silo through AR coordination beyond hand-off
        losses (S3).
        """
        h = float(self.mk["handoff"])
        silo = h + (1 - h) * np.minimum(1.0, coord_ratio)
        return np.where(np.broadcast_to(team >= 0, np.shape(silo)), 1.0, silo)

    def _fit(self, pitch: np.ndarray, sr: np.ndarray, fr: np.ndarray, integ: np.ndarray,
             strategic: np.ndarray, integrated: np.ndarray, bonus: Any = 0.0) -> np.ndarray:
        """Solution fit: complementary (min) across the inputs a deal needs, or additive (mean).

        ``bonus`` is the sharpening of a bid that passed an LTC review (capped at fit 1).
        """
        kf = 0.85 + 0.15 * self.knowledge / (1.0 + self.knowledge)
        one = np.ones(np.broadcast_shapes(np.shape(pitch), np.shape(sr), np.shape(fr),
                                          np.shape(integ)))
        needs_sr = bool(self.mk["strategic_needs_sr"])
        inputs = [np.where(strategic, pitch, one),
                  np.where(strategic & needs_sr, sr, one),
                  np.where(integrated, fr, one),
                  np.where(integrated, integ, one)]
        if bool(self.mk["complementary_fit"]):
            fit = kf * np.minimum.reduce(inputs)
        else:
            count = (1 + strategic * (1 + needs_sr) + 2 * integrated).astype(float)
            total = sum(inputs) - (4 - count) * 1.0
            fit = kf * np.where(count > 1, total / np.maximum(count - 1, 1), 1.0)
        return np.minimum(1.0, fit + bonus)

    def _credibility(self, a: np.ndarray, fr_ratio: np.ndarray, integrated: np.ndarray
                     ) -> np.ndarray:
        return 0.5 * self.accounts.satisfaction[a] + 0.5 * np.where(integrated, fr_ratio, 1.0)

    def _gate_probability(self, open_: np.ndarray, ctx: dict[str, np.ndarray],
                          discount: np.ndarray) -> np.ndarray:
        d = self.deals
        stage = d.stage[open_]
        disc = np.where(stage == ATC, discount[d.owner[open_]], 0.0)
        return self._prob(stage, ctx["rel"], ctx["fit"], ctx["cred"], disc,
                          self.accounts.competitor[d.account[open_]])

    def _prob(self, stage: np.ndarray, rel: np.ndarray, fit: np.ndarray, cred: np.ndarray,
              disc: np.ndarray, comp: np.ndarray) -> np.ndarray:
        """Pass probability of deals at their gate (arrays over deals)."""
        w = self.gate_weights[np.asarray(stage, int)]
        z = w[:, 0] + w[:, 1] * rel + w[:, 2] * fit + w[:, 3] * cred + w[:, 4] * disc - comp
        return _logistic(z)

    def _atc_prob(self, rel: Any, fit: Any, cred: Any, disc: Any, comp: Any) -> np.ndarray:
        """ATC pass probability; arguments broadcast (used for counterfactual candidates)."""
        w = self.gate_weights[ATC]
        return _logistic(w[0] + w[1] * rel + w[2] * fit + w[3] * cred + w[4] * disc - comp)

    # -- delivery and cash ------------------------------------------------------------------------
    def _deliver(self, t: int, eff: list[np.ndarray]) -> None:
        """Deliver deals booked ``delivery_lead`` months ago; late ones cause complaints (S13)."""
        d, acc, mk = self.deals, self.accounts, self.mk
        due = np.flatnonzero((d.stage == WON) & (d.booked + int(mk["delivery_lead"]) <= t))
        if due.size == 0:
            return
        project = due[~d.run_rate[due]]
        g = np.where(acc.team[d.account[project]] >= 0, acc.team[d.account[project]],
                     self.n_triangles)
        fr = self.idx[SUPPLY]
        g_people = np.where(self.team[fr] >= 0, self.team[fr], self.n_triangles)
        capacity = float(mk["delivery_capacity"]) * np.bincount(
            g_people, weights=eff[SUPPLY][:, self._task(SUPPLY, "delivery")],
            minlength=self.n_triangles + 1)
        load = np.bincount(g, minlength=self.n_triangles + 1)
        p_on_time = 0.05 + 0.95 * np.minimum(1.0, capacity / np.maximum(load, 1))
        late = d.u_late[project] > p_on_time[g]
        d.data["late"][project] = late
        a = d.account[project[late]]
        np.subtract.at(acc.satisfaction, a, float(mk["complaint_satisfaction"]))
        np.subtract.at(acc.relationship, a, float(mk["complaint_relationship"]))
        np.clip(acc.satisfaction, 0.0, 1.0, out=acc.satisfaction)
        np.clip(acc.relationship, 0.0, 1.0, out=acc.relationship)
        on_time = project[~late]
        acc.satisfaction[d.account[on_time]] = np.minimum(
            1.0, acc.satisfaction[d.account[on_time]] + 0.02)
        self.complaints += int(late.sum())
        d.data["stage"][due] = DELIVERED
        d.data["delivered"][due] = t
        real = due[~d.run_rate[due]]
        np.add.at(acc.revenue_ytd, d.account[real], d.value[real] * (1 - d.discount[real]))

    def _collect(self, t: int) -> None:
        """Collect cash after a delay, longer with a poor relationship; write off hopeless ones."""
        d, acc = self.deals, self.accounts
        rel = np.where(d.account >= 0, acc.relationship[np.maximum(d.account, 0)], 1.0)
        delay = int(self.mk["collection_delay"]) + 2 * (rel < 0.25)
        due = np.flatnonzero((d.stage == DELIVERED) & (d.delivered + delay <= t))
        write_off = due[(rel[due] < 0.05) & (d.u_late[due] < 0.5)]
        d.data["stage"][due] = COLLECTED
        d.data["collected"][due] = t
        d.data["stage"][write_off] = WRITTEN_OFF

    def _event_measures(self, t: int) -> dict[str, dict[str, np.ndarray]]:
        """Revenue, margin credited to each AR at booking, delivery and collection this month."""
        d = self.deals
        n_s = self.heads["sales"]
        out: dict[str, dict[str, np.ndarray]] = {}
        net = d.value * (1 - d.discount)
        margin = d.value * (d.margin_rate - d.discount)
        for event, col in (("booking", d.booked), ("delivery", d.delivered),
                           ("collection", d.collected)):
            hit = (col == t) & (d.owner >= 0)
            if event == "collection":
                hit &= d.stage == COLLECTED
            o = d.owner[hit]
            out[event] = {"revenue": np.bincount(o, weights=net[hit], minlength=n_s),
                          "margin": np.bincount(o, weights=margin[hit], minlength=n_s)}
        # Receivables written off this month: what a clawback plan takes back.
        lost = (d.collected == t) & (d.stage == WRITTEN_OFF) & (d.owner >= 0)
        o = d.owner[lost]
        self._written_off = {"revenue": np.bincount(o, weights=net[lost], minlength=n_s),
                             "margin": np.bincount(o, weights=margin[lost], minlength=n_s)}
        return out

    # -- counterfactuals --------------------------------------------------------------------------
    def _counterfactual_deltas(self, atc: np.ndarray, open_: np.ndarray, ctx: dict[str, Any],
                               eff: list[np.ndarray], cand: list[np.ndarray],
                               discount: np.ndarray, rel_before: np.ndarray
                               ) -> dict[str, dict[str, np.ndarray]]:
        """Change in this month's measures under each candidate, the month's uniforms fixed.

        Per AR: booked revenue and margin (effort and discount candidates). Per SR/FR: firm
        profit and team revenue through the support they give the deals of their group.
        """
        d, acc, mk = self.deals, self.accounts, self.mk
        n_s = self.heads["sales"]
        pos = np.flatnonzero(np.isin(open_, atc))
        dd = open_[pos]
        o, a = d.owner[dd], d.account[dd]
        value, m_rate = d.value[dd], d.margin_rate[dd]
        disc = discount[o]
        comp = acc.competitor[a]
        rel, fit, cred = ctx["rel"][pos], ctx["fit"][pos], ctx["cred"][pos]
        strat, integ = d.strategic[dd], d.integrated[dd]
        u = d.u_atc[dd]
        won = u < self._atc_prob(rel, fit, cred, disc, comp)
        at = {"strat": d.strategic[dd], "integ": d.integrated[dd], "u": u, "rel": rel,
              "cred": cred, "disc": disc, "comp": comp, "account": a}
        out: dict[str, dict[str, np.ndarray]] = {}

        # Sales: relationship, pitch, coordination (ATC deals) and volume (run-rate orders).
        ks = self.spaces[SALES].n_tasks
        c = cand[SALES].reshape(n_s, -1, ks)
        kg = c.shape[1]
        t = {n: self._task(SALES, n) for n in ("volume", "strategic", "relationship",
                                               "coordination")}
        cd = c[o]
        rel_c = self._relationship_after(cd[..., t["relationship"]], a[:, None],
                                         rel_before[a][:, None])
        pitch_c = np.minimum(1.0, cd[..., t["strategic"]] / ctx["pitch_need"][o][:, None])
        integ_c = self._integration(cd[..., t["coordination"]] / ctx["coord_need"][o][:, None],
                                    acc.team[a][:, None])
        fit_c = self._fit(pitch_c, ctx["sr_ratio"][pos][:, None], ctx["fr_ratio"][pos][:, None],
                          integ_c, strat[:, None], integ[:, None], ctx["bonus"][pos][:, None])
        won_c = u[:, None] < self._atc_prob(rel_c, fit_c, cred[:, None], disc[:, None],
                                             comp[:, None])
        dw = won_c.astype(float) - won[:, None]
        rev = np.zeros((n_s, kg))
        mar = np.zeros((n_s, kg))
        np.add.at(rev, o, dw * (value * (1 - disc))[:, None])
        np.add.at(mar, o, dw * (value * (m_rate - disc))[:, None])
        theta = float(mk["volume_exponent"])
        scale = (self._demand(self.month) * float(mk["volume_productivity"]) * self._portfolio
                 / self._portfolio0)
        e_vol = eff[SALES][:, t["volume"]]
        d_rr = scale[:, None] * (np.maximum(c[..., t["volume"]], 0) ** theta
                                 - np.maximum(e_vol, 0)[:, None] ** theta)
        out["sales"] = {"revenue": rev + d_rr,
                        "margin": mar + float(mk["run_rate_margin"]) * d_rr}

        # Discount candidates.
        grid = self.discount_space.grid
        won_d = u[:, None] < self._atc_prob(rel[:, None], fit[:, None], cred[:, None],
                                             grid[None, :], comp[:, None])
        rev_d = won_d * (value[:, None] * (1 - grid[None, :])) - (won * value * (1 - disc))[:, None]
        mar_d = won_d * (value[:, None] * (m_rate[:, None] - grid[None, :])) - (
            won * value * (m_rate - disc))[:, None]
        drev, dmar = np.zeros((n_s, grid.size)), np.zeros((n_s, grid.size))
        np.add.at(drev, o, rev_d)
        np.add.at(dmar, o, mar_d)
        out["discount"] = {"revenue": drev, "margin": dmar}

        # SR support and FR bid support reach the deal parts of their group.
        atc_of_open = np.full(open_.size, -1)
        atc_of_open[pos] = np.arange(pos.size)
        for r, kind, task in ((RND, "sr", "support"), (SUPPLY, "fr", "bid_support")):
            parts = ctx[kind]
            people = self.idx[r]
            k = self.spaces[r].n_tasks
            cr = cand[r].reshape(people.size, -1, k)[..., self._task(r, task)]
            e_now = eff[r][:, self._task(r, task)]
            profit = np.zeros(cr.shape)
            team_rev = np.zeros(cr.shape)
            at_atc = atc_of_open[parts["deal"]] >= 0
            v_profit = value * (m_rate - disc)  # per ATC deal
            v_team = value * (1 - disc)
            if self.pool_method == "direct":
                self._pooled_direct(kind, ctx, at, parts, at_atc, atc_of_open, cr, e_now, won,
                                    (v_profit, v_team), (profit, team_rev))
            else:
                self._pooled_search(kind, ctx, at, parts, at_atc, atc_of_open, cr, e_now, won,
                                    (v_profit, v_team), (profit, team_rev))
            out[ROLES[r]] = {"profit": profit, "team_revenue": team_rev}
        return out

    def _pooled_direct(self, kind: str, ctx: dict[str, Any], at: dict[str, np.ndarray],
                       parts: dict[str, np.ndarray], at_atc: np.ndarray, atc_of_open: np.ndarray,
                       cr: np.ndarray, e_now: np.ndarray, won: np.ndarray,
                       values: tuple[np.ndarray, ...], out: tuple[np.ndarray, ...]) -> None:
        """Pooled-support deltas group by group, every candidate against every deal.

        The reference computation (and the one used when a gate weight is negative, where
        outcomes need not be monotone in supply); :meth:`_pooled_search` must equal it.
        """
        for g in np.unique(parts["group"][at_atc]):
            members = np.flatnonzero(parts["people_group"] == g)
            if members.size == 0:
                continue
            sel = np.flatnonzero(at_atc & (parts["group"] == g))
            q = parts["deal"][sel]  # open positions (one part per deal within a group)
            j = atc_of_open[q]  # ATC positions
            elsewhere = parts["group"] != g
            other = np.ones(atc_of_open.size)
            np.minimum.at(other, parts["deal"][elsewhere], parts["ratio"][elsewhere])
            # Only candidates that change one's support change the group's supply; the rest
            # leave every outcome as realised (Δ = 0 exactly), so they are skipped.
            change = cr[members] - e_now[members][:, None]  # (m, KG)
            mi, ci = np.nonzero(change != 0)
            if mi.size == 0:
                continue
            total = parts["supply"][g] + change[mi, ci]  # (n,)
            dw = (self._part_wins(kind, ctx, at, parts, sel, q, j, other[q], total[:, None])
                  .astype(float) - won[j])
            for v, acc in zip(values, out, strict=True):
                acc[members[mi], ci] += (dw * v[j]).sum(axis=-1)

    def _pooled_search(self, kind: str, ctx: dict[str, Any], at: dict[str, np.ndarray],
                       parts: dict[str, np.ndarray], at_atc: np.ndarray, atc_of_open: np.ndarray,
                       cr: np.ndarray, e_now: np.ndarray, won: np.ndarray,
                       values: tuple[np.ndarray, ...], out: tuple[np.ndarray, ...]) -> None:
        """Pooled-support deltas for all groups at once, exactly as :meth:`_pooled_direct`.

        A deal's ATC outcome only improves as its group's supply grows (support ratio, fit,
        credibility and win probability are non-decreasing in it when gate weights are ≥ 0), so
        each deal part is won from some candidate supply of its group on. One binary search over
        every group's *sorted candidate supplies* finds that first candidate for all parts at
        once (⌈log₂(candidates + 1)⌉ outcome evaluations, each over all parts, with no loop
        over groups); each candidate's change in won value is then a difference of cumulative
        sums over the parts sorted by (group, first candidate won).
        """
        sel = np.flatnonzero(at_atc)
        if sel.size == 0:
            return
        deal, group, ratio = parts["deal"], parts["group"], parts["ratio"]
        # The weakest support of each deal's parts in *other* groups (1 if none): the minimum
        # over the deal's parts, or the second smallest for the part that is the minimum.
        order = np.lexsort((ratio, deal))
        d_sorted = deal[order]
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
        other = np.where(arg1[q] == sel, min2[q], min1[q])
        j = atc_of_open[q]
        gp = group[sel]

        # Candidates that change someone's support, in groups that have parts at ATC.
        n_groups = parts["supply"].size
        has = np.bincount(gp, minlength=n_groups) > 0
        pg = parts["people_group"]
        change = cr - e_now[:, None]
        mi, ci = np.nonzero((change != 0) & has[pg][:, None])
        if mi.size == 0:
            return
        cg = pg[mi]
        total = parts["supply"][cg] + change[mi, ci]
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
            ok = self._part_wins(kind, ctx, at, parts, sel, q, j, other,
                                 levels[np.minimum(base + np.minimum(mid, last),
                                                   levels.size - 1)])
            open_ = lo < hi
            hi = np.where(open_ & ok, mid, hi)
            lo = np.where(open_ & ~ok, mid + 1, lo)
        # Parts sorted by (group, first candidate index won); a candidate at index i of its
        # group wins exactly the group's parts with first index ≤ i.
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

    def _learn_timing(self, state: np.ndarray, timing: np.ndarray, chosen: np.ndarray) -> None:
        """The timing learner values each action by this month's pay plus next month's.

        Next month's pay is discounted by ``behavior.time_discount`` (money a month later), not by
        the engine's within-period state discount γ, which reflects foresight rather than time
        preference.
        """
        if "sales" in self.frozen:
            return
        sales = self.idx[SALES]
        gamma = float(self.cfg["behavior"]["time_discount"])
        value = (self._timing_pay[0] + gamma * self._timing_pay[1])[sales][:, None, :]
        self.timing_learner.update(value, chosen, pay=value, state=state)

    def _part_wins(self, kind: str, ctx: dict[str, Any], at: dict[str, np.ndarray],
                   parts: dict[str, np.ndarray], sel: np.ndarray, q: np.ndarray, j: np.ndarray,
                   other: np.ndarray, supply: np.ndarray) -> np.ndarray:
        """ATC outcome of a group's parts if the group's pooled supply were ``supply``.

        Args:
            kind: ``sr`` or ``fr``.
            ctx: The month's deal context.
            at: Arrays over this month's ATC deals.
            parts: The support parts of ``kind``.
            sel: The group's parts at ATC.
            q: Their deals' open positions.
            j: Their deals' ATC positions.
            other: Per selected part, the weakest support ratio of its deal's parts in other
                groups.
            supply: Pooled supply, broadcasting against the parts (e.g. ``(n, 1)`` or ``(p,)``).
        """
        part_ratio = np.minimum(1.0, supply * parts["share"][sel]
                                / np.maximum(parts["need"][sel], 1e-12))
        ratio = np.minimum(part_ratio, other)
        strat, integ = at["strat"][j], at["integ"][j]
        if kind == "sr":
            f = self._fit(ctx["pitch"][q], ratio, ctx["fr_ratio"][q], ctx["integration"][q],
                          strat, integ, ctx["bonus"][q])
            cred = at["cred"][j]
        else:
            f = self._fit(ctx["pitch"][q], ctx["sr_ratio"][q], ratio, ctx["integration"][q],
                          strat, integ, ctx["bonus"][q])
            cred = self._credibility(at["account"][j], ratio, integ)
        return at["u"][j] < self._atc_prob(at["rel"][j], f, cred, at["disc"][j],
                                            at["comp"][j])

    # -- measures and pay -------------------------------------------------------------------------
    HELP_TASKS: ClassVar[dict[int, tuple[str, ...]]] = {
        SALES: ("coordination",), RND: ("support", "knowledge"),
        SUPPLY: ("delivery", "bid_support"), SUPPORT: ("service",),
    }

    def _measures(self, eff: list[np.ndarray], cand: list[np.ndarray],
                  events: dict[str, dict[str, np.ndarray]], delta: dict[str, dict[str, Any]],
                  new_accounts: np.ndarray) -> tuple[dict[str, Any], dict[str, Any]]:
        """Realised and candidate measures per crediting event, over all people.

        Returns:
            ``(realised, candidates)``: ``realised[event][measure]`` is ``(N,)``;
            ``candidates[kind][event][measure]`` is ``(N, M)`` for ``kind`` in ``effort``
            (M = the largest K·G of any role) and ``discount``.
        """
        n = self.n
        firm = self.cfg["firm"]
        kpi = np.zeros(n)
        help_ = np.zeros(n)
        noise = float(firm["kpi_noise"]) * self.rng_shocks.standard_normal(n)
        m = max(c.shape[1] * c.shape[2] for c in cand)
        kpi_c = np.repeat(kpi[:, None], m, axis=1)
        help_c = np.zeros((n, m))
        for r in range(4):
            rows = self.idx[r]
            sp = self.spaces[r]
            flat = cand[r].reshape(rows.size, -1, sp.n_tasks)
            kg = flat.shape[1]
            hidx = [sp.tasks.index(x) for x in self.HELP_TASKS[r]]
            help_[rows] = eff[r][:, hidx].sum(axis=1)
            hc = flat[..., hidx].sum(axis=-1)
            help_c[rows, :kg] = hc
            help_c[rows, kg:] = help_[rows][:, None]
            if r != SALES:
                prod = float(firm["kpi_productivity"][ROLES[r]])
                own = sp.tasks.index("own_kpi")
                kpi[rows] = np.maximum(prod * eff[r][:, own] + noise[rows], 0.0)
                kc = np.maximum(prod * flat[..., own] + noise[rows][:, None], 0.0)
                kpi_c[rows, :kg] = kc
                kpi_c[rows, kg:] = kpi[rows][:, None]
        sales = self.idx[SALES]
        realised: dict[str, dict[str, np.ndarray]] = {}
        cands: dict[str, dict[str, dict[str, np.ndarray]]] = {
            "effort": {}, "discount": {}, "timing": {}, "timing_next": {}, "timing_zero": {}}
        gd = self.discount_space.grid.size
        gt = self.timing_space.grid.size
        # Candidate measures are only built for the crediting events of the plans in force: they
        # are (N, M) arrays per measure, the largest allocations of the month.
        used = {plan.crediting for plan in self._all_plans().values()}
        changed = ("revenue", "margin", "profit", "team_revenue")
        for event, money in events.items():
            base = {k: np.zeros(n) for k in MEASURES}
            base["revenue"][sales] = money["revenue"]
            base["margin"][sales] = money["margin"]
            base["profit"][sales] = money["margin"]
            base["team_revenue"][sales] = money["revenue"]
            base["new_accounts"][sales] = new_accounts
            base["kpi"], base["help"] = kpi, help_
            realised[event] = base
            if event not in used:
                continue
            ce = _tiled(base, m, changed)
            ce["kpi"], ce["help"] = kpi_c, help_c
            ks = delta["sales"]["revenue"].shape[1]
            for key, dkey in (("revenue", "revenue"), ("margin", "margin"), ("profit", "margin"),
                              ("team_revenue", "revenue")):
                ce[key][sales, :ks] += delta["sales"][dkey]
            for r in (RND, SUPPLY):
                rows = self.idx[r]
                kg = delta[ROLES[r]]["profit"].shape[1]
                ce["profit"][rows, :kg] += delta[ROLES[r]]["profit"]
                ce["team_revenue"][rows, :kg] += delta[ROLES[r]]["team_revenue"]
            cands["effort"][event] = ce
            cd = _tiled(base, gd, changed)
            for key, dkey in (("revenue", "revenue"), ("margin", "margin"), ("profit", "margin"),
                              ("team_revenue", "revenue")):
                cd[key][sales] += delta["discount"][dkey]
            cands["discount"][event] = cd
            # One more unit of booked revenue (at the run-rate margin) for every AR: the
            # marginal pay others' help earns them, which moves SR/FR reference pay (M5).
            probe = {k: v[:, None].copy() for k, v in base.items()}
            mr = float(self.mk["run_rate_margin"])
            for key, amount in (("revenue", 1.0), ("team_revenue", 1.0), ("margin", mr),
                                ("profit", mr)):
                probe[key][sales] += amount
            cands.setdefault("probe", {})[event] = probe
            cands.setdefault("probe_zero", {})[event] = {k: v[:, None] for k, v in base.items()}
            for kind in ("timing", "timing_next", "timing_zero"):
                ct = _tiled(base, gt, changed if kind != "timing_zero" else ())
                if kind != "timing_zero":
                    for key, dkey in (("revenue", "revenue"), ("margin", "margin"),
                                      ("profit", "margin"), ("team_revenue", "revenue")):
                        ct[key][sales] += delta[kind][dkey]
                cands[kind][event] = ct
        return realised, cands

    def _plan_groups(self) -> dict[str, tuple[np.ndarray, Groups]]:
        """Members and pool groups of every plan in force (cached: the org is fixed)."""
        if self._groups_cache is not None:
            return self._groups_cache
        out = {}
        frontline = np.array([r == SALES for r in range(4)])
        in_tri = (self.team >= 0) & (self.triangle_plan is not None)
        for name, plan in self.plans.items():
            members = np.isin(self.role, [ROLES.index(r) for r in self.scheme.members(name)])
            members &= ~in_tri
            level = getattr(plan, "level", "team")
            if level == "firm":
                pool = np.zeros(self.n, dtype=np.intp)
            elif level == "unit":
                pool = self.role.astype(np.intp)
            else:  # a team: the triangle, else each person alone
                pool = np.where(self.team >= 0, self.team, self.n_triangles + np.arange(self.n))
            out[name] = (members, Groups(pool=pool, unit=self.role.astype(np.intp),
                                         frontline=frontline, score=np.ones(4), active=members))
        if self.triangle_plan is not None:
            pool = np.where(self.team >= 0, self.team, self.n_triangles + np.arange(self.n))
            out[self.triangle_plan] = (in_tri.copy(), Groups(
                pool=pool, unit=pool.copy(), frontline=np.ones(int(pool.max()) + 1, bool),
                score=np.ones(int(pool.max()) + 1), active=in_tri.copy()))
        self._groups_cache = out
        return out

    def _all_plans(self) -> dict[str, Plan]:
        plans = dict(self.plans)
        if self.triangle_plan is not None:
            plans.update(self.plans_extra)
        return plans

    def _counterfactual(self, plan: Plan, ev: dict[str, np.ndarray],
                        cand: dict[str, np.ndarray], state: PeriodState, g: Groups,
                        rows: np.ndarray, ratchet: bool = False) -> np.ndarray:
        """Counterfactual pay of ``rows`` under their candidates, ``(len(rows), M)``.

        A plan that reads one's own measures alone is evaluated on those rows only (the bulk of
        the month's work otherwise); a pooled plan needs everyone's measures. ``ratchet`` adds
        the value of the candidate's effect on next period's target.
        """
        groups: Groups | None = g
        if plan.scope == "individual":  # it reads only its own measures of these rows
            ev = {k: ev[k][rows] for k in plan.measures}
            cand = {k: cand[k][rows] for k in plan.measures}
            state, groups = state.rows(rows), None
        out = plan.counterfactual(ev, cand, state, groups)
        if ratchet:
            out = out + plan.next_period_value(ev, cand, state, groups, self.ratchet_discount)
        return out if plan.scope == "individual" else out[rows]

    def _pay(self, realised: dict[str, Any], cands: dict[str, Any]
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """This month's pay, and counterfactual pay for effort and discount candidates."""
        groups = self._plan_groups()
        m = next(iter(cands["effort"].values()))["kpi"].shape[1]
        gd = self.discount_space.grid.size
        gt = self.timing_space.grid.size
        pay = self.salary.copy()
        cf = np.repeat(self.salary[:, None], m, axis=1)
        cfd = np.repeat(self.salary[:, None], gd, axis=1)
        t_now = np.repeat(self.salary[:, None], gt, axis=1)
        marginal = np.zeros(self.n)
        t_next = np.zeros((self.n, gt))
        self._next_features: dict[str, Any] = {}
        # Only a role's first plan sets its decision state (see _learn).
        needs_features = {self.plan_of_role[r][0] for r in range(4)
                          if self.plan_of_role[r] and self.state_spaces[r].n_states > 1}
        for name, plan in self._all_plans().items():
            if name not in self.plan_state:
                self.plan_state[name] = plan.initial_state(self.n)
            members, g = groups[name]
            ev = realised[plan.crediting]
            cand = {kind: cands[kind][plan.crediting] for kind in cands}
            if plan.clawback and plan.crediting != "collection":
                ev = self._clawed_back(ev)
                cand = {kind: self._clawed_back(c) for kind, c in cand.items()}
            before = self.plan_state[name]
            p, after = plan.pay(ev, before, g)
            everyone = np.flatnonzero(members)
            ars = np.flatnonzero(members & (self.role == SALES))
            # Counterfactual pay is needed for members only, and for discount, timing and the
            # probe for member ARs only.
            c = self._counterfactual(plan, ev, cand["effort"], before, g, everyone, ratchet=True)
            c_d = self._counterfactual(plan, ev, cand["discount"], before, g, ars)
            c_t = self._counterfactual(plan, ev, cand["timing"], before, g, ars)
            c_p = (self._counterfactual(plan, ev, cand["probe"], before, g, ars)
                   - self._counterfactual(plan, ev, cand["probe_zero"], before, g, ars))[:, 0]
            if name in needs_features:
                self._next_features[name] = plan.next_features(before, cand["effort"])
            self.plan_state[name] = after
            pay += np.where(members, p, 0.0)
            if plan.budget_balanced:
                sums = np.bincount(g.pool, weights=np.where(members, p, 0.0),
                                   minlength=int(g.pool.max()) + 1)
                has = np.bincount(g.pool, weights=members.astype(float),
                                  minlength=sums.size) > 0
                self.pool_log_start.setdefault(name, self.month)
                self.pool_log.setdefault(name, []).append(sums[has])
            cf[everyone] += c
            cfd[ars] += c_d
            # Next month's pay, with this month's measures standing in for next month's.
            c_n = (self._counterfactual(plan, ev, cand["timing_next"], after, g, ars)
                   - self._counterfactual(plan, ev, cand["timing_zero"], after, g, ars))
            t_now[ars] += c_t
            marginal[ars] += c_p
            t_next[ars] += c_n
        self._timing_pay = (t_now, t_next)
        self._ar_marginal = marginal[self.idx[SALES]]  # pay per unit of an AR's revenue
        return pay, cf, cfd

    def _clawed_back(self, ev: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Credited measures (``(N,)`` or candidates ``(N, M)``) net of this month's write-offs.

        A write-off reverses a credit given earlier; it does not depend on this month's effort,
        so realised and candidate measures lose the same amount.
        """
        out = dict(ev)
        sales = self.idx[SALES]
        for key, src in (("revenue", "revenue"), ("margin", "margin"), ("profit", "margin"),
                         ("team_revenue", "revenue")):
            v = out[key].copy()
            wo = self._written_off[src]
            v[sales] -= wo if v.ndim == 1 else wo[:, None]
            out[key] = v
        return out

    def _reference_pay(self, pay: np.ndarray, cand: list[np.ndarray]) -> list[np.ndarray]:
        """Pay of each person's reference group (M5), and how one's own help moves it.

        SR, FR and support compare with the ARs they serve (their triangle's AR, else the mean
        AR); ARs compare with the mean SR/FR. An SR's or FR's support changes the revenue their
        group's ARs book (``team_revenue`` counterfactual), and so those ARs' pay at the AR's
        marginal pay per unit of revenue: helping a better-paid AR widens the gap one envies.
        Support staff and ARs see their reference held fixed.

        Returns:
            Per role, ``(N_r, 1)`` (held fixed) or ``(N_r, K, G, 1)`` (moved by one's candidates).
        """
        sales = self.idx[SALES]
        mean_ar = pay[sales].mean() if sales.size else 0.0
        others = np.concatenate([self.idx[RND], self.idx[SUPPLY]])
        mean_other = pay[others].mean() if others.size else 0.0
        # Triangle t is led by AR t; index n_triangles stands for "no triangle".
        by_team = np.append(pay[sales[: self.n_triangles]], mean_ar)
        out = []
        for r in range(4):
            rows = self.idx[r]
            if r == SALES:
                ref = np.full(rows.size, mean_other)
            else:
                team = self.team[rows]
                ref = by_team[np.where(team >= 0, team, self.n_triangles)]
            if r in (RND, SUPPLY) and ROLES[r] in self._delta:
                # A silo's deals belong to many ARs: the mean AR gains 1/n_AR of the revenue.
                rate = np.where(team >= 0,
                                self._ar_marginal[np.maximum(team, 0)] if sales.size else 0.0,
                                self._ar_marginal.mean() / max(sales.size, 1)
                                if sales.size else 0.0)
                d_rev = self._delta[ROLES[r]]["team_revenue"]
                k, g = cand[r].shape[1], cand[r].shape[2]
                moved = ref[:, None] + rate[:, None] * d_rev[:, : k * g]
                out.append(moved.reshape(rows.size, k, g, 1))
            else:
                out.append(ref[:, None])
        return out

    def _learn(self, states: list[np.ndarray], chosen: list[np.ndarray], cand: list[np.ndarray],
               pay: np.ndarray, cf: np.ndarray, cfd: np.ndarray, disc_idx: np.ndarray) -> None:
        refs = self._reference_pay(pay, cand)
        for r in range(4):
            rows = self.idx[r]
            lr = self.learners[r]
            k, g = cand[r].shape[1], cand[r].shape[2]
            cp = cf[rows, : k * g].reshape(rows.size, k, g)
            u = lr.utility(cand[r], cp, refs[r],
                           cost=lr.space.candidate_net_cost(self.last_effort[r]))
            nxt = None
            name = self.plan_of_role[r][0] if self.plan_of_role[r] else None
            if name is not None and self.state_spaces[r].n_states > 1:
                feats = self._next_features[name]
                nxt = self.state_spaces[r].index(*(f[rows, : k * g] for f in feats))
                nxt = nxt.reshape(rows.size, k, g)
            if ROLES[r] not in self.frozen:
                lr.update(u, chosen[r], pay=cp, state=states[r], next_state=nxt)
        sales = self.idx[SALES]
        cd = cfd[sales][:, None, :]
        if "sales" not in self.frozen:
            self.discount_learner.update(cd, disc_idx, pay=cd)
        self.last_pay = pay

    def _attrition(self, pay: np.ndarray) -> None:
        """Quit when smoothed pay falls below the outside option (M6); refill seats at once.

        New hires start from the job description's prior.
        """
        firm = self.cfg["firm"]
        if not hasattr(self, "pay_smooth"):
            self.pay_smooth = pay.copy()
        self.pay_smooth = 0.8 * self.pay_smooth + 0.2 * pay
        gap = np.maximum(0.0, 1.0 - self.pay_smooth / self.outside)
        hazard = float(firm["quit_base"]) + float(firm["quit_slope"]) * gap
        quit = self.rng_attrition.random(self.n) < hazard
        self.quit_log.append(quit)
        self._month_quits = 0
        if not quit.any():
            return
        self.leavers += int(quit.sum())
        self.hires += int(quit.sum())
        self._month_quits = int((quit & (self.role == SALES) & (gap > 0)).sum())
        for r in range(4):
            rows = np.flatnonzero(quit[self.idx[r]])
            if rows.size:
                self.learners[r].reset(rows, np.tile(self.priors[r], (rows.size, 1)))
        ars = np.flatnonzero(quit[self.idx[SALES]])
        if ars.size:
            lost = np.isin(self.accounts.owner, ars)
            self.accounts.relationship[lost] *= 0.5  # leavers take relationships with them (M6)
        self.pay_smooth[quit] = self.outside[quit] / float(firm["outside_option_share"])

    def _month_money(self, column: str, t: int) -> float:
        """Net value of deals delivered (revenue) or booked this month."""
        d = self.deals
        hit = getattr(d, column) == t
        return float((d.value[hit] * (1 - d.discount[hit])).sum())

    def _record(self, t: int, eff: list[np.ndarray], pay: np.ndarray, discount: np.ndarray
                ) -> None:
        rnd, sup = self.idx[RND], self.idx[SUPPLY]
        help_share = []
        for r in (RND, SUPPLY):
            sp = self.spaces[r]
            hidx = [sp.tasks.index(x) for x in self.HELP_TASKS[r]]
            help_share.append(eff[r][:, hidx].sum(axis=1))
        hs = np.concatenate(help_share)  # budget is 1: effort is already a share
        s = eff[SALES]
        vol = s[:, self._task(SALES, "volume")] / np.maximum(s.sum(axis=1), 1e-12)
        self.records.append({
            "month": t,
            "comp_cost": float(pay.sum()),
            "help_effort_sr_fr": float(hs.mean()) if hs.size else 0.0,
            "ar_volume_share": float(vol.mean()),
            "total_effort": float(np.mean(np.concatenate([e.sum(axis=1) for e in eff]))),
            "discount_policy": float(discount.mean()),
            "pay_sales": float(pay[self.idx[SALES]].mean()),
            "pay_others": float(pay[np.concatenate([rnd, sup, self.idx[SUPPORT]])].mean()),
            "sales_pay_quits": float(self._month_quits),
            "revenue": self._month_money("delivered", t),
            "bookings": self._month_money("booked", t),
            "rate_raises": 0.0,
        })
        self.effort_total_log.append(np.concatenate([e.sum(axis=1) for e in eff]))
        self.knowledge_log.append(self.knowledge)
        self.pay_log.append(pay.copy())
        self.effort_mean_log.append(np.concatenate([e.mean(axis=0) for e in eff]))
