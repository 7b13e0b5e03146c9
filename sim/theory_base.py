"""The theory checks' shared parts: a check point and its pass rule, the settings, the runs.

:mod:`sim.theory_checks` (the incentive-theory anchors) and :mod:`sim.theory_upside` (the upside
of shared pay, issue 19) build their checks from these.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.behavior import LearnerParams
from sim.effort import EffortSpace
from sim.plans import Plan, build_plan
from sim.stats import mean_ci
from sim.theory import learn


@dataclass(frozen=True)
class CheckResult:
    """One check point: target against learned, with the pass rule applied.

    Attributes:
        check: Check name.
        point: The parameters of this point, e.g. ``"β=0.5 c=1"``.
        quantity: What is compared (e.g. ``effort``, ``welfare/FB``, ``slope``).
        target: Theory's value (closed form or numerical optimum).
        learned: Mean over seeds of the learned value.
        ci_halfwidth: 95 % CI half-width over seeds (t distribution).
        tolerance: Allowed absolute error.
        ci_limit: Allowed CI half-width.
    """

    check: str
    point: str
    quantity: str
    target: float
    learned: float
    ci_halfwidth: float
    tolerance: float
    ci_limit: float

    @property
    def error(self) -> float:
        """Learned minus target."""
        return self.learned - self.target

    @property
    def rel_error(self) -> float:
        """Error relative to the target (``nan`` for a zero target)."""
        return self.error / self.target if self.target else float("nan")

    @property
    def passed(self) -> bool:
        """Within tolerance and with a tight enough CI."""
        return abs(self.error) <= self.tolerance and self.ci_halfwidth <= self.ci_limit


@dataclass(frozen=True)
class TheorySettings:
    """The fixed learner and environment of the checks (``configs/theory/default.yaml``)."""

    learner: LearnerParams
    grid_step: float
    budget: float
    periods: int
    window: float
    sigma: float
    baseline: float
    prior_effort: float
    seeds: int
    seed: int

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> TheorySettings:
        """Build from the ``theory`` config group."""
        data = dict(cfg)
        learner = LearnerParams(**{k: float(v) for k, v in dict(data.pop("learner")).items()})
        return cls(
            learner=learner,
            grid_step=float(data["grid_step"]),
            budget=float(data["budget"]),
            periods=int(data["periods"]),
            window=float(data["window"]),
            sigma=float(data["sigma"]),
            baseline=float(data["baseline"]),
            prior_effort=float(data["prior_effort"]),
            seeds=int(data["seeds"]),
            seed=int(data["seed"]),
        )

    def space(self, tasks: Sequence[str], cost: Any, intrinsic: Any = 0.0) -> EffortSpace:
        """An effort space on the checks' grid and budget."""
        return EffortSpace(
            tuple(tasks), self.budget, self.grid_step, np.asarray(cost, float),
            np.asarray(intrinsic),
        )

    def seeds_for(self, name: str) -> list[int]:
        """Independent seeds of one check point, stable across Python sessions."""
        ss = np.random.SeedSequence([self.seed, zlib.crc32(name.encode())])
        return [int(c.generate_state(1)[0]) for c in ss.spawn(self.seeds)]


def learn_seeds(
    st: TheorySettings,
    name: str,
    plan: Plan,
    space: EffortSpace,
    *,
    n_people: int,
    team_size: int = 1,
    sigma: float | None = None,
    baseline: float | np.ndarray | None = None,
    by_person: bool = False,
    **mechanisms: Any,
) -> np.ndarray:
    """Learned mean policy per seed, ``(seeds, K)`` (``(seeds, N, K)`` with ``by_person``).

    ``mechanisms`` are passed to :func:`sim.theory.learn` (``sanction``, ``work_group``,
    ``teaching``, ``conditioning``).
    """
    out = []
    for seed in st.seeds_for(name):
        res = learn(
            plan,
            space,
            st.learner,
            n_people=n_people,
            team_size=team_size,
            sigma=st.sigma if sigma is None else sigma,
            baseline=st.baseline if baseline is None else baseline,
            prior=[st.prior_effort] * space.n_tasks,
            periods=st.periods,
            window=st.window,
            seed=seed,
            **mechanisms,
        )
        out.append(res.by_person if by_person else res.effort)
    return np.array(out)


def check_point(
    check: str, point: str, quantity: str, target: float, samples: np.ndarray, rel_tol: float,
    abs_tol: float | None = None,
) -> CheckResult:
    """A check point: relative tolerance, or an absolute one where theory's target is ~0.

    The CI limit is 1 % of the target; for targets that are ~0 by theory (checked against an
    absolute tolerance) it is 10 % of that tolerance.
    """
    summary = mean_ci(samples)
    mean, half = summary.mean, summary.half
    if abs_tol is None:
        tol, ci = rel_tol * abs(target), 0.01 * abs(target)
    else:
        tol, ci = abs_tol, 0.1 * abs_tol
    return CheckResult(check, point, quantity, float(target), float(mean), float(half), float(tol),
                       float(ci))


def pool_plan(coef: float, equal_share: float) -> Plan:
    """A team gain-sharing pool on output: coefficient ``coef``, a share λ split equally."""
    return build_plan(
        {
            "kind": "gain_sharing",
            "base": {"output": coef},
            "contribution": {"output": 1.0},
            "equal_share": equal_share,
            "level": "team",
            "period": 1,
        }
    )


def logit_mean_at_zero(c: float, st: TheorySettings) -> float:
    """Mean of the logit policy over the grid when a task's utility is −c·g²/2 (no incentive).

    The derived bias of a task theory puts at 0: the logit's spread truncated at 0.
    """
    g = np.arange(int(np.floor(st.budget / st.grid_step + 1e-9)) + 1) * st.grid_step
    w = np.exp(-st.learner.precision * 0.5 * c * g**2)
    return float((g * w).sum() / w.sum())
