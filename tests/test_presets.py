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


#: Sweep presets. The validation presets (validate_*) are not sweeps: incentive-sim refuses them
#: and tests/validation runs them through incentive-sim-validate.
SWEEPS = [p for p in group_options("experiment") if not p.startswith("validate_")]


def test_validation_presets_are_refused_by_the_sweep_cli(capsys):
    from sim.cli import main

    validation = [p for p in group_options("experiment") if p.startswith("validate_")]
    assert validation
    for preset in validation:
        assert main([f"experiment={preset}"]) == 2
    assert "incentive-sim-validate" in capsys.readouterr().err


@pytest.mark.parametrize("preset", SWEEPS)
def test_preset_runs_and_reports(preset, tmp_path):
    out = sweep(tmp_path, preset, f"experiment={preset}", "experiment.replications=2")
    rows = read_csv(out / "summary.csv")
    assert rows and all(r["status"] == "ok" for r in rows)
    assert len({r["design_point"] for r in rows}) >= 2
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Findings" in html and html.count("<img") >= 8
