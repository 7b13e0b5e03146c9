"""Every command block of README.md and docs/ runs (issue 14 point 9; slow).

Commands are taken from the fenced blocks (not python, yaml or json ones) and run in order in
one fresh folder, at ``debug=small`` with two replications (and a tiny search and sensitivity
study), so that what the docs tell a user to type works as written; a command that appears
again word for word is run once. A block written as a
transcript (``$ command`` then its output) must print that output. What cannot run here is on
:data:`SKIP`, each with its reason.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow

#: A command is skipped when it contains one of these; the reason says why it cannot run here.
SKIP = {
    "make demo": "the main job itself (20 replications of 3 schemes at size s)",
    "make test": "this is the test suite",
    "make validate": "every validation preset at full size (~10 minutes); "
                     "tests/validation/test_validation_full.py runs it",
    "hydra/launcher=ray_cluster": "needs a running Ray cluster (tests/test_launchers.py starts "
                                  "one)",
    "hydra/launcher=slurm": "needs a SLURM partition (tests/test_slurm.py starts one)",
}
TINY = ["debug=small", "months=14", "firm.burn_in=2"]
#: Settings replaced (not added) so that a command's own value does not make it heavy.
REPLACE = {"experiment.replications": "2", "hydra.sweeper.n_trials": "2",
           "sensitivity.n": "2", "sensitivity.replications": "1"}


def blocks() -> list[tuple[str, list[str]]]:
    """``(source, lines)`` of every shell block of README.md and docs/*.md, in order."""
    out = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"```(\w*)\n(.*?)```", text, re.S):
            if m.group(1) in ("python", "yaml", "json"):
                continue
            lines = m.group(2).replace("\\\n", " ").splitlines()
            out.append((path.name, [ln for ln in lines if ln.strip()]))
    return out


def _adjust(words: list[str]) -> list[str]:
    """The command at the test's size."""
    tool = Path(words[0]).name
    words = [str(BIN / tool) if w.startswith(".venv/bin/") else w for w in words]
    extra = []
    if tool == "incentive-sim":
        extra = [*TINY, "experiment.replications=2"]
        if any(w.startswith("+search=") for w in words):
            extra += ["hydra.sweeper.n_trials=2", "search.holdout.replications=2"]
    elif tool == "incentive-sim-sensitivity":
        extra = ["sensitivity.n=2", "sensitivity.replications=1", "months=14", "firm.burn_in=2"]
    elif tool == "incentive-sim-validate":
        extra = ["--quick", "--seeds", "2"]
    keys = {e.partition("=")[0] for e in extra if "=" in e}
    kept = [w for w in words if w.lstrip("+").partition("=")[0] not in keys | set(REPLACE)
            or "=" not in w]
    return kept + extra


def commands() -> list[tuple[str, list[str], str | None]]:
    """``(source, argv, expected output or None)`` of every command, in the docs' order."""
    out = []
    for source, lines in blocks():
        transcript = any(ln.startswith("$ ") for ln in lines)
        for i, line in enumerate(lines):
            if transcript and not line.startswith("$ "):
                continue
            words = shlex.split(line.removeprefix("$ "), comments=True)
            if not words:
                continue
            expected = None
            if transcript:
                after = lines[i + 1:]
                expected = "\n".join(after[:next((k for k, a in enumerate(after)
                                                  if a.startswith("$ ")), len(after))])
            out.append((source, words, expected))
    return out


def test_the_docs_have_commands_and_every_skip_is_used():
    cmds = [" ".join(w) for _, w, _ in commands()]
    assert len(cmds) >= 20
    for key in SKIP:
        assert any(key in c for c in cmds), f"skip list entry {key!r} matches no command"


def test_every_command_of_the_docs_runs(tmp_path):
    ran = 0
    done: set[str] = set()
    for source, words, expected in commands():
        line = " ".join(words)
        if any(key in line for key in SKIP):
            continue
        # The same command in two pages (README and search.md, say) is run once: a second run
        # as written tests nothing the first did not (that a second search continues its study
        # is tests/test_search.py's). A transcript is always checked.
        if line in done and expected is None:
            continue
        done.add(line)
        if Path(words[0]).name.startswith("incentive-sim"):
            argv = _adjust(words)
            proc = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True,
                                  timeout=900)
        else:  # shell steps a user types (mkdir, cp), with the checkout's files
            shell = line.replace("configs/", f"{ROOT}/configs/")
            proc = subprocess.run(["bash", "-c", shell], cwd=tmp_path, capture_output=True,
                                  text=True, timeout=60)
        if expected is not None:
            assert (proc.stdout + proc.stderr).strip() == expected.strip(), (source, line)
        else:
            assert proc.returncode == 0, (source, line, proc.stderr[-2000:])
        ran += 1
    assert ran >= 15
