"""Behaviour-aware plan search: the objective by hand, a tiny study that continues, its report."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import yaml

from sim.search import objective, pareto_front

SPEC = {"objective": "operating_profit", "floor": {"collaboration_index": 0.8},
        "caps": {"comp_cost": 100.0, "attrition_rate": 0.1}, "penalty": 1000.0}


def test_objective_by_hand():
    ok = {"operating_profit": 50.0, "collaboration_index": 0.9, "comp_cost": 90.0,
          "attrition_rate": 0.05}
    assert objective(ok, SPEC) == (50.0, True)
    # collaboration 0.6 misses the floor by 0.2/0.8 = 0.25; comp cost 110 over the cap by 0.1:
    bad = {**ok, "collaboration_index": 0.6, "comp_cost": 110.0}
    value, feasible = objective(bad, SPEC)
    assert not feasible and math.isclose(value, 50.0 - 1000.0 * (0.25 + 0.1))
    # With a 10 % margin the floor becomes 0.88 and the cap 90: 0.9 and 90 still pass, 0.85 not.
    assert objective(ok, SPEC, margin=0.1) == (50.0, True)
    value, feasible = objective({**ok, "collaboration_index": 0.85}, SPEC, margin=0.1)
    assert not feasible and math.isclose(value, 50.0 - 1000.0 * 0.03 / 0.8)


def test_pareto_front_by_hand():
    pts = [[0.9, 10.0], [0.8, 12.0], [0.7, 11.0], [0.9, 9.0], [0.6, 12.0]]
    import numpy as np

    assert sorted(pareto_front(np.array(pts)).tolist()) == [0, 1]


def _search(tmp: Path, name: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "sim", "-m", "+search=profit", "debug=small", "months=14",
           "firm.burn_in=2", "experiment.replications=2", "hydra.sweeper.n_trials=4",
           "search.name=tiny", "search.holdout.replications=3", f"hydra.sweep.dir={tmp / name}"]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=tmp, timeout=900)


def test_a_tiny_search_reports_and_a_second_invocation_continues_the_study(tmp_path):
    first = _search(tmp_path, "s1")
    assert first.returncode == 0, first.stderr[-3000:]
    assert "4 trials in the study" in first.stdout
    assert (tmp_path / "results" / "search" / "tiny.db").exists()
    result = json.loads((tmp_path / "s1" / "search.json").read_text())
    assert result["holdout_replications"] == 3 and result["trials"] == 4
    d = result["difference"]
    assert d["ci_low"] <= d["mean"] <= d["ci_high"]
    assert result["beats_best_preset"] == (d["ci_low"] > 0
                                           and result["summary"]["best found"]["feasible"])
    assert set(result["summary"]) == {"best found", "preset commission",
                                      "preset target_bonus", "preset gain_sharing"}
    report = (tmp_path / "s1" / "search_report.md").read_text()
    assert "held-out seeds" in report and "firm_pool.equal_share" in report
    assert "data:image/png;base64," in (tmp_path / "s1" / "search_report.html").read_text()
    # The winner as a scheme file that builds.
    from sim.scheme import build_scheme

    plan = yaml.safe_load((tmp_path / "s1" / "best_plan.yaml").read_text())
    assert build_scheme(plan).roles["sales"].plans == ("firm_pool",)
    second = _search(tmp_path, "s2")
    assert second.returncode == 0, second.stderr[-3000:]
    assert "8 trials in the study" in second.stdout  # the same study, continued
    # A search never writes into a folder that holds results.
    again = _search(tmp_path, "s2")
    assert again.returncode == 2 and "already holds results" in again.stderr


def test_trial_records_without_their_study_database_are_refused(tmp_path, monkeypatch, capsys):
    """Records outlive a deleted study database; a new study must not mix them in."""
    from sim import cli

    monkeypatch.chdir(tmp_path)
    records = tmp_path / "results" / "search" / "profit" / "trials"
    records.mkdir(parents=True)
    (records / "0123456789abcdef.json").write_text("{}", encoding="utf-8")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    code = cli.main(["-m", "+search=profit", "debug=small"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert "holds 1 trial records of a study whose database" in err and "search.name" in err
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
