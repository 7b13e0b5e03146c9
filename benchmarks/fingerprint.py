"""Fingerprints of eight runs, to check that a change leaves the model's output unchanged.

Usage::

    python benchmarks/fingerprint.py OUT.json          # record (defaults, and LEGACY switches)
    python benchmarks/fingerprint.py --check [FILE]    # compare with FILE (default: the recorded
                                                       # benchmarks/fingerprints.json)

A fingerprint hashes a run's metrics, monthly series, per-person rows and its whole deal ledger,
so any change in any number shows. ``benchmarks/fingerprints.json`` holds the hashes that the
model's refactorings must keep (and says which numpy it was recorded with: another numpy or CPU
may round a last digit differently).
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from sim.config import load_config
from sim.simulation import run

CASES = [["scheme=commission"], ["scheme=target_bonus"], ["scheme=gain_sharing"],
         ["scheme=commission", "org=iron_triangle"],
         ["scheme=gain_sharing", "org=iron_triangle", "seed=7"],
         ["experiment=downturn"], ["experiment=sudan"], ["experiment=rollout"]]
#: Every mechanism switch at its value before issue 16: with these the eight runs must hash as
#: they did then (``legacy`` in the recorded file).
#: Issue 18's switches at their old values: own KPI of no value (and the first pool, below).
PRE18 = ["firm.kpi_value.rnd=0", "firm.kpi_value.supply_chain=0", "firm.kpi_value.support=0",
         "market.opex_per_head=1.97"]
LEGACY = ["org.allocation=capped", "org.reach_back=false", "org.staffing=one_each",
          "market.solution_fit=assigned", *PRE18]
#: The gain-sharing preset before issue 18, for every case whose scheme (or rolled-out scheme)
#: has the firm pool: role units, every unit scoring 1, the first contribution measure.
POOL_LEGACY = ["base.profit=0.247619", "units=roles", "unit_score=headcount",
               "~contribution", "+contribution={margin: 1.0, kpi: 1.0, help: 1.0}"]
#: Issue 20's switches at their old values (each added with its mechanism): with these the eight
#: runs must hash as the defaults did before issue 20 (``before_issue_20``, recorded in its first
#: commit), with the metrics issue 20 adds left out of the hash.
PRE20 = ["behavior.horizon=month", "behavior.states_from=first", "behavior.timing=ar",
         "market.pull_discount_wins=true", "firm.overtime.max=1.0",
         "behavior.value_later_payoffs=false"]
#: Metrics added by issue 20: not part of the runs recorded before it.
NEW20 = ("new_accounts",)
RECORDED = Path(__file__).resolve().parent / "fingerprints.json"


def fingerprint(overrides: list[str], drop: tuple[str, ...] = ()) -> str:
    """Hash of everything one run produces, without the metrics named in ``drop``.

    Those are left out of the monthly series too.
    """
    result = run(load_config(overrides), keep_deals=True)
    metrics = {k: v for k, v in result.metrics.items() if k not in drop}
    series = [{k: v for k, v in row.items() if k not in drop} for row in result.timeseries]
    h = hashlib.sha256(json.dumps([metrics, series, result.people],
                                  sort_keys=True, default=float).encode())
    assert result.deals is not None
    for key in sorted(result.deals):
        h.update(result.deals[key].tobytes())
    return h.hexdigest()[:16]


def environment() -> dict[str, str]:
    """What the hashes depend on besides the code: numpy, its SIMD dispatch, OpenBLAS's kernels.

    The kernels are pinned by ``OPENBLAS_CORETYPE`` (the Makefile and tests/conftest.py).
    """
    import numpy as np

    simd = np.show_config(mode="dicts").get("SIMD Extensions", {})
    return {"numpy": np.__version__, "simd": " ".join(simd.get("found", [])),
            "blas_core": blas_core()}


def blas_core() -> str:
    """The OpenBLAS kernel set numpy's bundled library runs (``unknown`` if it cannot say)."""
    import ctypes
    import glob

    import numpy as np

    libs = glob.glob(str(Path(np.__file__).parent.parent / "numpy.libs" / "*openblas*"))
    for lib in libs:
        f = getattr(ctypes.CDLL(lib), "scipy_openblas_get_corename64_", None)
        if f is not None:
            f.restype = ctypes.c_char_p
            return str(f().decode())
    return "unknown"


def legacy(case: list[str], switches: list[str] = LEGACY) -> list[str]:
    """The ``switches`` for ``case``; the old pool wherever its config has the firm pool."""
    cfg = load_config(case)
    out = list(switches)
    for where in ("scheme", "rollout.scheme"):
        node: object = cfg
        for part in where.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        if isinstance(node, Mapping) and "firm_pool" in (node.get("plans") or {}):
            out += [f"{o[0] if o[0] in '~+' else ''}{where}.plans.firm_pool.{o.lstrip('~+')}"
                    for o in POOL_LEGACY]
    return out


def fingerprints(verbose: bool = True, old: bool = False, pre18: bool = False,
                 pre20: bool = False) -> dict[str, str]:
    """The fingerprint of every case, keyed by its overrides.

    ``old``: with every legacy switch; ``pre18``: with issue 18's switches only (these must hash
    as the defaults did before issue 18, ``before_issue_18`` in the recorded file); ``pre20``:
    with issue 20's switches only, its new metrics left out (``before_issue_20``).
    """
    logging.getLogger("MESA").setLevel(logging.WARNING)
    out = {}
    for case in CASES:
        start = time.perf_counter()
        key = " ".join(case)
        # The older records predate issue 20 too: its switches are off in them as well.
        extra = (legacy(case) + PRE20 if old else legacy(case, PRE18) + PRE20 if pre18
                 else list(PRE20) if pre20 else [])
        out[key] = fingerprint([*case, *extra], NEW20 if pre20 or old or pre18 else ())
        if verbose:
            print(f"{key:<45} {out[key]}  {time.perf_counter() - start:.1f} s", flush=True)
    return out


def main() -> None:
    """Record the fingerprints, or check them against a recorded file."""
    args = sys.argv[1:]
    if not args or (args[0] == "--check" and len(args) > 2) or (
            args[0] != "--check" and (len(args) != 1 or args[0].startswith("-"))):
        raise SystemExit("usage: python benchmarks/fingerprint.py OUT.json | --check [FILE]")
    if args[0] == "--check":
        recorded = json.loads(Path(args[1] if len(args) == 2 else RECORDED).read_text())
        got, before = fingerprints(), fingerprints(old=True)
        bad = [k for k, v in recorded["runs"].items() if got.get(k) != v]
        bad += [f"{k} (legacy switches)" for k, v in recorded["legacy"].items()
                if before.get(k) != v]
        pre = fingerprints(pre18=True)
        bad += [f"{k} (issue 18's switches)" for k, v in recorded["before_issue_18"].items()
                if pre.get(k) != v]
        pre = fingerprints(pre20=True)
        bad += [f"{k} (issue 20's switches)" for k, v in recorded["before_issue_20"].items()
                if pre.get(k) != v]
        if bad:
            raise SystemExit(f"fingerprints differ for: {', '.join(bad)}")
        print("all fingerprints equal the recorded ones")
        return
    out = {"environment": environment(), "runs": fingerprints(),
           "legacy": fingerprints(old=True), "before_issue_18": fingerprints(pre18=True),
           "before_issue_20": fingerprints(pre20=True)}
    Path(args[0]).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
