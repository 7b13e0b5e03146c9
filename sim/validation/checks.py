"""Validation checks: the rules, the check record, and declarative checks on firm arms."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.config import ConfigError
from sim.rng import generator
from sim.stats import mean_ci

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
        est, lo, hi = mean_ci(x).interval
        what = f"{stat} under {spec['arm']}"
    elif "diff" in spec:
        a, b = spec["diff"]
        est, lo, hi = mean_ci(rows[a][stat] - rows[b][stat]).interval
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


def check_spec(spec: Mapping[str, Any], arms: Mapping[str, Any]) -> None:
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

