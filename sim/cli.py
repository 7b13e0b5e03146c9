"""``incentive-sim``: one firm run from the command line.

The config is composed and validated *before* Hydra runs, so a user mistake is one line on
stderr, a non-zero exit and no files. Then a thin ``@hydra.main`` calls the pure
:func:`sim.run.run` and writes ``metrics.json`` (written last: its presence marks a complete run),
``timeseries.csv``, ``people.csv`` and ``run_info.json`` (code and package versions) beside
Hydra's ``.hydra/`` folder. A run directory that already holds results is refused, and the
default directory is a fresh numbered folder, so no result is ever overwritten.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.config import ConfigError, config_dir, load_config

RESULT_FILES = ("metrics.json", "timeseries.csv", "people.csv", "run_info.json")


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    if not rows:
        path.write_text("", encoding="utf-8")
        return
    fields = list(dict.fromkeys(k for row in rows for k in row))  # roles have different tasks
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, restval="")
        w.writeheader()
        w.writerows(rows)


def write_outputs(out: Path, result: Any) -> None:
    """Write a run's files; ``metrics.json`` last, via a temporary name and a rename."""
    from importlib.metadata import version

    import sim

    _write_csv(out / "timeseries.csv", result.timeseries)
    _write_csv(out / "people.csv", result.people)
    info = {"sim": sim.__version__,
            "packages": {p: version(p) for p in ("mesa", "numpy", "scipy", "hydra-core")},
            "python": sys.version.split()[0]}
    (out / "run_info.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    tmp = out / ".metrics.json.tmp"
    tmp.write_text(json.dumps(result.metrics, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, out / "metrics.json")


def _task(cfg: Any) -> None:
    import logging

    from hydra.core.hydra_config import HydraConfig

    logging.getLogger("MESA").setLevel(logging.WARNING)  # Mesa logs every step at INFO

    from sim.run import run

    out = Path(HydraConfig.get().runtime.output_dir)
    result = run(cfg)
    write_outputs(out, result)
    m = result.metrics
    print(f"revenue {m['revenue']:.0f}/yr  operating profit {m['operating_profit']:.0f}/yr  "
          f"collaboration {m['collaboration_index']:.3f}  -> {out}")


def _default_run_dir(cfg: Any) -> Path:
    from sim.results import new_run_dir

    tmp, final = new_run_dir("results/runs",
                             f"{cfg.scheme.name}-{cfg.org.design}-seed{cfg.seed}")
    tmp.rmdir()
    return final


def main(argv: Sequence[str] | None = None) -> int:
    """Validate, then run through Hydra. Returns the exit code (2 for bad input)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help") for a in args):
        print("usage: incentive-sim [key=value ...]   e.g. scheme=gain_sharing org=iron_triangle"
              " seed=3 hydra.run.dir=results/my_run\nKnobs: see README.md.")
        return 0
    if any(a.startswith("-") for a in args):
        bad = next(a for a in args if a.startswith("-"))
        print(f"error: {bad}: options are key=value overrides (see --help)", file=sys.stderr)
        return 2
    hydra_args = [a for a in args if a.startswith(("hydra.", "+hydra."))]
    cfg_args = [a for a in args if a not in hydra_args]
    try:
        cfg = load_config(cfg_args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    run_dir = next((a.split("=", 1)[1] for a in hydra_args if a.startswith("hydra.run.dir=")),
                   None)
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
    sys.argv = [saved[0] if saved else "incentive-sim", *cfg_args, *hydra_args]
    try:
        entry()
    finally:
        sys.argv = saved
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
