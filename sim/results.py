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
    make_folder(root, "out")
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


class FolderError(Exception):
    """A results folder cannot be used; the message is one line saying why."""


class Claim:
    """A results folder held by this process (an exclusive ``flock`` on ``<folder>/.lock``).

    The lock lives as long as the process holds it — a killed run releases it — so two runs
    can never write into one folder at once, and a sweep killed midway can be resumed.
    """

    def __init__(self, folder: Path) -> None:
        import fcntl

        self.folder = folder
        self._fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self._fd)
            raise FolderError(f"{folder}: another run is writing into it; choose a new "
                              f"folder") from None
        os.ftruncate(self._fd, 0)
        os.write(self._fd, f"{os.getpid()}\n".encode())

    def release(self) -> None:
        """Give the folder up (the lock file stays; it names the last process that held it)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> Claim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def make_folder(path: Path, what: str) -> None:
    """Create ``path`` (and parents) or say in one line why it cannot be.

    Raises:
        FolderError: ``path`` is a file, or cannot be created or written.
    """
    if path.exists() and not path.is_dir():
        raise FolderError(f"{what}: {path} is a file; give a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FolderError(f"{what}: cannot create {path} ({exc.strerror})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise FolderError(f"{what}: {path} is not writable")


def claim_new(parent: str | os.PathLike[str], stem: str, what: str) -> Claim:
    """Claim the next free ``<stem>-NNN`` folder under ``parent`` (created atomically)."""
    root = Path(parent)
    make_folder(root, what)
    k = 1
    while True:
        target = root / f"{stem}-{k:03d}"
        try:
            target.mkdir()
        except FileExistsError:
            k += 1
            continue
        except OSError as exc:
            raise FolderError(f"{what}: cannot create {target} ({exc.strerror})") from None
        return Claim(target)


def claim_empty(path: Path, what: str) -> Claim:
    """Claim ``path`` for one run: it must be new or empty, and not a sweep's job folder.

    Raises:
        FolderError: In one line, naming what the folder holds.
    """
    if str(path) in ("", "."):
        raise FolderError(f"{what}: give a folder for the run's files (it is empty or '.')")
    if (path.parent / "sweep.json").exists():
        raise FolderError(f"{what}: {path} is in the sweep folder {path.parent}; a sweep's "
                          f"jobs are run by the sweep (rerun it to resume)")
    make_folder(path, what)
    claim = Claim(path)
    held = sorted(p.name for p in path.iterdir() if p.name != ".lock")
    if held:
        claim.release()
        kind = "results" if "metrics.json" in held else "files of another run"
        raise FolderError(f"{what}: {path} already holds {kind} ({', '.join(held[:3])}"
                          f"{', …' if len(held) > 3 else ''}); choose a new folder")
    return claim
