"""Collect a sweep's jobs into one tidy table (``summary.csv``), which Hydra does not do.

Each job of a sweep writes ``replications.csv`` (one row per replication) and then
``job.json``, the completion marker, last; both through a temporary file and a rename, so a
killed job never leaves a file that looks complete. :func:`collect` reads every job folder of a
sweep in job order; a job without its marker appears as one failed row, so a report shows it
rather than hiding it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sim.experiment import ID_COLUMNS, Replications
from sim.results import atomic_write

JOB_MARKER = "job.json"
JOB_TABLE = "replications.csv"


def design_point_name(overrides: Sequence[str]) -> str:
    """A design point's name: its overrides minus those that name the experiment itself."""
    keep = [o.lstrip("+") for o in overrides
            if not o.lstrip("+~").startswith(("experiment", "hydra", "seed=", "debug"))]
    return ",".join(keep) or "default"


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return repr(v)  # round-trips exactly: re-runs compare byte for byte
    return str(v)


def rows_to_csv(rows: list[dict[str, Any]], first: Sequence[str] = ()) -> str:
    """CSV text with ``first`` columns leading, then every other column in first-seen order.

    Written by the csv module (quotes, commas and line breaks in names survive); floats as
    ``repr`` so that they read back exactly.
    """
    import io

    cols = list(first) + [k for k in dict.fromkeys(k for r in rows for k in r) if k not in first]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    w.writerows([_fmt(r.get(c, "")) for c in cols] for r in rows)
    return buf.getvalue()


def config_digest(cfg: Mapping[str, Any]) -> str:
    """Fingerprint of a job's resolved config, minus ``hydra`` and ``debug`` (fault injection).

    A resumed sweep reuses a finished job only if its config is still the same.
    """
    keep = {k: v for k, v in cfg.items() if k not in ("hydra", "debug")}
    text = json.dumps(keep, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def finished_job(out: Path, digest: str) -> bool:
    """Whether ``out`` holds a complete job, all replications ok, run with this config."""
    path = out / JOB_MARKER
    if not path.exists() or not (out / JOB_TABLE).exists():
        return False
    try:
        marker = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(marker.get("config_sha256") == digest and marker.get("failed") == 0
                and marker.get("ok", 0) > 0)


def write_job(out: Path, design_point: str, reps: Replications, digest: str = "",
              before_marker: Any = None) -> None:
    """Write a job's replications, series and people, then its completion marker (last).

    Args:
        out: The job folder.
        design_point: Its name.
        reps: What its replications produced.
        digest: :func:`config_digest` of its config, recorded so that a resumed sweep knows the
            job is done.
        before_marker: Called after the data files, before the marker (tests kill here).
    """
    rows = reps.rows
    atomic_write(out / JOB_TABLE, rows_to_csv(rows, ID_COLUMNS))
    atomic_write(out / "series.csv", rows_to_csv(reps.series))
    atomic_write(out / "people.csv", rows_to_csv(reps.people))
    if before_marker is not None:
        before_marker()
    ok = sum(r.get("status") == "ok" for r in rows)
    marker = {"design_point": design_point, "replications": len(rows), "ok": ok,
              "failed": len(rows) - ok, "config_sha256": digest}
    atomic_write(out / JOB_MARKER, json.dumps(marker, indent=2) + "\n")


def _parse(v: str) -> Any:
    if v == "":
        return ""
    try:
        f = float(v)
    except ValueError:
        return v
    if v.lstrip("-").isdigit():
        return int(v)
    return f


def read_csv(path: Path) -> list[dict[str, Any]]:
    """Rows of a CSV written by :func:`rows_to_csv`, numbers parsed."""
    with open(path, newline="", encoding="utf-8") as fh:
        return [{k: _parse(v) for k, v in row.items()} for row in csv.DictReader(fh)]


def job_dirs(sweep: Path) -> list[Path]:
    """Job folders of a sweep (those Hydra created: they hold ``.hydra/``), in job order."""
    dirs = [p for p in sweep.iterdir() if p.is_dir() and (p / ".hydra").is_dir()]
    return sorted(dirs, key=lambda p: (0, int(p.name)) if p.name.isdigit() else (1, p.name))


def _overrides_of(job: Path) -> list[str]:
    path = job / ".hydra" / "overrides.yaml"
    if not path.exists():
        return []
    import yaml

    return [str(o) for o in (yaml.safe_load(path.read_text(encoding="utf-8")) or [])]


def point_names(sweep: Path) -> dict[str, str]:
    """Each job's design point, named by the overrides that differ between the sweep's jobs.

    Settings every job shares (``debug=small``, ``months=14``) stay out of the names, so
    ``scheme=gain_sharing`` is the same design point in any sweep it appears in.
    """
    jobs = job_dirs(sweep)
    pairs = {j.name: [o.lstrip("+").partition("=") for o in _overrides_of(j)] for j in jobs}
    seen: dict[str, set[str]] = {}
    for items in pairs.values():
        for k, _, v in items:
            seen.setdefault(k, set()).add(v)
    varying = {k for k, vs in seen.items() if len(vs) > 1
               or any(k not in {kk for kk, _, _ in items} for items in pairs.values())}
    out = {}
    for name, items in pairs.items():
        keep = [f"{k}={v}" for k, _, v in items if k in varying]
        out[name] = design_point_name(keep) if len(jobs) > 1 else design_point_name(
            [f"{k}={v}" for k, _, v in items])
    return out


def collect(sweep: Path) -> list[dict[str, Any]]:
    """Every replication of every job of a sweep, one row each (failed jobs as one row)."""
    rows: list[dict[str, Any]] = []
    names = point_names(sweep)
    for job in job_dirs(sweep):
        point = names[job.name]
        if (job / JOB_MARKER).exists() and (job / JOB_TABLE).exists():
            rows.extend({"job": job.name, **r, "design_point": point}
                        for r in read_csv(job / JOB_TABLE))
        else:
            rows.append({"job": job.name, "design_point": point, "replication": -1,
                         "seed": "", "status": "failed: the job did not finish"})
    return rows


def collect_extra(sweep: Path, name: str) -> list[dict[str, Any]]:
    """Concatenate a per-job table (``series.csv`` or ``people.csv``) of finished jobs."""
    rows: list[dict[str, Any]] = []
    names = point_names(sweep)
    for job in job_dirs(sweep):
        path = job / name
        if (job / JOB_MARKER).exists() and path.exists() and path.stat().st_size:
            rows.extend({**r, "design_point": names[job.name]} for r in read_csv(path))
    return rows


def write_summary(sweep: Path, rows: list[dict[str, Any]]) -> Path:
    """Write ``summary.csv`` (atomically)."""
    path = sweep / "summary.csv"
    atomic_write(path, rows_to_csv(rows, ("job", *ID_COLUMNS)))
    return path


def metric_columns(rows: list[dict[str, Any]]) -> list[str]:
    """Metric columns: numeric, and not an ID or design column."""
    skip = {"job", *ID_COLUMNS, "scheme", "org", "tiering", "ltc_gates"}
    cols = []
    for k in dict.fromkeys(k for r in rows for k in r):
        if k in skip or "." in k:
            continue
        vals = [r.get(k) for r in rows if r.get("status") == "ok"]
        if vals and all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals):
            cols.append(k)
    return cols


def values(rows: list[dict[str, Any]], point: str, metric: str) -> list[float]:
    """A metric's values at a design point by replication (NaN where a replication failed)."""
    out = {}
    for r in rows:
        if r["design_point"] == point and int(r["replication"]) >= 0:
            v = r.get(metric, "")
            ok = r.get("status") == "ok" and isinstance(v, int | float)
            out[int(r["replication"])] = float(v) if ok else math.nan
    return [out[k] for k in sorted(out)]
