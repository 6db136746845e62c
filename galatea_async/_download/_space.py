"""Whether a download fits on its file system, asked before anything is written."""

from __future__ import annotations

import shutil
from pathlib import Path

from galatea_async.errors import GalateaError

__all__ = ["check_free_space", "readable_size"]


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
