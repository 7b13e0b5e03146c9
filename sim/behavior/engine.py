"""Experience-weighted attraction over a fine effort grid, with foregone payoffs and logit choice.

The rule (Camerer & Ho 1999, normalised form), applied per person, per state ``s`` and per task
``k`` to every grid level ``g`` of that task:

    N(t) = ρ · N(t−1) + 1
    A(t)[s,k,g] = (φ · N(t−1) · A(t−1)[s,k,g] + w[k,g] · v(t)[k,g]) / N(t)

where ``v[k,g]`` is the utility the person *would* have had this period with task ``k`` at level
``g`` and everything else (other tasks, other people's actions, the period's shocks) as it was —
the pay comes from calling the plan's own payout on those counterfactual measures — plus, for
state-conditioned plans, the discounted value of the state that candidate leads to. ``w = δ`` for
levels not played and ``1`` for the one played; with δ = 1 every candidate is valued alike.

Choice is a logit with precision λ over each task's levels, independently across tasks:
``P[k,g] ∝ exp(λ · A[s,k,g])``. Candidates are the ``K`` one-dimensional grid lines through the
played vector (a full joint grid would grow exponentially in ``K``); with a concave utility the
coordinate-wise fixed point is the joint optimum, and in one dimension the learner compares
*global* alternatives, so non-concave plans (lump-sum quotas) are handled.

Why this reaches the closed forms: with δ = 1 the attraction of every level is the average utility
that level earned against the same shocks and the same colleagues' actions, so terms a person
cannot influence (the shock on the paid measure, colleagues' contributions to a pool) are common
to all levels and cancel in the logit. The logit's mean sits on the maximiser of expected utility
up to the truncation of its spread at 0 and at the budget; ``docs/behavior.md`` derives that bias.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.behavior.utility import Preferences, inequity_penalty
from sim.effort import EffortSpace


@dataclass(frozen=True)
class LearnerParams:
    """Parameters of the learning rule.

    Attributes:
        precision: Logit precision λ (1/money); higher means closer to best response.
        recency: Attraction decay φ in (0, 1]; 1 averages all history.
        experience_decay: ρ in [0, 1]; with ρ = φ attractions are weighted averages of utility.
        foregone_weight: δ in (0, 1]; weight of foregone relative to realised utility.
        initial_experience: N(0) > 0, the weight of the prior in experience units (periods).
        prior_precision: κ > 0 (money/effort²): initial attractions are ``−κ/2 (g − prior)²``, a
            bump centred on the job description's split.
        discount: γ in [0, 1): weight of the next state's value for state-conditioned plans
            (per month); 0 makes people myopic within a pay period.
    """

    precision: float
    recency: float = 1.0
    experience_decay: float = 1.0
    foregone_weight: float = 1.0
    initial_experience: float = 1.0
    prior_precision: float = 1.0
    discount: float = 0.0

    def __post_init__(self) -> None:
        checks = {
            "precision": self.precision > 0,
            "recency": 0 < self.recency <= 1,
            "experience_decay": 0 <= self.experience_decay <= 1,
            "foregone_weight": 0 < self.foregone_weight <= 1,
            "initial_experience": self.initial_experience > 0,
            "prior_precision": self.prior_precision > 0,
            "discount": 0 <= self.discount < 1,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"behavior.{name}: value {getattr(self, name)} is out of range")


class Learner:
    """Attractions, choice and learning for a group of people who share an effort space.

    All state is held in arrays over people; there is no per-person Python loop.

    Args:
        space: Tasks, budget, grid, effort cost and intrinsic value.
        params: The learning rule's parameters.
        prior: Starting effort of each person, shape ``(N, K)`` (job description's split).
        preferences: Inequity and risk preferences; selfish and risk-neutral when ``None``.
        n_states: Number of decision states (1 for plans that need no state). A person's first
            visit to a state starts from the attractions of the state they came from (what they
            know carries over), not from the prior.
        state_groups: Group id of each state ``(S,)`` (e.g. its months-left bin). A state a
            person has never visited borrows the mean value of the visited states of its group
            (of all visited states if none), so an unexplored state is neither feared nor
            coveted. ``None`` puts all states in one group.
        carry_as_prior: A first visit's carried-over attractions weigh as a prior (``N(0)``
            months of experience) instead of the source state's whole experience, so what is
            learnt in a new state (a December) soon outweighs what was known elsewhere; and the
            first decision there is drawn from them, not from the starting attractions.
    """

    def __init__(
        self,
        space: EffortSpace,
        params: LearnerParams,
        prior: np.ndarray,
        preferences: Preferences | None = None,
        n_states: int = 1,
        state_groups: np.ndarray | None = None,
        carry_as_prior: bool = False,
    ) -> None:
        prior = np.asarray(prior, dtype=float)
        if prior.ndim != 2 or prior.shape[1] != space.n_tasks:
            raise ValueError(f"prior: expected shape (N, {space.n_tasks}), got {prior.shape}")
        self.space = space
        self.params = params
        self.grid = space.grid
        n, k = prior.shape
        self.n_people = n
        self.n_states = int(n_states)
        self.carry_as_prior = carry_as_prior
        self.preferences = preferences or Preferences.neutral(n)
        self._rows = np.arange(n)
        groups = np.zeros(self.n_states, dtype=np.intp) if state_groups is None else state_groups
        self._state_groups = np.asarray(groups, dtype=np.intp)
        self.attraction = np.empty((n, self.n_states, k, self.grid.size))
        self._values: np.ndarray | None = None  # cache of state values, see state_values()
        self._visited = np.zeros((n, self.n_states), dtype=bool)
        self._last = np.full(n, -1, dtype=np.intp)
        self.experience = np.empty((n, self.n_states))
        # Risk needs the first two moments of pay per candidate, kept by the same EWA rule.
        self._risk = self.preferences.has_risk
        self._pay_m1 = np.zeros_like(self.attraction) if self._risk else None
        self._pay_m2 = np.zeros_like(self.attraction) if self._risk else None
        self._pay_n = np.zeros((n, self.n_states)) if self._risk else None
        self.reset(self._rows, prior)

    def reset(self, who: np.ndarray, prior: np.ndarray) -> None:
        """Give people (e.g. new hires) fresh attractions centred on their prior effort.

        Args:
            who: Indices of the people to reset.
            prior: Their starting effort, shape ``(len(who), K)``.
        """
        bump = -0.5 * self.params.prior_precision * (
            self.grid[None, None, :] - np.asarray(prior, dtype=float)[:, :, None]
        ) ** 2
        self.attraction[who] = bump[:, None, :, :]
        self.experience[who] = self.params.initial_experience
        if hasattr(self, "_visited"):
            self._visited[who] = False
            self._last[who] = -1
        if self._risk:
            assert self._pay_m1 is not None and self._pay_m2 is not None
            assert self._pay_n is not None
            self._pay_m1[who] = 0.0
            self._pay_m2[who] = 0.0
            self._pay_n[who] = 0.0
        if self._values is not None:
            # Refresh only the new hires' cached state values (a full refresh every month of
            # hiring cost as much as the rest of the model).
            who = np.atleast_1d(np.arange(self.n_people)[who])
            rows = np.repeat(who, self.n_states)
            states = np.tile(np.arange(self.n_states), who.size)
            self._values[who] = self._policy_value(rows, states).reshape(who.size, -1)

    def _state(self, state: np.ndarray | None) -> np.ndarray:
        if state is None:
            return np.zeros(self.n_people, dtype=np.intp)
        return np.asarray(state, dtype=np.intp)

    def _logit(self, a: np.ndarray) -> np.ndarray:
        z = self.params.precision * (a - a.max(axis=-1, keepdims=True))
        p = np.exp(z)
        return p / p.sum(axis=-1, keepdims=True)

    def effective_attraction(self, state: np.ndarray | None = None) -> np.ndarray:
        """Attractions at each person's state net of the risk premium, ``(N, K, G)``."""
        s = self._state(state)
        a = self.attraction[self._rows, s]
        if self._risk:
            a = a - self.risk_premium(s)
        return a

    def probabilities(self, state: np.ndarray | None = None) -> np.ndarray:
        """Logit choice probabilities over each task's grid, shape ``(N, K, G)``.

        With ``carry_as_prior`` a never-visited state is seeded from the state before it here,
        so its first decision is drawn from what its first update will start from.
        """
        if self.carry_as_prior and self.n_states > 1:
            self._carry_over(self._state(state))
        return self._logit(self.effective_attraction(state))

    def mean_effort(self, state: np.ndarray | None = None) -> np.ndarray:
        """Expected effort per task under the current policy (the *mean policy*), ``(N, K)``."""
        return self.probabilities(state) @ self.grid

    def policy_by_state(self) -> np.ndarray:
        """Mean policy of every person in every state, ``(N, S, K)``.

        A state a person has never visited shows the mean policy of the visited states of its
        group (of all visited states if none): what others expect of them there.
        """
        a = self.attraction
        if self._risk:
            s_all = np.arange(self.n_states)
            a = np.stack([self.effective_attraction(np.full(self.n_people, s)) for s in s_all],
                         axis=1)
        policy = self._logit(a) @ self.grid  # (N, S, K)
        visited = self._visited
        if visited.all():
            return policy
        n_groups = int(self._state_groups.max()) + 1
        onehot = np.eye(n_groups)[self._state_groups]  # (S, groups)
        w = visited.astype(float)
        g_sum = np.einsum("nsk,sg->ngk", policy * w[:, :, None], onehot)
        g_cnt = w @ onehot  # (N, groups)
        overall = (policy * w[:, :, None]).sum(axis=1) / np.maximum(w.sum(axis=1), 1.0)[:, None]
        g_mean = np.where(g_cnt[:, :, None] > 0, g_sum / np.maximum(g_cnt, 1.0)[:, :, None],
                          overall[:, None, :])
        # Before a person's first update nothing is visited: their prior is all there is.
        known = visited | ~visited.any(axis=1, keepdims=True)
        return np.where(known[:, :, None], policy, g_mean[:, self._state_groups])

    def act(
        self, rng: np.random.Generator, state: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Draw this period's effort from the logit policy.

        Args:
            rng: The run's learning stream.
            state: Decision state per person, shape ``(N,)``; ``None`` for the single state.

        Returns:
            ``(effort, index)``: the effort vectors ``(N, K)`` (projected onto the budget) and the
            chosen grid index per task ``(N, K)``.
        """
        cdf = np.cumsum(self.probabilities(state), axis=-1)
        u = rng.random(cdf.shape[:2])
        idx = (cdf < u[..., None] * cdf[..., -1:]).sum(axis=-1)
        idx = np.minimum(idx, self.grid.size - 1)
        return self.space.project(self.grid[idx]), idx

    def _policy_value(self, rows: np.ndarray, states: np.ndarray) -> np.ndarray:
        """Expected effective attraction of the policy at given (person, state) pairs."""
        a = self.attraction[rows, states]
        if self._risk:
            assert self._pay_m1 is not None and self._pay_m2 is not None
            var = np.maximum(self._pay_m2[rows, states] - self._pay_m1[rows, states] ** 2, 0.0)
            a = a - 0.5 * self.preferences.risk_aversion[rows, None, None] * var
        return (self._logit(a) * a).sum(axis=-1).mean(axis=-1)

    def state_values(self) -> np.ndarray:
        """Value of each state under the current policy, shape ``(N, S)``.

        The expected attraction of the policy, averaged over tasks (each task's attraction is the
        utility of the whole vector with that task varied, so they share one scale). Unvisited
        states borrow the mean of visited states in their group (see ``state_groups``). Values
        are cached and refreshed only where attractions change (one state per person a period).
        """
        if self._values is None:
            self._values = np.empty((self.n_people, self.n_states))
            # In blocks of people: the logit's temporaries over all (person, state) pairs at
            # once would be several times the attractions themselves (GBs at size L).
            block = max(1, 2**21 // max(1, self.n_states * self.attraction[0, 0].size))
            for lo in range(0, self.n_people, block):
                who = self._rows[lo:lo + block]
                rows = np.repeat(who, self.n_states)
                states = np.tile(np.arange(self.n_states), who.size)
                self._values[who] = self._policy_value(rows, states).reshape(who.size, -1)
        value = self._values
        visited = self._visited
        if visited.all():
            return value
        n_groups = int(self._state_groups.max()) + 1
        onehot = np.eye(n_groups)[self._state_groups]  # (S, groups)
        w = visited.astype(float)
        g_sum = (value * w) @ onehot
        g_cnt = w @ onehot
        overall = (value * w).sum(axis=1) / np.maximum(w.sum(axis=1), 1.0)
        g_mean = np.where(g_cnt > 0, g_sum / np.maximum(g_cnt, 1.0), overall[:, None])
        return np.where(visited, value, g_mean[:, self._state_groups])

    def utility(
        self,
        candidates: np.ndarray,
        pay: np.ndarray,
        reference_pay: np.ndarray | None = None,
        cost: np.ndarray | None = None,
    ) -> np.ndarray:
        """Utility of candidate actions, excluding the risk premium (see :meth:`update`).

        Args:
            candidates: Candidate effort vectors ``(N, K, G, K)``.
            pay: Their counterfactual pay ``(N, K, G)``.
            reference_pay: Pay of each person's reference group, ``(N, R)`` held fixed or
                ``(N, K, G, R)`` when one's action moves it.
            cost: Their net effort cost ``(N, K, G)`` if already known (e.g. from
                :meth:`sim.effort.EffortSpace.candidate_net_cost`); computed otherwise.

        Returns:
            Utility ``(N, K, G)``: pay − net effort cost − inequity penalty.
        """
        u = pay - (self.space.net_cost(candidates) if cost is None else cost)
        prefs = self.preferences
        if prefs.has_inequity and reference_pay is not None:
            assert prefs.reference is not None
            u = u - inequity_penalty(
                pay, reference_pay, prefs.reference >= 0, prefs.envy, prefs.guilt
            )
        return u

    def update(
        self,
        utility: np.ndarray,
        chosen: np.ndarray,
        pay: np.ndarray | None = None,
        state: np.ndarray | None = None,
        next_state: np.ndarray | None = None,
        who: np.ndarray | None = None,
    ) -> None:
        """Experience-weighted update of the attractions at each person's current state.

        Args:
            utility: Utility of every candidate this period, ``(N, K, G)``.
            chosen: Grid index played per task, ``(N, K)``.
            pay: Counterfactual pay ``(N, K, G)``; needed when anyone is risk-averse.
            state: Current state per person ``(N,)``; ``None`` for the single state.
            next_state: State each candidate leads to ``(N, K, G)``; its discounted value is
                added when ``discount > 0``.
            who: Optional boolean mask ``(N,)`` of people who learn this period (others keep
                their attractions, e.g. vacant seats).
        """
        p = self.params
        s = self._state(state)
        rows = self._rows
        if self.n_states > 1:
            self._carry_over(s)
        value = utility
        if p.discount > 0 and next_state is not None:
            v = self.state_values()
            value = value + p.discount * np.take_along_axis(
                v, next_state.reshape(self.n_people, -1), axis=1
            ).reshape(next_state.shape)
        k_idx = np.arange(utility.shape[1])
        weight = np.full(utility.shape, p.foregone_weight)
        weight[rows[:, None], k_idx[None, :], chosen] = 1.0
        old_n = self.experience[rows, s]
        new_n = p.experience_decay * old_n + 1.0
        keep = (p.recency * old_n / new_n)[:, None, None]
        step = weight / new_n[:, None, None]
        mask = np.ones(self.n_people, dtype=bool) if who is None else np.asarray(who, dtype=bool)
        sel_rows, sel_s = rows[mask], s[mask]
        if self._risk:
            if pay is None:
                raise ValueError("update: pay is required when anyone is risk-averse")
            assert self._pay_m1 is not None and self._pay_m2 is not None
            assert self._pay_n is not None
            # Pay moments are plain EWA averages of data (no prior weight), so Var is unbiased
            # in form: m2 − m1².
            old_m = self._pay_n[rows, s]
            new_m = p.experience_decay * old_m + 1.0
            keep_m = (p.recency * old_m / new_m)[:, None, None]
            m1 = keep_m * self._pay_m1[rows, s] + pay / new_m[:, None, None]
            m2 = keep_m * self._pay_m2[rows, s] + pay**2 / new_m[:, None, None]
            self._pay_m1[sel_rows, sel_s] = m1[mask]
            self._pay_m2[sel_rows, sel_s] = m2[mask]
            self._pay_n[sel_rows, sel_s] = new_m[mask]
        new_a = keep * self.attraction[rows, s] + step * value
        self.attraction[sel_rows, sel_s] = new_a[mask]
        self.experience[sel_rows, sel_s] = new_n[mask]
        if self._values is not None:
            self._values[sel_rows, sel_s] = self._policy_value(sel_rows, sel_s)
        self._visited[sel_rows, sel_s] = True
        self._last[sel_rows] = sel_s

    def _carry_over(self, s: np.ndarray) -> None:
        """Seed never-visited current states from the state each person was in last."""
        fresh = ~self._visited[self._rows, s] & (self._last >= 0)
        if not fresh.any():
            return
        r, to, frm = self._rows[fresh], s[fresh], self._last[fresh]
        self.attraction[r, to] = self.attraction[r, frm]
        self.experience[r, to] = (np.minimum(self.experience[r, frm],
                                             self.params.initial_experience)
                                  if self.carry_as_prior else self.experience[r, frm])
        if self._risk:
            assert self._pay_m1 is not None and self._pay_m2 is not None
            assert self._pay_n is not None
            self._pay_m1[r, to] = self._pay_m1[r, frm]
            self._pay_m2[r, to] = self._pay_m2[r, frm]
            self._pay_n[r, to] = self._pay_n[r, frm]
        if self._values is not None:
            self._values[r, to] = self._values[r, frm]

    def risk_premium(self, state: np.ndarray | None = None) -> np.ndarray:
        """CARA premium r/2 · Var(pay) per candidate at each person's state, ``(N, K, G)``."""
        if not self._risk:
            return np.zeros((self.n_people, self.space.n_tasks, self.grid.size))
        assert self._pay_m1 is not None and self._pay_m2 is not None
        s = self._state(state)
        m1 = self._pay_m1[self._rows, s]
        m2 = self._pay_m2[self._rows, s]
        var = np.maximum(m2 - m1**2, 0.0)
        return 0.5 * self.preferences.risk_aversion[:, None, None] * var
