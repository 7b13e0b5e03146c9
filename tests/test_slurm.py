"""A real SLURM run: Debian's slurm-wlm and munge on this one node, a sweep through submitit.

Slow, and it needs root (CI runs as root): it installs ``slurm-wlm`` and ``munge`` with apt-get
when they are missing, writes a single-node ``slurm.conf`` into a temporary folder (pointed to by
``SLURM_CONF``), starts munged, slurmctld and slurmd, submits a small sweep with
``hydra/launcher=slurm`` and compares its ``summary.csv`` with the serial run's. Everything it
started is stopped afterwards.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SWEEP = ["experiment=compare_schemes", "scheme=commission,gain_sharing",
         "experiment.replications=2", "debug=small", "months=14", "firm.burn_in=2"]


def _install() -> None:
    if shutil.which("slurmctld") and shutil.which("munged"):
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, timeout=900,
                   capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "slurm-wlm", "munge"], check=True,
                   env=env, timeout=1800, capture_output=True)


def _conf(folder: Path) -> Path:
    host = socket.gethostname().split(".")[0]
    mem_mb = int(int(Path("/proc/meminfo").read_text().split()[1]) / 1024 * 0.8)
    for sub in ("state", "spool"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    conf = folder / "slurm.conf"
    conf.write_text("\n".join([
        "ClusterName=incentive", f"SlurmctldHost={host}", "AuthType=auth/munge",
        "SlurmUser=root", "SlurmdUser=root", "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none", "SelectType=select/cons_tres", "SelectTypeParameters=CR_CPU",
        "SchedulerType=sched/backfill", "ReturnToService=2", "MpiDefault=none",
        "JobAcctGatherType=jobacct_gather/none", "AccountingStorageType=accounting_storage/none",
        f"StateSaveLocation={folder / 'state'}", f"SlurmdSpoolDir={folder / 'spool'}",
        f"SlurmctldPidFile={folder / 'slurmctld.pid'}", f"SlurmdPidFile={folder / 'slurmd.pid'}",
        f"SlurmctldLogFile={folder / 'slurmctld.log'}", f"SlurmdLogFile={folder / 'slurmd.log'}",
        f"NodeName={host} CPUs={os.cpu_count() or 1} RealMemory={mem_mb} State=UNKNOWN",
        "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP", ""]))
    return conf


@pytest.fixture(scope="module")
def slurm(tmp_path_factory) -> Iterator[dict[str, str]]:
    if os.geteuid() != 0:
        pytest.skip("starting slurm and munge needs root (CI runs as root)")
    _install()
    folder = tmp_path_factory.mktemp("slurm")
    env = {**os.environ, "SLURM_CONF": str(_conf(folder))}
    key = Path("/etc/munge/munge.key")
    if not key.exists():
        subprocess.run(["mungekey", "--create"], check=True, capture_output=True)
    subprocess.run(["chown", "-R", "munge:munge", "/etc/munge", "/var/lib/munge",
                    "/var/log/munge"], check=False, capture_output=True)
    Path("/run/munge").mkdir(exist_ok=True)
    subprocess.run(["chown", "munge:munge", "/run/munge"], check=False, capture_output=True)
    started = []
    if subprocess.run(["pgrep", "-x", "munged"], capture_output=True).returncode != 0:
        subprocess.run(["su", "-s", "/bin/sh", "munge", "-c", "/usr/sbin/munged"], check=True,
                       capture_output=True, timeout=60)
        started.append("munged")
    for daemon in ("slurmctld", "slurmd"):
        subprocess.run([daemon], check=True, env=env, capture_output=True, timeout=60)
        started.append(daemon)
    try:
        deadline = time.time() + 120
        state = ""
        while time.time() < deadline:
            out = subprocess.run(["sinfo", "-h", "-o", "%T"], env=env, capture_output=True,
                                 text=True)
            state = out.stdout.strip()
            if state in ("idle", "mixed"):
                break
            time.sleep(2)
        assert state in ("idle", "mixed"), (state, (folder / "slurmctld.log").read_text()[-2000:])
        yield env
    finally:
        subprocess.run(["scancel", "--user=root"], env=env, capture_output=True, check=False)
        for daemon in reversed(started):
            subprocess.run(["pkill", "-x", daemon], capture_output=True, check=False)


def _sweep(tmp: Path, name: str, *extra: str, env: dict[str, str] | None = None) -> Path:
    out = tmp / name
    proc = subprocess.run([sys.executable, "-m", "sim", *SWEEP, *extra,
                           f"hydra.sweep.dir={out}"], capture_output=True, text=True, cwd=tmp,
                          timeout=1800, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def test_a_sweep_on_slurm_equals_the_serial_run(slurm, tmp_path):
    serial = _sweep(tmp_path, "serial", "hydra/launcher=basic")
    out = _sweep(tmp_path, "slurm", "hydra/launcher=slurm", "hydra.launcher.partition=debug",
                 "hydra.launcher.mem_gb=null", "hydra.launcher.timeout_min=20", env=slurm)
    assert list((out / ".submitit").iterdir()), "the jobs went through sbatch"
    assert (out / "summary.csv").read_bytes() == (serial / "summary.csv").read_bytes()
