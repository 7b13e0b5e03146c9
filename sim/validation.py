"""Validation: the assembled model against incentive theory, field evidence and the business case.

``incentive-sim-validate [NAME ...] [--quick] [--seeds N]`` (``make validate``) runs every preset
``configs/experiment/validate_*.yaml`` (or the named ones) and writes a fresh folder
``results/validation/run-NNN/`` with ``checks.json``, ``report.md`` and ``report.html`` (with
figures); ``results/validation/checks.json`` is a copy of the latest run's checks.

A preset is an ordinary experiment preset plus a ``validation`` block:

* ``kind: reduced`` — a check in the reduced environment of :mod:`sim.theory` (the firm's learning
  engine and plan classes without the firm around them), computed by a function in
  :data:`REDUCED` named by ``validation.check``;
* ``kind: firm`` — ``arms`` (name → config overrides) each run at the same ``seeds`` seeds spawned
  from the preset's ``seed`` (common random numbers: arms are paired by seed), every run reduced
  to one row of statistics by :func:`firm_stats`; ``checks`` are then evaluated from those rows by
  :func:`evaluate_spec`, declaratively: a statistic of one arm, a paired difference between two
  arms, or a relative effect ``a / b − 1``.

Every check ends as a :class:`Check` with one of the rules of :func:`decide`. The closed forms and
field numbers are *targets*; nothing in a preset feeds them to the agents.
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import math
import os
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.config import ConfigError
from sim.experiment import replication_seeds
from sim.rng import generator

#: The rules a check can use (docs/validation.md defines each).
RULES = ("near", "greater", "less", "equivalent", "between")


def decide(rule: str, measured: float | None, ci_low: float | None, ci_high: float | None,
           target: float, tolerance: float, low: float | None = None,
           high: float | None = None) -> bool:
    """Whether a check passes.

    * ``near``: ``|measured − target| ≤ tolerance``;
    * ``greater`` / ``less``: the 95 % CI lies above / below ``target`` (a direction with
      confidence);
    * ``equivalent``: the 95 % CI lies inside ``target ± tolerance`` (an equivalence test, not
      "the CI covers the target");
    * ``between``: ``low ≤ measured ≤ high``.

    A check without a measurement (a mechanism that is not built) fails.
    """
    if measured is None or not math.isfinite(measured):
        return False
    lo = -math.inf if ci_low is None else ci_low
    hi = math.inf if ci_high is None else ci_high
    if rule == "near":
        return abs(measured - target) <= tolerance
    if rule == "greater":
        return lo > target
    if rule == "less":
        return hi < target
    if rule == "equivalent":
        return target - tolerance <= lo and hi <= target + tolerance
    if rule == "between":
        if low is None or high is None:
            raise ValueError("rule 'between' needs low and high")
        return low <= measured <= high
    raise ValueError(f"unknown rule {rule!r}")


@dataclass
class Check:
    """One validation check.

    Attributes:
        name: Stable identifier, e.g. ``len_beta_star_r1_c1_s0.25``.
        source: The paper or business-case claim it reproduces.
        expected: The rule and its numbers: ``rule``, ``target`` and for ``between`` ``low`` and
            ``high``, plus ``text`` in words.
        measured: The model's value (``None`` when the mechanism is not built).
        ci_low: Lower end of its 95 % CI (``None`` when not applicable).
        ci_high: Upper end.
        tolerance: Allowed distance (``near``, ``equivalent``); 0 otherwise.
        passed: :func:`decide` on the fields above.
        preset: The preset that produced it.
        note: What was calibrated, or why a check fails.
    """

    name: str
    source: str
    expected: dict[str, Any]
    measured: float | None
    ci_low: float | None
    ci_high: float | None
    tolerance: float
    passed: bool = False
    preset: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        e = self.expected
        self.passed = decide(e["rule"], self.measured, self.ci_low, self.ci_high,
                             float(e.get("target", 0.0)), float(self.tolerance),
                             e.get("low"), e.get("high"))


def expectation(rule: str, target: float = 0.0, tolerance: float = 0.0,
                low: float | None = None, high: float | None = None, what: str = "") -> dict:
    """The ``expected`` field of a check, with the rule in words."""
    words = {
        "near": f"{what} within ±{tolerance:g} of {target:g}",
        "greater": f"{what} > {target:g} (95 % CI above)",
        "less": f"{what} < {target:g} (95 % CI below)",
        "equivalent": f"{what} within {target:g} ± {tolerance:g} (95 % CI inside)",
        "between": f"{what} in [{low:g}, {high:g}]" if low is not None and high is not None
        else "",
    }[rule]
    out: dict[str, Any] = {"rule": rule, "target": target, "text": words.strip()}
    if rule == "between":
        out.update(low=low, high=high)
    return out


# -- statistics ------------------------------------------------------------------------------------

def mean_ci(x: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95 % t interval over seeds (:func:`sim.stats.mean_ci`: non-finite dropped)."""
    from sim import stats

    s = stats.mean_ci(x)
    return s.mean, s.low, s.high


def ratio_ci(a: np.ndarray, b: np.ndarray, seed: int = 0, n_boot: int = 4000
             ) -> tuple[float, float, float]:
    """Relative effect ``mean(a) / mean(b) − 1`` of paired samples, with a bootstrap 95 % CI."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    est = float(a.mean() / b.mean() - 1)
    rng = generator(seed)
    idx = rng.integers(0, a.size, size=(n_boot, a.size))
    boot = a[idx].mean(axis=1) / b[idx].mean(axis=1) - 1
    lo, hi = np.percentile(boot, [2.5, 97.5])
    return est, float(lo), float(hi)


# -- firm runs -------------------------------------------------------------------------------------

def _fiscal_years(n_months: int, burn: int) -> list[int]:
    """Start months of the whole fiscal years after burn-in."""
    return [y for y in range(0, n_months - 11, 12) if y >= burn]


def firm_stats(result: Any, cfg: Mapping[str, Any]) -> dict[str, float]:
    """One row of statistics from a firm run: its metrics plus timing and discount patterns.

    Fiscal years start at months 0, 12, 24, … (as the firm's plans do); only whole years that start
    at or after ``firm.burn_in`` count.

    * ``q1_excess`` / ``q4_excess``: bookings of the first / last fiscal quarter over the mean of
      the two middle quarters, minus 1, averaged over years (Oyer 1998);
    * ``jan_slipped_share`` / ``mid_slipped_share``: share (by count) of project deals booked in
      January / in Q2–Q3 that slipped from the month before — January's slipped deals are the
      previous December's (does a slipped year-end deal lift next Q1?); ``jan_slip_lift`` is the
      difference;
    * ``dec_pulled_share`` / ``mid_pulled_share``: share of project deals booked in December / in
      Q2–Q3 that were pulled in from later months;
    * ``q4_project_share``: Q4's share of the year's project bookings (0.25 without bunching);
    * ``q4_discount_gap``: value-weighted mean discount of project deals booked in Q4 minus that of
      Q2–Q3 deals, averaged over years;
    * ``revenue_lost``: Σ over Q4 project deals of (discount − value-weighted mean Q2–Q3 discount of
      the same year) × list value, over the net bookings (project and run-rate) of the years
      counted (Larkin 2014's definition);
    * ``revenue_per_effort``: annual revenue per effort-month worked (S12);
    * from realised effort averaged over the whole years counted (not the end-of-run policy):
      ``hunting_effort`` (ARs' effort on hunting new accounts, S6), ``sales_effort`` (ARs' total
      effort, Steenburgh 2008), ``own_kpi_effort_sr_fr`` and ``own_kpi_share_sr_fr`` (SR and FR
      effort on their own KPI and its share of their effort, S7; headcount-weighted);
    * ``cap_binding_share``: share of AR-years in which the plan ``validation.cap_plan``'s cap
      binds (Misra & Nair 2011), when given.
    """
    m = {k: float(v) for k, v in result.metrics.items()}
    ts = result.timeseries
    burn = int(cfg["firm"]["burn_in"])
    years = _fiscal_years(len(ts), burn)
    book = np.array([r["bookings"] for r in ts])
    q1: list[float] = []
    q4: list[float] = []
    for y in years:
        q = book[y:y + 12].reshape(4, 3).sum(axis=1)
        middle = q[1:3].mean()
        q1.append(q[0] / middle - 1)
        q4.append(q[3] / middle - 1)
    m["q1_excess"] = float(np.mean(q1)) if q1 else math.nan
    m["q4_excess"] = float(np.mean(q4)) if q4 else math.nan
    d = result.deals
    if d is not None and years:
        proj = (~d["run_rate"]) & (d["booked"] >= years[0]) & (d["booked"] < years[-1] + 12)
        proj &= d["owner"] >= 0
        allb = (d["booked"] >= years[0]) & (d["booked"] < years[-1] + 12) & (d["owner"] >= 0)
        fm = d["booked"] % 12
        net = d["value"] * (1 - d["discount"])
        is_q4 = fm >= 9
        is_mid = (fm >= 3) & (fm < 9)
        pv = net[proj]
        m["q4_project_share"] = float(pv[is_q4[proj]].sum() / max(pv.sum(), 1e-12))

        def share(flag: str, mask: np.ndarray) -> float:
            sel = proj & mask
            return float(d[flag][sel].mean()) if sel.any() else math.nan

        m["jan_slipped_share"] = share("slipped", fm == 0)
        m["mid_slipped_share"] = share("slipped", is_mid)
        m["jan_slip_lift"] = m["jan_slipped_share"] - m["mid_slipped_share"]
        m["dec_pulled_share"] = share("pulled", fm == 11)
        m["mid_pulled_share"] = share("pulled", is_mid)
        gaps, lost, base = [], 0.0, 0.0
        year_of = d["booked"] // 12
        for y in years:
            in_y = proj & (year_of == y // 12)
            mids, ends = in_y & is_mid, in_y & is_q4
            if not mids.any() or not ends.any():
                continue
            ref = float(np.average(d["discount"][mids], weights=d["value"][mids]))
            gaps.append(float(np.average(d["discount"][ends], weights=d["value"][ends])) - ref)
            lost += float(((d["discount"][ends] - ref) * d["value"][ends]).sum())
            base += float(net[allb & (year_of == y // 12)].sum())
        m["q4_discount_gap"] = float(np.mean(gaps)) if gaps else math.nan
        m["revenue_lost"] = lost / base if base > 0 else math.nan
    n = len(result.people)
    m["revenue_per_effort"] = m["revenue"] / max(m["total_effort"] * n * 12, 1e-12)
    sales = [p for p in result.people if p["role"] == "sales"]
    window = slice(years[0], years[-1] + 12) if years else slice(None)
    eff = {k: float(np.mean(v[window])) for k, v in (result.effort or {}).items()}
    m["hunting_effort"] = eff.get("sales.hunting", math.nan)
    m["sales_effort"] = sum(v for k, v in eff.items() if k.startswith("sales."))
    heads = {r: sum(1 for p in result.people if p["role"] == r) for r in ("rnd", "supply_chain")}
    total = max(sum(heads.values()), 1)
    m["own_kpi_effort_sr_fr"] = sum(heads[r] * eff.get(f"{r}.own_kpi", 0.0) for r in heads) / total
    m["own_kpi_share_sr_fr"] = sum(
        heads[r] * eff.get(f"{r}.own_kpi", 0.0)
        / max(sum(v for k, v in eff.items() if k.startswith(f"{r}.")), 1e-12)
        for r in heads) / total
    cap_plan = (cfg.get("validation") or {}).get("cap_plan")
    if cap_plan and cap_plan in cfg["scheme"]["plans"] and d is not None and years:
        m["cap_binding_share"] = _cap_binding(d, cfg["scheme"]["plans"][cap_plan], years, burn,
                                              len(sales))
    return m


def _cap_binding(d: Mapping[str, np.ndarray], plan: Mapping[str, Any], years: list[int],
                 burn: int, n_sales: int) -> float:
    """Share of AR-years in which a capped plan's cap binds (Misra & Nair 2011).

    Each AR's bookings per fiscal year come from the deal ledger (the plan's ``revenue`` measure
    credited at booking). For a ``target_bonus`` the quota path is rebuilt with the plan's own
    ratchet from the first target (a hire who replaced a leaver inherits the path: an
    approximation); the cap binds at attainment ≥ the curve's last point. For a ``commission``
    with a cap it binds when the rate table on the year's bookings reaches the cap.
    """
    booked = (d["booked"] >= years[0]) & (d["owner"] >= 0)
    net = d["value"] * (1 - d["discount"])
    year_of = d["booked"] // 12
    first = years[0] // 12
    per_year = []
    for k in range(len(years)):
        sel = booked & (year_of == first + k)
        per_year.append(np.bincount(d["owner"][sel], weights=net[sel], minlength=n_sales))
    if plan["kind"] == "target_bonus":
        target = np.full(n_sales, float(plan["target"]["revenue"]))
        rho, g = float(plan.get("ratchet", 0.0)), float(plan.get("growth", 0.0))
        # Years before the first whole one after burn-in also moved the quota.
        for k in range(first):
            sel = (d["owner"] >= 0) & (d["booked"] >= 0) & (year_of == k)
            res = np.bincount(d["owner"][sel], weights=net[sel], minlength=n_sales)
            target = (1 + g) * np.maximum(target + rho * (res - target), 1e-9)
        cap_at = float(plan["curve"][-1][0])
        hits = []
        for res in per_year:
            hits.append(res / target >= cap_at)
            target = (1 + g) * np.maximum(target + rho * (res - target), 1e-9)
        return float(np.mean(hits))
    if plan["kind"] == "commission" and plan.get("cap") is not None:
        from sim.plans.curves import tiered_amount

        arr = np.asarray(plan.get("tiers") or [[0.0, plan.get("rate", 0.0)]], float)
        paid = [tiered_amount(np.maximum(r, 0), arr[:, 0], arr[:, 1], False) for r in per_year]
        return float(np.mean([p >= float(plan["cap"]) for p in paid]))
    return math.nan


def firm_task(task: tuple[Mapping[str, Any], int]) -> dict[str, float]:
    """Run one arm at one seed in a worker and reduce it to :func:`firm_stats`."""
    import copy
    import logging

    from sim.simulation import run

    logging.getLogger("MESA").setLevel(logging.WARNING)
    cfg, seed = task
    c = copy.deepcopy(dict(cfg))
    c["seed"] = int(seed)
    return firm_stats(run(c, keep_deals=True), c)


def evaluate_spec(spec: Mapping[str, Any], rows: Mapping[str, Mapping[str, np.ndarray]],
                  preset: str) -> Check:
    """Evaluate one declarative firm check on the arms' rows.

    ``spec`` has ``name``, ``source``, ``stat`` and one of ``arm`` (that arm's mean),
    ``diff: [a, b]`` (paired difference a − b) or ``relative: [a, b]`` (mean a / mean b − 1),
    then ``rule``, ``target``, ``tolerance`` (and ``low``/``high``) and an optional ``note``.
    """
    stat = str(spec["stat"])
    named = [spec["arm"]] if "arm" in spec else list(spec.get("diff") or spec.get("relative") or [])
    missing = [a for a in named if stat not in rows[a]]
    if missing:  # recorded as a failed check rather than losing the whole run to a KeyError
        return Check(name=str(spec["name"]), source=str(spec["source"]),
                     expected=expectation(str(spec["rule"]), float(spec.get("target", 0.0)),
                                          float(spec.get("tolerance", 0.0)), spec.get("low"),
                                          spec.get("high"), stat),
                     measured=None, ci_low=None, ci_high=None,
                     tolerance=float(spec.get("tolerance", 0.0)), preset=preset,
                     note=f"statistic {stat!r} not produced for {', '.join(missing)}")
    if "arm" in spec:
        x = rows[spec["arm"]][stat]
        est, lo, hi = mean_ci(x)
        what = f"{stat} under {spec['arm']}"
    elif "diff" in spec:
        a, b = spec["diff"]
        est, lo, hi = mean_ci(rows[a][stat] - rows[b][stat])
        what = f"{stat}: {a} − {b}"
    else:
        a, b = spec["relative"]
        est, lo, hi = ratio_ci(rows[a][stat], rows[b][stat])
        what = f"{stat}: {a} / {b} − 1"
    rule = str(spec["rule"])
    tol = float(spec.get("tolerance", 0.0))
    return Check(
        name=str(spec["name"]), source=str(spec["source"]),
        expected=expectation(rule, float(spec.get("target", 0.0)), tol, spec.get("low"),
                             spec.get("high"), what),
        measured=est, ci_low=lo, ci_high=hi, tolerance=tol, preset=preset,
        note=str(spec.get("note", "")))


# -- reduced-environment checks -------------------------------------------------------------------

def _reduced_task(task: tuple[str, dict[str, Any]]) -> Any:
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
        out = ctx.map(_reduced_task, tasks)
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
    out = ctx.map(_reduced_task, tasks)
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
        m, lo, hi = mean_ci(row)
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
        out = ctx.map(_reduced_task, tasks)
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


# -- presets and running ---------------------------------------------------------------------------

def presets() -> list[str]:
    """Names of the validation presets (without the ``validate_`` prefix), sorted."""
    from sim.config import group_options

    return sorted(o.removeprefix("validate_") for o in group_options("experiment")
                  if o.startswith("validate_"))


def load_preset(name: str, extra: Sequence[str] = ()) -> dict[str, Any]:
    """The composed, validated config of ``experiment=validate_<name>`` as plain containers."""
    from sim.config import load_config
    from sim.simulation import plain

    cfg = plain(load_config([f"experiment=validate_{name}", *extra]))
    v = cfg.get("validation")
    if not isinstance(v, dict) or v.get("kind") not in ("reduced", "firm"):
        raise ConfigError(f"validation.kind: must be reduced or firm in validate_{name}")
    if v["kind"] == "reduced" and v.get("check") not in REDUCED:
        raise ConfigError(f"validation.check: must be one of {', '.join(REDUCED)}, "
                          f"got {v.get('check')!r}")
    if v["kind"] == "firm":
        arms = arms_of(v)
        if not arms:
            raise ConfigError(f"validation.arms: validate_{name} lists no arms")
        for spec in v.get("checks", []):
            _check_spec(spec, arms)
    return cfg


def _check_spec(spec: Mapping[str, Any], arms: Mapping[str, Any]) -> None:
    """A declarative firm check is complete and names existing arms, or a one-line error."""
    where = f"validation.checks[{spec.get('name')!r}]"
    for key in ("name", "source", "stat"):
        if not spec.get(key):
            raise ConfigError(f"{where}.{key}: required")
    if spec.get("rule") not in RULES:
        raise ConfigError(f"{where}.rule: must be one of {', '.join(RULES)}, "
                          f"got {spec.get('rule')!r}")
    given = [k for k in ("arm", "diff", "relative") if k in spec]
    if len(given) != 1:
        raise ConfigError(f"{where}: give exactly one of arm, diff, relative")
    named = [spec["arm"]] if given[0] == "arm" else list(spec[given[0]])
    if given[0] != "arm" and len(named) != 2:
        raise ConfigError(f"{where}.{given[0]}: must name two arms [a, b]")
    for arm in named:
        if arm not in arms:
            raise ConfigError(f"{where}: unknown arm {arm!r}; allowed: {', '.join(arms)}")
    if spec["rule"] == "between" and ("low" not in spec or "high" not in spec):
        raise ConfigError(f"{where}: rule between needs low and high")


def _check_cap_plan(plan: Mapping[str, Any], where: str) -> None:
    """The cap-binding statistic models annual revenue plans only: refuse anything else."""
    kind = plan.get("kind")
    if kind == "target_bonus" and set(plan.get("weights", {})) == {"revenue"} and int(
            plan.get("period", 1)) == 12:
        return
    if kind == "commission" and plan.get("measure", "revenue") == "revenue" and plan.get(
            "tier_style", "marginal") == "marginal" and int(plan.get("period", 1)) == 12:
        return
    raise ConfigError(f"{where}: the cap statistic needs an annual (period 12) revenue "
                      f"target_bonus or marginal revenue commission, got {kind!r}")


@dataclass
class Settings:
    """How hard to run: quick (tests) or full (``make validate``)."""

    quick: bool = False
    seeds: int | None = None
    workers: int | None = None


def arms_of(v: Mapping[str, Any]) -> dict[str, list[str]]:
    """A firm preset's arms: ``arms`` as given, then every point of ``grid``.

    ``grid`` is a product of ``key: [values]``; its arms are named ``label=value …`` after each
    key's last component, and start from ``grid_base`` overrides.
    """
    import itertools

    arms = {str(k): [str(o) for o in ov] for k, ov in (v.get("arms") or {}).items()}
    grid = v.get("grid") or {}
    if not grid:
        return arms
    base = [str(o) for o in v.get("grid_base", [])]
    for values in itertools.product(*grid.values()):
        pairs = list(zip(grid, values, strict=True))
        name = " ".join(f"{k.rsplit('.', 1)[-1]}={val}" for k, val in pairs)
        arms[name] = [*base, *(f"{k}={val}" for k, val in pairs)]
    return arms


def _arm_configs(name: str, v: Mapping[str, Any], quick: bool) -> dict[str, dict[str, Any]]:
    """Every arm's composed, validated config (a bad override is a one-line ConfigError)."""
    extra = ["debug=small"] if quick else []
    out = {arm: load_preset(name, [*extra, *overrides]) for arm, overrides in arms_of(v).items()}
    cap = v.get("cap_plan")
    for arm, cfg in out.items():
        if cap and cap in cfg["scheme"]["plans"]:
            _check_cap_plan(cfg["scheme"]["plans"][cap], f"validation.cap_plan ({arm})")
    return out


def run_preset(name: str, settings: Settings, pool: Any, figures: Path
               ) -> tuple[list[Check], dict[str, Any]]:
    """Run one preset's checks; returns them and its raw results for the report."""
    cfg = load_preset(name)
    v = dict(cfg["validation"])
    mapper = (lambda f, xs: list(pool.map(f, xs))) if pool is not None else (
        lambda f, xs: [f(x) for x in xs])
    if v["kind"] == "reduced":
        spec = dict(v)
        if settings.quick:
            spec.update(spec.get("quick") or {})
        if settings.seeds:
            spec["seeds"] = settings.seeds
        ctx = Context(f"validate_{name}", spec, dict(cfg["theory"]["learner"]), mapper, figures)
        return REDUCED[v["check"]](ctx), ctx.extras
    n = settings.seeds or (int(v.get("quick_seeds", 3)) if settings.quick else int(v["seeds"]))
    arms = _arm_configs(name, v, settings.quick)
    seeds = replication_seeds(int(cfg["seed"]), n)
    tasks = [(c, s) for c in arms.values() for s in seeds]
    out = mapper(firm_task, tasks)
    rows: dict[str, dict[str, np.ndarray]] = {}
    for k, arm in enumerate(arms):
        chunk = out[k * n:(k + 1) * n]
        rows[arm] = {key: np.array([r.get(key, math.nan) for r in chunk]) for key in chunk[0]}
    checks = [evaluate_spec(spec, rows, f"validate_{name}") for spec in v.get("checks", [])]
    extras: dict[str, Any] = {"arms": {a: {k: float(np.nanmean(x)) for k, x in r.items()}
                                       for a, r in rows.items()}, "seeds": n}
    if v.get("report"):
        # A quantity an arm does not have (the cap share of a plan without a cap) is left out.
        extras["report"] = {a: {k: mean_ci(r[k]) for k in v["report"]
                                if k in r and np.isfinite(r[k]).all()} for a, r in rows.items()}
    if v.get("frontier"):
        extras["frontier"] = {a: {k: r[k].tolist() for k in v["frontier"]}
                              for a, r in rows.items()}
    return checks, extras


def run_validation(names: Sequence[str], settings: Settings, out: Path
                   ) -> tuple[list[Check], dict[str, Any]]:
    """Run the named presets into ``out`` (``checks.json``, ``extras.json``, report)."""
    figures = out / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    checks: list[Check] = []
    extras: dict[str, Any] = {}
    workers = settings.workers or min(2, os.cpu_count() or 1)
    pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None
    try:
        for name in names:
            print(f"validate_{name} …", flush=True)
            got, extra = run_preset(name, settings, pool, figures)
            for c in got:
                print(f"  {'PASS' if c.passed else 'FAIL'} {c.name}: {_fmt(c.measured)} "
                      f"[{_fmt(c.ci_low)}, {_fmt(c.ci_high)}]; expected {c.expected['text']}",
                      flush=True)
            checks += got
            extras[name] = extra
    finally:
        if pool is not None:
            pool.shutdown()
    (out / "checks.json").write_text(json.dumps([asdict(c) for c in checks], indent=1,
                                                default=_json) + "\n")
    (out / "extras.json").write_text(json.dumps(extras, indent=1, default=_json) + "\n")
    write_report(out, checks, extras)
    return checks, extras


def _json(x: Any) -> Any:
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    raise TypeError(type(x))


def _fmt(x: float | None) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{x:.4g}"


# -- report ----------------------------------------------------------------------------------------

def _figures(out: Path, extras: Mapping[str, Any]) -> list[tuple[str, Path]]:
    """The validation figures (PNG): LEN profit curves, forcing basins, the S10 frontier."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figs: list[tuple[str, Path]] = []
    fdir = out / "figures"

    def finish(fig: Any, ax: Any, labels: tuple[str, str, str], file: str, caption: str) -> None:
        """Axis labels and title, save as PNG, and list it for the report."""
        ax.set_xlabel(labels[0])
        ax.set_ylabel(labels[1])
        ax.set_title(labels[2])
        fig.tight_layout()
        fig.savefig(fdir / file, dpi=110)
        plt.close(fig)
        figs.append((caption, fdir / file))

    len_ = (extras.get("len") or {}).get("len")
    if len_:
        fig, ax = plt.subplots(figsize=(6, 3.6))
        for p in len_:
            prof = np.array(p["profit"])
            ax.plot(np.array(p["betas"]) / p["target"], prof - prof.max(), "o-", label=p["point"])
        ax.axvline(1.0, color="k", lw=0.8)
        ax.legend(fontsize=7)
        finish(fig, ax, ("β / β*", "principal's profit − max",
                         "LEN: learned profit over β (vertex at β*)"), "len.png",
               "Optimal linear commission: profit from learned behaviour")
    forcing = (extras.get("forcing") or {}).get("forcing")
    if forcing:
        fig, ax = plt.subplots(figsize=(5, 3.4))
        ax.plot(np.array(forcing["priors"]) * forcing["efficient"], forcing["effort"], "o-")
        ax.axhline(forcing["efficient"], color="k", lw=0.8, ls="--", label="efficient")
        ax.legend(fontsize=7)
        finish(fig, ax, ("starting effort", "learned effort",
                         "Forcing contract: where learning ends"), "forcing.png",
               "Forcing contract: learned effort by starting point")
    for name, extra in extras.items():
        front = extra.get("frontier") if isinstance(extra, dict) else None
        if not front:
            continue
        keys = list(next(iter(front.values())))
        xk, yk = keys[0], keys[1]
        # Grid arms are named "a=1 b=x c=y": colour by the first factor, fill by the second,
        # marker by the third, so the frontier reads without a label per point.
        parts = {arm: dict(p.split("=", 1) for p in arm.split() if "=" in p) for arm in front}
        factors = list(next(iter(parts.values()))) if all(parts.values()) else []
        levels = {f: list(dict.fromkeys(parts[a][f] for a in front)) for f in factors}
        colours = plt.get_cmap("viridis")
        markers = "os^Dv"
        fig, ax = plt.subplots(figsize=(7.2, 4.6))
        for arm, vals in front.items():
            x, y = np.array(vals[xk]), np.array(vals[yk])
            style: dict[str, Any] = {"fmt": "o", "ms": 6}
            if factors:
                f0 = levels[factors[0]]
                c = colours(f0.index(parts[arm][factors[0]]) / max(len(f0) - 1, 1) * 0.85)
                style.update(color=c, mec=c)
                if len(factors) > 1 and levels[factors[1]].index(parts[arm][factors[1]]) > 0:
                    style["mfc"] = "white"
                if len(factors) > 2:
                    style["fmt"] = markers[levels[factors[2]].index(parts[arm][factors[2]]) % 5]
            else:
                ax.annotate(arm, (x.mean(), y.mean()), fontsize=6, xytext=(3, 3),
                            textcoords="offset points")
            ax.errorbar(x.mean(), y.mean(), xerr=1.96 * x.std(ddof=1) / math.sqrt(x.size),
                        yerr=1.96 * y.std(ddof=1) / math.sqrt(y.size), **style)
        if factors:
            from matplotlib.lines import Line2D

            handles = [Line2D([], [], ls="", marker="o", color=colours(
                i / max(len(levels[factors[0]]) - 1, 1) * 0.85), label=f"{factors[0]}={v}")
                for i, v in enumerate(levels[factors[0]])]
            if len(factors) > 1:
                handles += [Line2D([], [], ls="", marker="o", color="grey",
                                   mfc="grey" if i == 0 else "white", label=f"{factors[1]}={v}")
                            for i, v in enumerate(levels[factors[1]])]
            if len(factors) > 2:
                handles += [Line2D([], [], ls="", marker=markers[i % 5], color="grey",
                                   label=f"{factors[2]}={v}")
                            for i, v in enumerate(levels[factors[2]])]
            ax.legend(handles=handles, fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
        finish(fig, ax, (xk, yk, f"{name}: {yk} against {xk} (95 % CI)"),
               f"{name}_frontier.png", f"{name}: frontier")
    return figs


def _reported(extras: Mapping[str, Any]) -> list[str]:
    """Markdown table rows of the quantities presets list under ``validation.report``."""
    out = []
    for name, extra in extras.items():
        for arm, stats in ((extra.get("report") or {}) if isinstance(extra, dict) else {}).items():
            for key, (m, lo, hi) in stats.items():
                out.append(f"| {name} | {arm} | {key} | {_fmt(m)} [{_fmt(lo)}, {_fmt(hi)}] |")
    return out


def write_report(out: Path, checks: Sequence[Check], extras: Mapping[str, Any]) -> None:
    """``report.md`` and a self-contained ``report.html`` with the checks and figures."""
    figs = _figures(out, extras)
    passed = sum(c.passed for c in checks)
    lines = ["# Validation", "", f"{passed} of {len(checks)} checks pass. Each failure is "
             "discussed in docs/validation.md.", "",
             "| check | source | expected | measured | 95 % CI | passed |",
             "|---|---|---|---|---|---|"]
    for c in checks:
        lines.append(f"| {c.name} | {c.source} | {c.expected['text']} | {_fmt(c.measured)} | "
                     f"[{_fmt(c.ci_low)}, {_fmt(c.ci_high)}] | {'yes' if c.passed else 'NO'} |")
    notes = [f"- **{c.name}**: {c.note}" for c in checks if c.note]
    lines += ["", "## Notes", "", *notes, ""]
    reported = _reported(extras)
    if reported:
        lines += ["## Reported quantities (mean [95 % CI] over seeds)", "",
                  "| preset | arm | quantity | value |", "|---|---|---|---|", *reported, ""]
    lines += [f"![{t}](figures/{p.name})" for t, p in figs]
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = "".join(
        f"<tr class='{'ok' if c.passed else 'bad'}'><td>{html.escape(c.name)}</td>"
        f"<td>{html.escape(c.source)}</td><td>{html.escape(c.expected['text'])}</td>"
        f"<td>{_fmt(c.measured)}</td><td>[{_fmt(c.ci_low)}, {_fmt(c.ci_high)}]</td>"
        f"<td>{'yes' if c.passed else 'NO'}</td><td>{html.escape(c.note)}</td></tr>"
        for c in checks)
    rep = "".join("<tr>" + "".join(f"<td>{html.escape(x.strip())}</td>"
                                    for x in line.strip("|").split("|")) + "</tr>"
                  for line in reported)
    imgs = "".join(
        f"<figure><img alt='{html.escape(t)}' style='max-width:100%' src='data:image/png;base64,"
        f"{base64.b64encode(p.read_bytes()).decode()}'><figcaption>{html.escape(t)}</figcaption>"
        f"</figure>" for t, p in figs)
    page = ("<!doctype html><html lang='en'><meta charset='utf-8'><title>Validation</title>"
            "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}"
            "td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px}"
            "table{border-collapse:collapse}.bad td{background:#fde}.ok td{background:#efe}"
            "</style><h1>Validation</h1>"
            f"<p>{passed} of {len(checks)} checks pass. Each failure is discussed in "
            "docs/validation.md.</p><table><tr><th>check</th><th>source</th><th>expected</th>"
            f"<th>measured</th><th>95 % CI</th><th>passed</th><th>note</th></tr>{rows}</table>"
            + (f"<h2>Reported quantities (mean [95 % CI] over seeds)</h2><table><tr>"
               f"<th>preset</th><th>arm</th><th>quantity</th><th>value</th></tr>{rep}</table>"
               if rep else "")
            + f"{imgs}</html>")
    (out / "report.html").write_text(page + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """``incentive-sim-validate [NAME ...] [--quick] [--seeds N]``."""
    from sim.results import new_run_dir, publish

    parser = argparse.ArgumentParser(prog="incentive-sim-validate",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="presets to run (default: every validate_*)")
    parser.add_argument("--quick", action="store_true",
                        help="the quick versions (fewer seeds, the small firm)")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per check point")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--out", default="results/validation", help="parent folder")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        known = presets()
        names = list(dict.fromkeys(args.names)) or known
        for n in names:
            if n not in known:
                raise ConfigError(f"names: unknown validation preset {n!r}; allowed: "
                                  f"{', '.join(known)}")
            v = load_preset(n)["validation"]
            if v["kind"] == "firm":  # every arm composes before anything runs
                _arm_configs(n, v, args.quick)
        if args.seeds is not None and args.seeds < 2:
            raise ConfigError(f"--seeds: must be ≥ 2, got {args.seeds}")
        if args.workers is not None and args.workers < 1:
            raise ConfigError(f"--workers: must be ≥ 1, got {args.workers}")
        if Path(args.out).exists() and not Path(args.out).is_dir():
            raise ConfigError(f"--out: {args.out} is a file; give a folder")
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    tmp, final = new_run_dir(args.out, "run")
    try:
        checks, _ = run_validation(names, Settings(args.quick, args.seeds, args.workers), tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    path = publish(tmp, final)
    shutil.copyfile(path / "checks.json", Path(args.out) / "checks.json")
    passed = sum(c.passed for c in checks)
    if args.quick:
        print(f"{passed} of {len(checks)} quick checks pass (quick mode: few seeds and the small "
              f"firm, a smoke run; failures are not judged); report: {path / 'report.html'}")
        return 0
    explained = known_failures()
    unexplained = [c.name for c in checks if not c.passed and c.name not in explained]
    fixed = [c.name for c in checks if c.passed and c.name in explained]
    print(f"{passed} of {len(checks)} checks pass; {len(checks) - passed - len(unexplained)} "
          f"failures are explained in docs/validation.md; report: {path / 'report.html'}")
    if fixed:
        print(f"now passing but listed as known failures (update docs/validation.md): "
              f"{', '.join(fixed)}")
    if unexplained:
        print(f"error: failed and not explained in docs/validation.md: {', '.join(unexplained)}",
              file=sys.stderr)
        return 1
    return 0


def known_failures(path: Path | None = None) -> set[str]:
    """Check names listed (in backticks) under "## Known failures" in docs/validation.md."""
    import re

    path = path or Path(__file__).resolve().parents[1] / "docs" / "validation.md"
    if not path.exists():
        return set()
    text = path.read_text(encoding="utf-8")
    start = text.find("## Known failures")
    if start < 0:
        return set()
    end = text.find("\n## ", start + 1)
    section = text[start:end if end > 0 else None]
    return set(re.findall(r"^\| `([A-Za-z0-9_.]+)`", section, flags=re.M))


if __name__ == "__main__":
    raise SystemExit(main())
