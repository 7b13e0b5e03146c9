"""The pay-plan library: small plan classes, a registry, and construction from config.

Every plan is a pure function from credited measures to pay with declared properties (see
:class:`sim.plans.base.Plan`). ``build_plan({"kind": "commission", "rate": 0.05})`` makes one from a
YAML mapping; unknown kinds and fields are refused with a message that names them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from sim.plans.base import Groups, PeriodState, Plan, PlanError
from sim.plans.individual import Commission, QuotaBonus, TargetBonus
from sim.plans.pools import GainSharing, PoolPlan, TeamScorecard

#: Every plan class by its ``kind``. Generic tests run over this registry.
PLANS: dict[str, type[Plan]] = {
    cls.kind: cls for cls in (Commission, TargetBonus, QuotaBonus, GainSharing, TeamScorecard)
}

# Fields given as lists of pairs in YAML, kept as tuples so plans stay hashable and comparable.
_PAIR_FIELDS = ("tiers", "curve")
#: Most points a payout curve or rate table may have (each is evaluated every month).
MAX_POINTS = 100


def _number(value: Any, where: str) -> float:
    """A finite float, or a one-line error naming the field."""
    if isinstance(value, bool):
        raise PlanError(f"{where}: must be a number, got {value!r}")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise PlanError(f"{where}: must be a number, got {value!r}") from None
    if not np.isfinite(out):
        raise PlanError(f"{where}: must be finite, got {value!r}")
    return out


def build_plan(cfg: Mapping[str, Any], where: str = "plan") -> Plan:
    """Build a plan from a mapping with a ``kind`` and the plan's fields.

    Args:
        cfg: e.g. ``{"kind": "target_bonus", "bonus": 5, "period": 12, ...}`` (an OmegaConf node
            works too).
        where: Config path of ``cfg`` for error messages.

    Raises:
        PlanError: With one line naming the field and what is allowed.
    """
    data = dict(cfg)
    kind = data.pop("kind", None)
    if kind not in PLANS:
        raise PlanError(f"{where}.kind: must be one of {', '.join(sorted(PLANS))}, got {kind!r}")
    cls = PLANS[kind]
    allowed = {f.name for f in dataclasses.fields(cls)}
    for key in data:
        if key not in allowed:
            raise PlanError(
                f"{where}.{key}: unknown field for {kind}; allowed: {', '.join(sorted(allowed))}"
            )
    for key in _PAIR_FIELDS:
        if key in data and data[key] is not None:
            try:
                pairs = [(a, b) for a, b in data[key]]
            except (TypeError, ValueError) as exc:
                raise PlanError(f"{where}.{key}: expected a list of [x, y] pairs") from exc
            if len(pairs) > MAX_POINTS:
                raise PlanError(f"{where}.{key}: at most {MAX_POINTS} points, got {len(pairs)}")
            data[key] = tuple((_number(a, f"{where}.{key}"), _number(b, f"{where}.{key}"))
                              for a, b in pairs)
    kinds = {f.name: f.type for f in dataclasses.fields(cls)}
    for key, value in list(data.items()):
        if isinstance(value, Mapping):
            data[key] = {str(k): _number(v, f"{where}.{key}.{k}") for k, v in value.items()}
        elif kinds[key] in ("float", "float | None") and value is not None:
            data[key] = _number(value, f"{where}.{key}")
        elif kinds[key] == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise PlanError(f"{where}.{key}: must be an integer, got {value!r}")
        elif kinds[key] == "bool" and not isinstance(value, bool):
            raise PlanError(f"{where}.{key}: must be true or false, got {value!r}")
        elif kinds[key] == "str" and not isinstance(value, str):
            raise PlanError(f"{where}.{key}: must be a string, got {value!r}")
    try:
        return cls(**data)
    except PlanError as exc:
        raise PlanError(f"{where}: {exc}") from None
    except TypeError as exc:
        raise PlanError(f"{where}: {exc}") from None


__all__ = [
    "PLANS",
    "Commission",
    "GainSharing",
    "Groups",
    "PeriodState",
    "Plan",
    "PlanError",
    "PoolPlan",
    "QuotaBonus",
    "TargetBonus",
    "TeamScorecard",
    "build_plan",
]
