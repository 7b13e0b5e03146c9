"""The plain-Mesa reference workload of issue 6, written the way a Mesa 3 user would write it.

This is *not* our model and must not be optimised: it is the yardstick every ``make bench`` run
measures side by side with the full model, so that the ratio (ours / reference) survives a noisy
machine. Built exactly as specified:

* people are ``mesa.Agent`` s with per-agent state in 4-element numpy arrays (K = 4 tasks);
* effort ``e = softmax(λ·A)`` with λ = 2;
* output ``y_k = p_k·e_k + σ·ε_k`` (σ = 0.5), productivities ``p_k`` lognormal around
  (1.0, 1.1, 1.2, 1.3);
* pay ``= 1 + Σ b_k·y_k + 0.3·(last month's team mean output) − 0.25·Σ e_k²`` with
  b = (1.0, 0.8, 0.6, 0.4) and teams of 10;
* an EWA update (Camerer & Ho 1999) with the foregone payoff of "focus fully on task k"
  (φ = 0.9, δ = 0.5, ρ = 0.9);
* accounts are Boltzmann-wealth agents: each gives one unit to a random other account chosen
  from a cached Python list;
* everyone steps through ``model.agents.shuffle_do("step")``.
"""

from __future__ import annotations

import mesa
import numpy as np

K = 4
LAMBDA, SIGMA = 2.0, 0.5
PHI, DELTA, RHO = 0.9, 0.5, 0.9
B = np.array([1.0, 0.8, 0.6, 0.4])
P_CENTRE = np.array([1.0, 1.1, 1.2, 1.3])
TEAM_SIZE, TEAM_WEIGHT, EFFORT_COST = 10, 0.3, 0.25


class Person(mesa.Agent):
    """A person splitting effort over K tasks, learning by EWA."""

    def __init__(self, model: ReferenceModel, team: int) -> None:
        super().__init__(model)
        self.team = team
        self.productivity = P_CENTRE * np.exp(0.2 * model.np_rng.standard_normal(K))
        self.attraction = np.zeros(K)
        self.experience = 1.0
        self.output = 0.0

    def step(self) -> None:
        """Choose effort, produce, get paid, learn."""
        z = LAMBDA * self.attraction
        e = np.exp(z - z.max())
        e /= e.sum()
        noise = SIGMA * self.model.np_rng.standard_normal(K)
        y = self.productivity * e + noise
        team_bonus = TEAM_WEIGHT * self.model.team_output_last[self.team]
        pay = 1.0 + float(B @ y) + team_bonus - EFFORT_COST * float(e @ e)
        # Foregone payoff of focusing fully on task k, under the same noise draw.
        focus = 1.0 + B * (self.productivity + noise) + team_bonus - EFFORT_COST
        weight = DELTA + (1.0 - DELTA) * e
        n_old = self.experience
        self.experience = RHO * n_old + 1.0
        self.attraction = (PHI * n_old * self.attraction + weight * focus) / self.experience
        self.output = float(y.sum())
        self.model.team_output_now[self.team] += self.output
        self.model.pay_total += pay


class Account(mesa.Agent):
    """A Boltzmann-wealth account."""

    def __init__(self, model: ReferenceModel) -> None:
        super().__init__(model)
        self.wealth = 1

    def step(self) -> None:
        """Give one unit to a random other account."""
        if self.wealth > 0:
            other = self.random.choice(self.model.account_list)
            other.wealth += 1
            self.wealth -= 1


class ReferenceModel(mesa.Model):
    """People and accounts stepped the idiomatic Mesa 3 way."""

    def __init__(self, n_people: int, n_accounts: int, seed: int = 0) -> None:
        super().__init__(seed=seed)
        self.np_rng = np.random.default_rng(seed)
        self.n_teams = -(-n_people // TEAM_SIZE)
        self.team_output_last = np.zeros(self.n_teams)
        self.team_output_now = np.zeros(self.n_teams)
        self.team_counts = np.zeros(self.n_teams)
        self.pay_total = 0.0
        for i in range(n_people):
            Person(self, i // TEAM_SIZE)
            self.team_counts[i // TEAM_SIZE] += 1
        self.account_list = [Account(self) for _ in range(n_accounts)]

    def step(self) -> None:
        """One month."""
        self.team_output_now[:] = 0.0
        self.agents.shuffle_do("step")
        self.team_output_last = self.team_output_now / self.team_counts


def run_reference(n_people: int, n_accounts: int, months: int, seed: int = 0) -> float:
    """Build and run the reference; returns the total pay (a checksum)."""
    model = ReferenceModel(n_people, n_accounts, seed)
    for _ in range(months):
        model.step()
    return model.pay_total
