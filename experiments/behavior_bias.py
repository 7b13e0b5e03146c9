"""Quantal-response bias of the learner against its temperature τ = 1/λ (figure for docs).

Runs Holmström's equal-split team (n = 6, v = c = 1, target effort 1/6) with the theory checks'
learner at several precisions λ, and plots the learned effort's relative error against τ beside
the bias derived in docs/behavior.md: the mean of the logit (a Gaussian of variance τ/c around
the optimum, truncated to [0, budget]) minus the optimum.

Usage: ``python experiments/behavior_bias.py [--out docs/figures]``.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

from sim.config import load_config
from sim.theory_checks import TheorySettings, learn_seeds, mean_ci, pool_plan


def truncated_logit_bias(target: float, tau: float, cost: float, budget: float) -> float:
    """Mean of N(target, τ/c) truncated to [0, budget], minus target (the derived bias)."""
    sd = np.sqrt(tau / cost)
    a, b = -target / sd, (budget - target) / sd
    mass = stats.norm.cdf(b) - stats.norm.cdf(a)
    return float(sd * (stats.norm.pdf(a) - stats.norm.pdf(b)) / mass)


def main() -> None:
    """Run the sweep, write CSV and PNG."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="docs/figures")
    args = parser.parse_args()
    base = TheorySettings.from_config(load_config().theory)
    n, v, c = 6, 1.0, 1.0
    target = v / (n * c)
    rows = []
    for lam in (20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0):
        st = dataclasses.replace(base, learner=dataclasses.replace(base.learner, precision=lam))
        e = learn_seeds(st, f"bias λ={lam}", pool_plan(v, 1.0), st.space(["output"], [[c]]),
                         n_people=24, team_size=n)[:, 0]
        mean, half = mean_ci(e)
        derived = truncated_logit_bias(target, 1.0 / lam, c, st.budget)
        rows.append((1.0 / lam, mean / target - 1, half / target, derived / target))
        print(f"τ={1 / lam:.4f}  learned {mean:.4f} ± {half:.4f}  bias {mean / target - 1:+.2%}"
              f"  derived {derived / target:+.2%}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "bias_vs_tau.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["tau", "learned_rel_bias", "ci_halfwidth_rel", "derived_rel_bias"])
        w.writerows(rows)
    tau, learned, half, derived = (np.array(x) for x in zip(*rows, strict=True))
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.errorbar(tau, 100 * learned, yerr=100 * half, fmt="o", label="learned (95% CI, 5 seeds)")
    grid = np.geomspace(tau.min(), tau.max(), 100)
    ax.plot(grid, [100 * truncated_logit_bias(target, t, c, base.budget) / target for t in grid],
            label="derived: truncated-logit mean − optimum")
    ax.axhline(2, ls=":", c="grey")
    ax.axvline(1 / base.learner.precision, ls="--", c="grey", label="theory checks' τ")
    ax.set_xscale("log")
    ax.set_xlabel("temperature τ = 1/λ (money)")
    ax.set_ylabel("effort bias vs v/(n·c), %")
    ax.set_title("Holmström team, n = 6: quantal-response bias of the learner")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "bias_vs_tau.png", dpi=120)
    print(f"wrote {out / 'bias_vs_tau.png'}")


if __name__ == "__main__":
    main()
