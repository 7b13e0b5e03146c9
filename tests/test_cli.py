"""The command line: one-line errors for bad input, no files, never overwrite results."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from sim import cli

BAD = [
    (["scheme=bogus"], "scheme: unknown option 'bogus'"),
    (["org=matrix"], "org: unknown option 'matrix'"),
    (["tiering=random"], "tiering: unknown option 'random'"),
    (["size=xl"], "size: unknown option 'xl'"),
    (["scheme.plans.sales_commission.rate=-0.05"], "commission.rate: must be ≥ 0"),
    (["scheme.plans.rnd_mbo.curve=[[0.5,1.5],[1.0,1.0]]"], "cap ≥ threshold"),
    (["scheme=target_bonus", "scheme.plans.sales_mbo.weights.margin=0.5"], "must sum to 1"),
    (["months=0"], "months: must be an integer ≥ 1"),
    (["market.n_accounts=0"], "market.n_accounts: must be an integer ≥ 1"),
    (["firm.n_rnd=0"], "firm.n_rnd: must be an integer ≥ 1"),
    (["seed=1.5"], "seed: must be an integer"),
    (["org.triangle_pay=maybe"], "org.triangle_pay: must be one of"),
    (["mnths=3"], "mnths: no such setting"),
    (["--verbose"], "--verbose: options are -m, --plans DIR and key=value"),
]


@pytest.mark.parametrize(("args", "message"), BAD)
def test_bad_input_is_one_line_no_traceback_no_files(args, message, tmp_path, monkeypatch,
                                                      capsys):
    monkeypatch.chdir(tmp_path)
    code = cli.main(args)
    err = capsys.readouterr().err
    assert code == 2
    assert message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_a_run_writes_its_files_and_refuses_to_overwrite(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["debug=small", "months=13", "firm.burn_in=1", "hydra.run.dir=run1"]) == 0
    out = tmp_path / "run1"
    for name in (*cli.RESULT_FILES, ".hydra/config.yaml"):
        assert (out / name).is_file(), name
    metrics = json.loads((out / "metrics.json").read_text())
    assert "collaboration_index" in metrics
    text = (out / "metrics.json").read_text()
    assert str(tmp_path) not in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}", text)  # no dates or times
    before = (out / "metrics.json").read_bytes()
    capsys.readouterr()
    assert cli.main(["debug=small", "months=13", "firm.burn_in=1", "hydra.run.dir=run1"]) == 2
    assert "already holds results" in capsys.readouterr().err
    assert (out / "metrics.json").read_bytes() == before


def test_default_run_dirs_are_new_folders(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["debug=small", "months=13", "firm.burn_in=1"]) == 0
    assert cli.main(["debug=small", "months=13", "firm.burn_in=1"]) == 0
    runs = sorted(p.name for p in (tmp_path / "results" / "runs").iterdir())
    assert runs == ["commission-silo-seed20261129-001", "commission-silo-seed20261129-002"]
    a, b = ((tmp_path / "results" / "runs" / r / "metrics.json").read_bytes() for r in runs)
    assert a == b  # same config and seed: byte-identical


def test_python_dash_m_sim_exits_non_zero_with_one_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "sim", "seed=abc"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: seed: must be an integer ≥ 0, got 'abc'"
    assert list(tmp_path.iterdir()) == []


def test_a_designers_own_plan_folder(tmp_path, monkeypatch):
    """--plans DIR adds DIR/scheme/<name>.yaml to the schemes one can name."""
    from pathlib import Path

    src = Path(__file__).resolve().parents[1] / "configs" / "scheme" / "commission.yaml"
    (tmp_path / "mine" / "scheme").mkdir(parents=True)
    text = src.read_text(encoding="utf-8").replace("name: commission", "name: my_plan")
    (tmp_path / "mine" / "scheme" / "my_plan.yaml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "run"
    code = cli.main(["scheme=my_plan", "--plans", str(tmp_path / "mine"), "debug=small",
                     "months=13", "firm.burn_in=1", f"hydra.run.dir={out}"])
    assert code == 0 and (out / "metrics.json").exists()
    assert "name: my_plan" in (out / ".hydra" / "config.yaml").read_text(encoding="utf-8")
    assert cli.main(["scheme=my_plan", "debug=small"]) == 2  # not found without the folder
