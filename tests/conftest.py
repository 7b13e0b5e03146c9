"""Shared fixtures and plan examples for the generic plan suite."""

from __future__ import annotations

import os

# Before numpy loads: one OpenBLAS kernel set on every machine (see the Makefile), so runs'
# numbers and the recorded fingerprints do not depend on the CPU.
os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")

import numpy as np
import pytest

from sim.config import load_config
from sim.theory_checks import TheorySettings

#: At least one example configuration per registered plan kind. The generic suite fails for a
#: new plan class until it is listed here.
PLAN_EXAMPLES: dict[str, list[dict]] = {
    "commission": [
        {"kind": "commission", "measure": "revenue", "rate": 0.05},
        {"kind": "commission", "measure": "revenue", "tiers": [[0, 0.02], [10, 0.05], [20, 0.01]],
         "tier_style": "marginal", "period": 12, "cap": 3.0},
        {"kind": "commission", "measure": "margin", "tiers": [[0, 0.02], [10, 0.04]],
         "tier_style": "retroactive", "period": 3},
        {"kind": "commission", "measure": "revenue", "rate": 0.04, "period": 12},
    ],
    "target_bonus": [
        {"kind": "target_bonus", "weights": {"kpi": 1.0}, "target": {"kpi": 12.0}, "bonus": 10.0,
         "period": 12},
        {"kind": "target_bonus", "weights": {"revenue": 0.6, "margin": 0.4},
         "target": {"revenue": 30.0, "margin": 9.0}, "bonus": 6.0, "period": 3,
         "curve": [[0.8, 0.5], [1.0, 1.0], [1.2, 1.5]], "ratchet": 0.5, "growth": 0.05},
    ],
    "quota_bonus": [
        {"kind": "quota_bonus", "measure": "revenue", "quota": 5.0, "bonus": 2.0},
        {"kind": "quota_bonus", "measure": "revenue", "quota": 30.0, "bonus": 6.0, "period": 12},
    ],
    "gain_sharing": [
        {"kind": "gain_sharing", "base": {"margin": 0.2}, "contribution": {"revenue": 1.0},
         "equal_share": 0.5, "period": 1},
        {"kind": "gain_sharing", "base": {"margin": 0.1, "revenue": 0.01}, "deduction": 1.0,
         "contribution": {"revenue": 1.0, "help": 2.0}, "split": "rank", "equal_share": 0.25,
         "frontline_weight": 2.0, "support_weight": 1.0, "leavers": "paid", "period": 12},
    ],
    "team_scorecard": [
        {"kind": "team_scorecard", "weights": {"revenue": 0.5, "margin": 0.5},
         "target": {"revenue": 10.0, "margin": 3.0}, "bonus": 2.0, "period": 3},
        {"kind": "team_scorecard", "weights": {"revenue": 1.0}, "target": {"revenue": 10.0},
         "bonus": 2.0, "curve": [[0.5, 0.2], [1.0, 1.0], [2.0, 2.5]], "equal_share": 0.5,
         "contribution": {"revenue": 1.0}},
        {"kind": "team_scorecard", "weights": {"revenue": 1.0}, "target": {"revenue": 10.0},
         "bonus": 2.0, "equal_share": 0.5, "contribution": {"help": 1.0}},
    ],
}


@pytest.fixture(scope="session")
def theory_settings() -> TheorySettings:
    """The documented learner and environments of the theory checks."""
    return TheorySettings.from_config(load_config().theory)


def random_measures(rng: np.random.Generator, names, n: int, scale: float = 10.0) -> dict:
    """Non-negative measures for ``n`` people."""
    return {m: rng.uniform(0.0, scale, n) for m in names}
