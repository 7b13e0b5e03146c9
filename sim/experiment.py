"""Replications inside one job: one design point, R seeds, one row per replication (issue 4).

A Hydra job costs ~0.1 s of composition and a process ~0.6 s of imports, so a job runs all
``experiment.replications`` of its design point itself. Replication k's seed is the k-th child of
``SeedSequence(seed)`` — the same list at every design point, so design points are paired by seed
(common random numbers). A replication that raises is recorded with its status instead of
stopping the others; ``debug.fail_replication=k`` injects such a failure for tests.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.progress import progress
from sim.rng import replication_seeds

#: Columns every replication row starts with (then the design columns, then metrics).
ID_COLUMNS = ("design_point", "replication", "seed", "status")


def metrics_at_seeds(task: tuple[Mapping[str, Any], Sequence[int], Sequence[str]]
                     ) -> np.ndarray:
    """Run one resolved config at each seed and return the chosen metrics, ``(seeds, metrics)``.

    One picklable task (config, seeds, metric names) for a process pool: the plan search's
    held-out re-scoring and the sensitivity analysis's points both use it.
    """
    import copy
    import logging

    from sim.simulation import run

    logging.getLogger("MESA").setLevel(logging.WARNING)  # Mesa logs every step at INFO
    cfg, seeds, keys = task
    out = np.empty((len(seeds), len(keys)))
    for i, seed in enumerate(seeds):
        c = copy.deepcopy(dict(cfg))
        c["seed"] = int(seed)
        m = run(c).metrics
        out[i] = [float(m[k]) for k in keys]
    return out


def design_columns(cfg: Mapping[str, Any], overrides: Sequence[str] = ()) -> dict[str, Any]:
    """What identifies a design point: the named choices plus every override of the job.

    Args:
        cfg: The resolved config (plain containers).
        overrides: The job's ``key=value`` overrides (e.g. from a Hydra sweep).
    """
    out: dict[str, Any] = {
        "scheme": cfg["scheme"]["name"], "org": cfg["org"]["design"],
        "tiering": cfg["tiering"]["mode"], "ltc_gates": bool(cfg["process"]["ltc_gates"]),
    }
    for o in overrides:
        key, _, value = o.partition("=")
        key = key.lstrip("+~")
        # hydra.* and debug.* (fault injection, test sizes) do not define a design point.
        if key in ("seed", "scheme", "org", "tiering") or key.startswith(
                ("hydra", "experiment", "debug")):
            continue
        out[key] = value
    return out


#: Monthly series kept per replication for the report's time-series figures.
SERIES = ("revenue", "bookings", "help_effort_sr_fr", "discount_policy", "ar_volume_share",
          "pay_sales", "pay_others")


@dataclass
class Replications:
    """What a job's replications produced.

    Attributes:
        rows: One row per replication: ID columns, design columns, metrics.
        series: One row per replication and month: the :data:`SERIES`.
        people: One row per replication and person: role, annual pay, AR attainment.
    """

    rows: list[dict[str, Any]] = field(default_factory=list)
    series: list[dict[str, Any]] = field(default_factory=list)
    people: list[dict[str, Any]] = field(default_factory=list)


def replicate(cfg: Mapping[str, Any], design_point: str, overrides: Sequence[str] = ()
              ) -> Replications:
    """Run one design point for every replication seed.

    Args:
        cfg: The resolved config (plain containers) with ``experiment.replications``.
        design_point: A name for the design point (e.g. ``scheme=gain_sharing``).
        overrides: The job's overrides, recorded as design columns.

    Returns:
        Rows per replication (ID columns, design columns, then every metric — absent when the
        replication failed; its status says why), monthly series and per-person rows.
    """
    from sim.simulation import run

    reps = int((cfg.get("experiment") or {}).get("replications", 1))
    fail_at = (cfg.get("debug") or {}).get("fail_replication")
    design = design_columns(cfg, overrides)
    out = Replications()
    rows = out.rows
    seeds = replication_seeds(int(cfg["seed"]), reps)
    quota = 12 * float(cfg["calibration"]["on_target_monthly"]["sales"]["revenue"])
    for k, seed in progress(enumerate(seeds), reps, design_point, "run"):
        row: dict[str, Any] = {"design_point": design_point, "replication": k, "seed": seed,
                               "status": "ok", **design}
        try:
            if fail_at is not None and int(fail_at) == k:
                raise RuntimeError(f"injected failure (debug.fail_replication={k})")
            result = run({**cfg, "seed": seed})
            row.update(result.metrics)
            out.series.extend({"design_point": design_point, "replication": k,
                               "month": int(r["month"]), **{s: r[s] for s in SERIES}}
                              for r in result.timeseries)
            out.people.extend(
                {"design_point": design_point, "replication": k, "role": p["role"],
                 "annual_pay": p["annual_pay"],
                 "attainment": p["annual_bookings"] / quota if p["role"] == "sales" else ""}
                for p in result.people)
        except Exception as exc:  # a failed replication is recorded, never fatal
            last = traceback.extract_tb(exc.__traceback__)[-1]
            row["status"] = (f"failed: {type(exc).__name__}: {exc} "
                             f"({last.filename.rsplit('/', 1)[-1]}:{last.lineno})")
        rows.append(row)
    return out
