"""Pure rules for resuming an SFTP upload from the partial file already on the server.

The rules, like OpenSSH's ``reput`` with a check added:

- One local file is written under one remote partial name, derived from the file's name, size
  and modification time (``partial_name`` in ``_sftp_paths``), so a different file never
  continues another's partial.
- A partial that is empty, or longer than the local file, is started again from byte 0.
- Otherwise the last stretch of the partial (``RESUME_CHECK_BYTES``, or the writes that can be
  in flight when a connection drops, whichever is larger) is read back and compared with the
  local bytes at that offset: equal, the upload continues after it; different, from byte 0.
  A server that applies writes out of order leaves any hole inside that stretch, where it
  reads as zeros and fails the comparison.
- Partials of the same remote name not touched for ``STALE_PARTIAL_SECONDS`` are removed by
  the next upload of that name, the upload's own partial included (then it starts from 0).

Nothing here does I/O; ``_sftp_transfer`` reads, compares and writes.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from galatea_async._sftp_paths import is_partial_of

__all__ = [
    "RESUME_CHECK_BYTES",
    "STALE_PARTIAL_SECONDS",
    "RemoteEntry",
    "Stretch",
    "resume_offset",
    "stale_partials",
    "stretch_to_compare",
]

RESUME_CHECK_BYTES = 1024 * 1024
STALE_PARTIAL_SECONDS = 7 * 24 * 3600


@attrs.frozen
class Stretch:
    """``length`` bytes from ``offset``: the part of a partial to read back and compare."""

    offset: int
    length: int

    @property
    def end(self) -> int:
        return self.offset + self.length


@attrs.frozen
class RemoteEntry:
    """A file in the remote folder: its name and when it was last written (epoch seconds)."""

    name: str
    modified: float


def stretch_to_compare(
    partial_size: int | None, local_size: int, *, in_flight: int = 0
) -> Stretch | None:
    """What to read back from a partial of ``partial_size`` bytes; None: start from byte 0.

    ``in_flight`` is the most bytes that can be written but not acknowledged at once.
    """
    if partial_size is None or partial_size <= 0 or partial_size > local_size:
        return None
    length = min(partial_size, max(RESUME_CHECK_BYTES, in_flight))
    return Stretch(partial_size - length, length)


def resume_offset(stretch: Stretch | None, local_bytes: bytes, remote_bytes: bytes) -> int:
    """Where the upload continues: after ``stretch`` if both sides read the same, else 0."""
    if stretch is None or len(local_bytes) != stretch.length or local_bytes != remote_bytes:
        return 0
    return stretch.end


def stale_partials(
    entries: Iterable[RemoteEntry],
    name: str,
    *,
    now: float,
    max_age: float = STALE_PARTIAL_SECONDS,
) -> list[str]:
    """The partials of ``name`` among ``entries`` untouched for more than ``max_age`` seconds."""
    return sorted(
        entry.name
        for entry in entries
        if is_partial_of(entry.name, name) and now - entry.modified > max_age
    )
