"""Reduced environments that run the real learning engine on the real plan classes.

Each person's output on task k is ``x_k = x₀ + t_k + σ·ε_k`` (ε standard normal, drawn from the
run's ``shocks`` stream); task k's output is the measure named after it. A team's output is the
sum of its members'. Pay comes from a plan built by :func:`sim.plans.build_plan`, utility from the
engine in :mod:`sim.behavior`; nothing here computes effort from a formula. The closed forms in
:mod:`sim.theory_checks` and :mod:`sim.theory_upside` are only ever used as *targets* to compare
learned behaviour against.

The baseline output x₀ keeps measures positive so that plans floored at zero (commission on a
non-negative measure, a pool floored at 0) are linear where the theory assumes they are; it adds
a constant to pay and changes no incentive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np

from sim.behavior import Learner, LearnerParams
from sim.behavior.conditioning import PeerConditioning
from sim.behavior.sanction import PeerSanction
from sim.behavior.state import StateSpace
from sim.effort import EffortSpace
from sim.plans import Groups, Plan
from sim.rng import spawn_streams
from sim.teaching import Teaching


@dataclass(frozen=True)
class LearnedPolicy:
    """What a reduced run learned.

    Attributes:
        effort: Mean policy per task, averaged over people and over the measurement window
            (expected effort under each person's logit policy, not sampled effort), ``(K,)``.
        by_person: Mean policy per person over the window, ``(N, K)``.
        periods: Periods run.
        pay_mean: Mean realised pay per person over the window, ``(N,)``.
        pay_var: Variance of realised pay per person over the window, ``(N,)`` (what a
            risk-averse person's certainty equivalent is measured from).
        output_mean: Mean realised output per person over the window, summed over the tasks
            that have a measure (not the teaching task), ``(N,)``.
    """

    effort: np.ndarray
    by_person: np.ndarray
    periods: int
    pay_mean: np.ndarray | None = None
    pay_var: np.ndarray | None = None
    output_mean: np.ndarray | None = None


class Person(mesa.Agent):
    """A thin view over one row of the learner's arrays (structure only; no per-agent step)."""

    def __init__(self, model: ReducedModel, row: int) -> None:
        super().__init__(model)
        self.row = row

    @property
    def mean_effort(self) -> np.ndarray:
        """This person's current mean policy per task."""
        model: ReducedModel = self.model  # type: ignore[assignment]
        return model.learner.mean_effort()[self.row]


class ReducedModel(mesa.Model):
    """A team (or independent people) learning under one plan in the reduced environment.

    Args:
        plan: The pay plan (any registered class).
        space: Tasks, budget, grid, cost and intrinsic value.
        params: Learning-rule parameters.
        n_people: Number of people.
        team_size: People per team (pool plans pay per team).
        sigma: Output noise σ per task.
        baseline: Baseline output x₀ per task, a number or one per person ``(N,)`` (people of
            different productivity).
        prior: Starting effort per task, ``(K,)``.
        seed: The run's seed.
        ratchet_discount: Per-year weight of next period's pay when this period's result moves
            the next target (ratcheted plans only).
        sanction: Peer sanction in work groups (:mod:`sim.behavior.sanction`); ``None`` (off)
            leaves every run as before.
        work_group: Size of the work groups people observe each other in (consecutive people;
            default: the team). A firm-wide pool has ``team_size = n_people`` and smaller work
            groups; a work group should lie inside one pool (only its size is read).
        teaching: Knowledge transfer (:mod:`sim.teaching`); its task must be one of the
            space's tasks and has no measure of its own. ``None`` (off) leaves every run as
            before.
        conditioning: Peer conditioning (:mod:`sim.behavior.conditioning`) in the work
            groups; ``None`` (off) leaves every run as before. Not with ``teaching``.
    """

    def __init__(
        self,
        plan: Plan,
        space: EffortSpace,
        params: LearnerParams,
        *,
        n_people: int,
        team_size: int,
        sigma: float,
        baseline: float | np.ndarray,
        prior: Sequence[float],
        seed: int,
        ratchet_discount: float = 0.9,
        sanction: PeerSanction | None = None,
        work_group: int | None = None,
        teaching: Teaching | None = None,
        conditioning: PeerConditioning | None = None,
    ) -> None:
        streams = spawn_streams(seed)
        super().__init__(rng=streams["prior"])
        self.plan = plan
        self.space = space
        self.sigma = float(sigma)
        self.ratchet_discount = float(ratchet_discount)
        self.baseline = np.broadcast_to(np.asarray(baseline, dtype=float), (n_people,))[:, None]
        self._shocks = streams["shocks"]
        self._learning = streams["learning"]
        prior_arr = np.tile(np.asarray(prior, dtype=float), (n_people, 1))
        self.states = StateSpace(**plan.decision_space())
        self.conditioning = conditioning
        # With peer conditioning, each plan state splits into the bins of the peers' level.
        self._bins = 1 if conditioning is None else conditioning.n_bins
        self.learner = Learner(
            space, params, prior_arr, n_states=self.states.n_states * self._bins,
            state_groups=np.repeat(self.states.groups(), self._bins),
        )
        self.groups = Groups.teams(n_people, team_size)
        self.state = plan.initial_state(n_people)
        for row in range(n_people):
            Person(self, row)
        self.last_pay = np.zeros(n_people)
        self.last_output = np.zeros(n_people)
        self.decision_state = self.states.index(*plan.decision_features(self.state))
        self.team_size = int(team_size)
        self.sanction = sanction
        group = self.team_size if work_group is None else int(work_group)
        if n_people % group:
            raise ValueError(f"work_group: {group} does not divide {n_people} people")
        self.group_size = np.full(n_people, group)
        self._group = group
        self._observed = -1
        if conditioning is not None:
            if teaching is not None:
                raise ValueError("conditioning: not with teaching in the same run")
            if conditioning.task not in space.tasks or group < 2 or team_size % group:
                raise ValueError(f"conditioning: needs one of the tasks {space.tasks} and work "
                                 f"groups of 2 or more inside one pool (dividing the team of "
                                 f"{team_size}), got {conditioning.task!r}, {group}")
            self._observed = space.tasks.index(conditioning.task)
            start = conditioning.observed(prior_arr[:, self._observed], group)
            self.decision_state = self.decision_state * self._bins + start
        self.teaching = teaching
        self._teach = -1
        if teaching is not None:
            if teaching.task not in space.tasks:
                raise ValueError(f"teaching.task: {teaching.task!r} is not one of {space.tasks}")
            self._teach = space.tasks.index(teaching.task)
            if n_people % team_size:
                raise ValueError(f"teaching: teams of {team_size} must divide {n_people} people")
        self.knowledge = np.zeros(n_people)
        self._out = [k for k in range(space.n_tasks) if k != self._teach]

    def _measures(self, output: np.ndarray) -> dict[str, np.ndarray]:
        """Measures named after tasks (the teaching task has none), tasks on the last axis."""
        return {self.space.tasks[k]: output[..., k] for k in self._out}

    def _teach_now(self, effort: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """This period's taught knowledge: the stock after teaching ``(N,)`` and ``τ·Σ gap``.

        Returns:
            ``(knowledge, reach)``: each person's stock after this period's teaching, and what
            one more unit of their teaching adds to their teammates' summed output ``(N,)``.
        """
        assert self.teaching is not None
        tch = self.teaching
        kept = tch.retention * self.knowledge
        gaps = tch.gaps(self.baseline[:, 0] + kept, self.team_size)
        return kept + tch.transfer(gaps, effort[:, self._teach]), tch.marginal(gaps).sum(axis=1)

    def step(self) -> None:
        """One period: act, realise output and pay, value every candidate, learn."""
        learner, plan = self.learner, self.plan
        n = learner.n_people
        here = self.decision_state
        effort, chosen = learner.act(self._learning, here)
        eps = self.sigma * self._shocks.standard_normal(effort.shape)
        base = self.baseline
        rest = None
        cand = self.space.candidates(effort)
        k, g = cand.shape[1], cand.shape[2]
        if self.teaching is not None:
            self.knowledge, reach = self._teach_now(effort)
            base = base + self.knowledge[:, None]
            # A teaching candidate moves the teammates' output on every output task by
            # τ·Σⱼ gap × (its level − the level taught); the plan reads it as their results.
            moved = (reach[:, None, None] * (cand[..., self._teach]
                                             - effort[:, self._teach, None, None]))
            rest = {self.space.tasks[j]: moved.reshape(n, k * g) for j in self._out}
        output = base + effort + eps
        self.last_output = output[:, self._out].sum(axis=1)
        measures = self._measures(output)
        cand_out = base[:, :, None, None] + cand + eps[:, None, None, :]
        cand_measures = {m: v.reshape(n, k * g) for m, v in self._measures(cand_out).items()}
        flat_pay = plan.counterfactual(measures, cand_measures, self.state, self.groups, rest)
        cand_pay = flat_pay.reshape(n, k, g)
        sanction: np.ndarray | float = 0.0
        if self.sanction is not None:
            peers = plan.peer_counterfactual(measures, cand_measures, self.state, self.groups,
                                             rest, own=flat_pay)
            sanction = self.sanction.utility(peers.reshape(n, k, g), self.group_size)
        future = plan.next_period_value(measures, cand_measures, self.state, self.groups,
                                        self.ratchet_discount).reshape(n, k, g)
        after = None
        if self.states.n_states > 1:
            after = self.states.index(*plan.next_features(self.state, cand_measures))
            after = after.reshape(n, k, g)
        before = self.state
        self.last_pay, self.state = plan.pay(measures, self.state, self.groups)
        utility = learner.utility(cand, cand_pay) + future
        if self.sanction is not None:
            utility = utility + sanction
        plan_next = self.states.index(*plan.decision_features(self.state))
        if self.conditioning is not None:
            mine = self.conditioning.observed(effort[:, self._observed], self._group)
            utility = utility + self.peer_response(effort, cand, measures, before, plan_next,
                                                   mine)
            after = (np.zeros((n, k, g), dtype=np.intp) if after is None else after
                     ) * self._bins + mine[:, None, None]
            plan_next = plan_next * self._bins + mine
        learner.update(utility, chosen, pay=cand_pay, state=here, next_state=after)
        self.decision_state = plan_next

    def peer_response(self, effort: np.ndarray, cand: np.ndarray,
                      measures: dict[str, np.ndarray], before: Any, plan_next: np.ndarray,
                      observed: np.ndarray) -> np.ndarray:
        """What each candidate's effect on the peers' next state is worth next period ``(N, K, G)``.

        Each peer plays, next period, their mean policy in the state the candidate sends them to;
        the change against the realised action's is the teammates' moved output, which the plan
        prices (``rest``), weighted by the conditioning's ``weight``. It is priced at this
        period's plan state and one's realised measures: exact for the one-period linear pools
        of the check, an approximation for periodic or nonlinear plans. ``observed`` is each
        person's bin of the others' realised level (where the realised action sends each peer).
        """
        cond, plan = self.conditioning, self.plan
        assert cond is not None
        n, k, g = cand.shape[0], cand.shape[1], cand.shape[2]
        level = effort[:, self._observed]
        grp = self._group
        peers = cond.peers(n, grp)
        sent = cond.sent(level, cand[..., self._observed].reshape(n, k * g), grp)
        policy = self.learner.policy_by_state()  # (N, S, K)
        to = plan_next[peers][:, :, None] * self._bins + sent  # (N, n − 1, C)
        was = plan_next[peers] * self._bins + observed[peers]  # (N, n − 1)
        moved = (policy[peers[:, :, None], to] - policy[peers, was][:, :, None, :]).sum(axis=1)
        rest = {self.space.tasks[j]: moved[..., j] for j in self._out}
        own = {m: np.repeat(v[:, None], k * g, axis=1) for m, v in measures.items()}
        value = (plan.counterfactual(measures, own, before, self.groups, rest)
                 - plan.counterfactual(measures, own, before, self.groups))
        return cond.weight * value.reshape(n, k, g)


def learn(
    plan: Plan,
    space: EffortSpace,
    params: LearnerParams,
    *,
    n_people: int,
    team_size: int = 1,
    sigma: float = 0.2,
    baseline: float | np.ndarray = 1.0,
    prior: Sequence[float] | None = None,
    periods: int = 500,
    window: float = 0.25,
    seed: int = 0,
    ratchet_discount: float = 0.9,
    sanction: PeerSanction | None = None,
    work_group: int | None = None,
    teaching: Teaching | None = None,
    conditioning: PeerConditioning | None = None,
) -> LearnedPolicy:
    """Run a reduced environment and return the learned mean policy.

    Args:
        plan: The pay plan.
        space: Effort space.
        params: Learning-rule parameters.
        n_people: Number of people.
        team_size: Team size for pool plans.
        sigma: Output noise σ.
        baseline: Baseline output x₀.
        prior: Starting effort per task (defaults to a quarter of the budget on each task).
        periods: Periods to run.
        window: Share of final periods over which the mean policy is averaged.
        seed: Seed of the run.
        ratchet_discount: Per-year weight of next period's pay (ratcheted plans).
        sanction: Peer sanction (off when ``None``).
        work_group: Work-group size for the sanction (default: the team).
        teaching: Knowledge transfer (off when ``None``).
        conditioning: Peer conditioning (off when ``None``).

    Returns:
        The learned policy.
    """
    if prior is None:
        prior = [space.budget / 4] * space.n_tasks
    model = ReducedModel(
        plan,
        space,
        params,
        n_people=n_people,
        team_size=team_size,
        sigma=sigma,
        baseline=baseline,
        prior=prior,
        seed=seed,
        ratchet_discount=ratchet_discount,
        sanction=sanction,
        work_group=work_group,
        teaching=teaching,
        conditioning=conditioning,
    )
    start = periods - max(1, round(window * periods))
    acc = np.zeros((n_people, space.n_tasks))
    pay = np.zeros((periods - start, n_people))
    out = np.zeros((periods - start, n_people))
    for t in range(periods):
        if t >= start:
            acc += model.learner.mean_effort(model.decision_state)
        model.step()
        if t >= start:
            pay[t - start], out[t - start] = model.last_pay, model.last_output
    by_person = acc / (periods - start)
    return LearnedPolicy(effort=by_person.mean(axis=0), by_person=by_person, periods=periods,
                         pay_mean=pay.mean(axis=0), pay_var=pay.var(axis=0),
                         output_mean=out.mean(axis=0))


def learner_params(cfg: Mapping[str, Any]) -> LearnerParams:
    """Learner parameters from a config mapping (keys as :class:`LearnerParams` fields)."""
    return LearnerParams(**{k: float(v) for k, v in cfg.items()})
