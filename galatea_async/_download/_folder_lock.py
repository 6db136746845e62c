"""One sync at a time into a folder: ``locked_folder`` takes the folder's lock and loads its
journal, and hands the caller the ``LockedFolder`` that syncs it (``_sync.py``).

The lock is a POSIX advisory lock on a regular file in the folder, opened without following
links; where there is none (Windows), nothing is locked.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

from galatea_async._download._folders import made_directory
from galatea_async._download._journal import Journal, open_regular
from galatea_async._download._sync import LockedFolder
from galatea_async._download._threads import run_blocking
from galatea_async.errors import GalateaError

__all__ = ["locked_folder"]

_LOCK_NAME = ".galatea-sync.lock"


@contextlib.asynccontextmanager
async def locked_folder(folder: Path) -> AsyncIterator[LockedFolder]:
    """``folder`` (created if missing) locked for one sync, its journal loaded before the
    caller lists anything."""
    started = time.monotonic()
    await made_directory(folder)
    async with _exclusive(folder):
        journal = await run_blocking(Journal.load, folder)
        yield LockedFolder(folder=folder, journal=journal, started=started)


@contextlib.asynccontextmanager
async def _exclusive(folder: Path) -> AsyncIterator[None]:
    """One sync at a time into a folder (POSIX advisory lock; elsewhere, no lock)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fd = await run_blocking(
        open_regular, folder / _LOCK_NAME, os.O_CREAT | os.O_RDWR, "the sync lock"
    )
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise GalateaError(
                f"another results.sync is writing into {folder} right now; wait for it to "
                f"finish (or, if none runs, remove {folder / _LOCK_NAME})"
            ) from None
        yield
    finally:
        os.close(fd)
