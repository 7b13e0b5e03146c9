"""``incentive-sim``: one firm run, or a sweep of design points, from the command line.

The config is composed and validated *before* Hydra runs — every design point of a sweep — so
a user mistake is one line on stderr, a non-zero exit and no files. Then a thin ``@hydra.main``
calls the pure :func:`sim.simulation.run`. One run writes ``metrics.json`` (last: its presence
marks a complete run), ``timeseries.csv``, ``people.csv``, ``units.csv`` (under a gain-sharing
pool whose units are scored: each unit's scorecard per year) and ``run_info.json`` (code and
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
    if getattr(result, "units", None):  # a scorecard-scored pool: each unit's year (S9)
        atomic_write(out / "units.csv", _csv_text(result.units))
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

    result = run(cfg, show_progress=True)
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


def _stop_ray() -> None:
    """Shut down the Ray runtime the ray launcher started in this process, before the report.

    Its threads would otherwise be inherited, stopped, by the report's forked figure workers.
    """
    ray = sys.modules.get("ray")
    if ray is not None and getattr(ray, "is_initialized", lambda: False)():
        ray.shutdown()


SWEEP_MANIFEST = "sweep.json"
#: Exit codes (README "Exit codes").
OK, FAILED, BAD_INPUT, INCOMPLETE, INTERRUPTED = 0, 1, 2, 3, 130
#: The Hydra settings a user may give; everything else of ``hydra`` is the tool's.
HYDRA_SETTINGS = ("hydra.run.dir", "hydra.sweep.dir", "hydra.launcher.", "hydra.sweeper.",
                  "hydra/launcher", "hydra/sweeper")


def _check_hydra_args(hydra_args: list[str]) -> None:
    """Only the Hydra settings of :data:`HYDRA_SETTINGS`, and only launchers that exist.

    Raises:
        ConfigError: One line naming the setting.
    """
    from sim import planfiles

    planfiles.check_option_names(hydra_args)
    for a in hydra_args:
        key, _eq, value = a.partition("=")
        name = key.lstrip("+~")
        if not name.startswith(HYDRA_SETTINGS):
            raise ConfigError(f"{name}: not a setting this tool takes (allowed: hydra.run.dir, "
                              f"hydra.sweep.dir, hydra.launcher.*, hydra.sweeper.*, "
                              f"hydra/launcher=<name>)")
        if "${" in value:
            raise ConfigError(f"{name}: interpolations (${{...}}) are not allowed on the "
                              f"command line; give the value")
        if name in ("hydra.run.dir", "hydra.sweep.dir") and not value.strip():
            raise ConfigError(f"{name}: give a folder (an empty one would be the current folder)")
        if name == "hydra/launcher":
            known = _launchers()
            if value not in known:
                raise ConfigError(f"hydra/launcher: unknown launcher {value!r}; allowed: "
                                  f"{', '.join(known)}")


def _launchers() -> list[str]:
    """Launchers Hydra can load here: the installed plugins' and configs/hydra/launcher/."""
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
            loader = GlobalHydra.instance().config_loader()
            return sorted(loader.get_group_options("hydra/launcher"))
    finally:
        GlobalHydra.instance().clear()


def _claim_sweep_dir(sweep_dir: Path, points: list[list[str]], search: list[str],
                     resumable: bool = True) -> Any:
    """Claim ``sweep_dir`` to start a sweep, or to resume the same sweep there.

    The folder's ``sweep.json`` lists the design points (their overrides, fault-injection
    ``debug`` ones aside). Re-running the same sweep into its folder resumes it: finished jobs
    are kept, failed or missing ones run again. A folder holding any other files, a sweep whose
    finished jobs ran another config (a plan edited since) and a folder another process is
    writing into are refused, so nothing is overwritten.

    Returns:
        The :class:`sim.results.Claim` (held until the sweep ends).

    Raises:
        sim.results.FolderError: One line saying why not.
    """
    from sim.report.aggregate import JOB_MARKER, config_digest
    from sim.results import Claim, FolderError, atomic_write, make_folder
    from sim.simulation import plain

    design = [[o for o in p if not o.lstrip("+~").startswith("debug")] for p in points]
    manifest = {"design_points": design}
    path = sweep_dir / SWEEP_MANIFEST
    what = "hydra.sweep.dir"
    if (sweep_dir / "metrics.json").exists() or (sweep_dir.parent / SWEEP_MANIFEST).exists():
        raise FolderError(f"{what}: {sweep_dir} is a run's folder; choose a new folder")
    make_folder(sweep_dir, what)
    claim = Claim(sweep_dir)
    try:
        others = [p.name for p in sweep_dir.iterdir() if p.name not in (".lock", ".plans")]
        if not resumable and others:
            raise FolderError(f"{what}: {sweep_dir} already holds results; a search continues "
                              f"its study (SQLite) in a new folder: leave hydra.sweep.dir out "
                              f"or name a new one")
        if not path.exists():
            if others:
                raise FolderError(f"{what}: {sweep_dir} already holds other files; choose a "
                                  f"new folder")
            atomic_write(path, json.dumps(manifest, indent=2) + "\n")
            return claim
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            old = None
        if old != manifest:
            raise FolderError(f"{what}: {sweep_dir} holds a different sweep (other design "
                              f"points); choose a new folder, or rerun the exact same command "
                              f"to resume that sweep")
        done = 0
        for k, point in enumerate(points):
            marker = sweep_dir / str(k) / JOB_MARKER
            if not marker.exists():
                continue
            ran = json.loads(marker.read_text(encoding="utf-8")).get("config_sha256")
            if ran != config_digest(plain(load_config(point, search=search))):
                raise FolderError(
                    f"{what}: design point {k} ({', '.join(design[k]) or 'default'}) ran in "
                    f"{sweep_dir} with another config (a plan or setting changed since); its "
                    f"results are kept: choose a new folder for the changed sweep")
            done += 1
        print(f"Resuming the sweep in {sweep_dir}: {done} of {len(points)} design points "
              f"have results (failed or unfinished ones run again)", flush=True)
        return claim
    except BaseException:
        claim.release()
        raise


def _claim_run_dir(given: str | None, cfg: Any) -> Any:
    """Claim the single run's folder: a given one that is new or empty, or a fresh numbered one."""
    from sim.results import claim_empty, claim_new

    if given is None:
        return claim_new("results/runs", f"{cfg.scheme.name}-{cfg.org.design}-seed{cfg.seed}",
                         "hydra.run.dir")
    return claim_empty(Path(given), "hydra.run.dir")


USAGE = """usage: incentive-sim [-m] [key=value ...] [--plans DIR]
  one run:    incentive-sim scheme=gain_sharing org=iron_triangle seed=3
  a sweep:    incentive-sim experiment=compare_schemes        (presets: configs/experiment/)
              incentive-sim -m scheme=commission,gain_sharing experiment.replications=5
  your plans: incentive-sim experiment=compare_schemes scheme=commission,my_plan --plans DIR
              (DIR/scheme/my_plan.yaml; copy a preset from configs/scheme/)
  where:      hydra.run.dir=results/my_run   hydra.sweep.dir=results/my_sweep
Knobs: see README.md. A sweep writes summary.csv and report.html into its folder.
Exit codes: 0 done; 1 the run failed; 2 bad input (nothing written); 3 a sweep finished with
failed replications or design points (summary and report written); 130 interrupted."""


def _parse(args: list[str]) -> tuple[bool, list[str], list[str], list[str]]:
    """``(multirun, search folders, config overrides, hydra overrides)`` of a command line.

    Raises:
        ConfigError: An option that is not ``-m`` or ``--plans DIR``.
    """
    multirun = any(a in ("-m", "--multirun") for a in args)
    args = [a for a in args if a not in ("-m", "--multirun")]
    search: list[str] = []
    while "--plans" in args:  # a designer's own folder of plans: <dir>/scheme/<name>.yaml
        i = args.index("--plans")
        if i + 1 >= len(args):
            raise ConfigError("--plans: give a folder that holds scheme/<name>.yaml")
        search.append(args[i + 1])
        del args[i:i + 2]
    if any(a.startswith("-") for a in args):
        bad = next(a for a in args if a.startswith("-"))
        raise ConfigError(f"{bad}: options are -m, --plans DIR and key=value overrides "
                          f"(see --help)")
    hydra_args = [a for a in args if a.lstrip("+~").startswith(("hydra.", "hydra/"))]
    return multirun, search, [a for a in args if a not in hydra_args], hydra_args


def main(argv: Sequence[str] | None = None) -> int:
    """Validate, claim the output folder, then run through Hydra; returns the exit code.

    Bad input is one line on stderr, exit 2 and no files; see :data:`USAGE` for the codes.
    """
    import signal

    from sim.config import searchpath_overrides, sweep_points
    from sim.results import FolderError

    args = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help") for a in args):
        print(USAGE)
        return OK
    claim = None
    try:
        multirun, search, cfg_args, hydra_args = _parse(args)
        preset = next((a.split("=", 1)[1] for a in cfg_args if a.lstrip("+").startswith(
            "experiment=")), "")
        if preset.startswith("validate_"):
            raise ConfigError(f"experiment={preset} is a validation preset: run "
                              f"`incentive-sim-validate {preset.removeprefix('validate_')}` "
                              f"(or make validate)")
        _check_hydra_args(hydra_args)
        points, preset_multirun, name = sweep_points(cfg_args, search)
        multirun = multirun or preset_multirun or len(points) > 1
        given = dict(a.lstrip("+").split("=", 1) for a in hydra_args if "=" in a)
        first = load_config(points[0], search=search)
        from sim.resources import check_memory

        check_memory(first, jobs=_parallel_jobs(hydra_args, len(points)) if multirun else 1)
        searching = multirun and first.get("search") is not None
        if searching:
            _check_study(first, hydra_args)
        if multirun:
            sweep_dir = given.get("hydra.sweep.dir") or ""
            if not sweep_dir:
                from sim.results import claim_new

                claim = claim_new("results/sweeps", name, "hydra.sweep.dir")
                sweep_dir = str(claim.folder)
                claim.release()  # claimed again below, with the sweep's manifest
            claim = _claim_sweep_dir(Path(sweep_dir), points, search, resumable=not searching)
            out = Path(sweep_dir)
        else:
            claim = _claim_run_dir(given.get("hydra.run.dir"), first)
            out = claim.folder
        # Hydra gets the folder as an absolute path: job processes a launcher reuses may
        # have another working directory.
        key = "hydra.sweep.dir" if multirun else "hydra.run.dir"
        hydra_args = [a for a in hydra_args if not a.lstrip("+").startswith(key + "=")]
        hydra_args.append(f"{key}={out.resolve()}")
    except (ConfigError, FolderError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BAD_INPUT
    from sim import planfiles

    tree = planfiles.confined_tree(search, out / ".plans")
    hydra_args += searchpath_overrides(tree)
    if searching:
        _search_setup(first, hydra_args)
    if multirun:
        _launcher_setup(hydra_args, len(points))

    def terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        _hydra(cfg_args, hydra_args, multirun)
    except KeyboardInterrupt:
        print(f"interrupted: {out} is left incomplete (no metrics.json"
              f"{'; rerun the same command to resume the sweep' if multirun else ''})",
              file=sys.stderr)
        return INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)
        if claim is not None:
            claim.release()
    if not multirun:
        return OK if (out / "metrics.json").exists() else FAILED
    return _finish_sweep(out, first, cfg_args, searching)


def _parallel_jobs(hydra_args: list[str], n_points: int) -> int:
    """How many jobs run at once (the joblib launcher's n_jobs, by default one per point)."""
    for a in hydra_args:
        if a.lstrip("+").startswith("hydra.launcher.n_jobs="):
            try:
                return max(1, int(a.split("=", 1)[1]))
            except ValueError:
                return 1
    if any(a.lstrip("+").startswith("hydra/launcher") for a in hydra_args):
        return 1  # another launcher: jobs run elsewhere
    return min(n_points, 2 * (os.cpu_count() or 1))


def _check_study(cfg: Any, hydra_args: list[str]) -> None:
    """A study's trial records and its database go together.

    The records beside a study (what its report and held-out re-scoring read) outlive a deleted
    database; a new study under the same name would then mix trials run by other code.

    Raises:
        ConfigError: Records without their database, in one line.
    """
    from sim.search import trial_dir

    if any(a.lstrip("+").startswith("hydra.sweeper.storage=") for a in hydra_args):
        return  # a study stored elsewhere: its records are the user's to keep in step
    records = trial_dir(cfg.search)
    db = Path("results/search") / f"{cfg.search.name}.db"
    n = len(list(records.glob("*.json"))) if records.is_dir() else 0
    if n and not db.exists():
        raise ConfigError(f"search.name: {records} holds {n} trial records of a study whose "
                          f"database {db} is gone; move that folder aside or name a new study "
                          f"(search.name=...)")


def _search_setup(cfg: Any, hydra_args: list[str]) -> None:
    """A plan search's study file, and a sampler seed that moves on with the study."""
    Path("results/search").mkdir(parents=True, exist_ok=True)  # the study's SQLite file
    if not any(a.startswith("hydra.sweeper.sampler.seed=") for a in hydra_args):
        # A continued study must not replay the first invocation's proposals: the sampler's
        # seed moves on by the number of trials the study already has.
        from sim.search import trial_dir

        done = len(list(trial_dir(cfg.search).glob("*.json")))
        seed = int(cfg.search.get("sampler_seed", 0) or 0)
        hydra_args.append(f"hydra.sweeper.sampler.seed={seed + done}")


def _launcher_setup(hydra_args: list[str], n_points: int) -> None:
    """Ray's auth mode, and one local process per design point (up to twice the cores)."""
    if any("launcher=ray" in a for a in hydra_args):
        # Ray ≥ 2.5x asks for an auth token unless told otherwise; a user's setting wins.
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    launcher_set = any(a.lstrip("+").startswith(("hydra/launcher", "hydra.launcher.n_jobs"))
                       for a in hydra_args)
    if not launcher_set:
        # Jobs differ little in length: one process per design point (up to twice the cores)
        # keeps every core busy until the end instead of leaving one job alone.
        hydra_args.append(f"hydra.launcher.n_jobs={_parallel_jobs([], n_points)}")


def _hydra(cfg_args: list[str], hydra_args: list[str], multirun: bool) -> None:
    """Run the task through ``@hydra.main`` with the given overrides."""
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


def _finish_sweep(sweep_dir: Path, cfg: Any, cfg_args: list[str], searching: bool) -> int:
    """Summary, report (or a search's re-scoring) and the sweep's exit code."""
    from sim.report import build_report
    from sim.report.aggregate import job_dirs

    if not sweep_dir.is_dir() or not job_dirs(sweep_dir):
        print(f"error: the sweep started no jobs in {sweep_dir}", file=sys.stderr)
        return FAILED
    _stop_ray()
    if searching:
        from sim.report.aggregate import collect, write_summary
        from sim.search import finish
        from sim.simulation import plain

        write_summary(sweep_dir, collect(sweep_dir))
        print("Re-scoring the best plan and the presets on held-out seeds ...", flush=True)
        path = finish(sweep_dir, plain(cfg), cfg_args)
        result = json.loads((sweep_dir / "search.json").read_text(encoding="utf-8"))
        d = result["difference"]
        print(f"{result['trials']} trials in the study; best plan vs {result['best_preset']}"
              f" on held-out seeds: {d['metric']} {d['mean']:+,.1f} "
              f"[{d['ci_low']:+,.1f}, {d['ci_high']:+,.1f}]"
              f" -> {'beats it' if result['beats_best_preset'] else 'does not beat it'}")
        print(f"\nReport: {path}")
        return OK
    path = build_report(sweep_dir)
    line, failed = _sweep_summary(sweep_dir)
    print("\n" + line)
    print(f"Report: {path}")
    return INCOMPLETE if failed else OK


def _sweep_summary(sweep: Path) -> tuple[str, int]:
    """One line at the end of a sweep (design points, replications ok and failed), and failures."""
    from sim.report.aggregate import read_csv

    rows = read_csv(sweep / "summary.csv")
    points = len({r["design_point"] for r in rows})
    ok = sum(r.get("status") == "ok" for r in rows)
    failed = len(rows) - ok
    tail = f"; {failed} failed (see the report's Failures; exit code 3)" if failed else ""
    return f"Sweep finished: {points} design points, {ok} replications ok{tail} -> {sweep}", failed


if __name__ == "__main__":
    raise SystemExit(main())
