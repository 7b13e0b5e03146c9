"""Sensitivity analysis: the pipeline on the Ishigami function, worked examples, the CLI."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim import sensitivity as sa


def _study(method: str, n: int, bounds: list[tuple[float, float]]) -> sa.Study:
    return sa.Study(parameters={f"x{i + 1}": b for i, b in enumerate(bounds)}, outputs=("y",),
                    schemes=("a",), method=method, n=n, seed=3)


def test_sobol_indices_of_the_ishigami_function():
    """Ishigami (a = 7, b = 0.1): S1 = (0.314, 0.442, 0), ST = (0.558, 0.442, 0.244)."""
    from SALib.test_functions import Ishigami

    study = _study("sobol", 2048, [(-math.pi, math.pi)] * 3)
    x = sa.sample(study)
    assert x.shape == (2048 * 5, 3)
    ind = sa.analyze(study, x, Ishigami.evaluate(x))
    np.testing.assert_allclose(ind["S1"], [0.3139, 0.4424, 0.0], atol=0.04)
    np.testing.assert_allclose(ind["ST"], [0.5576, 0.4424, 0.2437], atol=0.04)
    assert (ind["S1_conf"] > 0).all() and (ind["S1_conf"] < 0.1).all()


def test_morris_ranks_a_linear_function_by_its_slopes():
    # y = 3·x1 + x2 + 0·x3 on [0, 1]³: every elementary effect is exactly the slope.
    study = _study("morris", 20, [(0.0, 1.0)] * 3)
    x = sa.sample(study)
    ind = sa.analyze(study, x, 3 * x[:, 0] + x[:, 1])
    np.testing.assert_allclose(ind["mu_star"], [3.0, 1.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(ind["sigma"], 0.0, atol=1e-9)


def test_wilson_interval_by_hand():
    low, high = sa.wilson(5, 10)
    assert math.isclose(low, 0.2366, abs_tol=1e-4) and math.isclose(high, 0.7634, abs_tol=1e-4)
    assert sa.wilson(0, 10)[0] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("override, field", [
    ("sensitivity.method=magic", "sensitivity.method"),
    ("sensitivity.parameters.firm.envy=[0.5,0.1]", "sensitivity.parameters.firm.envy"),
    ("+sensitivity.parameters.firm.no_such_knob=[0,1]", "firm.no_such_knob"),
    ("sensitivity.n=1", "sensitivity.n"),
])
def test_bad_studies_are_one_line_errors_and_leave_no_files(override, field, tmp_path,
                                                            monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert sa.main([override]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and field in err and err.count("\n") == 1
    assert not (tmp_path / "results").exists()


def test_a_tiny_study_writes_its_report_and_does_not_depend_on_the_workers(tmp_path,
                                                                          monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["sensitivity.n=2", "sensitivity.replications=1", "months=14", "firm.burn_in=2",
            "~sensitivity.parameters",
            "+sensitivity.parameters={firm: {envy: [0.0, 0.8]},"
            " market: {deal_months_mean: [4, 16]}}"]
    assert sa.main([*args, "--workers", "1"]) == 0
    assert sa.main([*args, "--workers", "2"]) == 0
    one, two = (tmp_path / "results" / "sensitivity" / f"sensitivity-00{k}" for k in (1, 2))
    for name in ("samples.csv", "indices.csv", "sensitivity.json", "report.md", "report.html",
                 "figures/sensitivity.png", "figures/sensitivity.svg"):
        assert (one / name).is_file(), name
    assert (one / "samples.csv").read_bytes() == (two / "samples.csv").read_bytes()
    rows = (one / "samples.csv").read_text().splitlines()
    assert len(rows) == 1 + 2 * (2 * (2 + 2))  # header + schemes × n·(D + 2) points
    report = (one / "report.md").read_text()
    assert "gain_sharing** beats **commission" in report and "firm.envy" in report
