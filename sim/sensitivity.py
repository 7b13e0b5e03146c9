"""Global sensitivity analysis: which parameters move the outcomes; does the scheme ranking hold?

``incentive-sim-sensitivity [key=value ...]`` (or ``python -m sim.sensitivity``) runs the study
described by the ``sensitivity`` config group (default: ``configs/sensitivity/default.yaml``):

1. SALib draws ``n`` base samples of the listed parameters within their bounds (Sobol' sequence
   with Saltelli's scheme, ``n · (D + 2)`` points; or Morris trajectories, ``n · (D + 1)``);
2. every sample is run under every listed scheme, each averaged over ``replications`` runs whose
   seeds are spawned from ``seed`` — the same seeds for every sample and scheme (common random
   numbers), so differences between schemes at a sample are paired;
3. first- and total-order Sobol' indices (or Morris μ*, σ) with bootstrap confidence intervals for
   every output under every scheme, and the **robustness of the scheme ranking**: the share of
   samples in which the second scheme beats the first on each output, with a Wilson interval.

Results go to a fresh folder ``results/sensitivity/<name>-NNN/``: ``samples.csv`` (parameters and
outputs per sample and scheme), ``indices.csv``, ``sensitivity.json``, a figure (PNG + SVG) and
``report.md`` / ``report.html``. The analysis itself (:func:`analyze`) is tested on the Ishigami
function against its known indices.
"""

from __future__ import annotations

import argparse
import base64
import copy
import html
import json
import math
import os
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.config import ConfigError

METHODS = ("sobol", "morris")


@dataclass(frozen=True)
class Study:
    """A sensitivity study.

    Attributes:
        parameters: Dotted config key → ``(low, high)``.
        outputs: Metric names to analyse.
        schemes: Schemes to run every sample under; the ranking compares the last with the first.
        method: ``sobol`` or ``morris``.
        n: Base samples (Sobol': a power of two is best).
        replications: Runs averaged per sample and scheme.
        seed: Seed of the sampler and of the replication seeds.
    """

    parameters: dict[str, tuple[float, float]]
    outputs: tuple[str, ...]
    schemes: tuple[str, ...]
    method: str = "sobol"
    n: int = 32
    replications: int = 2
    seed: int = 1

    @property
    def problem(self) -> dict[str, Any]:
        """The SALib problem definition."""
        return {"num_vars": len(self.parameters), "names": list(self.parameters),
                "bounds": [list(b) for b in self.parameters.values()]}


def study_from_config(cfg: Mapping[str, Any]) -> Study:
    """The study in ``cfg["sensitivity"]``, checked; a :class:`ConfigError` names what is wrong."""
    s = cfg.get("sensitivity")
    if not isinstance(s, Mapping):
        raise ConfigError("sensitivity: missing; add +sensitivity=default (or your own file)")
    method = str(s.get("method", "sobol"))
    if method not in METHODS:
        raise ConfigError(f"sensitivity.method: must be one of {', '.join(METHODS)}, got "
                          f"{method!r}")
    from sim.firm.values import ParamError, integer, number

    params: dict[str, tuple[float, float]] = {}
    for key, bounds in _flat(s.get("parameters") or {}).items():
        if not isinstance(bounds, Sequence) or len(bounds) != 2:
            raise ConfigError(f"sensitivity.parameters.{key}: expected [low, high]")
        try:
            low = number(bounds[0], f"sensitivity.parameters.{key}[0]")
            high = number(bounds[1], f"sensitivity.parameters.{key}[1]")
        except ParamError as exc:
            raise ConfigError(str(exc)) from None
        if not low < high:
            raise ConfigError(f"sensitivity.parameters.{key}: low must be < high, got "
                              f"[{low}, {high}]")
        value = _get(cfg, key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"sensitivity.parameters.{key}: not a numeric config parameter "
                              f"(got {value!r})")
        params[str(key)] = (low, high)
    if len(params) < 2:
        raise ConfigError("sensitivity.parameters: give at least two parameters with bounds")
    outputs = tuple(str(o) for o in (s.get("outputs") or ()))
    schemes = tuple(str(o) for o in (s.get("schemes") or ()))
    if not outputs:
        raise ConfigError("sensitivity.outputs: give at least one metric")
    if not schemes:
        raise ConfigError("sensitivity.schemes: give at least one scheme")
    try:
        n = integer(s.get("n", 32), "sensitivity.n", 2)
        reps = integer(s.get("replications", 2), "sensitivity.replications", 1)
    except ParamError as exc:
        raise ConfigError(str(exc)) from None
    return Study(parameters=params, outputs=outputs, schemes=schemes, method=method, n=n,
                 replications=reps, seed=int(cfg.get("seed", 0)))


def _flat(node: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Parameters as dotted keys, whether written ``a.b: [..]`` or nested ``a: {b: [..]}``."""
    out: dict[str, Any] = {}
    for k, v in node.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, Mapping):
            out.update(_flat(v, key))
        else:
            out[key] = v
    return out


def _get(cfg: Mapping[str, Any], key: str) -> Any:
    node: Any = cfg
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise ConfigError(f"sensitivity.parameters.{key}: no such config parameter")
        node = node[part]
    return node


def _set(cfg: dict[str, Any], key: str, value: float) -> None:
    *path, last = key.split(".")
    node = cfg
    for part in path:
        node = node[part]
    node[last] = round(value) if isinstance(node[last], int) else float(value)


def sample(study: Study) -> np.ndarray:
    """Parameter samples ``(n_points, D)``."""
    if study.method == "sobol":
        from SALib.sample import sobol as sobol_sample

        return np.asarray(sobol_sample.sample(study.problem, study.n, calc_second_order=False,
                                              seed=study.seed))
    from SALib.sample import morris as morris_sample

    return np.asarray(morris_sample.sample(study.problem, study.n, num_levels=4,
                                           seed=study.seed))


def analyze(study: Study, x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """Indices of one output ``y`` (n_points,) with 95 % bootstrap half-widths.

    Sobol': ``S1``, ``S1_conf``, ``ST``, ``ST_conf``. Morris: ``mu_star``, ``mu_star_conf``,
    ``sigma``.
    """
    if study.method == "sobol":
        from SALib.analyze import sobol

        r = sobol.analyze(study.problem, y, calc_second_order=False, conf_level=0.95,
                          seed=study.seed)
        return {k: np.asarray(r[k]) for k in ("S1", "S1_conf", "ST", "ST_conf")}
    from SALib.analyze import morris

    r = morris.analyze(study.problem, x, y, conf_level=0.95, num_levels=4, seed=study.seed)
    return {k: np.asarray(r[k]) for k in ("mu_star", "mu_star_conf", "sigma")}


def _evaluate_one(task: tuple[dict[str, Any], list[int], tuple[str, ...]]) -> list[float]:
    """Mean of the outputs over the replication seeds."""
    from sim.experiment import metrics_at_seeds

    return list(metrics_at_seeds(task).mean(axis=0))


def evaluate(study: Study, base: Mapping[str, Mapping[str, Any]], x: np.ndarray,
             workers: int | None = None, progress: bool = True) -> np.ndarray:
    """Outputs per scheme and sample, averaged over replications: ``(S, n_points, outputs)``.

    Args:
        study: The study.
        base: The composed, validated config (plain containers) of each scheme.
        x: Samples from :func:`sample`.
        workers: Processes (default: all cores). The result does not depend on it.
        progress: Show a progress bar on a terminal.
    """
    from sim.rng import replication_seeds

    seeds = replication_seeds(study.seed, study.replications)
    tasks = []
    for scheme in study.schemes:
        for row in x:
            c = copy.deepcopy(dict(base[scheme]))
            for key, value in zip(study.parameters, row, strict=True):
                _set(c, key, float(value))
            tasks.append((c, seeds, study.outputs))
    workers = workers or os.cpu_count() or 1
    from sim.progress import progress as bar

    def shown(items: Any) -> Any:
        return bar(items, len(tasks), "sensitivity runs", "sample") if progress else items

    if workers == 1:
        results = [_evaluate_one(t) for t in shown(tasks)]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(shown(pool.map(_evaluate_one, tasks,
                                          chunksize=max(1, len(tasks) // (8 * workers)))))
    return np.asarray(results).reshape(len(study.schemes), x.shape[0], len(study.outputs))


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval of a share ``k / n``."""
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (centre - half, centre + half)


def ranking(study: Study, y: np.ndarray) -> dict[str, dict[str, float]]:
    """Share of samples in which the last scheme beats the first, per output, with its CI."""
    if len(study.schemes) < 2:
        return {}
    out = {}
    for k, name in enumerate(study.outputs):
        wins = int((y[-1, :, k] > y[0, :, k]).sum())
        low, high = wilson(wins, y.shape[1])
        out[name] = {"share": wins / y.shape[1], "ci_low": low, "ci_high": high,
                     "samples": int(y.shape[1])}
    return out


def run_study(cfg: Mapping[str, Any], out: Path, workers: int | None = None,
              progress: bool = True) -> dict[str, Any]:
    """Sample, evaluate, analyse and write everything into ``out`` (which must exist)."""
    study = study_from_config(cfg)
    base = {}
    from sim.config import load_config
    from sim.simulation import plain

    overrides = list(cfg.get("_overrides", []))
    for scheme in study.schemes:
        ov = [o for o in overrides if not o.lstrip("+~").startswith(("scheme=", "sensitivity"))]
        c = plain(load_config([*ov, f"scheme={scheme}"]))
        c.pop("sensitivity", None)
        base[scheme] = c
    x = sample(study)
    y = evaluate(study, base, x, workers=workers, progress=progress)
    indices = {scheme: {o: analyze(study, x, y[s, :, k]) for k, o in enumerate(study.outputs)}
               for s, scheme in enumerate(study.schemes)}
    rank = ranking(study, y)
    _write(out, study, x, y, indices, rank)
    return {"study": study, "x": x, "y": y, "indices": indices, "ranking": rank}


def _write(out: Path, study: Study, x: np.ndarray, y: np.ndarray,
           indices: Mapping[str, Mapping[str, Mapping[str, np.ndarray]]],
           rank: Mapping[str, Mapping[str, float]]) -> None:
    from sim.report.aggregate import rows_to_csv
    from sim.results import atomic_write

    rows = []
    for s, scheme in enumerate(study.schemes):
        for i, point in enumerate(x):
            rows.append({"sample": i, "scheme": scheme,
                         **{k: float(v) for k, v in zip(study.parameters, point, strict=True)},
                         **{o: float(y[s, i, k]) for k, o in enumerate(study.outputs)}})
    atomic_write(out / "samples.csv", rows_to_csv(rows))
    irows = []
    for scheme, per_output in indices.items():
        for output, ind in per_output.items():
            for j, name in enumerate(study.parameters):
                irows.append({"scheme": scheme, "output": output, "parameter": name,
                              **{k: float(v[j]) for k, v in ind.items()}})
    atomic_write(out / "indices.csv", rows_to_csv(irows))
    summary = {"method": study.method, "n": study.n, "points": int(x.shape[0]),
               "runs": int(x.shape[0]) * len(study.schemes) * study.replications,
               "replications": study.replications, "seed": study.seed,
               "parameters": {k: list(v) for k, v in study.parameters.items()},
               "outputs": list(study.outputs), "schemes": list(study.schemes),
               "ranking": rank}
    atomic_write(out / "sensitivity.json", json.dumps(summary, indent=2) + "\n")
    figure = _figure(out, study, indices)
    _report(out, study, summary, irows, figure)


def _figure(out: Path, study: Study,
            indices: Mapping[str, Mapping[str, Mapping[str, np.ndarray]]]) -> str:
    """Indices per output for the first scheme (bars with CIs); returns the PNG's name."""
    from sim.report import figures as fg

    scheme = study.schemes[0]
    fig, axes = fg._fig(1, len(study.outputs), sharey=True)
    axes = np.atleast_1d(axes)
    names = list(study.parameters)
    pos = np.arange(len(names))
    for ax, output in zip(axes, study.outputs, strict=True):
        ind = indices[scheme][output]
        bars: tuple[tuple[str, str, int], ...] = (
            (("S1", "first order", 0), ("ST", "total", 1)) if study.method == "sobol"
            else (("mu_star", "μ*", 0),))
        for key, label, j in bars:
            ax.barh(pos + (0.2 if j else -0.2) * (len(bars) > 1), ind[key], height=0.38,
                    xerr=ind.get(f"{key}_conf"), color=fg._color(j + 1), label=label,
                    capsize=3)
        ax.set_title(output)
        if study.method == "sobol":  # indices live in [0, 1]; wider CIs run off the panel
            ax.set_xlim(-0.1, 1.1)
        ax.set_yticks(pos, names)
        ax.axvline(0, color="#999999", lw=0.8)
    axes[0].legend(loc="lower right")
    fig.suptitle(f"Sensitivity ({study.method}, n = {study.n}) under {scheme}")
    fg.save(fig, out / "figures", "sensitivity")
    return "sensitivity.png"


def _report(out: Path, study: Study, summary: Mapping[str, Any], irows: list[dict[str, Any]],
            figure: str) -> None:
    from sim.results import atomic_write

    key = "ST" if study.method == "sobol" else "mu_star"
    lines = [f"# Sensitivity analysis ({study.method})", "",
             f"{summary['points']} parameter points (n = {study.n}) × {len(study.schemes)} "
             f"schemes × {study.replications} replications = {summary['runs']} runs; seed "
             f"{study.seed}; replication seeds shared by every point and scheme.", "",
             "## Parameters", "", "| parameter | low | high |", "|---|---|---|"]
    lines += [f"| `{k}` | {lo:g} | {hi:g} |" for k, (lo, hi) in study.parameters.items()]
    lines += ["", "## Indices", "", f"![indices](figures/{figure})", "",
              "| scheme | output | parameter | " + " | ".join(k for k in irows[0]
                                                          if k not in ("scheme", "output",
                                                                       "parameter")) + " |",
              "|---" * (len(irows[0])) + "|"]
    for r in sorted(irows, key=lambda r: (r["scheme"], r["output"], -r[key])):
        vals = [f"{v:.3f}" for k, v in r.items() if k not in ("scheme", "output", "parameter")]
        lines.append(f"| {r['scheme']} | {r['output']} | `{r['parameter']}` | "
                     + " | ".join(vals) + " |")
    if summary["ranking"]:
        a, b = study.schemes[0], study.schemes[-1]
        lines += ["", "## Does the scheme ranking survive?", "",
                  f"Share of parameter points at which **{b}** beats **{a}** (paired by seed), "
                  "with a 95 % Wilson interval:", "", "| output | share | 95 % CI |",
                  "|---|---|---|"]
        for o, r in summary["ranking"].items():
            lines.append(f"| {o} | {r['share']:.2f} | [{r['ci_low']:.2f}, {r['ci_high']:.2f}] |")
    md = "\n".join(lines) + "\n"
    atomic_write(out / "report.md", md)
    png = (out / "figures" / figure).read_bytes()
    body = "".join(f"<p>{html.escape(line)}</p>" if line and not line.startswith(("|", "#", "!"))
                   else "" for line in lines)
    table = "".join("<tr>" + "".join(f"<td>{html.escape(c.strip())}</td>"
                                      for c in line.strip("|").split("|")) + "</tr>"
                    for line in lines if line.startswith("|") and not line.startswith("|---"))
    page = (f"<!doctype html><meta charset='utf-8'><title>Sensitivity</title>"
            f"<h1>Sensitivity analysis ({html.escape(study.method)})</h1>{body}"
            f"<img alt='indices' style='max-width:100%' src='data:image/png;base64,"
            f"{base64.b64encode(png).decode()}'><table border='1'>{table}</table>")
    atomic_write(out / "report.html", page)


def main(argv: Sequence[str] | None = None) -> int:
    """``incentive-sim-sensitivity [key=value ...]``: run a sensitivity study."""
    from sim.config import load_config
    from sim.results import FolderError, new_run_dir, publish
    from sim.simulation import plain

    parser = argparse.ArgumentParser(prog="incentive-sim-sensitivity",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("overrides", nargs="*", help="config overrides, e.g. sensitivity.n=64")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    overrides = list(args.overrides)
    if not any(o.lstrip("+").startswith("sensitivity=") for o in overrides):
        overrides.insert(0, "+sensitivity=default")
    try:
        first = plain(load_config(overrides))
        base = list((first.get("sensitivity") or {}).get("base_overrides") or [])
        overrides = [*base, *overrides]
        cfg = plain(load_config(overrides))
        study = study_from_config(cfg)
        for scheme in study.schemes:  # every scheme and both corners compose and validate
            for corner in (0, 1):
                load_config([o for o in overrides if not o.lstrip("+~").startswith("scheme=")]
                            + [f"scheme={scheme}"]
                            + [f"{k}={v[corner]!r}" for k, v in study.parameters.items()])
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    cfg["_overrides"] = overrides
    try:
        tmp, final = new_run_dir("results/sensitivity",
                                 str(cfg["sensitivity"].get("name", "sensitivity")))
    except FolderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{study.method}: {len(study.parameters)} parameters, n = {study.n}, "
          f"{len(study.schemes)} schemes × {study.replications} replications", flush=True)
    result = run_study(cfg, tmp, workers=args.workers)
    path = publish(tmp, final)
    for o, r in result["ranking"].items():
        print(f"{study.schemes[-1]} beats {study.schemes[0]} on {o} in {100 * r['share']:.0f} % "
              f"of {r['samples']} parameter points [{100 * r['ci_low']:.0f}, "
              f"{100 * r['ci_high']:.0f}]")
    print(f"Report: {path / 'report.html'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
