"""The config tree ships inside the wheel: load_config works from a non-editable install."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_load_config_from_a_built_wheel(tmp_path):
    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(wheel_dir), str(ROOT)],
        check=True,
    )
    wheel = next(wheel_dir.glob("incentive_sim-*.whl"))
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site),
         str(wheel)],
        check=True,
    )
    code = (
        "import sim, sim.config as c; "
        "cfg = c.load_config(['scheme=gain_sharing']); "
        "print(sim.__file__); print(c.config_dir()); print(cfg.scheme.name)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
    ).stdout.split()
    assert out[0].startswith(str(site)), "imported the checkout, not the wheel"
    assert out[1] == str(site / "sim" / "configs")
    assert out[2] == "gain_sharing"
