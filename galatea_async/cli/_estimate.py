"""What the overall progress bar of a batch says: how far, in which unit, and the time left.

Pure: the counts and rates come in, the display decision goes out. The API lists no result
sizes, so a batch's byte total is known only once every file has started: until then the bar
counts files and the time left comes from how fast files finish; from then on it counts bytes
and the time left comes from the byte rate. It never extrapolates a byte total from the files
seen so far: that would say "3 s left" with half the bytes still to come.
"""

from __future__ import annotations

from typing import Literal

import attrs

__all__ = ["BatchCounts", "Overall", "binary_size", "overall_progress"]


@attrs.frozen
class BatchCounts:
    """Where a batch stands. Failed files are out of every count but ``failed``."""

    total_files: int  # files this run transfers
    finished: int
    failed: int
    sized: int  # files, running or finished, whose size is known
    sized_bytes: int  # the sum of those sizes
    done_bytes: int  # bytes received so far by running and finished files


@attrs.frozen
class Overall:
    """What the overall bar shows."""

    unit: Literal["files", "bytes"]
    completed: int
    total: int
    seconds_left: float | None  # None: not known yet


def overall_progress(
    counts: BatchCounts, *, files_per_second: float | None, bytes_per_second: float | None
) -> Overall:
    """The overall bar: bytes once every file's size is known, files until then."""
    wanted = max(counts.total_files - counts.failed, 0)
    if wanted and counts.sized >= wanted:
        left = max(counts.sized_bytes - counts.done_bytes, 0)
        seconds = left / bytes_per_second if bytes_per_second else None
        return Overall("bytes", counts.done_bytes, counts.sized_bytes, 0.0 if not left else seconds)
    pending = max(wanted - counts.finished, 0)
    seconds = pending / files_per_second if files_per_second and counts.finished else None
    return Overall("files", counts.finished, wanted, seconds)


_UNITS = ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB")


def binary_size(size: float) -> str:
    """``size`` bytes in binary units, as the batch summary counts them (``12.3 MiB``)."""
    if abs(size) < 1024:
        return f"{int(size)} bytes"
    unit = 0
    while abs(size) >= 1024 and unit < len(_UNITS) - 1:
        size /= 1024
        unit += 1
    return f"{size:.1f} {_UNITS[unit]}"
