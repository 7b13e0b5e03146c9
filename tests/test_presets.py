"""Every experiment preset runs end to end with tiny settings and produces a report."""

from __future__ import annotations

import pytest

from sim.config import group_options
from sim.report.aggregate import read_csv
from tests.test_sweep import sweep

pytestmark = pytest.mark.slow


def test_the_presets_we_ship():
    assert set(group_options("experiment")) >= {
        "compare_schemes", "rollout", "org_design", "tiering", "pay_gap", "downturn", "sudan",
        "ltc_gates"}


@pytest.mark.parametrize("preset", group_options("experiment"))
def test_preset_runs_and_reports(preset, tmp_path):
    out = sweep(tmp_path, preset, f"experiment={preset}", "experiment.replications=2")
    rows = read_csv(out / "summary.csv")
    assert rows and all(r["status"] == "ok" for r in rows)
    assert len({r["design_point"] for r in rows}) >= 2
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Findings" in html and html.count("<img") >= 8
