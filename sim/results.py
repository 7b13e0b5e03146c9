"""Run folders that never overwrite: a fresh numbered folder per run, published atomically.

A run writes into a hidden temporary folder beside its final place and renames it when complete,
so a crash leaves no half-written folder that looks like a result, and an earlier run is never
touched.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def new_run_dir(parent: str | os.PathLike[str], stem: str) -> tuple[Path, Path]:
    """Reserve the next free ``<stem>-NNN`` folder under ``parent``.

    Args:
        parent: Parent folder (created if missing).
        stem: Name stem, e.g. ``seed7``.

    Returns:
        ``(tmp, final)``: a temporary folder to write into and the folder it will become.
    """
    root = Path(parent)
    root.mkdir(parents=True, exist_ok=True)
    k = 1
    while (root / f"{stem}-{k:03d}").exists():
        k += 1
    tmp = Path(tempfile.mkdtemp(prefix=f".{stem}-", dir=root))
    return tmp, root / f"{stem}-{k:03d}"


def publish(tmp: Path, final: Path) -> Path:
    """Move a finished temporary folder into place, never over an existing one.

    Returns:
        The folder the results now live in (the next free number if ``final`` was taken
        meanwhile).
    """
    target = final
    stem, _, num = final.name.rpartition("-")
    k = int(num)
    while True:
        try:
            target.mkdir()  # claim the name atomically; rename onto an empty folder
        except FileExistsError:
            k += 1
            target = final.with_name(f"{stem}-{k:03d}")
            continue
        tmp.chmod(0o755)  # mkdtemp makes it private; results are for everyone
        os.replace(tmp, target)
        return target


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary name in the same folder and a rename.

    A reader sees the old file or the whole new one, never a half-written one.
    """
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
