"""Every leaf of the firm's config groups changes the run (issue 13 point 4).

Each leaf of ``market``, ``firm``, ``org``, ``process``, ``tiering`` and ``behavior`` (and the
calibration numbers the firm reads) is changed in turn at ``debug=small``; the run's fingerprint
(metrics, series, people, the whole ledger) must change. A leaf that does nothing at the
defaults is listed in ``docs/inactive_at_defaults.yaml`` with the overrides that make it act;
it is then changed under those. A leaf that no code reads fails here.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import pytest
import yaml

from sim.config import ConfigError, load_config
from sim.simulation import plain, run

ROOT = Path(__file__).resolve().parent.parent
GROUPS = ("market", "firm", "org", "process", "tiering", "behavior")
CALIBRATION = ("calibration.otc.sales", "calibration.otc.rnd", "calibration.otc.supply_chain",
               "calibration.otc.support", "calibration.on_target_monthly.sales.revenue",
               "calibration.basis",
               *(f"calibration.realised.{s}.{r}" for s in ("target_bonus", "gain_sharing")
                 for r in ("sales", "rnd", "supply_chain", "support")))
INACTIVE = yaml.safe_load((ROOT / "docs" / "inactive_at_defaults.yaml").read_text())
#: Values for leaves that are null or a choice at the defaults.
SET = {"market.n_accounts": 500, "firm.n_sales": 15, "firm.n_rnd": 15, "firm.n_supply_chain": 12,
       "firm.n_support": 10, "market.shock.month": 6, "market.tender.month": 6,
       "org.design": "iron_triangle", "org.allocation": "capped", "org.staffing": "one_each",
       "market.solution_fit": "assigned", "org.triangle_pay": "scorecard",
       "tiering.mode": "company", "behavior.frozen": "[sales]",
       "calibration.basis": "realised", "behavior.horizon": "month",
       "behavior.states_from": "first", "behavior.timing": "ar", "firm.overtime.max": 1.0}
SMALL = ("debug=small",)


def _leaves(node: dict[str, Any], prefix: str) -> list[tuple[str, Any]]:
    out = []
    for k, v in node.items():
        key = f"{prefix}.{k}"
        out += _leaves(v, key) if isinstance(v, dict) and v else [(key, v)]
    return out


def leaves() -> list[tuple[str, Any]]:
    """Every leaf of the firm's groups at the defaults, with its value."""
    cfg = plain(load_config(list(SMALL)))
    found = [kv for g in GROUPS for kv in _leaves(cfg[g], g)]
    values = dict(_leaves(cfg["calibration"], "calibration"))
    return found + [(k, values[k]) for k in CALIBRATION]


def candidates(key: str, value: Any) -> list[str]:
    """Changed values to try, in order (the first the config accepts is used)."""
    if key in SET:
        return [str(SET[key])]
    if isinstance(value, bool):
        return [str(not value).lower()]
    if isinstance(value, int):
        return [str(value + 1), str(value - 1)]
    if isinstance(value, float):  # in range for most leaves, then the ends of a share's range
        tried = [value * 1.5 if value else 0.1, value * 0.5, (value + 1) / 2, 0.0, 1.0]
        return [repr(v) for v in dict.fromkeys(tried) if v != value]
    if isinstance(value, list):
        return ["[" + ",".join(map(str, reversed(value))) + "]"]
    raise AssertionError(f"{key}: no rule to change a {type(value).__name__}")


@functools.cache
def fingerprint(overrides: tuple[str, ...]) -> str:
    logging.getLogger("MESA").setLevel(logging.WARNING)
    r = run(load_config(list(overrides)), keep_deals=True)
    h = hashlib.sha256(json.dumps([r.metrics, r.timeseries, r.people], sort_keys=True,
                                  default=float).encode())
    assert r.deals is not None
    for k in sorted(r.deals):
        h.update(r.deals[k].tobytes())
    return h.hexdigest()


LEAVES = leaves()


def test_the_list_of_inactive_leaves_names_real_leaves_and_says_why():
    known = {k for k, _ in LEAVES}
    for key, spec in INACTIVE.items():
        assert key in known, f"{key}: not a leaf"
        assert spec.get("why") and spec.get("activate"), key
        load_config([*SMALL, *spec["activate"]])


@pytest.mark.parametrize(("key", "value"), LEAVES, ids=[k for k, _ in LEAVES])
def test_changing_a_leaf_changes_the_run(key, value):
    context = tuple(INACTIVE.get(key, {}).get("activate", ()))
    base = (*SMALL, *context)
    accepted = []
    for new in candidates(key, value):
        changed = (*base, f"{key}={new}")
        try:
            load_config(list(changed))
        except ConfigError:
            continue
        accepted.append(new)
        if fingerprint(changed) != fingerprint(base):
            return
    assert accepted, f"{key}: no changed value is accepted ({candidates(key, value)})"
    pytest.fail(f"{key}: {value!r} → {', '.join(accepted)} changes nothing"
                + (f" under {list(context)}" if context else
                   " (if it is a switch inactive at the defaults, list it in "
                   "docs/inactive_at_defaults.yaml)"))
