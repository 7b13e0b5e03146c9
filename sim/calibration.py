"""On-target total compensation (OTC) of a scheme, per role.

Comparisons between schemes must not be about pay *level*: the presets are calibrated so that a
person performing exactly on target earns the same annual total (salary + variable pay) in every
scheme, per role, within 1 %. "On target" is a reference firm (``configs/calibration/``): a
headcount per role and every person's monthly measures at target. OTC is computed by running the
real plan classes over twelve months of those measures, so pools, unit weights and curves are all
taken into account.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sim.plans import Groups
from sim.scheme import ROLES, Scheme


def reference_firm(cfg: Mapping[str, Any]) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """People of the reference firm.

    Args:
        cfg: ``calibration`` config: ``headcount``, ``frontline`` roles, ``on_target_monthly``.

    Returns:
        ``(role_index, measures, frontline_by_role)``: role index per person ``(N,)``, monthly
        on-target measures ``(N,)`` each (0 where a role has no such measure), and whether each
        role is front-line ``(len(ROLES),)``.
    """
    heads = [int(cfg["headcount"][r]) for r in ROLES]
    role = np.repeat(np.arange(len(ROLES)), heads)
    names = sorted({m for r in ROLES for m in cfg["on_target_monthly"][r]})
    measures = {
        m: np.array([float(cfg["on_target_monthly"][ROLES[i]].get(m, 0.0)) for i in role])
        for m in names
    }
    frontline = np.array([r in cfg["frontline"] for r in ROLES])
    return role, measures, frontline


def on_target_comp(scheme: Scheme, cfg: Mapping[str, Any]) -> dict[str, float]:
    """Annual on-target total compensation per role under ``scheme``.

    Args:
        scheme: The scheme.
        cfg: The ``calibration`` config (see :func:`reference_firm`).

    Returns:
        Mean annual OTC per role (money per year).
    """
    role, measures, frontline = reference_firm(cfg)
    n = role.size
    total = np.array([12.0 * scheme.roles[ROLES[i]].salary for i in role])
    # The pool each person's results fund, as the firm builds it (sim.firm.payroll): the
    # reference firm has no triangles, so its units of organisations hold one role each and a
    # unit-level pool is funded by its own role's results; a team pool is each person alone.
    pools = {"firm": np.zeros(n, dtype=np.intp), "unit": role.astype(np.intp),
             "team": np.arange(n, dtype=np.intp)}
    for name, plan in scheme.plans.items():
        paid = np.isin(role, [ROLES.index(r) for r in scheme.members(name)])
        groups = Groups(
            pool=pools[plan.pool_level],
            unit=role.astype(np.intp),
            frontline=frontline,
            score=np.ones(len(ROLES)),
            active=paid,
        )
        full = {m: measures.get(m, np.zeros(n)) for m in plan.measures}
        state = plan.initial_state(n)
        for _ in range(12):
            pay, state = plan.pay(full, state, groups)
            total += np.where(paid, pay, 0.0)
    return {r: float(total[role == i].mean()) for i, r in enumerate(ROLES)}
