"""Theory anchors: the learning engine on the real plan classes against incentive theory.

Each check runs :func:`sim.theory.learn` (the engine, unmodified) in a reduced environment and
compares the *learned mean policy* with a closed form or a numerical optimum computed here. The
closed forms are targets only; no agent ever sees them. A check point passes when

* the error is within its tolerance, and
* the 95 % CI half-width over independent seeds is at most 1 % of the target (for targets that
  are zero by theory, 1 % of the stated scale instead).

Run ``python -m sim.theory_checks`` (``make theory``) for the table.

Checks (DOMAIN M1, M2, M3; issue 2 §5; issue 19) — settings, targets and tolerances in the
table of docs/behavior.md, "The theory checks": ``piece_rate`` (β/c), ``holmstrom`` (v/(n·c) and
welfare (2n − 1)/n² of first best), ``contribution`` (k·v·[λ/n + (1 − λ)]/c),
``multitask_substitutes`` and ``multitask_slope`` (Holmström & Milgrom 1991), ``quota`` (the
numerical optimum and the collapse quota), and the upside of shared pay: ``teaching``
(τ·v·Gᵢ/(n·c), Hamilton et al.), ``sanction`` (v/(N·c)·(1 + κ·P(n)·(N − 1)), Kandel & Lazear;
Knez & Simester) and ``conditioning`` (Che & Yoo: peers' effort last period in the decision
state, binned at 0.25, 0.5, 0.75 and 1, each candidate also valued by the peers' response next
period with weight 0.9; one's marginal pay does not depend on the state, so with every state
visited the response is worth nothing and effort stays v/(n·c) in team pools and β/c under a
piece rate, within 2 % — a state abandoned while learning keeps its policy and can hold effort
at a bin edge above v/(n·c), a self-confirming outcome this check fails on).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, NoReturn

import numpy as np
from scipy import stats

from sim.plans import build_plan
from sim.stats import mean_ci
from sim.theory_base import (
    CheckResult,
    TheorySettings,
    check_point,
    learn_seeds,
    logit_mean_at_zero,
    pool_plan,
)
from sim.theory_upside import check_conditioning, check_sanction, check_teaching

__all__ = ["CHECKS", "CheckResult", "TheorySettings", "learn_seeds", "logit_mean_at_zero",
           "mean_ci", "pool_plan", "run_check", "run_checks"]


# -- the checks ------------------------------------------------------------------------------
def check_piece_rate(st: TheorySettings) -> list[CheckResult]:
    """Linear piece rate β with cost c: effort β/c (within 2 %)."""
    out = []
    for beta in (0.2, 0.5, 1.0):
        for c in (0.5, 1.0, 2.0):
            point = f"β={beta} c={c}"
            plan = build_plan({"kind": "commission", "measure": "output", "rate": beta})
            e = learn_seeds(st, f"piece_rate {point}", plan, st.space(["output"], [[c]]),
                            n_people=10)
            out.append(check_point("piece_rate", point, "effort", beta / c, e[:, 0], 0.02))
    return out


def check_holmstrom(st: TheorySettings) -> list[CheckResult]:
    """Equal split of v·Q among n: effort v/(n·c), welfare (2n − 1)/n² of first best."""
    v, c = 1.0, 1.0
    out = []
    for n in (1, 2, 3, 6):
        point = f"n={n} v={v} c={c}"
        e = learn_seeds(st, f"holmstrom {point}", pool_plan(v, 1.0),
                         st.space(["output"], [[c]]), n_people=24, team_size=n)[:, 0]
        out.append(check_point("holmstrom", point, "effort", v / (n * c), e, 0.02))
        welfare = (v * e - 0.5 * c * e**2) / (v**2 / (2 * c))
        out.append(check_point("holmstrom", point, "welfare/FB", (2 * n - 1) / n**2, welfare, 0.02))
    return out


def check_contribution(st: TheorySettings) -> list[CheckResult]:
    """Pool k·v·Q, λ equal and 1 − λ by xᵢ/Q: effort k·v·[λ/n + (1 − λ)]/c."""
    k, v, c, n = 0.8, 1.0, 1.0, 4
    out = []
    for lam in (0.0, 0.25, 0.5, 0.75, 1.0):
        point = f"λ={lam} n={n} k={k}"
        e = learn_seeds(st, f"contribution {point}", pool_plan(k * v, lam),
                         st.space(["output"], [[c]]), n_people=24, team_size=n)[:, 0]
        target = k * v * (lam / n + 1 - lam) / c
        out.append(check_point("contribution", point, "effort", target, e, 0.02))
    return out


def check_multitask_substitutes(st: TheorySettings) -> list[CheckResult]:
    """Perfect substitutes, only task 1 paid: task-2 effort below 1/(λβ₁) and 2 % of budget."""
    c, lam = 1.0, st.learner.precision
    out = []
    for beta in (0.2, 0.5, 1.0):
        point = f"β₁={beta} c={c}"
        plan = build_plan({"kind": "commission", "measure": "sell", "rate": beta})
        space = st.space(["sell", "help"], [[c, c], [c, c]])
        e = learn_seeds(st, f"multitask_substitutes {point}", plan, space, n_people=10)
        floor = min(1.0 / (lam * beta), 0.02 * st.budget)
        # Target 0 with an absolute tolerance: the derived logit floor (and 2 % of the budget).
        out.append(check_point("multitask_substitutes", point, "help effort", 0.0, e[:, 1], 0.0,
                               abs_tol=floor))
        out.append(check_point("multitask_substitutes", point, "paid effort", beta / c, e[:, 0],
                               0.02))
    return out


MULTITASK_COST = np.array([[1.0, 0.5], [0.5, 1.0]])
MULTITASK_INTRINSIC = np.array([0.5, 1.0])


def check_multitask_slope(st: TheorySettings) -> list[CheckResult]:
    """Quadratic cost with C₁₂ > 0, a > 0: d(help)/dβ₁ = −C₁₂/det C within 5 %."""
    cost, a = MULTITASK_COST, MULTITASK_INTRINSIC
    betas = np.array([0.2, 0.5, 1.0])
    per_beta = []
    out = []
    for beta in betas:
        point = f"β₁={beta}"
        plan = build_plan({"kind": "commission", "measure": "sell", "rate": float(beta)})
        space = st.space(["sell", "help"], cost, a)
        e = learn_seeds(st, f"multitask_slope {point}", plan, space, n_people=10)
        per_beta.append(e[:, 1])
        target = np.linalg.solve(cost, np.array([beta, 0.0]) + a)
        out.append(check_point("multitask_slope", point, "help effort", target[1], e[:, 1], 0.02))
    help_ = np.array(per_beta)  # (betas, seeds)
    slopes = np.polyfit(betas, help_, 1)[0]
    target = -cost[0, 1] / np.linalg.det(cost)
    out.append(check_point("multitask_slope", "β₁∈{0.2,0.5,1}", "slope", target, slopes, 0.05))
    return out


QUOTA_BONUS, QUOTA_COST, QUOTA_SIGMA = 1.0, 1.0, 0.25


def quota_expected_utility(e: np.ndarray, quota: float) -> np.ndarray:
    """Expected utility of effort e under B·1{e + σε ≥ Q} with cost c·e²/2 (numerical target)."""
    return QUOTA_BONUS * stats.norm.cdf((e - quota) / QUOTA_SIGMA) - 0.5 * QUOTA_COST * e**2


def quota_optimum(quota: float, budget: float) -> float:
    """Numerically optimal effort (fine grid then bounded refinement)."""
    from scipy.optimize import minimize_scalar

    grid = np.linspace(0.0, budget, 20001)
    g = grid[np.argmax(quota_expected_utility(grid, quota))]
    lo, hi = max(0.0, g - budget / 20000), min(budget, g + budget / 20000)
    res = minimize_scalar(lambda x: -quota_expected_utility(np.array(x), quota), (lo, hi),
                          bounds=(lo, hi), method="bounded")
    return float(res.x)


def quota_collapse(budget: float) -> tuple[float, float, float]:
    """The quota at which the optimal effort jumps to ~0, and the two branches there.

    Returns:
        ``(Q_c, e_high, e_low)``: collapse quota and the optimal efforts just below / above it.
    """
    from scipy.optimize import brentq

    def gap(q: float) -> float:
        grid = np.linspace(0.0, budget, 20001)
        eu = quota_expected_utility(grid, q)
        split = grid > q / 2
        return float(eu[split].max() - eu[~split].max())

    qc = float(brentq(gap, 0.5, 2.0, xtol=1e-6))
    return qc, quota_optimum(qc * (1 - 1e-4), budget), quota_optimum(qc * (1 + 1e-4), budget)


def check_quota(st: TheorySettings) -> list[CheckResult]:
    """Lump-sum quota bonus: effort vs numerical optimum; the collapse quota."""
    qc, e_hi, e_lo = quota_collapse(st.budget)
    floor = float(np.sqrt(2.0 / (np.pi * st.learner.precision * QUOTA_COST)))
    space = st.space(["output"], [[QUOTA_COST]])
    out = []

    def learned(q: float) -> np.ndarray:
        plan = build_plan({"kind": "quota_bonus", "measure": "output", "quota": q,
                           "bonus": QUOTA_BONUS})
        return learn_seeds(st, f"quota Q={q:.4f}", plan, space, n_people=30,
                            sigma=QUOTA_SIGMA, baseline=0.0)[:, 0]

    for share in (0.4, 0.6, 0.8, 0.88, 1.12, 1.3):
        q = round(share * qc, 4)
        target = quota_optimum(q, st.budget)
        # Beyond the collapse the optimum is ~0: 5 % of ~0 is meaningless, so the derived logit
        # floor is the tolerance there; below it, 5 % of the optimum.
        out.append(check_point("quota", f"Q={q:.3f} ({share:.2f}·Q_c)", "effort", target,
                               learned(q), 0.05, abs_tol=floor if share > 1 else None))
    # Collapse: where learned effort crosses the midpoint of the two branches.
    shares = np.array([0.92, 0.96, 1.0, 1.04, 1.08])
    qs = shares * qc
    curves = np.array([learned(round(q, 4)) for q in qs])  # (points, seeds)
    mid = 0.5 * (e_hi + e_lo)
    found = []
    for s in range(curves.shape[1]):
        y = curves[:, s]
        below = np.flatnonzero(y < mid)
        i = int(below[0]) if below.size else len(qs) - 1
        i = max(i, 1)
        x0, x1, y0, y1 = qs[i - 1], qs[i], y[i - 1], y[i]
        found.append(x0 + (y0 - mid) * (x1 - x0) / (y0 - y1) if y0 != y1 else x1)
    out.append(check_point("quota", f"B={QUOTA_BONUS} c={QUOTA_COST} σ={QUOTA_SIGMA}",
                           "collapse quota", qc, np.array(found), 0.05))
    return out


CHECKS: dict[str, Callable[[TheorySettings], list[CheckResult]]] = {
    "piece_rate": check_piece_rate,
    "holmstrom": check_holmstrom,
    "contribution": check_contribution,
    "multitask_substitutes": check_multitask_substitutes,
    "multitask_slope": check_multitask_slope,
    "quota": check_quota,
    "teaching": check_teaching,
    "sanction": check_sanction,
    "conditioning": check_conditioning,
}


def run_check(name: str, settings: TheorySettings) -> list[CheckResult]:
    """Run one named check."""
    return CHECKS[name](settings)


def run_checks(
    settings: TheorySettings,
    names: Sequence[str] | None = None,
    workers: int = 1,
    progress: Callable[[str, list[CheckResult]], None] | None = None,
) -> list[CheckResult]:
    """Run checks (all by default), optionally in parallel processes.

    Args:
        settings: Learner and environment of the checks.
        names: Which checks (default: all, in registry order).
        workers: Processes to use.
        progress: Called with each check's name and results as it finishes.

    Returns:
        All check points, in registry order whatever the completion order.
    """
    names = list(CHECKS) if names is None else list(names)
    done: dict[str, list[CheckResult]] = {}
    if workers <= 1:
        for name in names:
            done[name] = run_check(name, settings)
            if progress:
                progress(name, done[name])
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(run_check, n, settings): n for n in names}
            for fut in as_completed(futures):
                done[futures[fut]] = fut.result()
                if progress:
                    progress(futures[fut], done[futures[fut]])
    return [r for n in names for r in done[n]]


def format_table(results: Sequence[CheckResult]) -> str:
    """Plain-text table of check results."""
    head = (f"{'check':<22} {'point':<26} {'quantity':<14} {'target':>9} {'learned':>9} "
            f"{'error':>8} {'CI ±':>8}  result")
    lines = [head, "-" * len(head)]
    for r in results:
        err = f"{100 * r.rel_error:+.2f}%" if abs(r.target) > 1e-3 else f"{r.error:+.4f}"
        lines.append(
            f"{r.check:<22} {r.point:<26} {r.quantity:<14} {r.target:>9.4f} {r.learned:>9.4f} "
            f"{err:>8} {r.ci_halfwidth:>8.4f}  {'pass' if r.passed else 'FAIL'}"
        )
    passed = sum(r.passed for r in results)
    lines.append(f"{passed} passed, {len(results) - passed} failed")
    return "\n".join(lines)


def write_csv(results: Sequence[CheckResult], path: Any) -> None:
    """Write check points as a tidy CSV (one row per point)."""
    import csv

    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["check", "point", "quantity", "target", "learned", "error", "ci_halfwidth",
                    "tolerance", "ci_limit", "passed"])
        for r in results:
            w.writerow([r.check, r.point, r.quantity, repr(r.target), repr(r.learned),
                        repr(r.error), repr(r.ci_halfwidth), repr(r.tolerance),
                        repr(r.ci_limit), r.passed])


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: run the theory checks, print the table, save results in a new folder.

    Usage: ``python -m sim.theory_checks [--out DIR] [--workers N] [--only NAME ...]
    [hydra overrides, e.g. theory.seeds=10]``. Exit code 0 when every point passes, 1 when one
    fails, 2 for bad input (one line on stderr, nothing written).
    """
    import argparse
    import sys
    import time

    from omegaconf import OmegaConf

    from sim.config import ConfigError, load_config
    from sim.results import new_run_dir, publish

    class Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:  # one line, not usage + message
            print(f"error: {message}", file=sys.stderr)
            raise SystemExit(2)

    parser = Parser(prog="incentive-sim-theory", description=main.__doc__)
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. theory.seeds=10")
    parser.add_argument("--out", default="results/theory_checks", help="parent folder of runs")
    parser.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--only", default="", help="comma-separated checks to run (default all)")
    args = parser.parse_intermixed_args(argv)
    names = [n for n in args.only.split(",") if n] or list(CHECKS)
    unknown = [n for n in names if n not in CHECKS]
    try:
        if unknown:
            raise ConfigError(f"--only: unknown check {unknown[0]!r}; allowed: {', '.join(CHECKS)}")
        if args.workers < 1:
            raise ConfigError(f"--workers: must be an integer ≥ 1, got {args.workers}")
        cfg = load_config(args.overrides)
        settings = TheorySettings.from_config(cfg.theory)
    except (ConfigError, ValueError, TypeError) as exc:
        print(f"error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    print(f"Theory checks: {len(names)} checks x {settings.seeds} seeds x {settings.periods} "
          f"periods, {args.workers} worker(s)", flush=True)

    def report(name: str, res: list[CheckResult]) -> None:
        ok = sum(r.passed for r in res)
        print(f"  {name:<22} {ok}/{len(res)} passed  ({time.perf_counter() - start:5.1f} s)",
              flush=True)

    results = run_checks(settings, names, workers=args.workers, progress=report)
    print()
    print(format_table(results))
    tmp, final = new_run_dir(args.out, f"seed{settings.seed}")
    write_csv(results, tmp / "checks.csv")
    (tmp / "config.yaml").write_text(OmegaConf.to_yaml(cfg), encoding="utf-8")
    (tmp / "seed.txt").write_text(f"{settings.seed}\n", encoding="utf-8")
    publish(tmp, final)
    print(f"\nSaved to {final}")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
