"""Whether a download may be written where it goes (its name free, its file system roomy
enough), asked before anything is written."""

from __future__ import annotations

import shutil
from pathlib import Path

from galatea_async._download._files import refuse_existing
from galatea_async.errors import GalateaError

__all__ = ["check_free_space", "look_before_writing", "readable_size"]


def check_free_space(directory: Path, needed: int, label: str) -> None:
    """Raise ``GalateaError`` naming both sizes if ``directory``'s file system has fewer than
    ``needed`` bytes free (blocking: one ``statvfs``)."""
    try:
        free = shutil.disk_usage(directory).free
    except OSError:
        return  # a file system that cannot tell: the writes will say
    if needed > free:
        raise GalateaError(
            f"the download of {label} needs {needed} bytes ({readable_size(needed)}) but the file "
            f"system of {directory} has {free} bytes ({readable_size(free)}) free; nothing was "
            "written. Free some space or download into another folder"
        )


def readable_size(size: int) -> str:
    """``size`` in binary units, for messages (``909.5 TiB``)."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024 or unit == "PiB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{size} B"
        value /= 1024
    raise AssertionError("unreachable")


def look_before_writing(target: Path, refuse: bool, needed: int | None, label: str) -> None:
    """Raise if ``refuse`` and ``target`` exists, or if its file system lacks ``needed``
    bytes (blocking)."""
    if refuse:
        refuse_existing(target)
    if needed is not None:
        check_free_space(target.parent, needed, label)
