"""A scheme: which plans pay each role, on top of which salary (the three families of DOMAIN.md).

A scheme config names its plans once (so that roles can share one pool) and gives each role a
monthly salary and the list of plans it is paid by::

    name: gain_sharing
    plans:
      firm_pool: {kind: gain_sharing, base: {margin: 0.25}, ...}
    roles:
      sales: {salary: 6.0, plans: [firm_pool]}
      rnd:   {salary: 7.2, plans: [firm_pool]}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sim.firm.params import ROLES
from sim.plans import Plan, PlanError, build_plan

__all__ = ["ROLES", "RolePay", "Scheme", "build_scheme"]


@dataclass(frozen=True)
class RolePay:
    """Pay of one role.

    Attributes:
        salary: Fixed pay per month (money), ≥ 0.
        plans: Names of the scheme's plans this role is paid by.
    """

    salary: float
    plans: tuple[str, ...]


@dataclass(frozen=True)
class Scheme:
    """A named assignment of plans and salaries to roles.

    Attributes:
        name: Preset or user name.
        plans: Plans by name.
        roles: Pay per role.
    """

    name: str
    plans: dict[str, Plan]
    roles: dict[str, RolePay]

    def members(self, plan: str) -> tuple[str, ...]:
        """Roles paid by the named plan."""
        return tuple(r for r, pay in self.roles.items() if plan in pay.plans)


def _mapping(node: Any, where: str) -> dict[str, Any]:
    if node is None:
        return {}
    if hasattr(node, "items"):
        try:
            from omegaconf import OmegaConf

            if OmegaConf.is_config(node):
                node = OmegaConf.to_container(node, resolve=True)
        except ImportError:  # pragma: no cover - omegaconf is a dependency
            pass
        return dict(node)
    raise PlanError(f"{where}: expected a mapping")


def build_scheme(cfg: Mapping[str, Any]) -> Scheme:
    """Build a scheme from its config (a mapping or OmegaConf node).

    Raises:
        PlanError: One line naming the bad field under ``scheme.``.
    """
    data = _mapping(cfg, "scheme")
    unknown = set(data) - {"name", "plans", "roles", "description"}
    if unknown:
        raise PlanError(f"scheme.{sorted(unknown)[0]}: unknown field; allowed: name, plans, roles")
    plans = {
        str(name): build_plan(_mapping(p, f"scheme.plans.{name}"), f"scheme.plans.{name}")
        for name, p in _mapping(data.get("plans"), "scheme.plans").items()
    }
    roles: dict[str, RolePay] = {}
    for role, pay in _mapping(data.get("roles"), "scheme.roles").items():
        where = f"scheme.roles.{role}"
        if role not in ROLES:
            raise PlanError(f"{where}: unknown role; allowed: {', '.join(ROLES)}")
        pay = _mapping(pay, where)
        extra = set(pay) - {"salary", "plans"}
        if extra:
            raise PlanError(f"{where}.{sorted(extra)[0]}: unknown field; allowed: salary, plans")
        salary = pay.get("salary", 0.0)
        if isinstance(salary, bool) or not isinstance(salary, int | float) or salary < 0:
            raise PlanError(f"{where}.salary: must be a number ≥ 0, got {salary!r}")
        names = tuple(str(p) for p in pay.get("plans", []) or [])
        for name in names:
            if name not in plans:
                raise PlanError(
                    f"{where}.plans: {name!r} is not a plan of this scheme;"
                    f" defined: {', '.join(sorted(plans)) or 'none'}"
                )
        roles[str(role)] = RolePay(salary=float(salary), plans=names)
    missing = [r for r in ROLES if r not in roles]
    if missing:
        raise PlanError(
            f"scheme.roles.{missing[0]}: every role needs pay; roles: {', '.join(ROLES)}"
        )
    return Scheme(name=str(data.get("name", "custom")), plans=plans, roles=roles)
