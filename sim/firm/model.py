"""``Firm``: the one-replication model a Mesa user steps and inspects; ``step`` is the schedule.

The month's phases, in the order and with the numbers of docs/ODD.md §3 (each is a function of
its module that takes its inputs and returns what it made):

0. rollout — with ``rollout.month`` set, everyone moves to the rollout scheme at that month;
1. act — decision states from the plans; everyone draws effort, every AR a discount and a
   deal-timing action (:mod:`sim.firm.people`);
2. market — relationships, competitors, hunting, arrivals, the tender, the new deals'
   requirement errors (:mod:`sim.firm.requirements`), the knowledge stock
   (:mod:`sim.firm.market`);
3. pipeline — support reaches open deals, gates, timing, reviews, run-rate orders
   (:mod:`sim.firm.pipeline`);
4. fulfilment — deliveries and complaints, collections and write-offs
   (:mod:`sim.firm.fulfilment`);
5. pay and learning — credits, counterfactual changes, pay and counterfactual pay, learning
   (:mod:`sim.firm.counterfactual`, :mod:`sim.firm.payroll`, :mod:`sim.firm.people`);
6. attrition — quits, refills, relationships lost with leaving ARs; the month is recorded;
7. fiscal year end — re-tiering (:mod:`sim.firm.org`) and the pay-raise policy.

Every decision within a month is simultaneous. State that lives from month to month (accounts,
deals, learners, plan periods, the knowledge stock, smoothed pay) sits on the model's parts; a
phase's results reach later phases only as arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np

from sim.firm import counterfactual, fulfilment, market, org, payroll, pipeline, units
from sim.firm.agents import make_agents
from sim.firm.counterfactual import Deltas
from sim.firm.fulfilment import Events
from sim.firm.ledger import Deals, Lines
from sim.firm.params import RND, SALES, SUPPLY, Params
from sim.firm.payroll import Measured, Paid, Payroll
from sim.firm.people import Actions, People
from sim.firm.pipeline import DealContext
from sim.firm.record import Record
from sim.firm.requirements import Requirements
from sim.firm.skills import Skills
from sim.rng import spawn_streams

_MALLOC_TUNED = False


def keep_freed_memory() -> None:
    """Let glibc keep the memory a month frees for the next month instead of returning it.

    Every month allocates the same large temporaries (candidate measures and pay, tens of MB at
    size m) and frees them at its end. By default glibc hands that memory back to the OS each
    time, and the next month pays a page fault per page to get it again: at size m, 1.1 million
    faults and ~20 % of the run. Serving those allocations from the heap (mmap threshold 32 MiB)
    and never trimming it removes that; results are unchanged (allocation does not touch the
    numbers). A no-op where the C library has no ``mallopt`` (not glibc).
    """
    global _MALLOC_TUNED
    if _MALLOC_TUNED:
        return
    _MALLOC_TUNED = True
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's malloc.h
    mallopt(m_mmap_threshold, 32 * 1024 * 1024)
    mallopt(m_trim_threshold, 2**30)


@dataclass(frozen=True)
class Month:
    """The phase results of the month just simulated, kept for inspection (no phase reads them).

    Attributes:
        actions: What everyone played.
        deltas: What every candidate would have changed (with ``Firm.keep_phases`` only: the
            candidate arrays are the month's largest).
        paid: Pay and counterfactual pay (likewise).
    """

    actions: Actions
    deltas: Deltas | None = None
    paid: Paid | None = None


class Firm(mesa.Model):
    """The firm model.

    Args:
        cfg: The composed run config as plain containers (see ``sim.simulation``); its
            parameters are read and checked once (:class:`sim.firm.params.Params`).

    Attributes:
        params: The typed parameters.
        org: Seats, triangles and pools; ``accounts`` and ``deals`` the market's state.
        people: Learners and smoothed pay; ``payroll`` the plans in force; ``record`` the logs.
        last: The month just simulated (:class:`Month`), for inspection.
        keep_phases: Keep the month's counterfactual changes and pay in ``last`` too (off by
            default: at size m they add ~70 MB to the peak, as the next month allocates its own).
        pool_method: ``search`` or ``direct`` pooled-support counterfactuals (identical
            results; ``direct`` where a gate weight is negative).
    """

    def __init__(self, cfg: Mapping[str, Any]) -> None:
        keep_freed_memory()
        self.cfg = cfg
        self.params = p = Params.from_config(cfg)
        streams = spawn_streams(p.seed)
        super().__init__(rng=streams["prior"])
        self.streams = streams
        self.month = 0
        self.months = p.months
        self.lines = Lines.from_params(p.market.lines)
        self.accounts = market.Accounts(p.n_accounts, p.market, self.lines, streams["market"])
        self.deals = Deals(capacity=max(1024, p.n_accounts))
        self.org = org.build(p.heads, p.org, self.lines)
        #: Own-KPI ability and knowledge transfer (``firm.teaching``), ``None`` when off.
        skills = (Skills(self.org, units.work_group_ids(self.org, self.lines, p), p,
                         streams["ability"]) if p.firm.teaching.enabled else None)
        self.payroll = Payroll(cfg["scheme"], self.org, p, self.lines,
                               None if skills is None else skills.group)
        self.people = People(self.org, p, [self.payroll.decision_space(r) for r in range(4)],
                             self.rng, skills)
        org.assign_accounts(self.accounts, p.heads["sales"], p.market.prospect_share,
                            streams["market"])
        self.workload = org.workload(self.accounts, self.lines, p)
        org.retier(self.accounts, self.org, p.tiering, self.workload)
        # Run-rate orders scale with an AR's portfolio relative to the mean one at the start.
        self.portfolio0 = float(market.focus(self.accounts, p.heads["sales"]).portfolio.mean()
                                ) or 1.0
        self.knowledge = 0.0
        self.tender_id: int | None = None  # the deal of market.tender, once it has arrived
        #: The deals' requirement errors (``market.solution_fit=closeness``), else ``None``.
        self.requirements = (Requirements(self.lines)
                             if p.market.solution_fit == "closeness" else None)
        self.record = Record()
        self.pool_method = "direct" if p.market.negative_gate_weight else "search"
        rollout = cfg.get("rollout") or {}
        self.rollout: tuple[int, Mapping[str, Any]] | None = (
            (int(rollout["month"]), rollout["scheme"])
            if rollout.get("month") is not None and rollout.get("scheme") else None)
        self.last: Month | None = None
        self.keep_phases = False
        #: A ``mesa.DataCollector`` to collect every month (``sim.firm.agents.collector()``);
        #: none by default.
        self.datacollector: mesa.DataCollector | None = None
        make_agents(self)

    # -- one month --------------------------------------------------------------------------------
    def step(self) -> None:
        """One month, in the order of docs/ODD.md §3."""
        t, p, s, acc, d = self.month, self.params, self.streams, self.accounts, self.deals
        col, req = p.firm.column, self.requirements  # req: None unless solution_fit=closeness
        self._rollout(t)                                                                # 0
        acts = self.people.act(self.decision_states(), s["learning"])                  # 1
        eff = acts.effort
        moved = market.move(acc, eff[SALES][:, col(SALES, "relationship")],           # 2
                            eff[SALES][:, col(SALES, "hunting")], t, p.market, s["market"],
                            s["hunting"])
        market.arrive(acc, d, self.lines, t, p.market, s["market"], s["customer"],
                      s["write_off"])
        self.tender_id = market.tender(acc, d, self.lines, t, p.market, self.tender_id,
                                       s["customer"], s["write_off"])
        market.tender_stream(acc, d, self.lines, t, p.market, s["tenders"])
        if req is not None:
            req.extend(d, s["requirements"], s["tender_requirements"])
        self.knowledge = pipeline.knowledge_after(self.knowledge,
                                                  eff[RND][:, col(RND, "knowledge")], p.firm)
        ctx = pipeline.context(d, acc, self.org, self.lines, eff, self.knowledge, t, p, req)  # 3
        run_rate = market.run_rate(eff[SALES][:, col(SALES, "volume")], moved.focus,
                                   self.portfolio0, t, p.market)
        gated = pipeline.advance(d, acc, ctx, acts.discount, acts.timing, run_rate, t, p,
                                 acts.timing_move, s["timing"])
        delivered = fulfilment.deliver(d, acc, self.org,                                # 4
                                       eff[SUPPLY][:, col(SUPPLY, "delivery")], t, p.market)
        fulfilment.collect(d, acc, t, p.market)
        events = fulfilment.credited(d, t, p.heads["sales"])                           # 5
        cand = self.people.candidates(acts)
        deltas = counterfactual.deltas(d, acc, ctx, gated, moved.focus,
                                       moved.relationship_before, self.portfolio0, eff, cand,
                                       acts.discount, self.people.discount_space.grid,
                                       acts.timing, t, p, self.pool_method)
        measured = self._measure(eff, cand, events, deltas, moved.new_accounts, ctx, t)
        paid = self.payroll.pay(measured, events, self._stateful_plans(), t)
        self._learn(acts, cand, deltas, paid, gated.timing.decided)
        quits = self.people.attrition(paid.pay, s["attrition"])                         # 6
        market.lose_relationships(acc, quits.ars, p.firm.leaver_relationship_kept)
        self.record.month(t, d, self.org, p.firm, eff, paid.pay, acts.discount, quits.quit,
                          quits.sales_pay_quits, delivered.complaints, self.knowledge,
                          paid.kpi_savings, float(moved.new_accounts.sum()))
        self.record.support(ctx.sr, ctx.fr)
        self.last = (Month(actions=acts, deltas=deltas, paid=paid) if self.keep_phases
                     else Month(actions=acts))
        self.month += 1
        if self.month % 12 == 0:
            self._year_end()                                                             # 7
        if self.datacollector is not None:
            self.datacollector.collect(self)

    def _measure(self, eff: list[np.ndarray], cand: list[np.ndarray], events: Events,
                 deltas: Deltas, new_accounts: np.ndarray, ctx: DealContext, t: int) -> Measured:
        """Phase 5's measures: the units' results and the month's attribution, then every measure.

        The units (:mod:`sim.firm.units`) see the month's credits, knowledge work and support
        before payroll credits anyone, so that ``value_added`` reads this month's deals. With
        ``firm.teaching`` on, the month's teaching (:mod:`sim.firm.skills`) sets the abilities
        own-KPI output is made with.
        """
        p = self.params
        credit = self.payroll.units.observe(self.deals, self.accounts, ctx.open_, ctx.sr, ctx.fr,
                                            events, eff[RND][:, p.firm.column(RND, "knowledge")],
                                            t)
        return payroll.measures(eff, cand, events, deltas, new_accounts, self.org,
                                self.payroll.crediting_events(),
                                self.people.discount_space.grid.size,
                                deltas.timing["revenue"].shape[1], p, self.streams["shocks"],
                                credit, self.people.teach(eff))

    def decision_states(self) -> list[np.ndarray]:
        """Each seat's decision state under the plans in force, per role."""
        return self.people.decision_states(self.payroll.decision_features)

    def all_plans(self) -> dict[str, Any]:
        """Every plan in force by name (the scheme's and a triangle plan)."""
        return self.payroll.all_plans()

    def _stateful_plans(self) -> set[str]:
        """Plans whose decision features some role's learners condition on."""
        return {name for r in range(4) if self.people.stateful(r)
                for name in self.payroll.state_plans(r)}

    def _learn(self, acts: Actions, cand: list[np.ndarray], deltas: Deltas, paid: Paid,
               decided: pipeline.Decided | None) -> None:
        """Phase 5's last part: every learner values every candidate by its pay."""
        refs = self.people.reference_pay(paid.pay, cand, deltas, paid.ar_marginal)
        features = [self._next_features(paid, r) for r in range(4)]
        self.people.learn(acts, cand, paid.pay, paid.effort, paid.discount, refs, features,
                          paid.peer, self.payroll.work_group)
        self.people.learn_timing(acts, paid.timing_now, paid.timing_next, decided)

    def _next_features(self, paid: Paid, r: int) -> tuple[np.ndarray, ...] | None:
        """Role ``r``'s decision features after this month per candidate (its state plans')."""
        names = self.payroll.state_plans(r)
        if not names or any(n not in paid.next_features for n in names):
            return None
        return tuple(f for n in names for f in paid.next_features[n])

    def _rollout(self, t: int) -> None:
        """Switch everyone to the ``rollout.scheme`` at the start of month ``rollout.month``.

        The first question of every real redesign: the new plans replace the old ones (new
        salaries, new pay periods starting now), and each person starts learning under them from
        the effort split they had (their current mean policy) rather than from scratch.
        """
        if self.rollout is None or t != self.rollout[0]:
            return
        states = self.decision_states()  # where people stand under the old plans
        self.payroll.switch(self.rollout[1])
        self.people.restart([self.payroll.decision_space(r) for r in range(4)], states)

    def _year_end(self) -> None:
        """Fiscal year end: yearly revenue rolls over, accounts are re-tiered, raises decided."""
        acc = self.accounts
        acc.revenue_last_year = acc.revenue_ytd.copy()
        acc.revenue_ytd[:] = 0.0
        org.retier(acc, self.org, self.params.tiering, self.workload)
        if self.payroll.raise_rates(self.people.pay_smooth, self.people.outside):
            self.record.rate_raise()

    def release(self) -> None:
        """Let this model be freed once nothing refers to it.

        Mesa 3.3.1 keeps every model that created agents in a class-level registry
        (``mesa.Agent._ids``) for the life of the process (fixed in Mesa 3.4.2, which needs
        Python ≥ 3.12); a job running many replications would grow its memory by one firm each.
        The agents and Mesa's wrapped ``step`` refer back to the model; dropping them too lets
        reference counting free the firm at once instead of waiting for the cyclic collector.
        """
        mesa.Agent._ids.pop(self, None)
        self.remove_all_agents()
        self.__dict__.pop("step", None)
        self.__dict__.pop("_user_step", None)
