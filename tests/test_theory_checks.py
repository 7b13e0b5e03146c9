"""Issue 2 §5: the learning engine on the real plans reproduces incentive theory's closed forms."""

from __future__ import annotations

import dataclasses

import pytest

from sim.theory_checks import CHECKS, CheckResult, format_table, run_check

#: Checks whose every seed learns the same mean policy (linear plans, δ = 1: the shock and the
#: others' output are common to every candidate), so a second block of seeds repeats the first
#: to rounding; the first block's test below asserts that it still does.
SEED_INDEPENDENT = ("piece_rate", "holmstrom", "contribution", "teaching", "sanction")


@pytest.mark.parametrize("name", list(CHECKS))
def test_theory_check(name, theory_settings):
    results = run_check(name, theory_settings)
    assert results, "a check must produce points"
    failed = [r for r in results if not r.passed]
    assert not failed, "\n" + format_table(results)
    if name in SEED_INDEPENDENT:  # else its second seed block must run again (slow)
        assert max(r.ci_halfwidth for r in results) < 1e-12, "\n" + format_table(results)


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in CHECKS if n not in SEED_INDEPENDENT])
def test_theory_check_second_seed_block(name, theory_settings):
    """The same checks on an independent block of seeds (guards against a lucky seed).

    Not for the checks where every seed learns the same policy (:data:`SEED_INDEPENDENT`): there
    another block of seeds gives the same numbers.
    """
    settings = dataclasses.replace(theory_settings, seed=theory_settings.seed + 1_000_003)
    results = run_check(name, settings)
    failed = [r for r in results if not r.passed]
    assert not failed, "\n" + format_table(results)


def test_pass_rule_needs_accuracy_and_precision():
    """The pass rule is not vacuous: a 5 % miss fails, and so does a wide CI."""
    ok = CheckResult("c", "p", "effort", 1.0, 1.01, 0.005, 0.02, 0.01)
    assert ok.passed
    assert not dataclasses.replace(ok, learned=1.05).passed
    assert not dataclasses.replace(ok, ci_halfwidth=0.02).passed
