"""The HTML report as a client opens it: headless Chromium loads every figure; a screenshot."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.test_sweep import sweep

pytestmark = pytest.mark.slow


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, "chromium is missing: `make test-slow` installs it (apt-get install chromium)"
    return exe


def test_report_opens_in_a_browser_with_every_figure_loaded(tmp_path):
    out = sweep(tmp_path, "r", "experiment=compare_schemes", "experiment.replications=3")
    report = out / "report.html"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    dom = subprocess.run([_chromium(), *flags, "--virtual-time-budget=10000", "--dump-dom",
                          report.as_uri()], capture_output=True, text=True, timeout=120).stdout
    body = re.search(r"<body[^>]*>", dom)
    assert body, dom[:500]
    total = int(re.search(r'data-images-total="(\d+)"', body.group(0)).group(1))
    loaded = int(re.search(r'data-images-loaded="(\d+)"', body.group(0)).group(1))
    assert total >= 8 and loaded == total
    shot = Path("results") / "report_screenshot.png"  # kept for a human to look at
    shot.parent.mkdir(exist_ok=True)
    subprocess.run([_chromium(), *flags, "--window-size=1280,2400", f"--screenshot={shot}",
                    report.as_uri()], capture_output=True, timeout=120, check=True, cwd=".")
    assert shot.stat().st_size > 50_000  # a rendered page, not a blank one
