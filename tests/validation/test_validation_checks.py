"""The validation machinery (issue 5): rules, statistics on hand-made runs, presets, the CLI.

The quick theory checks must pass here; the firm checks' quick versions are a smoke run (two
seeds of the small firm). The full validation runs in ``make test-slow`` (test_validation_full).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from sim import validation as V
from sim.plans import PLANS


def recompute(c: dict) -> bool:
    """``passed`` from the other fields, written from docs/validation.md's rule table."""
    e, m, lo, hi, tol = c["expected"], c["measured"], c["ci_low"], c["ci_high"], c["tolerance"]
    if m is None or not math.isfinite(m):
        return False
    lo = -math.inf if lo is None else lo
    hi = math.inf if hi is None else hi
    return {
        "near": lambda: abs(m - e["target"]) <= tol,
        "greater": lambda: lo > e["target"],
        "less": lambda: hi < e["target"],
        "equivalent": lambda: e["target"] - tol <= lo and hi <= e["target"] + tol,
        "between": lambda: e["low"] <= m <= e["high"],
    }[e["rule"]]()


@pytest.mark.parametrize(("rule", "args", "expected"), [
    ("near", (1.02, 0.9, 1.1, 1.0, 0.03), True),
    ("near", (1.04, 0.9, 1.1, 1.0, 0.03), False),
    ("greater", (0.5, 0.01, 0.9, 0.0, 0.0), True),
    ("greater", (0.5, -0.01, 0.9, 0.0, 0.0), False),      # the CI must clear the target
    ("less", (-0.5, -0.9, -0.1, 0.0, 0.0), True),
    ("equivalent", (0.0, -0.019, 0.019, 0.0, 0.02), True),
    ("equivalent", (0.0, -0.03, 0.01, 0.0, 0.02), False),  # covers 0 but is not inside ±2 %
    ("near", (None, None, None, 0.0, 1.0), False),         # not measured: fails
    ("near", (1.5, None, None, 1.0, 0.5), True),            # the boundary counts
    ("less", (-0.5, -0.9, 0.01, 0.0, 0.0), False),
    ("equivalent", (0.0, -0.02, 0.02, 0.0, 0.02), True),
    ("equivalent", (0.0, None, None, 0.0, 0.02), False),    # no CI: cannot show equivalence
    ("greater", (float("nan"), 0.1, 0.2, 0.0, 0.0), False),
])
def test_decide_rules(rule: str, args: tuple, expected: bool) -> None:
    assert V.decide(rule, *args) is expected


def test_between_rule_needs_its_bounds() -> None:
    assert V.decide("between", 0.05, None, None, 0.0, 0.0, 0.03, 0.12)
    assert not V.decide("between", 0.13, None, None, 0.0, 0.0, 0.03, 0.12)
    with pytest.raises(ValueError):
        V.decide("between", 0.05, None, None, 0.0, 0.0)


def test_between_rule_and_check_sets_passed() -> None:
    c = V.Check("x", "src", V.expectation("between", low=0.03, high=0.12, what="lost"),
                0.05, 0.04, 0.06, 0.0)
    assert c.passed and "in [0.03, 0.12]" in c.expected["text"]
    c2 = V.Check("x", "src", V.expectation("between", low=0.03, high=0.12), 0.2, 0.1, 0.3, 0.0)
    assert not c2.passed


def test_ratio_ci_covers_a_known_ratio() -> None:
    rng = np.random.default_rng(0)
    b = rng.normal(100, 5, 40)
    a = 1.1 * b + rng.normal(0, 1, 40)
    est, lo, hi = V.ratio_ci(a, b)
    assert lo < 0.1 < hi and abs(est - 0.1) < 0.01


def _fake_result() -> SimpleNamespace:
    """Two fiscal years (burn-in 12); bookings, deals and effort chosen to compute by hand."""
    book = [0.0] * 12 + [10.0] * 3 + [20.0] * 6 + [30.0] * 3
    ts = [{"bookings": b} for b in book]
    # mid (slipped), mid, December (pulled), January (slipped), February (slipped: not a
    # December deal), a run-rate order, one in the burn-in year
    deals = {
        "booked": np.array([16, 18, 23, 12, 13, 15, 5]),
        "value": np.array([100.0, 300.0, 200.0, 50.0, 50.0, 300.0, 80.0]),
        "discount": np.array([0.1, 0.2, 0.25, 0.1, 0.1, 0.0, 0.3]),
        "run_rate": np.array([False, False, False, False, False, True, False]),
        "owner": np.array([0, 1, 0, 1, 1, 0, 0]),
        "slipped": np.array([True, False, False, True, True, False, False]),
        "pulled": np.array([False, False, True, False, False, False, False]),
    }
    roles = ["sales", "sales", "rnd", "supply_chain", "supply_chain", "supply_chain"]
    people = [{"role": r} for r in roles]
    early = np.r_[np.full(12, 9.0), np.full(12, 1.0)]  # burn-in months must not count
    effort = {"sales.hunting": 0.2 * early, "sales.volume": 0.5 * early,
              "rnd.own_kpi": 0.6 * early, "rnd.support": 0.4 * early,
              "supply_chain.own_kpi": 0.3 * early, "supply_chain.delivery": 0.3 * early}
    return SimpleNamespace(metrics={"revenue": 600.0, "total_effort": 0.5}, timeseries=ts,
                           people=people, deals=deals, effort=effort)


def test_firm_stats_worked_example() -> None:
    m = V.firm_stats(_fake_result(), {"firm": {"burn_in": 12}})
    assert m["q1_excess"] == pytest.approx(30 / 60 - 1)
    assert m["q4_excess"] == pytest.approx(90 / 60 - 1)
    ref = (0.1 * 100 + 0.2 * 300) / 400  # value-weighted mid-year discount: 0.175, not 0.15
    assert m["q4_discount_gap"] == pytest.approx(0.25 - ref)
    net_year = 90 + 240 + 150 + 45 + 45 + 300  # every booking of the year, run-rate included
    assert m["revenue_lost"] == pytest.approx((0.25 - ref) * 200 / net_year)
    assert m["q4_project_share"] == pytest.approx(150 / (90 + 240 + 150 + 45 + 45))
    assert m["jan_slipped_share"] == 1.0 and m["mid_slipped_share"] == 0.5
    assert m["jan_slip_lift"] == pytest.approx(0.5)
    assert m["dec_pulled_share"] == 1.0 and m["mid_pulled_share"] == 0.0
    assert m["hunting_effort"] == pytest.approx(0.2)
    assert m["sales_effort"] == pytest.approx(0.7)
    assert m["own_kpi_effort_sr_fr"] == pytest.approx((0.6 + 3 * 0.3) / 4)
    assert m["own_kpi_share_sr_fr"] == pytest.approx((0.6 + 3 * 0.5) / 4)
    assert m["revenue_per_effort"] == pytest.approx(600 / (0.5 * 6 * 12))


def test_cap_binding_rebuilds_the_ratcheted_quota() -> None:
    """Target 100, ratchet 0.5, cap at attainment 1.5.

    AR 0 books 200 in year 0 (quota → 150), then 240 (1.6: binds); AR 1 books 100 (quota stays
    100), then 100 (1.0: does not).
    """
    d = {"booked": np.array([3, 15, 4, 16]), "owner": np.array([0, 0, 1, 1]),
         "value": np.array([200.0, 240.0, 100.0, 100.0]), "discount": np.zeros(4)}
    plan = {"kind": "target_bonus", "weights": {"revenue": 1.0}, "target": {"revenue": 100.0},
            "ratchet": 0.5, "curve": [[1.0, 0.0], [1.5, 1.0]], "bonus": 10.0, "period": 12}
    assert V.cap_binding(d, plan, [12], 2) == pytest.approx(0.5)
    # A capped commission: 5 % of bookings up to 10. AR 0's 240 pays 12 → capped; AR 1's 100
    # pays 5 → not. An uncapped one never binds.
    capped = {"kind": "commission", "rate": 0.05, "cap": 10.0, "period": 12}
    assert V.cap_binding(d, capped, [12], 2) == pytest.approx(0.5)
    assert V.cap_binding(d, {**capped, "cap": None}, [12], 2) == 0.0


def test_every_preset_builds_plans_through_the_registry(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    """Firm arms build their scheme with the firm's builder; reduced checks call build_plan."""
    from sim.scheme import build_scheme

    names = V.presets()
    assert {"len", "forcing", "monitoring", "oyer", "larkin", "misra_nair", "steenburgh",
            "hamilton", "tiering", "sudan", "schemes", "downturn", "pay_gap", "pools",
            "gates", "hunting"} <= set(names)
    registry = set(PLANS.values())
    for name in names:
        cfg = V.load_preset(name)
        v = cfg["validation"]
        if v["kind"] != "firm":
            continue
        for overrides in V.arms_of(v).values():
            scheme = build_scheme(V.load_preset(name, overrides)["scheme"])
            assert {type(p) for p in scheme.plans.values()} <= registry, name
    import sim.plans

    built: list[type] = []
    real = sim.plans.build_plan

    def spy(cfg, where="plan"):  # type: ignore[no-untyped-def]
        plan = real(cfg, where)
        built.append(type(plan))
        return plan

    monkeypatch.setattr(sim.plans, "build_plan", spy)
    for name in ("forcing", "hamilton"):
        V.run_preset(name, V.Settings(quick=True), None, tmp_path)
    assert built and set(built) <= registry
    assert {PLANS["team_scorecard"], PLANS["commission"], PLANS["gain_sharing"]} <= set(built)


def test_quick_theory_checks_pass(tmp_path: Path) -> None:
    """LEN's vertex within 3 % of β* and both forcing-contract equilibria, from learning."""
    for name in ("len", "forcing"):
        checks, _ = V.run_preset(name, V.Settings(quick=True), None, tmp_path)
        assert checks and all(c.passed for c in checks), [(c.name, c.measured) for c in checks]


def test_cli_writes_checks_report_and_latest_copy(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "validation"
    rc = V.main(["forcing", "pay_gap", "monitoring", "--quick", "--out", str(out),
                 "--workers", "1"])
    assert rc == 0
    run = out / "run-001"
    checks = json.loads((run / "checks.json").read_text())
    assert (out / "checks.json").read_text() == (run / "checks.json").read_text()
    assert {c["name"] for c in checks} >= {"forcing_zero_start_stays_at_zero",
                                          "s8_gap_lowers_help",
                                          "monitoring_sanction_raises_pool_effort_group2",
                                          "monitoring_effort_falls_with_group_size"}
    for c in checks:
        assert set(c) >= {"name", "source", "expected", "measured", "ci_low", "ci_high",
                          "tolerance", "passed"}
        assert c["passed"] == recompute(c), c["name"]
    monitoring = [c for c in checks if c["name"].startswith("monitoring")]
    assert monitoring and all(c["measured"] is not None for c in monitoring)  # built (issue 19)
    page = (run / "report.html").read_text()
    assert "forcing_zero_start_stays_at_zero" in page and "data:image/png;base64" in page
    V.main(["forcing", "--quick", "--out", str(out), "--workers", "1"])
    assert (out / "run-002").is_dir() and (run / "checks.json").exists()  # never overwritten
    assert "quick mode" in capsys.readouterr().out


def test_a_broken_check_spec_is_refused_before_anything_runs() -> None:
    arms = {"a": [], "b": []}
    ok = {"name": "x", "source": "s", "stat": "revenue", "diff": ["a", "b"], "rule": "greater"}
    V.check_spec(ok, arms)
    for bad, msg in [({**ok, "diff": ["a", "c"]}, "unknown arm 'c'"),
                     ({**ok, "arm": "a"}, "exactly one of"),
                     ({**ok, "rule": "between"}, "needs low and high"),
                     ({**ok, "rule": "bigger"}, "rule: must be one of")]:
        with pytest.raises(V.ConfigError, match=msg):
            V.check_spec(bad, arms)
    with pytest.raises(V.ConfigError, match="cap statistic"):
        V.check_cap_plan({"kind": "commission", "period": 1, "cap": 3.0}, "cap")


@pytest.mark.parametrize("argv", [["nope"], ["len", "--seeds", "1"], ["len", "--workers", "0"]])
def test_bad_input_is_one_line_and_writes_nothing(argv: list[str], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "v"
    assert V.main([*argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err
    assert not out.exists()


def test_incentive_sim_refuses_a_validation_preset(capsys: pytest.CaptureFixture) -> None:
    from sim.cli import main

    assert main(["experiment=validate_len"]) == 2
    assert "incentive-sim-validate len" in capsys.readouterr().err


def test_known_failures_are_read_from_the_docs_table(tmp_path: Path) -> None:
    doc = tmp_path / "v.md"
    doc.write_text("# V\n\n## Known failures\n\n| check | why |\n|---|---|\n"
                   "| `oyer_x` | no cliff |\n| `s4_y` | capacity |\n\n## Other\n\n| `z` | no |\n")
    assert V.known_failures(doc) == {"oyer_x", "s4_y"}
    shipped = V.known_failures()
    assert shipped, "docs/validation.md lists its known failures"


def test_arms_are_the_listed_ones_plus_the_grid() -> None:
    assert list(V.arms_of({"arms": {"a": ["x=1"]}})) == ["a"]  # no grid: no extra arm
    arms = V.arms_of({"grid_base": ["s=g"], "grid": {"p.q.r": [1, 2], "org": ["u", "v"]}})
    assert arms["r=1 org=v"] == ["s=g", "p.q.r=1", "org=v"] and len(arms) == 4


def test_frontier_figure_encodes_the_grid_factors(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    front = {f"p={p} l={lam} o={o}": {"collab": rng.normal(0.8, 0.01, 4).tolist(),
                                      "profit": rng.normal(1000, 50, 4).tolist()}
             for p in (1, 2) for lam in (0, 1) for o in ("a", "b")}
    (tmp_path / "figures").mkdir()
    figs = V.figures(tmp_path, {"pools": {"frontier": front}})
    assert [t for t, _ in figs] == ["pools: frontier"]
    assert figs[0][1].stat().st_size > 10_000


def test_checks_only_keeps_the_arms_the_checks_compare(monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    """``--checks-only`` (make test-slow) runs only the arms some check compares."""
    from sim.validation import runner

    v = runner.load_preset("pools")["validation"]
    assert runner.checked_arms(v) == {
        "profit=0.193389 equal_share=0.0 units=organisations org=silo",
        "profit=0.193389 equal_share=1.0 units=organisations org=silo",
        "profit=0.312 equal_share=1.0 units=organisations org=silo",
        "profit=0.094 equal_share=1.0 units=organisations org=silo",
        "triangles_in_pool", "firmwide_equal"}
    fake = {"seed": 1, "validation": {
        "kind": "firm", "seeds": 2, "arms": {"a": [], "b": [], "c": [], "d": []},
        "checks": [{"name": "x", "stat": "s", "diff": ["a", "b"]},
                   {"name": "y", "stat": "s", "arm": "c"}]}}
    monkeypatch.setattr(runner, "load_preset", lambda name, extra=(): fake)
    monkeypatch.setattr(runner, "arm_configs", lambda name, v, quick, common=(): {
        arm: {"arm": arm} for arm in runner.arms_of(v)})
    ran: list[str] = []
    monkeypatch.setattr(runner, "firm_task", lambda task: ran.append(task[0]["arm"]) or {"s": 1})
    monkeypatch.setattr(runner, "evaluate_spec", lambda spec, rows, preset: None)
    for only, arms in ((True, ["a", "a", "b", "b", "c", "c"]),
                       (False, ["a", "a", "b", "b", "c", "c", "d", "d"])):
        ran.clear()
        runner.run_preset("fake", V.Settings(checks_only=only), None, tmp_path)
        assert ran == arms
