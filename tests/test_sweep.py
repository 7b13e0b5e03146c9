"""Sweeps: replications inside a job, failures recorded, aggregation, determinism, the report."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from sim.report.aggregate import read_csv
from sim.report.findings import findings, sentence
from sim.rng import replication_seeds
from sim.stats import Paired

TINY = ["debug=small", "months=14", "firm.burn_in=2"]


def sweep(tmp: Path, name: str, *args: str, code: int = 0) -> Path:
    out = tmp / name
    cmd = [sys.executable, "-m", "sim", *args, *TINY, f"hydra.sweep.dir={out}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp, timeout=600)
    assert proc.returncode == code, proc.stderr[-2000:]
    return out


def test_replication_seeds_are_spawned_children_and_the_same_at_every_design_point():
    seeds = replication_seeds(7, 4)
    assert len(set(seeds)) == 4
    assert replication_seeds(7, 4) == seeds and replication_seeds(7, 2) == seeds[:2]
    assert replication_seeds(8, 4) != seeds


@pytest.fixture(scope="module")
def compare_two(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("sweeps")
    return sweep(tmp, "a", "experiment=compare_schemes", "scheme=commission,gain_sharing",
                 "experiment.replications=3")


def test_a_sweep_writes_a_tidy_summary_and_a_report(compare_two):
    rows = read_csv(compare_two / "summary.csv")
    assert [(r["design_point"], r["replication"]) for r in rows] == [
        (p, k) for p in ("scheme=commission", "scheme=gain_sharing") for k in range(3)]
    assert all(r["status"] == "ok" for r in rows)
    seeds = [r["seed"] for r in rows]
    assert seeds[:3] == seeds[3:]  # paired by seed across design points
    assert {"revenue", "collaboration_index", "pay_mix_variable"} <= set(rows[0])
    html = (compare_two / "report.html").read_text(encoding="utf-8")
    assert html.count("<img") >= 8 and "data:image/png;base64," in html
    assert (compare_two / "report.md").exists() and (compare_two / "findings.csv").exists()
    assert len(list((compare_two / "figures").glob("*.svg"))) >= 8
    # The plans as configured, with salaries, for every design point.
    assert "sales_commission (commission)" in html and "firm_pool (gain_sharing)" in html
    assert "salary 6/month" in html


def test_the_same_sweep_again_gives_an_identical_summary_and_serial_equals_joblib(
        compare_two, tmp_path):
    again = sweep(tmp_path, "b", "experiment=compare_schemes", "scheme=commission,gain_sharing",
                  "experiment.replications=3", "hydra/launcher=basic")
    assert (again / "summary.csv").read_bytes() == (compare_two / "summary.csv").read_bytes()


def test_a_failing_replication_is_recorded_and_reported(tmp_path):
    # A sweep with failed replications exits 3 after writing its summary and report.
    out = sweep(tmp_path, "c", "-m", "scheme=commission,gain_sharing",
                "experiment.replications=2", "+debug.fail_replication=1", code=3)
    rows = read_csv(out / "summary.csv")
    failed = [r for r in rows if r["status"] != "ok"]
    assert [r["replication"] for r in failed] == [1, 1]
    assert all("injected failure" in r["status"] for r in failed)
    assert math.isnan(float(failed[0].get("revenue") or "nan"))
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "injected failure" in html and "Failures" in html


def test_a_job_that_never_finished_appears_as_failed(compare_two, tmp_path):
    import shutil

    from sim.report import build_report

    copy = tmp_path / "d"
    shutil.copytree(compare_two, copy)
    (copy / "1" / "job.json").unlink()  # as if job 1 was killed before its marker
    build_report(copy)
    rows = read_csv(copy / "summary.csv")
    assert [r["status"] for r in rows if r["job"] == 1] == ["failed: the job did not finish"]
    assert "did not finish" in (copy / "report.html").read_text(encoding="utf-8")


def _paired(diff: float) -> Paired:
    return Paired(n=10, diff=diff, low=diff - 0.01, high=diff + 0.01, pct=diff / 0.5, p_t=1e-6,
                  p_wilcoxon=0.002, d_z=3.0, p_holm=1e-5)


def test_findings_sentences_flip_with_the_sign_of_the_numbers():
    up = sentence("scheme=gain_sharing", "scheme=commission", "strategic_mix", _paired(0.08))
    down = sentence("scheme=gain_sharing", "scheme=commission", "strategic_mix", _paired(-0.08))
    assert "raised strategic mix by 8.0 pp" in up and "lowered" not in up
    assert "lowered strategic mix by 8.0 pp" in down and "raised" not in down
    flat = Paired(n=10, diff=0.001, low=-0.02, high=0.022, pct=0.002, p_t=0.9,
                  p_wilcoxon=0.8, d_z=0.05, p_holm=1.0)
    assert "did not change" in sentence("a=1", "a=0", "strategic_mix", flat)


def test_findings_table_from_two_synthetic_summaries_flips():
    from sim.report.findings import compare

    def rows(sign: float) -> list[dict]:
        out = []
        for p, shift in (("scheme=commission", 0.0), ("scheme=gain_sharing", sign * 0.1)):
            for k in range(6):
                out.append({"design_point": p, "replication": k, "status": "ok",
                            "strategic_mix": 0.2 + shift + 0.001 * k * (1 + k % 3 * shift)})
        return out

    for sign, verb in ((1.0, "raised"), (-1.0, "lowered")):
        comp = compare(rows(sign), ["strategic_mix"], "scheme=commission")
        table = findings(comp, "scheme=commission")
        assert len(table) == 1 and verb in table[0]["finding"], table


RESUME = ["experiment=compare_schemes", "scheme=commission,gain_sharing",
          "experiment.replications=3", "hydra/launcher=basic"]


def test_a_sweep_killed_during_a_write_resumes_to_the_uninterrupted_summary(compare_two,
                                                                             tmp_path):
    out = tmp_path / "k"
    cmd = [sys.executable, "-m", "sim", *RESUME, *TINY, "+debug.kill_during_write=1",
           f"hydra.sweep.dir={out}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert proc.returncode == -9, proc.stderr[-2000:]  # SIGKILL while job 1 wrote its marker
    assert (out / "0" / "job.json").exists()
    assert not (out / "1" / "job.json").exists() and (out / "1" / ".job.json.tmp").exists()
    assert not (out / "summary.csv").exists()
    kept = (out / "0" / "replications.csv").stat().st_mtime_ns
    resumed = subprocess.run([sys.executable, "-m", "sim", *RESUME, *TINY,
                              f"hydra.sweep.dir={out}"], capture_output=True, text=True,
                             cwd=tmp_path, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "Resuming the sweep" in resumed.stdout and "1 of 2 design points" in resumed.stdout
    assert "already finished, kept" in resumed.stdout
    assert "Sweep finished: 2 design points, 6 replications ok ->" in resumed.stdout
    assert (out / "0" / "replications.csv").stat().st_mtime_ns == kept  # not rerun
    assert (out / "summary.csv").read_bytes() == (compare_two / "summary.csv").read_bytes()
    # Once more: everything is kept and the summary does not change.
    again = subprocess.run([sys.executable, "-m", "sim", *RESUME, *TINY,
                            f"hydra.sweep.dir={out}"], capture_output=True, text=True,
                           cwd=tmp_path, timeout=600)
    assert again.returncode == 0 and again.stdout.count("already finished, kept") == 2
    assert (out / "summary.csv").read_bytes() == (compare_two / "summary.csv").read_bytes()


def test_a_failed_job_reruns_and_another_sweep_is_refused_in_the_same_folder(compare_two,
                                                                            tmp_path):
    import json
    import shutil

    copy = tmp_path / "f"
    shutil.copytree(compare_two, copy)
    marker = json.loads((copy / "1" / "job.json").read_text())
    (copy / "1" / "job.json").write_text(json.dumps({**marker, "failed": 1, "ok": 2}))
    (copy / "summary.csv").unlink()
    proc = subprocess.run([sys.executable, "-m", "sim", *RESUME[:3], *TINY,
                           f"hydra.sweep.dir={copy}"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.count("already finished, kept") == 1  # job 0 kept, job 1 ran again
    assert json.loads((copy / "1" / "job.json").read_text())["failed"] == 0
    assert (copy / "summary.csv").read_bytes() == (compare_two / "summary.csv").read_bytes()
    other = subprocess.run([sys.executable, "-m", "sim", "experiment=compare_schemes",
                            "scheme=commission,target_bonus", "experiment.replications=3", *TINY,
                            f"hydra.sweep.dir={copy}"], capture_output=True, text=True,
                           cwd=tmp_path, timeout=600)
    assert other.returncode == 2 and "holds a different sweep" in other.stderr
    assert "Traceback" not in other.stderr
