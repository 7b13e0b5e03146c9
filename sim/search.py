"""Behaviour-aware plan search: Optuna proposes plan parameters, the firm's learners respond.

``incentive-sim -m +search=<preset>`` (``configs/search/``) runs Hydra's Optuna sweeper: every
trial is a job that runs ``experiment.replications`` replications of the proposed plan — seeds
shared by all trials (common random numbers) — and returns the penalised objective
(:func:`objective`): the mean of ``search.objective`` minus ``search.penalty`` per unit of
relative violation of each floor (``search.floor``, ≥) and cap (``search.caps``, ≤). The study
lives in SQLite (``hydra.sweeper.storage``), so a second invocation continues it.

After the sweep, :func:`finish` takes the best trial of the whole study, re-scores it and every
preset in ``search.presets`` on held-out seeds (``search.holdout``: a seed no trial used), all
paired by seed, and writes ``search_report.md`` / ``.html``: the difference from the best
feasible preset with its confidence interval, whether the winner keeps the floors and caps on
the held-out seeds, the trials' profit–collaboration cloud with its Pareto front, how the winner's
parameters differ from the preset's, and ``best_plan.yaml`` — the winning scheme as a file for
``configs/scheme/``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np


def objective(means: Mapping[str, float], spec: Mapping[str, Any], margin: float = 0.0
              ) -> tuple[float, bool]:
    """Penalised objective and feasibility of a plan's mean metrics.

    ``value − penalty · Σ relative violations``: a floor ``f`` is violated by
    ``max(0, f' − x) / |f|``, a cap ``c`` by ``max(0, x − c') / |c|``, where ``f' = f + margin·|f|``
    and ``c' = c − margin·|c|``. Trials are scored with ``search.margin`` (a few replications
    overrate the plans that just pass: the winner's curse); held-out re-scoring with none.
    """
    value = float(means[str(spec["objective"])])
    violation = 0.0
    for key, floor in (spec.get("floor") or {}).items():
        f = float(floor)
        violation += max(0.0, f + margin * abs(f) - float(means[key])) / max(abs(f), 1e-12)
    for key, cap in (spec.get("caps") or {}).items():
        c = float(cap)
        violation += max(0.0, float(means[key]) - (c - margin * abs(c))) / max(abs(c), 1e-12)
    return value - float(spec.get("penalty", 1e5)) * violation, violation == 0.0


def _metrics_of(spec: Mapping[str, Any]) -> list[str]:
    keys = [str(spec["objective"]), *(spec.get("floor") or {}), *(spec.get("caps") or {})]
    return list(dict.fromkeys([*keys, "operating_profit", "collaboration_index"]))


def trial_dir(spec: Mapping[str, Any]) -> Path:
    """Where every trial of a study leaves its record (beside the study's SQLite file)."""
    return Path("results") / "search" / str(spec["name"]) / "trials"


def record_trial(spec: Mapping[str, Any], params: Sequence[str], rows: list[dict[str, Any]]
                 ) -> float:
    """Score a finished trial, keep its record, return the penalised objective."""
    from sim.results import atomic_write

    ok = [r for r in rows if r.get("status") == "ok"]
    if not ok:
        return -float(spec.get("penalty", 1e5)) * 1e3  # every replication failed
    means = {k: float(np.mean([float(r[k]) for r in ok])) for k in _metrics_of(spec)}
    value, feasible = objective(means, spec, float(spec.get("margin", 0.0)))
    folder = trial_dir(spec)
    folder.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha256("\n".join(sorted(params)).encode()).hexdigest()[:16]
    record = {"params": sorted(params), "means": means, "value": value, "feasible": feasible,
              "replications": len(ok)}
    atomic_write(folder / f"{key}.json", json.dumps(record, indent=2) + "\n")
    return value


def pareto_front(points: np.ndarray) -> np.ndarray:
    """Indices of the points no other point beats on both coordinates (maximising both)."""
    keep = []
    for i, p in enumerate(points):
        dominated = ((points >= p).all(axis=1) & (points > p).any(axis=1)).any()
        if not dominated:
            keep.append(i)
    return np.asarray(keep, dtype=int)


def finish(sweep: Path, cfg: Mapping[str, Any], base_overrides: Sequence[str],
           workers: int = 2) -> Path:
    """Re-score the study's best trial and the presets on held-out seeds; write the report.

    Args:
        sweep: This invocation's sweep folder (the report goes there).
        cfg: The resolved config of the search (plain containers).
        base_overrides: The command line's config overrides (``+search=…`` included).
        workers: Processes for the held-out runs.
    """
    from sim.config import load_config
    from sim.experiment import metrics_at_seeds
    from sim.results import atomic_write
    from sim.rng import replication_seeds
    from sim.simulation import plain
    from sim.stats import paired

    spec = cfg["search"]
    records = [json.loads(p.read_text(encoding="utf-8"))
               for p in sorted(trial_dir(spec).glob("*.json"))]
    if not records:
        raise RuntimeError("the search finished no trial")
    best = max(records, key=lambda r: r["value"])
    keys = _metrics_of(spec)
    hold = spec["holdout"]
    seeds = replication_seeds(int(hold["seed"]), int(hold["replications"]))
    base = [o for o in base_overrides if not o.lstrip("+~").startswith("scheme=")]
    candidates: dict[str, list[str]] = {"best found": [*base, *best["params"]]}
    for preset in spec["presets"]:
        candidates[f"preset {preset}"] = [*base, f"scheme={preset}"]
    tasks = [(plain(load_config(ov)), seeds, keys) for ov in candidates.values()]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        scored = list(pool.map(metrics_at_seeds, tasks))
    held = {name: np.asarray(s) for name, s in zip(candidates, scored, strict=True)}
    k_obj = keys.index(str(spec["objective"]))
    summary: dict[str, dict[str, Any]] = {}
    for name, arr in held.items():
        means = {k: float(arr[:, j].mean()) for j, k in enumerate(keys)}
        value, feasible = objective(means, spec)
        summary[name] = {"means": means, "penalised": value, "feasible": feasible}
    presets = [n for n in held if n != "best found"]
    feasible_presets = [n for n in presets if summary[n]["feasible"]] or presets
    best_preset = max(feasible_presets, key=lambda n: summary[n]["means"][keys[k_obj]])
    diff = paired(held["best found"][:, k_obj], held[best_preset][:, k_obj])
    beats = bool(diff.low > 0 and summary["best found"]["feasible"])
    result = {"study": spec["name"], "trials": len(records), "best_trial": best,
              "holdout_seed": int(hold["seed"]), "holdout_replications": len(seeds),
              "best_preset": best_preset, "summary": summary,
              "difference": {"metric": keys[k_obj], "mean": diff.diff, "ci_low": diff.low,
                             "ci_high": diff.high, "n": diff.n},
              "beats_best_preset": beats}
    atomic_write(sweep / "search.json", json.dumps(result, indent=2, default=float) + "\n")
    _write_best_plan(sweep, [*base, *best["params"]], spec)
    fig = _figure(sweep, records, spec)
    _report(sweep, spec, result, keys, fig, base)
    return sweep / "search_report.html"


def _write_best_plan(sweep: Path, overrides: Sequence[str], spec: Mapping[str, Any]) -> None:
    """The winning scheme as a YAML file to drop into ``configs/scheme/``."""
    import yaml

    from sim.config import load_config
    from sim.results import atomic_write

    c = load_config(list(overrides))
    from omegaconf import OmegaConf

    scheme = OmegaConf.to_container(c.scheme, resolve=True)
    assert isinstance(scheme, dict)
    scheme["name"] = f"search_{spec['name']}"
    text = (f"# Found by the plan search `{spec['name']}` (incentive-sim -m "
            f"{' '.join(o for o in overrides if 'search' in o)}); copy into configs/scheme/ "
            f"as {scheme['name']}.yaml to use it (scheme={scheme['name']}).\n"
            + yaml.safe_dump(scheme, sort_keys=False))
    atomic_write(sweep / "best_plan.yaml", text)


def _figure(sweep: Path, records: list[dict[str, Any]], spec: Mapping[str, Any]) -> str:
    """Trials as (collaboration, profit) with the Pareto front of those within the caps."""
    from sim.report import figures as fg

    pts = np.array([[r["means"]["collaboration_index"], r["means"]["operating_profit"]]
                    for r in records])
    feas = np.array([r["feasible"] for r in records])
    caps = spec.get("caps") or {}
    within = np.array([all(r["means"][k] <= float(c) for k, c in caps.items())
                       for r in records])
    fig, ax = fg._fig()
    ax.scatter(pts[~within, 0], pts[~within, 1], color="#bbbbbb",
               label="over a cost or attrition cap")
    ax.scatter(pts[within & ~feas, 0], pts[within & ~feas, 1], color=fg._color(6),
               label="within the caps, short of a floor or the margin")
    ax.scatter(pts[feas, 0], pts[feas, 1], color=fg._color(1), label="feasible trials")
    if within.any():
        idx = np.flatnonzero(within)
        front = idx[pareto_front(pts[within])]
        order = front[np.argsort(pts[front, 0])]
        ax.plot(pts[order, 0], pts[order, 1], color=fg._color(2), marker="o",
                label="Pareto front within the caps")
    best = int(np.argmax([r["value"] for r in records]))
    ax.scatter([pts[best, 0]], [pts[best, 1]], s=180, facecolors="none",
               edgecolors=fg._color(4), linewidths=2, label="best (penalised objective)")
    ax.set_xlabel("collaboration index (trial mean)")
    ax.set_ylabel("operating profit per year (trial mean)")
    ax.legend(loc="best")
    ax.set_title(f"{len(records)} trials of the study")
    fg.save(fig, sweep / "figures", "search_trials")
    return "figures/search_trials.png"


def _report(sweep: Path, spec: Mapping[str, Any], result: Mapping[str, Any], keys: list[str],
            figure: str, base: Sequence[str]) -> None:
    from sim.results import atomic_write

    d = result["difference"]
    best = result["best_trial"]
    verdict = ("beats" if result["beats_best_preset"] else "does **not** beat")
    lines = [f"# Plan search `{spec['name']}`", "",
             f"Objective: maximise `{spec['objective']}` subject to floors "
             f"{dict(spec.get('floor') or {})} and caps {dict(spec.get('caps') or {})}. "
             f"{result['trials']} trials in the study so far.", "",
             f"On {result['holdout_replications']} held-out seeds (seed "
             f"{result['holdout_seed']}, paired), the best plan found {verdict} the best "
             f"preset (`{result['best_preset']}`) on `{d['metric']}`: "
             f"{d['mean']:+,.1f} [{d['ci_low']:+,.1f}, {d['ci_high']:+,.1f}] (95 % CI).", "",
             "## Held-out scores", "",
             "| plan | " + " | ".join(keys) + " | within floor and caps |",
             "|---" * (len(keys) + 2) + "|"]
    for name, s in result["summary"].items():
        lines.append(f"| {name} | " + " | ".join(f"{s['means'][k]:,.3f}" for k in keys)
                     + f" | {'yes' if s['feasible'] else 'no'} |")
    lines += ["", "## The best plan against the gain-sharing preset", "",
              "| parameter | preset | best found |", "|---|---|---|"]
    from sim.config import load_config

    preset = load_config(list(base))
    for p in best["params"]:
        key, _, value = p.partition("=")
        from omegaconf import OmegaConf

        lines.append(f"| `{key}` | {OmegaConf.select(preset, key)} | {float(value):.4g} |")
    lines += ["", "The plan as a file: `best_plan.yaml`.", "",
              "## Trials", "", f"![trials]({figure})", ""]
    md = "\n".join(lines) + "\n"
    atomic_write(sweep / "search_report.md", md)
    png = base64.b64encode((sweep / figure).read_bytes()).decode()
    body = []
    for line in lines:
        if line.startswith("# "):
            body.append(f"<h1>{html.escape(line[2:])}</h1>")
        elif line.startswith("## "):
            body.append(f"<h2>{html.escape(line[3:])}</h2>")
        elif line.startswith("|---"):
            continue
        elif line.startswith("|"):
            cells = [html.escape(c.strip().strip("`")) for c in line.strip("|").split("|")]
            body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        elif line.startswith("!["):
            body.append(f"<img alt='trials' style='max-width:100%' "
                        f"src='data:image/png;base64,{png}'>")
        elif line:
            body.append(f"<p>{html.escape(line.replace('**', ''))}</p>")
    page = ("<!doctype html><meta charset='utf-8'><title>Plan search</title>"
            + "".join(body).replace("</p><tr>", "</p><table border='1'><tr>")
            .replace("</tr><p>", "</tr></table><p>").replace("</tr><h2>", "</tr></table><h2>"))
    atomic_write(sweep / "search_report.html", page)
