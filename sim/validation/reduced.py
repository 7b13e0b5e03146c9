"""Checks in the reduced environments of :mod:`sim.theory`.

The firm's learning engine and plan classes without the firm around them: LEN, the forcing
contract, Hamilton et al.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.rng import generator, replication_seeds
from sim.stats import mean_ci
from sim.validation.checks import Check, expectation, ratio_ci


def reduced_task(task: tuple[str, dict[str, Any]]) -> Any:
    """Run one reduced-environment learning run in a worker: ``(kind, kwargs)``."""
    from sim.effort import EffortSpace
    from sim.plans import build_plan
    from sim.theory import learn, learner_params

    _, kw = task
    space = EffortSpace(tuple(kw["tasks"]), float(kw["budget"]), float(kw["grid_step"]),
                        np.asarray(kw["cost"], float), np.asarray(kw.get("intrinsic", 0.0)))
    plan = build_plan(kw["plan"], "validation.plan")
    lp = learn(plan, space, learner_params(kw["learner"]), n_people=int(kw["n_people"]),
               team_size=int(kw.get("team_size", 1)), sigma=float(kw["sigma"]),
               baseline=kw["baseline"], prior=kw["prior"], periods=int(kw["periods"]),
               window=float(kw["window"]), seed=int(kw["seed"]))
    cost = space.net_cost(lp.by_person)
    return {"effort": lp.by_person.sum(axis=1), "pay_mean": lp.pay_mean, "pay_var": lp.pay_var,
            "output": lp.output_mean, "cost": cost}


@dataclass
class Context:
    """What a reduced check needs: its preset, a pool map and where figures go."""

    preset: str
    spec: dict[str, Any]
    learner: dict[str, Any]
    map: Callable[[Callable[[Any], Any], list[Any]], list[Any]]
    figures: Path
    extras: dict[str, Any] = field(default_factory=dict)

    def base(self) -> dict[str, Any]:
        """Keyword arguments shared by every run of the check."""
        s = self.spec
        return {"tasks": ["x"], "budget": s["budget"], "grid_step": s["grid_step"],
                "learner": self.learner, "periods": s["periods"], "window": s["window"],
                "n_people": s["n_people"]}


def check_len(ctx: Context) -> list[Check]:
    """Holmström & Milgrom (1987): the profit-maximising linear commission β*.

    For each (r, c, σ²): sweep β over a grid around β* with common random numbers; the person
    learns effort under ``commission`` at rate β; from the *simulated* pay stream the certainty
    equivalent is mean − r/2·variance − effort cost, and the fixed pay α(β) makes it equal the
    outside option ū, so the principal's profit is v·E[output] − r/2·Var(pay) − cost − ū. A
    quadratic fitted to profit over β gives the vertex; seeds are bootstrapped for its CI.
    """
    s = ctx.spec
    checks = []
    seeds = replication_seeds(int(s["seed"]), int(s["seeds"]))
    grid = np.asarray(s["beta_grid"], float)
    v = float(s["value"])
    for point in s["points"]:
        r, c, s2 = float(point["r"]), float(point["c"]), float(point["sigma2"])
        target = v / (1 + r * c * s2)
        betas = target * grid
        tasks = []
        for seed in seeds:
            for b in betas:
                kw = {**ctx.base(), "cost": [[c]], "sigma": math.sqrt(s2),
                      "baseline": float(s["baseline"]), "prior": [float(s["prior"])],
                      "seed": seed, "plan": {"kind": "commission", "measure": "x",
                                             "rate": float(b)}}
                tasks.append(("len", kw))
        out = ctx.map(reduced_task, tasks)
        profit = np.array([np.mean(v * o["output"] - 0.5 * r * o["pay_var"] - o["cost"])
                           for o in out]).reshape(len(seeds), len(betas))
        alpha = np.array([np.mean(-o["pay_mean"] + 0.5 * r * o["pay_var"] + o["cost"])
                          for o in out]).reshape(len(seeds), len(betas))

        def vertex(p: np.ndarray, betas: np.ndarray = betas) -> float:
            a2, a1, _ = np.polyfit(betas, p.mean(axis=0), 2)
            return float(-a1 / (2 * a2)) if a2 < 0 else math.nan

        est = vertex(profit)
        rng = generator(int(s["seed"]))
        boot = np.array([vertex(profit[rng.integers(0, len(seeds), len(seeds))])
                         for _ in range(1000)])
        dropped = int(np.isnan(boot).sum())  # resamples whose fitted parabola opens upwards
        lo, hi = np.nanpercentile(boot, [2.5, 97.5]) if dropped < boot.size else (math.nan,) * 2
        tag = f"r{r:g}_c{c:g}_s{s2:g}"
        ctx.extras.setdefault("len", []).append(
            {"point": tag, "betas": betas.tolist(), "profit": profit.mean(axis=0).tolist(),
             "alpha_minus_ubar": alpha.mean(axis=0).tolist(), "target": target, "vertex": est})
        checks.append(Check(
            name=f"len_beta_star_{tag}", source="Holmström & Milgrom (1987), LEN",
            expected=expectation("equivalent", target, float(s["tolerance"]) * target,
                                 what=f"profit-maximising β (β* = v/(1+rcσ²) = {target:.4f})"),
            measured=est, ci_low=float(lo), ci_high=float(hi),
            tolerance=float(s["tolerance"]) * target, preset=ctx.preset,
            note=f"quadratic fit over β = β* × {', '.join(f'{g:g}' for g in grid)}; "
                 f"{len(seeds)} seeds, common random numbers across β; bootstrap CI over seeds "
                 f"({dropped} of 1000 resamples without a maximum)"))
    return checks


def check_forcing(ctx: Context) -> list[Check]:
    """Holmström (1982): a forcing contract supports efficient effort — and zero effort.

    A team of n shares a pot paid only when team output reaches Q* = n·(x₀ + e_eff) (a
    ``team_scorecard`` with a step curve; output is noiseless, as in Holmström's deterministic
    setting). Which equilibrium learning reaches depends on where it starts. A team counts as "at
    Q*" when its mean learned effort is at least ``at_share`` of efficient effort; the share of
    teams at Q* is measured per seed.
    """
    s = ctx.spec
    seeds = replication_seeds(int(s["seed"]), int(s["seeds"]))
    n, teams = int(s["team_size"]), int(s["teams"])
    eff = float(s["efficient_effort"])
    base = float(s["baseline"])
    plan = {"kind": "team_scorecard", "weights": {"x": 1.0},
            "target": {"x": base + float(s["threshold_share"]) * eff},
            "bonus": float(s["bonus"]), "curve": [[1.0 - 1e-4, 1.0], [10.0, 1.0]]}
    priors = [float(p) for p in s["priors"]]
    tasks = [("forcing", {**ctx.base(), "n_people": n * teams, "team_size": n,
                          "cost": [[float(s["cost"])]], "sigma": float(s["sigma"]),
                          "baseline": base, "prior": [p * eff], "seed": seed, "plan": plan})
             for p in priors for seed in seeds]
    out = ctx.map(reduced_task, tasks)
    team_effort = np.array([o["effort"].reshape(teams, n).mean(axis=1) for o in out])
    at_q = (team_effort >= float(s["at_share"]) * eff).mean(axis=1)
    at_q = at_q.reshape(len(priors), len(seeds))
    ctx.extras["forcing"] = {"priors": priors, "share_at_q": at_q.mean(axis=1).tolist(),
                             "effort": team_effort.mean(axis=1).reshape(
                                 len(priors), len(seeds)).mean(axis=1).tolist(),
                             "efficient": eff}
    checks = []
    tol = float(s["tolerance"])
    for p, row in zip(priors, at_q, strict=True):
        m, lo, hi = mean_ci(row).interval
        if p == 0.0:
            checks.append(Check(
                name="forcing_zero_start_stays_at_zero", source="Holmström (1982)",
                expected=expectation("near", 0.0, tol, what="share of teams at Q* from zero"),
                measured=m, ci_low=lo, ci_high=hi, tolerance=tol, preset=ctx.preset,
                note="nobody alone can reach Q* when the others rest: zero effort is stable"))
        if p == 1.0:
            checks.append(Check(
                name="forcing_efficient_start_stays_efficient", source="Holmström (1982)",
                expected=expectation("greater", 0.5,
                                     what="share of teams at Q* from the efficient start"),
                measured=m, ci_low=lo, ci_high=hi, tolerance=0.0, preset=ctx.preset,
                note="teams that keep Q* sit exactly on it; a team that loses it falls to zero "
                     "and never comes back (docs/validation.md: the longer the run, the more "
                     "teams tip, as in Nalbantian & Schotter's experiments)"))
    return checks


def check_hamilton(ctx: Context) -> list[Check]:
    """Hamilton, Nickerson & Owan (2003): individual piece rate → team pay, by ability mix.

    People differ in baseline productivity (ability); teams of n. Arm 1 pays a piece rate on own
    output, arm 2 the same rate on team output shared equally (the firm's ``gain_sharing`` at team
    level). Productivity is output per person. The model has no knowledge-transfer mechanism, so
    it predicts the 1/n free-riding loss whatever the ability mix: a stated negative.
    """
    s = ctx.spec
    seeds = replication_seeds(int(s["seed"]), int(s["seeds"]))
    n, teams = int(s["team_size"]), int(s["teams"])
    rate = float(s["rate"])
    checks = []
    effects = []
    for spread in s["ability_spreads"]:
        ability = float(s["baseline"]) + float(spread) * np.tile(np.linspace(-1, 1, n), teams)
        arms = {"individual": {"kind": "commission", "measure": "x", "rate": rate},
                "team": {"kind": "gain_sharing", "base": {"x": rate}, "level": "team",
                         "equal_share": 1.0, "contribution": {"x": 1.0}}}
        tasks = [("hamilton", {**ctx.base(), "n_people": n * teams, "team_size": n,
                               "cost": [[float(s["cost"])]], "sigma": float(s["sigma"]),
                               "baseline": ability.tolist(), "prior": [float(s["prior"])],
                               "seed": seed, "plan": plan})
                 for plan in arms.values() for seed in seeds]
        out = ctx.map(reduced_task, tasks)
        prod = np.array([o["output"].mean() for o in out]).reshape(2, len(seeds))
        est, lo, hi = ratio_ci(prod[1], prod[0])
        effects.append(est)
        checks.append(Check(
            name=f"hamilton_team_pay_productivity_spread{spread:g}",
            source="Hamilton, Nickerson & Owan (2003): +14 %",
            expected=expectation("greater", 0.0, what="productivity, team / individual − 1"),
            measured=est, ci_low=lo, ci_high=hi, tolerance=0.0, preset=ctx.preset,
            note="no knowledge-transfer or peer mechanism in the model: team pay can only "
                 "dilute incentives (1/n)"))
    ctx.extras["hamilton"] = {"spreads": list(s["ability_spreads"]), "effect": effects}
    return checks


def check_not_built(ctx: Context) -> list[Check]:
    """A check whose mechanism the model does not contain, recorded as a failure with the reason.

    The gap then shows in every validation report instead of being left out.
    """
    s = ctx.spec
    return [Check(name=str(s["name"]), source=str(s["source"]),
                  expected={"rule": "greater", "target": 0.0, "text": str(s["expected"])},
                  measured=None, ci_low=None, ci_high=None, tolerance=0.0, preset=ctx.preset,
                  note=str(s["reason"]))]


#: Reduced-environment checks by ``validation.check``.
REDUCED: dict[str, Callable[[Context], list[Check]]] = {
    "len": check_len, "forcing": check_forcing, "hamilton": check_hamilton,
    "not_built": check_not_built,
}

