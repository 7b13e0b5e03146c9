"""``make demo``: the default firm under the three scheme presets, key metrics side by side.

Usage: ``python -m sim.demo [overrides ...]`` (e.g. ``org=iron_triangle seed=3``). Saves
``summary.csv`` and the resolved configs to a new folder under ``results/demo/``.
"""

from __future__ import annotations

import csv
import sys
import time
from collections.abc import Sequence

from omegaconf import OmegaConf

from sim.config import ConfigError, load_config
from sim.results import new_run_dir, publish

PRESETS = ("commission", "target_bonus", "gain_sharing")
KEY_METRICS = (
    "revenue", "gross_profit", "operating_profit", "comp_cost_ratio", "strategic_mix",
    "win_rate", "integrated_win_rate", "avg_discount", "collaboration_index",
    "help_effort_sr_fr", "ar_volume_share", "on_time_delivery", "attrition_rate",
    "pay_ratio_sales_to_others", "pay_gini",
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the three presets and print the comparison; exit 2 on bad input."""
    import logging

    from sim.run import run

    logging.getLogger("MESA").setLevel(logging.WARNING)
    overrides = list(sys.argv[1:] if argv is None else argv)
    try:
        cfgs = {s: load_config([f"scheme={s}", *overrides]) for s in PRESETS}
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    first = cfgs[PRESETS[0]]
    print(f"Firm: {first.size.n_people} people, {first.size.n_accounts} accounts, "
          f"{first.months} months, org={first.org.design}, tiering={first.tiering.mode}, "
          f"seed={first.seed}", flush=True)
    results = {}
    for s, cfg in cfgs.items():
        start = time.perf_counter()
        results[s] = run(cfg).metrics
        print(f"  {s:<13} done in {time.perf_counter() - start:5.1f} s", flush=True)
    print()
    print(f"{'metric':<28}" + "".join(f"{s:>15}" for s in PRESETS))
    for k in KEY_METRICS:
        print(f"{k:<28}" + "".join(f"{results[s][k]:>15.3f}" for s in PRESETS))
    tmp, final = new_run_dir("results/demo", f"seed{first.seed}")
    with open(tmp / "summary.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["scheme", "metric", "value"])
        for s in PRESETS:
            for k, v in sorted(results[s].items()):
                w.writerow([s, k, repr(v)])
    for s, cfg in cfgs.items():
        (tmp / f"config_{s}.yaml").write_text(OmegaConf.to_yaml(cfg), encoding="utf-8")
    final = publish(tmp, final)
    print(f"\nOne seed: for differences with confidence intervals, compare many seeds "
          f"(tests/test_firm_directions.py).\nSaved to {final}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
