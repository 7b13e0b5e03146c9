"""Run folders, interruptions and exit codes (issue 14 points 2, 3, 7, 8).

A run folder belongs to one run; results are never overwritten; an interrupted run leaves
nothing that looks complete; the exit code says how a sweep ended; run(cfg) checks its config.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim import cli
from sim.config import ConfigError, load_config
from sim.results import Claim
from sim.simulation import plain, run

ROOT = Path(__file__).resolve().parent.parent
TINY = ["debug=small", "months=14", "firm.burn_in=2"]


def _main(args: list[str], capsys) -> tuple[int, str]:
    code = cli.main(args)
    return code, capsys.readouterr().err


def test_a_folder_another_run_is_writing_into_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "run"
    folder.mkdir()
    with Claim(folder):  # as another process running into it would hold it
        code, err = _main([*TINY, f"hydra.run.dir={folder}"], capsys)
    assert code == 2 and "another run is writing into it" in err and err.count("\n") == 1
    assert sorted(p.name for p in folder.iterdir()) == [".lock"]
    code, _ = _main([*TINY, f"hydra.run.dir={folder}"], capsys)  # once it is free: runs
    assert code == 0 and (folder / "metrics.json").exists()


def test_two_runs_started_together_into_one_folder_one_runs_one_is_refused(tmp_path):
    cmd = [sys.executable, "-m", "sim", "size=s", "months=36", f"hydra.run.dir={tmp_path}/r"]
    procs = [subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 2], outs
    refused = next(err for (_, err), p in zip(outs, procs, strict=True) if p.returncode == 2)
    assert "another run is writing into it" in refused or "already holds" in refused
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert metrics["revenue"] > 0


def test_a_folder_with_files_or_inside_a_sweep_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "notes.txt").write_text("mine")
    code, err = _main([*TINY, "hydra.run.dir=old"], capsys)
    assert code == 2 and "already holds files of another run (notes.txt)" in err
    sweep = tmp_path / "s"
    assert cli.main(["-m", "scheme=commission,gain_sharing", *TINY,
                     f"hydra.sweep.dir={sweep}"]) == 0
    job = sorted((sweep / "0").iterdir())
    before = {p.name: p.stat().st_mtime_ns for p in job}
    for folder in (sweep / "0", sweep / "7", sweep):
        code, err = _main([*TINY, f"hydra.run.dir={folder}"], capsys)
        assert code == 2 and err.count("\n") == 1, err
    assert {p.name: p.stat().st_mtime_ns for p in sorted((sweep / "0").iterdir())} == before
    assert not (sweep / "7").exists()


def test_rerunning_a_finished_sweep_after_editing_its_plan_keeps_its_results(
        tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    plans = tmp_path / "plans" / "scheme"
    plans.mkdir(parents=True)
    text = (ROOT / "configs" / "scheme" / "commission.yaml").read_text(encoding="utf-8")
    (plans / "mine.yaml").write_text(text.replace("name: commission", "name: mine"))
    args = ["-m", "scheme=commission,mine", "--plans", str(tmp_path / "plans"), *TINY,
            "hydra.sweep.dir=s"]
    assert cli.main(args) == 0
    capsys.readouterr()
    marker = (tmp_path / "s" / "1" / "job.json").read_bytes()
    (plans / "mine.yaml").write_text(text.replace("name: commission", "name: mine")
                                     .replace("rate: 0.04", "rate: 0.05"))
    code, err = _main(args, capsys)
    assert code == 2 and "design point 1 (scheme=mine" in err and "its results are kept" in err
    assert (tmp_path / "s" / "1" / "job.json").read_bytes() == marker
    (plans / "mine.yaml").write_text(text.replace("name: commission", "name: mine"))
    assert cli.main(args) == 0  # the same sweep again: resumed, both jobs kept
    assert (tmp_path / "s" / "1" / "job.json").read_bytes() == marker


def test_a_sweep_with_failed_replications_or_a_lost_worker_exits_3(tmp_path):
    """Failures are recorded, the summary and report written, and the exit code says so."""
    cmd = [sys.executable, "-m", "sim", "-m", "scheme=commission,gain_sharing", *TINY,
           "experiment.replications=2", "+debug.kill_during_write=1",
           f"hydra.sweep.dir={tmp_path}/s"]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 3, proc.stderr[-1000:]
    assert re.search(r"\d+ failed \(see the report's Failures; exit code 3\)", proc.stdout)
    assert (tmp_path / "s" / "summary.csv").exists() and (tmp_path / "s" / "report.html").exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_says_so_in_one_line_and_leaves_nothing_complete(tmp_path, sig):
    out = tmp_path / "r"
    # As from a terminal: the test runner's workers may ignore SIGINT, and a child inherits
    # that (Python then installs no KeyboardInterrupt handler).
    proc = subprocess.Popen([sys.executable, "-m", "sim", "size=m", f"hydra.run.dir={out}"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 60
    while not (out / ".hydra").exists() and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)  # inside the months now
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1].startswith("interrupted: ")
    assert "Traceback" not in err
    for name in cli.RESULT_FILES:
        assert not (out / name).exists(), name
    assert not list(out.glob(".*.tmp"))


def test_run_checks_a_config_changed_after_load_config():
    cfg = load_config(["debug=small"])
    cfg.market.deal_rate = 2.0
    with pytest.raises(ConfigError, match=r"market\.deal_rate: must be a number in \[0, 1\]"):
        run(cfg)
    c = plain(load_config(["debug=small"]))
    c["scheme"]["plans"]["sales_commission"]["measure"] = "revenu"
    with pytest.raises(ConfigError, match="unknown measure 'revenu'"):
        run(c)
    c = plain(load_config(["debug=small"]))
    c["months"] = 3
    with pytest.raises(ConfigError, match=r"months: must be ≥ firm\.burn_in \+ 12"):
        run(c)
