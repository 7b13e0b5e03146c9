"""``make bench`` itself: the reference workload and the table (timings are not asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))


def test_reference_is_deterministic_and_pays_what_its_rule_says():
    from reference import run_reference

    a = run_reference(20, 50, 3, seed=1)
    assert a == run_reference(20, 50, 3, seed=1)
    assert a != run_reference(20, 50, 3, seed=2)
    # Pay is 1 + Σ b·y + team bonus − cost per person-month: around 1 + 2.8·(output share).
    assert 20 * 3 * 0.5 < a < 20 * 3 * 5.0


def test_bench_prints_the_ratio_table(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--sizes", "s",
                          "--repeat", "1", "--no-sweep", "--out", str(tmp_path)],
                         capture_output=True, text=True, cwd=ROOT, check=True, timeout=600)
    row = next(line for line in out.stdout.splitlines() if line.startswith("s "))
    assert len(row.split()) == 10, row  # size, people, months, ours, ref, ratio, target, ...
    saved = json.loads(next(tmp_path.glob("bench-*.json")).read_text())
    r = saved["rows"][0]
    assert r["ratio"] == r["ours_s"] / r["reference_s"] and r["people"] == 300


def test_bench_rejects_an_unknown_size(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--sizes", "xl",
                          "--no-sweep", "--out", str(tmp_path)], capture_output=True, text=True,
                         cwd=ROOT, check=False)
    assert out.returncode != 0 and "--sizes" in out.stderr and "Traceback" not in out.stderr
    assert not list(tmp_path.iterdir())
