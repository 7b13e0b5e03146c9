"""The memory estimate against measured peak RSS, and the guard that uses it (issue 14 point 6)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sim import resources
from sim.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("size", ["s", "m"])
def test_the_estimate_is_within_30_percent_of_the_measured_peak(size):
    script = (
        "import logging\n"
        "logging.getLogger('MESA').setLevel(logging.WARNING)\n"
        "from sim.config import load_config\n"
        "from sim.simulation import run\n"
        f"run(load_config(['size={size}']))\n"
        # VmHWM, not ru_maxrss: the latter keeps the forking parent's size across exec
        "print(next(int(x.split()[1]) * 1024 for x in open('/proc/self/status')"
        " if x.startswith('VmHWM')))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=ROOT, check=True, timeout=600)
    peak = int(out.stdout.split()[-1])
    est = resources.estimate(load_config([f"size={size}"])).total
    assert 0.7 * peak <= est <= 1.3 * peak, (size, est / 2**20, peak / 2**20)


def test_a_run_that_does_not_fit_is_refused_with_its_estimate(monkeypatch):
    monkeypatch.setattr(resources, "available", lambda: 200 * resources.MiB)
    cfg = load_config(["size=m"])
    with pytest.raises(ConfigError, match=r"^memory: this would need about \d+ MiB, mostly .*"
                                          r"more than the 200 MiB available"):
        resources.check_memory(cfg)
    small = load_config(["debug=small"])
    assert resources.check_memory(small).total < 200 * resources.MiB
    with pytest.raises(ConfigError, match=r"\(4 jobs at once, .* each\).*n_jobs=1"):
        resources.check_memory(load_config(["size=s"]), jobs=4)
