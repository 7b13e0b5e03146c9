"""Issue 3: which schemes reach the same outcome from a collaborative and a selfish start."""

from __future__ import annotations

import pytest

from experiments.starts import KEYS, compare_starts, table

pytestmark = pytest.mark.slow

#: SR/FR help share of the budget at the two starts: 0.8 x (0.5 + 0.2) and 0.8 x (0.05 + 0.05).
START_GAP = 0.8 * 0.7 - 0.8 * 0.1


def test_learning_forgets_most_of_the_start_and_reports_which_schemes_converge(capsys):
    rows = compare_starts(seeds=5, months=60)
    with capsys.disabled():
        print("\n" + table(rows))
    assert {(r.scheme, r.metric) for r in rows} == {
        (s, k) for s in ("commission", "target_bonus", "gain_sharing") for k in KEYS}
    for r in rows:
        if r.metric == "help_effort_sr_fr":
            # Learning closes at least half of the starting gap under every scheme: the start
            # shapes but does not fix the outcome.
            assert abs(r.diff) < START_GAP / 2, r
