"""Outputs survive any name (issue 14 point 4): quotes, commas, $, HTML, CJK, 300 characters.

A sweep over hostile scheme names runs end to end; its CSVs read back with the names intact,
the figures draw them as text (no mathtext) and the reports escape them.
"""

from __future__ import annotations

import csv
from pathlib import Path

from sim import cli

NAMES = ['"a,b', "$x$", "<script>alert(1)</script>", "提成制 获取分享制", "n" * 300]


def test_a_sweep_over_hostile_names_reports_them_intact(tmp_path: Path) -> None:
    quoted = ",".join("'" + n.replace("'", "\\'") + "'" for n in NAMES)
    out = tmp_path / "sweep"
    code = cli.main(["-m", "debug=small", "months=14", "firm.burn_in=2",
                     "experiment.replications=2", f"scheme.name={quoted}",
                     f"hydra.sweep.dir={out}"])
    assert code == 0
    with open(out / "summary.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert sorted({r["scheme"] for r in rows}) == sorted(NAMES)
    assert all(r["status"] == "ok" for r in rows) and len(rows) == 2 * len(NAMES)
    for job in (p for p in out.iterdir() if (p / "replications.csv").exists()):
        with open(job / "replications.csv", newline="", encoding="utf-8") as fh:
            assert {r["scheme"] for r in csv.DictReader(fh)} <= set(NAMES)
    md = (out / "report.md").read_text(encoding="utf-8")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>alert" not in md and "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "提成制" in md and "提成制" in html
    assert len(list((out / "figures").glob("*.png"))) >= 4
    assert not list(out.rglob(".*.tmp")), "a temporary file was left behind"
