"""``incentive-sim``: one firm run, or a sweep of design points, from the command line.

The config is composed and validated *before* Hydra runs — every design point of a sweep — so
a user mistake is one line on stderr, a non-zero exit and no files. Then a thin ``@hydra.main``
calls the pure :func:`sim.simulation.run`. One run writes ``metrics.json`` (last: its presence
marks a complete run), ``timeseries.csv``, ``people.csv`` and ``run_info.json`` (code and
package versions) beside Hydra's ``.hydra/`` folder. A sweep's jobs each run all replications of
their design point (:mod:`sim.experiment`); afterwards the sweep is aggregated and reported
(:mod:`sim.report`). A run folder that already holds results is refused; a sweep folder is
resumed by the same sweep (finished jobs kept, failed or unfinished ones rerun) and refused to
any other; default folders are fresh numbered ones. No result is ever overwritten.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.config import ConfigError, config_dir, load_config

RESULT_FILES = ("metrics.json", "timeseries.csv", "people.csv", "run_info.json")


def _csv_text(rows: list[dict[str, Any]]) -> str:
    """CSV of rows whose columns may differ (roles have different tasks), by the csv module."""
    if not rows:
        return ""
    fields = list(dict.fromkeys(k for row in rows for k in row))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields, restval="")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def write_outputs(out: Path, result: Any) -> None:
    """Write a run's files, each through a temporary name and a rename; ``metrics.json`` last.

    ``metrics.json`` marks a complete run: a run stopped before it leaves no file that looks
    complete.
    """
    from importlib.metadata import version

    import sim
    from sim.results import atomic_write

    atomic_write(out / "timeseries.csv", _csv_text(result.timeseries))
    atomic_write(out / "people.csv", _csv_text(result.people))
    info = {"sim": sim.__version__,
            "packages": {p: version(p) for p in ("mesa", "numpy", "scipy", "hydra-core")},
            "python": sys.version.split()[0]}
    atomic_write(out / "run_info.json", json.dumps(info, indent=2) + "\n")
    atomic_write(out / "metrics.json", json.dumps(result.metrics, indent=2, sort_keys=True) + "\n")


def _task(cfg: Any) -> float | None:
    import logging

    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    logging.getLogger("MESA").setLevel(logging.WARNING)  # Mesa logs every step at INFO

    hc = HydraConfig.get()
    out = Path(hc.runtime.output_dir)
    if hc.mode == RunMode.MULTIRUN:
        rows = _replication_job(cfg, out, list(hc.overrides.task), int(hc.job.num))
        if cfg.get("search") is not None:  # a plan-search trial returns its objective
            from sim.search import record_trial
            from sim.simulation import plain

            spec = plain(cfg)["search"]
            params = [o for o in hc.overrides.task
                      if o.partition("=")[0] in set(hc.sweeper.params or {})]
            return record_trial(spec, params, rows)
        return None
    from sim.simulation import run

    result = run(cfg)
    write_outputs(out, result)
    m = result.metrics
    print(f"revenue {m['revenue']:.0f}/yr  operating profit {m['operating_profit']:.0f}/yr  "
          f"collaboration {m['collaboration_index']:.3f}  -> {out}")
    return None


def _replication_job(cfg: Any, out: Path, overrides: list[str], job: int = 0
                     ) -> list[dict[str, Any]]:
    """One design point of a sweep: every replication, errors recorded, never raised.

    A job folder that already holds this design point's complete results (a resumed sweep)
    is left as it is.
    """
    from sim.experiment import Replications, replicate
    from sim.report.aggregate import config_digest, design_point_name, finished_job, write_job
    from sim.simulation import plain

    point = design_point_name(overrides)
    c = plain(cfg)
    digest = config_digest(c)
    if finished_job(out, digest):
        print(f"{point}: already finished, kept -> {out}", flush=True)
        from sim.report.aggregate import JOB_TABLE, read_csv

        return read_csv(out / JOB_TABLE)
    try:
        reps = replicate(c, point, overrides)
    except Exception as exc:  # the job itself failed: record it so the sweep goes on
        reps = Replications(rows=[{"design_point": point, "replication": -1,
                                   "seed": int(cfg.seed),
                                   "status": f"failed: {type(exc).__name__}: {exc}"}])
    kill = (c.get("debug") or {}).get("kill_during_write")

    def die_if_asked() -> None:
        if kill is not None and int(kill) == job:  # fault injection: the process dies here
            import signal

            (out / ".job.json.tmp").write_text('{"design_po', encoding="utf-8")
            os.kill(os.getpid(), signal.SIGKILL)

    write_job(out, point, reps, digest, before_marker=die_if_asked)
    ok = sum(r["status"] == "ok" for r in reps.rows)
    print(f"{point}: {ok}/{len(reps.rows)} replications ok -> {out}", flush=True)
    return reps.rows


def _default_run_dir(cfg: Any) -> Path:
    from sim.results import new_run_dir

    tmp, final = new_run_dir("results/runs",
                             f"{cfg.scheme.name}-{cfg.org.design}-seed{cfg.seed}")
    tmp.rmdir()
    return final


def _default_sweep_dir(name: str) -> Path:
    from sim.results import new_run_dir

    tmp, final = new_run_dir("results/sweeps", name)
    tmp.rmdir()
    return final


def _stop_ray() -> None:
    """Shut down the Ray runtime the ray launcher started in this process, before the report.

    Its threads would otherwise be inherited, stopped, by the report's forked figure workers.
    """
    ray = sys.modules.get("ray")
    if ray is not None and getattr(ray, "is_initialized", lambda: False)():
        ray.shutdown()


SWEEP_MANIFEST = "sweep.json"


def _claim_sweep_dir(sweep_dir: Path, points: list[list[str]], resumable: bool = True) -> str:
    """Start a sweep in ``sweep_dir``, or resume the same sweep there; else say why not.

    The folder's ``sweep.json`` lists the design points (their overrides, fault-injection
    ``debug`` ones aside). Re-running the same sweep into its folder resumes it: finished jobs
    are kept, failed or missing ones rerun. A folder holding any other results is refused, so
    nothing is overwritten.

    Returns:
        An error message, or ``""`` when the sweep may run.
    """
    from sim.report.aggregate import JOB_MARKER, job_dirs
    from sim.results import atomic_write

    design = [[o for o in p if not o.lstrip("+~").startswith("debug")] for p in points]
    manifest = {"design_points": design}
    path = sweep_dir / SWEEP_MANIFEST
    if not resumable and sweep_dir.is_dir() and any(sweep_dir.iterdir()):
        return (f"{sweep_dir} already holds results; a search continues its study (SQLite) in a "
                f"new folder: leave hydra.sweep.dir out or name a new one")
    if path.exists():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            old = None
        if old != manifest:
            return (f"{sweep_dir} holds a different sweep (other design points); choose a new "
                    f"folder, or rerun the exact same command to resume that sweep")
        done = sum((j / JOB_MARKER).exists() for j in job_dirs(sweep_dir))
        print(f"Resuming the sweep in {sweep_dir}: {done} of {len(points)} design points "
              f"have results (failed or unfinished ones run again)", flush=True)
        return ""
    if sweep_dir.is_dir() and any(sweep_dir.iterdir()):
        return f"{sweep_dir} already holds other files; choose a new folder"
    sweep_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(manifest, indent=2) + "\n")
    return ""


USAGE = """usage: incentive-sim [-m] [key=value ...]
  one run:    incentive-sim scheme=gain_sharing org=iron_triangle seed=3
  a sweep:    incentive-sim experiment=compare_schemes        (presets: configs/experiment/)
              incentive-sim -m scheme=commission,gain_sharing experiment.replications=5
  your plans: incentive-sim experiment=compare_schemes scheme=commission,my_plan --plans DIR
              (DIR/scheme/my_plan.yaml; copy a preset from configs/scheme/)
  where:      hydra.run.dir=results/my_run   hydra.sweep.dir=results/my_sweep
Knobs: see README.md. A sweep writes summary.csv and report.html into its folder."""


def main(argv: Sequence[str] | None = None) -> int:
    """Validate, then run through Hydra. Returns the exit code (2 for bad input)."""
    from sim.config import sweep_points

    args = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help") for a in args):
        print(USAGE)
        return 0
    multirun = any(a in ("-m", "--multirun") for a in args)
    args = [a for a in args if a not in ("-m", "--multirun")]
    search: list[str] = []
    while "--plans" in args:  # a designer's own folder of plans: <dir>/scheme/<name>.yaml
        i = args.index("--plans")
        if i + 1 >= len(args):
            print("error: --plans: give a folder that holds scheme/<name>.yaml", file=sys.stderr)
            return 2
        search.append(args[i + 1])
        del args[i:i + 2]
    if any(a.startswith("-") for a in args):
        bad = next(a for a in args if a.startswith("-"))
        print(f"error: {bad}: options are -m and key=value overrides (see --help)",
              file=sys.stderr)
        return 2
    hydra_args = [a for a in args if a.startswith(("hydra.", "+hydra.", "hydra/", "+hydra/"))]
    cfg_args = [a for a in args if a not in hydra_args]
    preset = next((a.split("=", 1)[1] for a in cfg_args if a.lstrip("+").startswith(
        "experiment=")), "")
    if preset.startswith("validate_"):
        print(f"error: experiment={preset} is a validation preset: run "
              f"`incentive-sim-validate {preset.removeprefix('validate_')}` (or make validate)",
              file=sys.stderr)
        return 2
    try:
        points, preset_multirun, name = sweep_points(cfg_args, search)
        from sim.config import searchpath_overrides

        hydra_args += searchpath_overrides(search)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    multirun = multirun or preset_multirun or len(points) > 1
    given = dict(a.split("=", 1) for a in hydra_args if "=" in a)
    search_cfg = load_config(points[0], search=search) if multirun else None
    searching = search_cfg is not None and search_cfg.get("search") is not None
    if searching:
        Path("results/search").mkdir(parents=True, exist_ok=True)  # the study's SQLite file
        if not any(a.startswith("hydra.sweeper.sampler.seed=") for a in hydra_args):
            # A continued study must not replay the first invocation's proposals: the sampler's
            # seed moves on by the number of trials the study already has.
            from sim.search import trial_dir

            assert search_cfg is not None
            done = len(list(trial_dir(search_cfg.search).glob("*.json")))
            seed = int(search_cfg.search.get("sampler_seed", 0) or 0)
            hydra_args.append(f"hydra.sweeper.sampler.seed={seed + done}")
    sweep_dir = ""
    if multirun:
        sweep_dir = given.get("hydra.sweep.dir", "")
        if not sweep_dir:
            sweep_dir = str(_default_sweep_dir(name))
            hydra_args.append(f"hydra.sweep.dir={sweep_dir}")
        if any("launcher=ray" in a for a in hydra_args):
            # Ray ≥ 2.5x asks for an auth token unless told otherwise; a user's setting wins.
            os.environ.setdefault("RAY_AUTH_MODE", "disabled")
        launcher_set = any(a.startswith(("hydra/launcher", "+hydra/launcher",
                                         "hydra.launcher.n_jobs")) for a in hydra_args)
        if not launcher_set:
            # Jobs differ little in length: one process per design point (up to twice the
            # cores) keeps every core busy until the end instead of leaving one job alone.
            jobs = min(len(points), 2 * (os.cpu_count() or 1))
            hydra_args.append(f"hydra.launcher.n_jobs={jobs}")
        problem = _claim_sweep_dir(Path(sweep_dir), points, resumable=not searching)
        if problem:
            print(f"error: hydra.sweep.dir: {problem}", file=sys.stderr)
            return 2
    else:
        cfg = load_config(points[0], search=search)
        run_dir = given.get("hydra.run.dir")
        if run_dir is None:
            run_dir = str(_default_run_dir(cfg))
            hydra_args.append(f"hydra.run.dir={run_dir}")
        if (Path(run_dir) / "metrics.json").exists():
            print(f"error: hydra.run.dir: {run_dir} already holds results; choose a new folder",
                  file=sys.stderr)
            return 2
    import hydra

    entry = hydra.main(config_path=str(config_dir()), config_name="config",
                       version_base="1.3")(_task)
    saved = sys.argv
    sys.argv = [saved[0] if saved else "incentive-sim", *(["--multirun"] if multirun else []),
                *cfg_args, *hydra_args]
    try:
        entry()
    except SystemExit as exc:  # Hydra exits when a job raised; aggregate what there is
        if not multirun:
            raise
        print(f"warning: the sweep ended with {exc.code!r}; reporting the jobs that finished",
              file=sys.stderr)
    finally:
        sys.argv = saved
    if multirun:
        from sim.report import build_report
        from sim.report.aggregate import job_dirs

        if not Path(sweep_dir).is_dir() or not job_dirs(Path(sweep_dir)):
            print(f"error: the sweep started no jobs in {sweep_dir}", file=sys.stderr)
            return 1
        _stop_ray()
        if searching:
            from sim.report.aggregate import collect, write_summary
            from sim.search import finish
            from sim.simulation import plain

            write_summary(Path(sweep_dir), collect(Path(sweep_dir)))
            print("Re-scoring the best plan and the presets on held-out seeds ...", flush=True)
            assert search_cfg is not None
            path = finish(Path(sweep_dir), plain(search_cfg), cfg_args)
            result = json.loads((Path(sweep_dir) / "search.json").read_text(encoding="utf-8"))
            d = result["difference"]
            print(f"{result['trials']} trials in the study; best plan vs {result['best_preset']}"
                  f" on held-out seeds: {d['metric']} {d['mean']:+,.1f} "
                  f"[{d['ci_low']:+,.1f}, {d['ci_high']:+,.1f}]"
                  f" -> {'beats it' if result['beats_best_preset'] else 'does not beat it'}")
            print(f"\nReport: {path}")
            return 0
        path = build_report(Path(sweep_dir))
        print("\n" + _sweep_summary(Path(sweep_dir)))
        print(f"Report: {path}")
    return 0


def _sweep_summary(sweep: Path) -> str:
    """One line at the end of a sweep: design points, replications ok and failed."""
    from sim.report.aggregate import read_csv

    rows = read_csv(sweep / "summary.csv")
    points = len({r["design_point"] for r in rows})
    ok = sum(r.get("status") == "ok" for r in rows)
    failed = len(rows) - ok
    tail = f"; {failed} failed (see the report's Failures)" if failed else ""
    return f"Sweep finished: {points} design points, {ok} replications ok{tail} -> {sweep}"


if __name__ == "__main__":
    raise SystemExit(main())
