"""``make bench``: the full model against the plain-Mesa reference, side by side, at every size.

Usage::

    python benchmarks/bench.py [--sizes s,m,l] [--repeat 3] [--interleave] [--no-sweep]
                               [--sweep-reps 30]

For each size (``configs/size/*.yaml``: people, accounts, months) it runs, each in a fresh
process so that peak memory (RSS) is the run's own:

* our model: ``repeat`` runs of ``sim.run(cfg)`` (imports and config composition excluded);
* the plain-Mesa reference of issue 6 (``benchmarks/reference.py``) on the same people,
  accounts and months, ``repeat`` runs.

It prints the median wall times, the ratio ours / reference (the number to watch: the machine is
noisy, a ratio measured side by side is not), people-months per second and peak RSS; then the
cost exponent ``b`` in ``time ∝ (people × months)^b`` fitted over the sizes; then the end-to-end
wall time of ``compare_schemes`` (3 schemes × ``sweep-reps`` replications, ``size=s``) through
the CLI on all cores, the share of it spent outside the simulation (the same runs timed in a
process pool without Hydra), and the report rendering time on its own. Everything printed is
also saved to ``results/bench/<timestamp>.json`` (never overwritten).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
#: Targets of issue 6: ours / reference at S, and at M and L.
TARGET_RATIO = {"s": 0.25, "m": 0.1, "l": 0.1}


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(kind: str, size: str, repeat: int) -> None:
    """Time ``repeat`` runs of one workload in this process and print JSON."""
    import logging

    logging.getLogger("MESA").setLevel(logging.WARNING)
    from sim.config import load_config

    cfg = load_config([f"size={size}"])
    n, a, months = int(cfg.size.n_people), int(cfg.size.n_accounts), int(cfg.months)
    times = []
    for _ in range(repeat):
        if kind == "model":
            from sim.simulation import run

            start = time.perf_counter()
            run(cfg)
        else:
            from reference import run_reference

            start = time.perf_counter()
            run_reference(n, a, months, seed=int(cfg.seed))
        times.append(time.perf_counter() - start)
    print(json.dumps({"times": times, "peak_mib": _peak_mib(), "people": n, "accounts": a,
                      "months": months}))


def _measure(kind: str, size: str, repeat: int) -> dict[str, object]:
    out = subprocess.run([sys.executable, __file__, "--child", kind, "--size", size,
                          "--repeat", str(repeat)], capture_output=True, text=True, cwd=ROOT,
                         check=False)
    if out.returncode != 0:
        raise SystemExit(f"benchmark child {kind}/{size} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _sims(scheme: str, reps: int) -> float:
    """The simulation part of one compare_schemes job: its replications, no Hydra, no files."""
    import logging

    logging.getLogger("MESA").setLevel(logging.WARNING)
    from sim.config import load_config
    from sim.experiment import replicate
    from sim.simulation import plain

    cfg = plain(load_config(["experiment=compare_schemes", f"scheme={scheme}",
                             f"experiment.replications={reps}"]))
    start = time.perf_counter()
    replicate(cfg, f"scheme={scheme}")
    return time.perf_counter() - start


def _sweep(reps: int) -> dict[str, float]:
    """compare_schemes end to end through the CLI, and what of it is simulation."""
    with tempfile.TemporaryDirectory() as tmp:
        sweep_dir = Path(tmp) / "sweep"
        cmd = [sys.executable, "-m", "sim", "experiment=compare_schemes",
               f"experiment.replications={reps}", f"hydra.sweep.dir={sweep_dir}"]
        start = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
        wall = time.perf_counter() - start
        if out.returncode != 0:
            raise SystemExit(f"compare_schemes failed:\n{out.stderr[-2000:]}")
        from sim.report import build_report

        start = time.perf_counter()
        build_report(sweep_dir)
        render = time.perf_counter() - start
    schemes = ("commission", "target_bonus", "gain_sharing")
    start = time.perf_counter()
    # The same three jobs in the same number of processes as the CLI's launcher uses.
    with ProcessPoolExecutor(max_workers=min(3, 2 * (os.cpu_count() or 1))) as pool:
        list(pool.map(_sims, schemes, [reps] * 3))
    sims = time.perf_counter() - start
    return {"wall_s": wall, "simulation_s": sims, "outside_share": max(0.0, 1 - sims / wall),
            "report_s": render, "runs": 3 * reps}


def main() -> None:
    """Run the benchmarks and print the table."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="s,m,l")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--repeat-l", type=int, default=None,
                        help="runs at size l (default: --repeat); an L run takes minutes")
    parser.add_argument("--interleave", action="store_true",
                        help="alternate one model run and one reference run, --repeat times, "
                             "each in a fresh process (the ratio is then measured side by side "
                             "under the same machine load)")
    parser.add_argument("--no-sweep", action="store_true")
    parser.add_argument("--sweep-reps", type=int, default=30)
    parser.add_argument("--out", default=str(ROOT / "results" / "bench"),
                        help="folder for the JSON record (default results/bench)")
    parser.add_argument("--child", choices=("model", "reference"), help=argparse.SUPPRESS)
    parser.add_argument("--size", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.size, args.repeat)
        return
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    bad = [s for s in sizes if not (ROOT / "configs" / "size" / f"{s}.yaml").exists()]
    if bad or args.repeat < 1:
        raise SystemExit(f"error: --sizes: unknown {bad} (allowed: s, m, l)" if bad
                         else "error: --repeat: must be ≥ 1")
    runs = f"{args.repeat}" + (f" ({args.repeat_l} at l)" if args.repeat_l else "")
    print(f"{os.cpu_count()} cores, Python {sys.version.split()[0]}; median of {runs} runs per "
          f"cell, each workload in a fresh process\n", flush=True)
    head = (f"{'size':<4} {'people':>7} {'months':>6} {'ours s':>8} {'Mesa ref s':>10} "
            f"{'ratio':>6} {'target':>6} {'people-months/s':>15} {'ours MiB':>9} "
            f"{'ref MiB':>8}")
    print(head)
    print("-" * len(head), flush=True)
    rows = []
    for size in sizes:
        n_runs = args.repeat_l if size == "l" and args.repeat_l else args.repeat
        if args.interleave:
            pairs = [(_measure("model", size, 1), _measure("reference", size, 1))
                     for _ in range(n_runs)]
            ours = {**pairs[0][0], "times": [t for o, _ in pairs for t in o["times"]],  # type: ignore[attr-defined]
                    "peak_mib": max(float(o["peak_mib"]) for o, _ in pairs)}  # type: ignore[arg-type]
            ref = {**pairs[0][1], "times": [t for _, r in pairs for t in r["times"]],  # type: ignore[attr-defined]
                   "peak_mib": max(float(r["peak_mib"]) for _, r in pairs)}  # type: ignore[arg-type]
        else:
            ours = _measure("model", size, n_runs)
            ref = _measure("reference", size, n_runs)
        t_ours = statistics.median(ours["times"])  # type: ignore[arg-type]
        t_ref = statistics.median(ref["times"])  # type: ignore[arg-type]
        pm = int(ours["people"]) * int(ours["months"])  # type: ignore[call-overload]
        row = {"size": size, "runs": n_runs, "people": ours["people"], "accounts": ours["accounts"],
               "months": ours["months"], "ours_s": t_ours, "reference_s": t_ref,
               "ratio": t_ours / t_ref, "target_ratio": TARGET_RATIO.get(size),
               "people_months_per_s": pm / t_ours, "ours_peak_mib": ours["peak_mib"],
               "reference_peak_mib": ref["peak_mib"], "ours_times": ours["times"],
               "reference_times": ref["times"]}
        rows.append(row)
        target = f"{TARGET_RATIO[size]:.2f}" if size in TARGET_RATIO else "-"
        print(f"{size:<4} {row['people']:>7} {row['months']:>6} {t_ours:>8.2f} {t_ref:>10.2f} "
              f"{row['ratio']:>6.2f} {target:>6} {row['people_months_per_s']:>15,.0f} "
              f"{row['ours_peak_mib']:>9.0f} {row['reference_peak_mib']:>8.0f}", flush=True)
    report: dict[str, object] = {"rows": rows}
    if len(rows) >= 2:
        x = np.log([float(r["people"]) * float(r["months"]) for r in rows])  # type: ignore[arg-type]
        for key in ("ours_s", "reference_s"):
            b = float(np.polyfit(x, np.log([float(r[key]) for r in rows]), 1)[0])  # type: ignore[arg-type]
            report[f"exponent_{key[:-2]}"] = b
        print(f"\ncost exponent b (time ∝ (people×months)^b over {','.join(sizes)}): "
              f"ours {report['exponent_ours']:.2f} (target ≤ 1.10), "
              f"reference {report['exponent_reference']:.2f}", flush=True)
    if not args.no_sweep:
        sw = _sweep(args.sweep_reps)
        report["compare_schemes"] = sw
        print(f"\ncompare_schemes, 3 schemes × {args.sweep_reps} replications, size=s, through "
              f"the CLI on {os.cpu_count()} cores: {sw['wall_s']:.1f} s wall (target ≤ 15 s); "
              f"simulation alone {sw['simulation_s']:.1f} s, so {100 * sw['outside_share']:.0f} % "
              f"outside it (imports, Hydra, files, aggregation, report; target < 20 %); report "
              f"rendering alone {sw['report_s']:.1f} s (target ≤ 5 s)", flush=True)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = out_dir / f"bench-{stamp}.json"
    i = 1
    while path.exists():
        path = out_dir / f"bench-{stamp}-{i}.json"
        i += 1
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nsaved {path}")


if __name__ == "__main__":
    main()
