"""Every bad input is one line, exit 2 and no files (issue 14): the catalogue.

Each case is what a user (or a designer's plan file) tried; each asserts the one line naming the
field or the cause, the exit code and that nothing was written. Plan files are written into
``plans/scheme/`` of the test's folder, which is all that folder may hold afterwards.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sim import cli

ROOT = Path(__file__).resolve().parent.parent
COMMISSION = (ROOT / "configs" / "scheme" / "commission.yaml").read_text(encoding="utf-8")
SMALL = ["debug=small"]

#: (command line, expected text of the one line)
CASES = [
    # a path instead of an option name, interpolations, Hydra's own settings
    (["scheme=../../../../some/folder/evil"], "scheme: an option is a name"),
    (["org=/etc/passwd"], "org: an option is a name"),
    (["scheme@rollout.scheme=../x", "rollout.month=6"], "scheme@rollout.scheme: an option is"),
    (["scheme.name=${oc.env:HOME}"], "scheme.name: interpolations"),
    (["seed=${oc.env:SEED}"], "seed: interpolations"),
    (["+hydra.callbacks.x._target_=builtins.open"], "hydra.callbacks.x._target_: not a setting"),
    (["hydra.job.chdir=true"], "hydra.job.chdir: not a setting"),
    (["hydra.run.dir="], "hydra.run.dir: give a folder"),
    (["-m", "scheme=commission,gain_sharing", "hydra.sweep.dir="], "hydra.sweep.dir: give a"),
    (["-m", "scheme=commission,gain_sharing", "hydra/launcher=foo"],
     "hydra/launcher: unknown launcher 'foo'; allowed: basic, joblib"),
    # measures and their keys
    (["scheme.plans.sales_commission.measure=revenu"],
     "scheme.plans.sales_commission.measure: unknown measure 'revenu'; allowed: revenue"),
    (["scheme.plans.sales_commission.measure=gross_margin"], "unknown measure 'gross_margin'"),
    (["scheme.plans.sales_commission.measure=collections"], "unknown measure 'collections'"),
    (["scheme=gain_sharing", "+scheme.plans.firm_pool.base.revenu=0.1"],
     "scheme.plans.firm_pool.base.revenu: unknown measure"),
    (["scheme=gain_sharing", "+scheme.plans.firm_pool.contribution.helpp=1"],
     "scheme.plans.firm_pool.contribution.helpp: unknown measure"),
    (["scheme=target_bonus", "scheme.plans.sales_mbo.weights={revenue: 0.7, margn: 0.3}"],
     "scheme.plans.sales_mbo.weights.margn: no such setting"),
    # values that run but mean something else
    (["scheme.plans.sales_commission.rate=4"], "a rate of 4 pays 400 % of revenue"),
    (["scheme.plans.sales_commission.rate=5"], "acknowledge=[rate_above_one]"),
    (["scheme.roles.sales.salary=72"], "scheme.roles.sales.salary: 72 a month is more than"),
    (["acknowledge=[anything]"], "acknowledge: unknown rule 'anything'"),
    (["months=1"], "months: must be ≥ firm.burn_in + 12"),
    (["months=20"], "months: must be ≥ firm.burn_in + 12 = 24"),
    (["-m", "scheme=commission,gain_sharing", "experiment.baseline='scheme=target_bonus'"],
     "experiment.baseline: scheme=target_bonus names no design point"),
    # keys nothing reads
    (["+foo=1"], "foo: no such setting"),
    (["+experiment.repetitions=5"], "experiment.repetitions: no such setting"),
    (["+debug.slow=1"], "debug.slow: no such setting"),
    (["+market.foo=1"], "market.foo: no such setting"),
    (["+scheme.plans.sales_commission.ratee=0.1"], "ratee: unknown field for commission"),
    (["scheme.plans.sales_commission.ratee=0.1"], "no such setting"),
    # override syntax
    (["scheme.plans.x={revenue:"], "cannot be read as key=value"),
    # sizes that do not fit in memory (estimated before anything is allocated; the default
    # firm, not debug=small: "size=s" drops debug=small below)
    (["size=s", "market.n_accounts=100000000"], "memory: this would need about"),
    (["size=s", "market.n_accounts=1000000000"], "mostly the deal ledger"),
    (["size=s", "firm.n_sales=10000000"], "memory: this would need about"),
    (["size=s", "behavior.grid_step=0.000000001"], "memory: this would need about"),
    (["size=s", "months=1000000"], "memory: this would need about"),
    # a payout curve no month can evaluate in time
    (["scheme.plans.rnd_mbo.curve=[" + ",".join(f"[{i},{i}]" for i in range(101)) + "]"],
     "curve: at most 100 points"),
]


def _run(args, tmp_path, monkeypatch, capsys) -> tuple[int, str]:
    monkeypatch.chdir(tmp_path)
    code = cli.main(args if "size=s" in args else [*SMALL, *args])
    return code, capsys.readouterr().err


def _one_line(code: int, err: str, message: str) -> None:
    assert code == 2, err
    assert message in err, err
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err


@pytest.mark.parametrize(("args", "message"), CASES, ids=[" ".join(a)[:60] for a, _ in CASES])
def test_bad_input_is_one_line_exit_2_and_no_files(args, message, tmp_path, monkeypatch,
                                                    capsys):
    code, err = _run(args, tmp_path, monkeypatch, capsys)
    _one_line(code, err, message)
    assert list(tmp_path.iterdir()) == []


def _plan(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "plans" / "scheme"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return tmp_path / "plans"


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi", strict=True))

#: (plan file text, expected text of the one line)
PLAN_FILES = [
    ("# @package _global_\n" + COMMISSION, "line 1: '# @package' is not allowed"),
    ("# @package _global_\nhydra:\n  callbacks:\n    w:\n      _target_: builtins.open\n"
     "      file: written.txt\n      mode: w\n" + COMMISSION, "'# @package' is not allowed"),
    ("# @package _global_\nseed: 1\n" + COMMISSION, "'# @package' is not allowed"),
    (COMMISSION + "hydra:\n  run:\n    dir: elsewhere\n", "hydra: not allowed in a plan file"),
    (COMMISSION + "defaults:\n  - _self_\n", "defaults: not allowed in a plan file"),
    (COMMISSION + "seed: 3\n", "seed: not allowed in a plan file"),
    (COMMISSION.replace("name: commission", "name: ${oc.env:HOME}"),
     "name: interpolations (${...}) are not allowed in a plan file"),
    (COMMISSION.replace("rate: 0.04", "rate: ${market.max_discount}"),
     "plans.sales_commission.rate: interpolations"),
    (COMMISSION.replace("kind: commission", "kind: commission\n    _target_: os.system"),
     "plans.sales_commission._target_: _target_ is not allowed"),
    (COMMISSION.replace("rate: 0.04", "rate: [0.04"), "not valid YAML"),
    (COMMISSION + "name: twice\n", "duplicate key 'name'"),
    (COMMISSION.replace("name: commission", "name: &n mine\ndescription: *n"),
     "YAML anchors and aliases are not allowed"),
    (BOMB, "YAML anchors and aliases are not allowed"),
    (COMMISSION + "#" * (70 * 1024) + "\n", "a plan file may be at most 64 KiB"),
    ("- a\n- b\n", "a plan file is a mapping"),
    (COMMISSION.replace("measure: revenue", "measure: revenu"), "unknown measure 'revenu'"),
    (COMMISSION.replace("rate: 0.04", "rate: 4"), "a rate of 4 pays 400 %"),
    (COMMISSION.replace("salary: 6.0", "salary: 72.0", 1), "72 a month is more than"),
]


@pytest.mark.parametrize(("text", "message"), PLAN_FILES,
                         ids=[m[:40] for _, m in PLAN_FILES])
def test_a_plan_file_may_hold_only_its_scheme(text, message, tmp_path, monkeypatch, capsys):
    plans = _plan(tmp_path, "mine", text)
    code, err = _run(["scheme=mine", "--plans", str(plans)], tmp_path, monkeypatch, capsys)
    _one_line(code, err, message)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plans"]
    assert [p.name for p in (plans / "scheme").iterdir()] == ["mine.yaml"]


def test_a_plan_file_with_a_presets_name_is_refused(tmp_path, monkeypatch, capsys):
    plans = _plan(tmp_path, "commission", COMMISSION.replace("rate: 0.04", "rate: 0.09"))
    code, err = _run(["--plans", str(plans)], tmp_path, monkeypatch, capsys)
    _one_line(code, err, "has the name of the preset 'commission', which would hide it")


def test_a_plans_folder_without_a_scheme_folder_is_refused(tmp_path, monkeypatch, capsys):
    (tmp_path / "plans").mkdir()
    code, err = _run(["--plans", str(tmp_path / "plans")], tmp_path, monkeypatch, capsys)
    _one_line(code, err, "holds no scheme/ folder")


def test_only_the_schemes_of_a_plans_folder_reach_hydra(tmp_path, monkeypatch, capsys):
    """A designer's folder with other config groups contributes its schemes and nothing else."""
    plans = _plan(tmp_path, "mine", COMMISSION.replace("name: commission", "name: mine"))
    (plans / "experiment").mkdir()
    (plans / "experiment" / "evil.yaml").write_text("# @package _global_\nseed: 1\n")
    code, err = _run(["experiment=evil", "--plans", str(plans)], tmp_path, monkeypatch, capsys)
    _one_line(code, err, "experiment: unknown option 'evil'")
    run = tmp_path / "run"
    code, _ = _run(["scheme=mine", "--plans", str(plans), "months=13", "firm.burn_in=1",
                    f"hydra.run.dir={run}"], tmp_path, monkeypatch, capsys)
    assert code == 0
    assert yaml.safe_load((run / ".plans" / "scheme" / "mine.yaml").read_text())["name"] == "mine"
    assert not (run / ".plans" / "experiment").exists()


def test_the_shipped_scheme_files_pass_the_plan_file_rules():
    from sim import planfiles

    for path in sorted((ROOT / "configs" / "scheme").glob("*.yaml")):
        assert planfiles.read(path)["name"] == path.stem


def test_a_run_folder_that_is_a_file_or_cannot_be_made(tmp_path, monkeypatch, capsys):
    (tmp_path / "afile").write_text("x")
    code, err = _run(["hydra.run.dir=afile"], tmp_path, monkeypatch, capsys)
    _one_line(code, err, "hydra.run.dir: afile is a file; give a folder")
    code, err = _run(["hydra.run.dir=afile/run"], tmp_path, monkeypatch, capsys)
    _one_line(code, err, "hydra.run.dir: cannot create afile/run (Not a directory)")
    # /sys refuses new folders even to root (CI runs as root, who may write anywhere else)
    code, err = _run(["hydra.run.dir=/sys/incentive-sim-run"], tmp_path, monkeypatch, capsys)
    _one_line(code, err, "cannot create /sys/incentive-sim-run (Operation not permitted)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]
