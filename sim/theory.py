"""Reduced environments that run the real learning engine on the real plan classes.

Each person's output on task k is ``x_k = x₀ + t_k + σ·ε_k`` (ε standard normal, drawn from the
run's ``shocks`` stream); task k's output is the measure named after it. A team's output is the
sum of its members'. Pay comes from a plan built by :func:`sim.plans.build_plan`, utility from the
engine in :mod:`sim.behavior`; nothing here computes effort from a formula. The closed forms in
:mod:`sim.theory_checks` are only ever used as *targets* to compare learned behaviour against.

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
from sim.behavior.state import StateSpace
from sim.effort import EffortSpace
from sim.plans import Groups, Plan
from sim.rng import spawn_streams


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
        output_mean: Mean realised output per person over the window, summed over tasks,
            ``(N,)``.
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
        self.learner = Learner(
            space, params, prior_arr, n_states=self.states.n_states,
            state_groups=self.states.groups(),
        )
        self.groups = Groups.teams(n_people, team_size)
        self.state = plan.initial_state(n_people)
        for row in range(n_people):
            Person(self, row)
        self.last_pay = np.zeros(n_people)
        self.last_output = np.zeros(n_people)
        self.decision_state = self.states.index(*plan.decision_features(self.state))

    def _measures(self, output: np.ndarray) -> dict[str, np.ndarray]:
        """Measures named after tasks from outputs with tasks on the last axis."""
        return {name: output[..., k] for k, name in enumerate(self.space.tasks)}

    def step(self) -> None:
        """One period: act, realise output and pay, value every candidate, learn."""
        learner, plan = self.learner, self.plan
        n = learner.n_people
        here = self.decision_state
        effort, chosen = learner.act(self._learning, here)
        eps = self.sigma * self._shocks.standard_normal(effort.shape)
        output = self.baseline + effort + eps
        self.last_output = output.sum(axis=1)
        measures = self._measures(output)
        cand = self.space.candidates(effort)
        cand_out = self.baseline[:, :, None, None] + cand + eps[:, None, None, :]
        k, g = cand.shape[1], cand.shape[2]
        cand_measures = {m: v.reshape(n, k * g) for m, v in self._measures(cand_out).items()}
        cand_pay = plan.counterfactual(measures, cand_measures, self.state, self.groups)
        cand_pay = cand_pay.reshape(n, k, g)
        future = plan.next_period_value(measures, cand_measures, self.state, self.groups,
                                        self.ratchet_discount).reshape(n, k, g)
        after = None
        if self.states.n_states > 1:
            after = self.states.index(*plan.next_features(self.state, cand_measures))
            after = after.reshape(n, k, g)
        self.last_pay, self.state = plan.pay(measures, self.state, self.groups)
        utility = learner.utility(cand, cand_pay) + future
        learner.update(utility, chosen, pay=cand_pay, state=here, next_state=after)
        self.decision_state = self.states.index(*plan.decision_features(self.state))


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
