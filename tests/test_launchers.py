"""Sweeps through other Hydra launchers give the serial run's summary, byte for byte.

Needs the cluster extra (``pip install -e ".[cluster]"``, which ``make test`` installs).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

SWEEP = ["experiment=compare_schemes", "scheme=commission,gain_sharing",
         "experiment.replications=2", "debug=small", "months=14", "firm.burn_in=2"]


def _sweep(tmp: Path, name: str, *launcher: str, env: dict[str, str] | None = None) -> Path:
    out = tmp / name
    proc = subprocess.run([sys.executable, "-m", "sim", *SWEEP, *launcher,
                           f"hydra.sweep.dir={out}"], capture_output=True, text=True, cwd=tmp,
                          timeout=900, env={**os.environ, **(env or {})})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def serial(tmp_path_factory) -> Path:
    return _sweep(tmp_path_factory.mktemp("serial"), "serial", "hydra/launcher=basic")


def test_submitit_local_equals_serial(serial, tmp_path):
    import hydra_plugins.hydra_submitit_launcher  # noqa: F401  (the cluster extra: make test installs it)
    out = _sweep(tmp_path, "submitit", "hydra/launcher=submitit_local",
                 "hydra.launcher.timeout_min=20")
    assert (out / "summary.csv").read_bytes() == (serial / "summary.csv").read_bytes()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_ray_local_and_a_ray_cluster_started_here_equal_serial(serial, tmp_path):
    """One test, so that the two Ray runtimes never overlap under pytest-xdist.

    The cluster is started on 127.0.0.1 with ``ray start --head`` and stopped afterwards
    (``ray stop`` stops every Ray process of this machine: do not run it beside your own Ray).
    """
    import hydra_plugins.hydra_ray_launcher  # noqa: F401  (the cluster extra: make test installs it)
    local = _sweep(tmp_path, "ray_local", "hydra/launcher=ray_local",
                   env={"RAY_USAGE_STATS_ENABLED": "0"})
    assert (local / "summary.csv").read_bytes() == (serial / "summary.csv").read_bytes()
    ray = shutil.which("ray", path=str(Path(sys.executable).parent))
    assert ray, "the ray CLI comes with the cluster extra"
    port = _free_port()
    env = {"RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0",
           "RAY_ADDRESS": f"127.0.0.1:{port}"}
    start = subprocess.run([ray, "start", "--head", "--node-ip-address=127.0.0.1",
                            f"--port={port}", "--num-cpus=2", "--include-dashboard=false",
                            "--disable-usage-stats"], capture_output=True, text=True,
                           timeout=300, env={**os.environ, **env})
    assert start.returncode == 0, start.stderr[-3000:]
    try:
        out = _sweep(tmp_path, "ray", "hydra/launcher=ray_cluster", env=env)
    finally:
        subprocess.run([ray, "stop", "--force"], capture_output=True, timeout=300,
                       env={**os.environ, **env})
    assert (out / "summary.csv").read_bytes() == (serial / "summary.csv").read_bytes()
