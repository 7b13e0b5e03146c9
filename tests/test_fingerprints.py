"""The model's output is the recorded one: refactorings keep every number (issue 13 point 8).

``benchmarks/fingerprints.json`` holds the hashes of eight runs (metrics, series, people, the
whole deal ledger), at the defaults and with every mechanism switch as before issue 16
(``legacy``: the first model's allocation and staffing, no reach-back, assigned fit, own KPI of
no value and the first gain-sharing pool), and with issue 18's switches alone at their old
values (``before_issue_18``: the defaults' hashes before issue 18), and with issue 20's switches
at their old values, its new metrics left out (``before_issue_20``: the defaults' hashes at
358cee9, the last commit before issue 20). Where numpy and its SIMD
dispatch are the recorded ones (this project's machines and CI), every run must hash as
recorded. Elsewhere a last digit may round differently, so the test falls back to what must
hold everywhere: the same run twice hashes the same.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

#: Recorded family → (``fingerprints`` keyword, what differs when it fails). One test each, so
#: that pytest-xdist spreads the four families' runs over both workers.
FAMILIES = {
    "runs": ({}, "fingerprints changed"),
    "legacy": ({"old": True}, "with the switches as before issue 16, runs changed"),
    "before_issue_18": ({"pre18": True}, "with issue 18's switches off, runs differ from before"),
    "before_issue_20": ({"pre20": True}, "with issue 20's switches off, runs differ from before"),
}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_runs_hash_as_recorded(family):
    import fingerprint as fp

    recorded = json.loads(fp.RECORDED.read_text(encoding="utf-8"))
    assert [" ".join(c) for c in fp.CASES] == list(recorded["runs"])
    assert set(FAMILIES) <= set(recorded)
    kwargs, what = FAMILIES[family]
    if fp.environment() == recorded["environment"]:
        got = fp.fingerprints(verbose=False, **kwargs)
        bad = {k: (got[k], v) for k, v in recorded[family].items() if got[k] != v}
        assert not bad, f"{what} (got, recorded): {bad}"
    elif family == "runs":  # another numpy or CPU: the hashes may differ, determinism may not
        got = fp.fingerprints(verbose=False)
        again = fp.fingerprint(fp.CASES[0])
        assert again == got[" ".join(fp.CASES[0])]
    else:
        pytest.skip(f"{family}: recorded on {recorded['environment']}, not this environment")
