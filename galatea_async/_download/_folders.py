"""The folders downloads write into, created one way (like ``mkdir -p``), off the event loop."""

from __future__ import annotations

import os
from pathlib import Path

from galatea_async._download._target import Destination, plan_destination
from galatea_async._download._threads import run_blocking

__all__ = ["destination_of", "made_directory", "make_directories"]


def make_directories(directory: Path) -> None:
    """``directory`` and any missing parents (blocking); one already there is left as it is."""
    directory.mkdir(parents=True, exist_ok=True)


async def made_directory(directory: Path) -> Path:
    """``directory``, created with any missing parents."""
    await run_blocking(make_directories, directory)
    return directory


def _destination(dest: str | os.PathLike[str]) -> Destination:
    destination = plan_destination(dest, is_directory=os.path.isdir(dest))
    make_directories(destination.directory)
    return destination


async def destination_of(dest: str | os.PathLike[str]) -> Destination:
    """The ``Destination`` ``dest`` names (a directory, or a file path), its directory created
    if missing: the one look at the disk a single download makes before it starts."""
    return await run_blocking(_destination, dest)
