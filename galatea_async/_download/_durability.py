"""Making new names durable: a directory's fsync, and the directories a batch syncs once.

A file's own bytes are synced before its rename (``_files.py``); the rename itself is durable
only once its directory is synced, which a single download does at once and a batch does once
per directory, when its last file there is done.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path

import anyio

from galatea_async._threads import run_blocking

__all__ = ["DurableDirectories", "fsync_directory"]

StrPath = str | os.PathLike[str]


class DurableDirectories:
    """Directories whose new names still need an fsync; each is synced once, when flushed.

    A batch collects here instead of syncing a directory after every rename: 2,000 files in
    one folder then cost one directory sync, not 2,000. The files' own bytes are synced before
    their rename, so no name ever points at a half-written file.
    """

    def __init__(self) -> None:
        self._pending: set[Path] = set()

    def add(self, directory: Path) -> None:
        """Remember that ``directory`` gained a name."""
        self._pending.add(directory)

    def take(self, directories: Sequence[Path]) -> set[Path]:
        """Which of ``directories`` need a sync, no longer pending here: the caller syncs them."""
        chosen = self._pending.intersection(directories)
        self._pending.difference_update(chosen)
        return chosen

    async def flush(self, directories: Sequence[Path] | None = None) -> None:
        """Sync ``directories`` (default: every pending one), even inside a cancelled scope."""
        chosen = sorted(self._pending if directories is None else set(directories))
        self._pending.difference_update(chosen)
        if chosen:
            with anyio.CancelScope(shield=True):
                await run_blocking(_fsync_directories, chosen)


def _fsync_directories(directories: Sequence[Path]) -> None:
    for directory in directories:
        fsync_directory(directory)


def fsync_directory(directory: StrPath) -> None:
    # Makes a new name durable on POSIX; there is no such thing on Windows.
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(directory, flags)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
