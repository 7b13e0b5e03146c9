"""People: learners per role, decision states, choice, learning, reference pay and attrition.

Every person draws effort from their role's learner (one engine for everyone, M9), every AR also
a discount level (M7) and a deal-timing action (M3) from two more learners of the same engine;
after pay they learn from what every candidate would have paid. SR, FR and support compare their
pay with the ARs they serve (M5). People whose smoothed pay falls below their outside option may
quit (M6); the seat is refilled by a hire who starts from the job description.

Nothing here knows which plan is in force: decision states come from the features payroll
reports, values from the counterfactual pay it computes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.behavior import Learner, LearnerParams, Preferences, state
from sim.behavior.sanction import PeerSanction
from sim.effort import EffortSpace, job_description_prior
from sim.firm.counterfactual import Deltas
from sim.firm.org import Org
from sim.firm.overtime import NORMAL
from sim.firm.params import RND, ROLES, SALES, SUPPLY, TEACH, Params
from sim.firm.pipeline import Decided
from sim.firm.skills import Skills, Taught


@dataclass(frozen=True)
class Actions:
    """What phase 1 made: everyone's choices this month.

    Attributes:
        states: Decision state per seat, per role.
        effort: Effort played per role ``(N_r, K_r)``.
        chosen: Grid index played per task, per role ``(N_r, K_r)``.
        discount: Each AR's discount (share of list value).
        discount_index: Its grid index ``(N_sales, 1)``.
        timing: Each AR's timing action: −1 slip, 0 natural, 1 or 2 pull in (0 deal by deal).
        timing_index: Its grid index ``(N_sales, 1)``.
        timing_move: Deal by deal (``behavior.timing: deal``), each AR's chance of slipping a
            deal ready to close and of pulling in one 1 or 2 months out ``(N_sales, 3)``;
            ``None`` with one action per AR-month.
    """

    states: list[np.ndarray]
    effort: list[np.ndarray]
    chosen: list[np.ndarray]
    discount: np.ndarray
    discount_index: np.ndarray
    timing: np.ndarray
    timing_index: np.ndarray
    timing_move: np.ndarray | None = None


def quit_hazard(smoothed: np.ndarray, outside: np.ndarray, base: float, slope: float
                ) -> np.ndarray:
    """Monthly quit probability: ``base + slope · max(0, 1 − smoothed pay / outside option)``."""
    return base + slope * np.maximum(0.0, 1.0 - smoothed / outside)


@dataclass(frozen=True)
class Quits:
    """What phase 6 made: who quit (seats are refilled at once).

    Attributes:
        quit: Whether each seat's holder quit ``(N,)``.
        sales_pay_quits: ARs who quit while paid below their outside option.
        ars: AR positions (``0 … N_sales−1``) of the ARs who quit.
    """

    quit: np.ndarray
    sales_pay_quits: int
    ars: np.ndarray


class People:
    """Learners of every role, the ARs' discount and timing learners, and smoothed pay.

    Args:
        org: Who sits where.
        p: The firm's parameters.
        decision_spaces: Per role, the ``StateSpace`` keyword arguments of each plan that sets
            its decision state (``Payroll.decision_space``).
        rng: The prior stream (individual intrinsic motivation is drawn once from it).
        skills: Own-KPI ability and knowledge transfer (``firm.teaching``), ``None`` when off.
    """

    def __init__(self, org: Org, p: Params, decision_spaces: Sequence[list[dict[str, Any]]],
                 rng: np.random.Generator, skills: Skills | None = None) -> None:
        fp, self.org, self.p = p.firm, org, p
        self.skills = skills
        self.params = LearnerParams(**p.behavior.learner)
        self.spaces: list[EffortSpace] = []
        self.priors: list[np.ndarray] = []
        self.learners: list[Learner] = []
        self.state_spaces = [state.build(kw) for kw in decision_spaces]
        for r, role in enumerate(ROLES):
            tasks = fp.tasks[role]
            k = len(tasks)
            cost = fp.cost * ((1 - fp.substitution) * np.eye(k) + fp.substitution)
            n_r = org.idx[r].size
            base = np.array([fp.intrinsic[role].get(t, 0.0) for t in tasks])
            spread = rng.lognormal(0.0, fp.intrinsic_spread, (n_r, 1))
            prior = job_description_prior(tasks, fp.prior[role], fp.prior_level)
            # Overtime (issue 20): the budget is the cap, hours above normal cost more.
            space = EffortSpace(tasks, fp.overtime.max, p.behavior.grid_step, cost,
                                base[None, :] * spread, normal=NORMAL,
                                overtime_cost=fp.overtime.cost(cost, prior))
            prefs = Preferences(
                envy=np.full(n_r, fp.envy if r != SALES else 0.0),
                guilt=np.full(n_r, fp.guilt if r == SALES else 0.0),
                risk_aversion=np.zeros(n_r),
                reference=np.zeros((n_r, 1), dtype=np.intp),
            )
            states = self.state_spaces[r]
            self.spaces.append(space)
            self.priors.append(prior)
            self.learners.append(Learner(space, self.params, np.tile(prior, (n_r, 1)), prefs,
                                         states.n_states, states.groups()))
        dmax = p.market.max_discount
        n_sales = org.heads["sales"]
        self.discount_space = EffortSpace(("discount",), dmax, dmax / 25, np.zeros((1, 1)))
        self.discount_learner = Learner(self.discount_space, self.params,
                                        np.full((n_sales, 1), dmax / 5))
        # Deal timing (M3): -1 slip won deals a month, 0 natural, +1/+2 pull deals in.
        # It depends on where the AR stands in the pay period, so it has the AR's states.
        self.timing_space = EffortSpace(("timing",), 3.0, 1.0, np.zeros((1, 1)))
        sales_states = self.state_spaces[SALES]
        self.timing_learner = Learner(
            self.timing_space, self.params, np.ones((n_sales, 1)),
            n_states=sales_states.n_states, state_groups=sales_states.groups())
        #: Deal by deal (issue 20): one learner per kind of decision (slip a deal ready to
        #: close; pull in one 1 or 2 months out), each over "leave it" (0) and "move it" (1).
        self.by_deal = p.behavior.timing == "deal"
        self.deal_space = EffortSpace(("move",), 1.0, 1.0, np.zeros((1, 1)))
        self.deal_learners = self._deal_learners(np.zeros((3, n_sales, 1)))
        b = p.behavior
        #: Peer sanction in work groups (issue 19), ``None`` when off.
        self.sanction = (PeerSanction(b.sanction_strength, b.sanction_span)
                         if b.sanction_strength > 0 else None)
        # Ablation switch: roles whose people never update (they keep the job description's
        # split and the starting discount), to separate one role's response from the others'.
        self.frozen = p.behavior.frozen
        self.outside = np.array([fp.outside_option_share * p.pay.otc[ROLES[r]] / 12
                                 for r in org.role])
        #: Pay smoothed over months (attrition, the raise policy); set by the first month's pay.
        self.pay_smooth: np.ndarray | None = None

    def _deal_learners(self, prior: np.ndarray) -> list[Learner]:
        """The three deal-timing learners, in the ARs' decision states, from ``prior[kind]``.

        A first visit to a state (a December) starts from what the AR knew in the state before,
        weighted as a prior (``carry_as_prior``), so a year end's own deals soon decide it.
        """
        st = self.state_spaces[SALES]
        return [Learner(self.deal_space, self.params, prior[k], n_states=st.n_states,
                        state_groups=st.groups(), carry_as_prior=True) for k in range(3)]

    def stateful(self, r: int) -> bool:
        """Whether role ``r``'s people condition their choice on a decision state."""
        return self.state_spaces[r].n_states > 1

    def decision_states(self, features: Callable[[int], tuple[np.ndarray, ...] | None]
                        ) -> list[np.ndarray]:
        """Each seat's decision state, from the features of its role's state plans."""
        out = []
        for r in range(4):
            feats = features(r) if self.stateful(r) else None
            if feats is None:
                out.append(np.zeros(self.org.idx[r].size, dtype=np.intp))
                continue
            out.append(self.state_spaces[r].index(*(f[self.org.idx[r]] for f in feats)))
        return out

    def act(self, states: list[np.ndarray], rng: np.random.Generator) -> Actions:
        """Everyone draws this month's effort, and every AR a discount and a timing action."""
        eff, chosen = [], []
        for r in range(4):
            e, c = self.learners[r].act(rng, states[r])
            eff.append(e)
            chosen.append(c)
        disc_eff, disc_idx = self.discount_learner.act(rng)
        if self.by_deal:  # each deal is decided when it is seen (phase 3)
            move = np.stack([lr.probabilities(states[SALES])[:, 0, 1]
                             for lr in self.deal_learners], axis=1)
            zero = np.zeros(disc_idx.shape[0], dtype=np.intp)
            return Actions(states=states, effort=eff, chosen=chosen, discount=disc_eff[:, 0],
                           discount_index=disc_idx, timing=zero, timing_index=zero[:, None],
                           timing_move=move)
        tim_eff, tim_idx = self.timing_learner.act(rng, states[SALES])
        return Actions(states=states, effort=eff, chosen=chosen, discount=disc_eff[:, 0],
                       discount_index=disc_idx,
                       timing=np.rint(tim_eff[:, 0]).astype(np.intp) - 1, timing_index=tim_idx)

    def teach(self, eff: list[np.ndarray]) -> Taught | None:
        """This month's knowledge transfer (``None`` with ``firm.teaching`` off)."""
        if self.skills is None:
            return None
        fp, n = self.p.firm, self.org.n
        teaching, own = np.zeros(n), np.zeros(n)
        for r in range(1, 4):
            rows = self.org.idx[r]
            teaching[rows] = eff[r][:, fp.column(r, TEACH)]
            own[rows] = eff[r][:, fp.column(r, "own_kpi")]
        return self.skills.month(teaching, own)

    def candidates(self, acts: Actions) -> list[np.ndarray]:
        """Every role's candidate effort vectors ``(N_r, K, G, K)`` around what was played."""
        return [self.spaces[r].candidates(acts.effort[r]) for r in range(4)]

    def reference_pay(self, pay: np.ndarray, cand: list[np.ndarray], deltas: Deltas,
                      ar_marginal: np.ndarray) -> list[np.ndarray]:
        """Pay of each person's reference group (M5), and how one's own help moves it.

        SR, FR and support compare with the ARs they serve (their triangle's AR, else the mean
        AR); ARs compare with the mean SR/FR. An SR's or FR's support changes the revenue their
        group's ARs book (``team_revenue`` counterfactual), and so those ARs' pay at the AR's
        marginal pay per unit of revenue: helping a better-paid AR widens the gap one envies.
        Support staff and ARs see their reference held fixed.

        Returns:
            Per role, ``(N_r, 1)`` (held fixed) or ``(N_r, K, G, 1)`` (moved by one's candidates).
        """
        org = self.org
        sales = org.idx[SALES]
        mean_ar = pay[sales].mean() if sales.size else 0.0
        others = np.concatenate([org.idx[RND], org.idx[SUPPLY]])
        mean_other = pay[others].mean() if others.size else 0.0
        # Triangle t is led by AR t; index n_triangles stands for "no triangle".
        by_team = np.append(pay[sales[: org.n_triangles]], mean_ar)
        out = []
        for r in range(4):
            rows = org.idx[r]
            if r == SALES:
                ref = np.full(rows.size, mean_other)
            else:
                team = org.team[rows]
                ref = by_team[np.where(team >= 0, team, org.n_triangles)]
            if r in (RND, SUPPLY):
                # A silo's deals belong to many ARs: the mean AR gains 1/n_AR of the revenue.
                rate = np.where(team >= 0,
                                ar_marginal[np.maximum(team, 0)] if sales.size else 0.0,
                                ar_marginal.mean() / max(sales.size, 1) if sales.size else 0.0)
                d_rev = deltas.support[ROLES[r]]["team_revenue"]
                k, g = cand[r].shape[1], cand[r].shape[2]
                moved = ref[:, None] + rate[:, None] * d_rev[:, : k * g]
                out.append(moved.reshape(rows.size, k, g, 1))
            else:
                out.append(ref[:, None])
        return out

    def learn(self, acts: Actions, cand: list[np.ndarray], pay: np.ndarray, effort_pay: np.ndarray,
              discount_pay: np.ndarray, refs: list[np.ndarray],
              next_features: list[tuple[np.ndarray, ...] | None],
              peer: np.ndarray | None = None, work_group: np.ndarray | None = None) -> None:
        """Every learner values every candidate by the utility it would have earned.

        Args:
            acts: What was played.
            cand: Effort candidates per role.
            pay: This month's pay per seat.
            effort_pay: Counterfactual pay per effort candidate ``(N, M)``.
            discount_pay: Counterfactual pay per discount level ``(N, G_discount)``.
            refs: Reference pay per role (:meth:`reference_pay`).
            next_features: Per role, the decision features after this month under each
                candidate (``None`` for roles without states).
            peer: Change in the others' pay per effort candidate ``(N, M)`` (peer sanction).
            work_group: Work-group size per seat ``(N,)`` (peer sanction).
        """
        org = self.org
        for r in range(4):
            rows = org.idx[r]
            lr = self.learners[r]
            k, g = cand[r].shape[1], cand[r].shape[2]
            cp = effort_pay[rows, : k * g].reshape(rows.size, k, g)
            u = lr.utility(cand[r], cp, refs[r],
                           cost=lr.space.candidate_net_cost(acts.effort[r]))
            if self.sanction is not None and peer is not None and work_group is not None:
                u = u + self.sanction.utility(peer[rows, : k * g].reshape(rows.size, k, g),
                                              work_group[rows])
            nxt = None
            feats = next_features[r]
            if feats is not None and self.stateful(r):
                nxt = self.state_spaces[r].index(*(f[rows, : k * g] for f in feats))
                nxt = nxt.reshape(rows.size, k, g)
            if ROLES[r] not in self.frozen:
                lr.update(u, acts.chosen[r], pay=cp, state=acts.states[r], next_state=nxt)
        sales = org.idx[SALES]
        cd = discount_pay[sales][:, None, :]
        if "sales" not in self.frozen:
            self.discount_learner.update(cd, acts.discount_index, pay=cd)

    def learn_timing(self, acts: Actions, now: np.ndarray, nxt: np.ndarray,
                     decided: Decided | None = None) -> None:
        """The timing learner values each action by this month's pay plus next month's.

        Next month's pay is discounted by ``behavior.time_discount`` (money a month later), not
        by the engine's within-period state discount γ, which reflects foresight rather than
        time preference. Deal by deal, each decided deal's two choices are valued (the month as
        played, and with that deal turned the other way); an AR's learner of each kind learns
        from the mean over its deals of that kind this month.
        """
        if "sales" in self.frozen:
            return
        sales = self.org.idx[SALES]
        value = (now + self.p.behavior.time_discount * nxt)[sales]
        if decided is None:
            self.timing_learner.update(value[:, None, :], acts.timing_index,
                                       pay=value[:, None, :], state=acts.states[SALES])
            return
        n = sales.size
        played, turned = value[decided.owner, 0], value[decided.owner, decided.column]
        v_move = np.where(decided.moved, played, turned)
        v_stay = np.where(decided.moved, turned, played)
        for k, lr in enumerate(self.deal_learners):
            sel = decided.kind == k
            own = decided.owner[sel]
            count = np.bincount(own, minlength=n)
            if not count.any():
                continue
            c = np.maximum(count, 1)
            u = np.stack([np.bincount(own, weights=v_stay[sel], minlength=n) / c,
                          np.bincount(own, weights=v_move[sel], minlength=n) / c], axis=1)
            moved = np.bincount(own, weights=decided.moved[sel], minlength=n)
            chosen = (2 * moved > count).astype(np.intp)[:, None]
            lr.update(u[:, None, :], chosen, pay=u[:, None, :], state=acts.states[SALES],
                      who=count > 0)

    def attrition(self, pay: np.ndarray, rng: np.random.Generator) -> Quits:
        """Quit when smoothed pay falls below the outside option (M6); refill seats at once.

        Monthly quit hazard = ``quit_base + quit_slope · max(0, 1 − smoothed pay / outside
        option)``. New hires start from the job description's prior, with the smoothed pay of
        someone hired at on-target pay.
        """
        fp, org = self.p.firm, self.org
        if self.pay_smooth is None:
            self.pay_smooth = pay.copy()
        self.pay_smooth = (1 - fp.pay_smoothing) * self.pay_smooth + fp.pay_smoothing * pay
        quit = rng.random(org.n) < quit_hazard(self.pay_smooth, self.outside, fp.quit_base,
                                               fp.quit_slope)
        if not quit.any():
            return Quits(quit=quit, sales_pay_quits=0, ars=np.zeros(0, dtype=np.intp))
        below = self.pay_smooth < self.outside
        sales_quits = int((quit & (org.role == SALES) & below).sum())
        for r in range(4):
            rows = np.flatnonzero(quit[org.idx[r]])
            if rows.size:
                self.learners[r].reset(rows, np.tile(self.priors[r], (rows.size, 1)))
        self.pay_smooth[quit] = self.outside[quit] / fp.outside_option_share
        if self.skills is not None:
            self.skills.hire(quit)
        return Quits(quit=quit, sales_pay_quits=sales_quits,
                     ars=np.flatnonzero(quit[org.idx[SALES]]))

    def restart(self, decision_spaces: Sequence[list[dict[str, Any]]], states: list[np.ndarray]
                ) -> None:
        """New plans in force (a rollout): learners restart from everyone's current mean effort.

        The new plans' decision states differ, so the learners are rebuilt; each person starts
        from the effort split they had (their current mean policy), not from scratch.

        Args:
            decision_spaces: The new plans' state-space keyword arguments per role.
            states: Where everyone stands under the *old* plans.
        """
        current = [lr.mean_effort(s) for lr, s in zip(self.learners, states, strict=True)]
        timing_now = self.timing_learner.mean_effort(states[SALES])
        deal_now = np.stack([lr.mean_effort(states[SALES]) for lr in self.deal_learners])
        self.state_spaces = [state.build(kw) for kw in decision_spaces]
        for r in range(4):
            old, st = self.learners[r], self.state_spaces[r]
            self.learners[r] = Learner(old.space, self.params, current[r], old.preferences,
                                       st.n_states, st.groups())
        sales_states = self.state_spaces[SALES]
        self.timing_learner = Learner(self.timing_space, self.params, timing_now,
                                      n_states=sales_states.n_states,
                                      state_groups=sales_states.groups())
        self.deal_learners = self._deal_learners(deal_now)
