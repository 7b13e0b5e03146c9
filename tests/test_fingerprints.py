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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))


def test_runs_hash_as_recorded():
    import fingerprint as fp

    recorded = json.loads(fp.RECORDED.read_text(encoding="utf-8"))
    assert [" ".join(c) for c in fp.CASES] == list(recorded["runs"])
    got = fp.fingerprints(verbose=False)
    if fp.environment() == recorded["environment"]:
        bad = {k: (got[k], v) for k, v in recorded["runs"].items() if got[k] != v}
        assert not bad, f"fingerprints changed (got, recorded): {bad}"
        legacy = fp.fingerprints(verbose=False, old=True)
        bad = {k: (legacy[k], v) for k, v in recorded["legacy"].items() if legacy[k] != v}
        assert not bad, f"with the switches as before issue 16, runs changed: {bad}"
        pre = fp.fingerprints(verbose=False, pre18=True)
        bad = {k: (pre[k], v) for k, v in recorded["before_issue_18"].items() if pre[k] != v}
        assert not bad, f"with issue 18's switches off, runs differ from before it: {bad}"
        pre = fp.fingerprints(verbose=False, pre20=True)
        bad = {k: (pre[k], v) for k, v in recorded["before_issue_20"].items() if pre[k] != v}
        assert not bad, f"with issue 20's switches off, runs differ from before it: {bad}"
    else:  # another numpy or CPU: the hashes may differ, determinism may not
        again = fp.fingerprint(fp.CASES[0])
        assert again == got[" ".join(fp.CASES[0])]
