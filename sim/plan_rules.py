"""Rules a scheme must follow to run in the firm, beyond what each plan class checks itself.

* Every measure a plan reads — its ``measure``, the keys of ``weights``, ``target``, ``base`` and
  ``contribution`` — is one the firm credits (``sim.firm.params.MEASURES``); a misspelt
  ``revenu`` would otherwise fail only after the run started.
* A rate on a money measure is a share: a commission ``rate`` (or tier rate) above 1 pays more
  than the whole revenue, and usually means a percentage typed as a number (4 for 4 %).
* Salaries are monthly (thousands per month): one above twice the role's on-target pay per month
  usually is a yearly amount.

The last two are refused unless the config acknowledges them (``acknowledge=[rate_above_one]``,
``acknowledge=[annual_salary]``). Every message is one line naming the field. The designer's
plan checker uses these rules too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sim.config import ConfigError
from sim.firm.params import MEASURES, MONEY_MEASURES, ROLES

#: Unusual values a config may acknowledge, with what each allows.
ACKNOWLEDGEABLE = {
    "rate_above_one": "a commission rate above 1 on a money measure",
    "annual_salary": "a monthly salary above twice the role's on-target pay per month",
}
#: Plan fields that name measures: a single measure, or mappings keyed by measure.
MEASURE_FIELD = "measure"
MEASURE_MAPPINGS = ("weights", "target", "base", "contribution")


def check_acknowledged(values: Any) -> frozenset[str]:
    """The config's ``acknowledge`` list, checked."""
    if values is None:
        return frozenset()
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise ConfigError(f"acknowledge: must be a list of {', '.join(ACKNOWLEDGEABLE)}, "
                          f"got {values!r}")
    out = frozenset(str(v) for v in values)
    for v in out:
        if v not in ACKNOWLEDGEABLE:
            raise ConfigError(f"acknowledge: unknown rule {v!r}; allowed: "
                              f"{', '.join(ACKNOWLEDGEABLE)}")
    return out


def check_scheme(scheme: Mapping[str, Any], where: str, otc: Mapping[str, float],
                 acknowledged: frozenset[str] = frozenset()) -> None:
    """Apply the firm's rules to a scheme config (plain containers).

    Args:
        scheme: The scheme's config (name, plans, roles).
        where: Its config path (``scheme`` or ``rollout.scheme``).
        otc: On-target yearly pay per role (``calibration.otc``).
        acknowledged: Rules the config acknowledges.

    Raises:
        ConfigError: One line naming the field.
    """
    for name, plan in (scheme.get("plans") or {}).items():
        at = f"{where}.plans.{name}"
        measure = plan.get(MEASURE_FIELD)
        if measure is not None and measure not in MEASURES:
            raise ConfigError(f"{at}.{MEASURE_FIELD}: unknown measure {measure!r}; allowed: "
                              f"{', '.join(MEASURES)}")
        for field in MEASURE_MAPPINGS:
            for key in plan.get(field) or {}:
                if key not in MEASURES:
                    raise ConfigError(f"{at}.{field}.{key}: unknown measure; allowed: "
                                      f"{', '.join(MEASURES)}")
        if "rate_above_one" not in acknowledged and (measure or "revenue") in MONEY_MEASURES:
            rates = [("rate", plan.get("rate"))] + [
                (f"tiers[{i}]", t[1]) for i, t in enumerate(plan.get("tiers") or [])
                if isinstance(t, list | tuple) and len(t) == 2]
            for field, rate in rates:
                if isinstance(rate, int | float) and rate > 1:
                    raise ConfigError(
                        f"{at}.{field}: a rate of {rate:g} pays {100 * rate:g} % of "
                        f"{measure or 'revenue'}; a rate is a share (0.04 is 4 %); if you mean "
                        f"it, add acknowledge=[rate_above_one]")
    if "annual_salary" in acknowledged:
        return
    for role in ROLES:
        salary = ((scheme.get("roles") or {}).get(role) or {}).get("salary")
        monthly = otc[role] / 12
        if isinstance(salary, int | float) and salary > 2 * monthly:
            raise ConfigError(
                f"{where}.roles.{role}.salary: {salary:g} a month is more than twice the role's "
                f"on-target pay of {monthly:.3g} a month; salaries are monthly (thousands): "
                f"divide a yearly salary by 12, or add acknowledge=[annual_salary]")
