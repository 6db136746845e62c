"""The journal of earlier versions, ``.galatea-manifest.jsonl``: read once, bounded, to import it.

Earlier versions of ``results.sync`` (and ``galatea results download-all``) kept one JSON line
per finished file: its key, its path relative to the folder, size and md5. A folder synced by
them is still known: the journal imports the file's trusted lines and then removes it. Reading
trusts nothing:

- the file must be a regular file, opened without following a link or blocking on a FIFO
  (``GalateaError`` otherwise); it is only read, never written;
- at most ``MAX_JOURNAL_BYTES`` are read in all and ``MAX_LINE_BYTES`` a line, and the lines
  stream through in batches of ``IMPORT_BATCH`` (never the whole file in memory);
- a line that is too long, not UTF-8, not JSON or not trusted (``is_recordable``) is skipped
  alone, so its file is fetched again.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from galatea_async._download._journal_file import open_regular
from galatea_async._download._journal_rules import JournalEntry, is_recordable

__all__ = [
    "IMPORT_BATCH",
    "LEGACY_JOURNAL_NAME",
    "MAX_JOURNAL_BYTES",
    "MAX_LINE_BYTES",
    "legacy_batches",
    "open_legacy",
]

LEGACY_JOURNAL_NAME = ".galatea-manifest.jsonl"
# Far above any real journal: a line is about 200 bytes, so a million files fit.
MAX_JOURNAL_BYTES = 256 << 20
MAX_LINE_BYTES = 8 << 10
IMPORT_BATCH = 2000


def open_legacy(folder: Path) -> IO[bytes] | None:
    """The earlier version's journal of ``folder``, open for reading, or None if there is none;
    ``GalateaError`` when it is not a regular file."""
    try:
        fd = open_regular(folder / LEGACY_JOURNAL_NAME, os.O_RDONLY, "the sync journal")
    except FileNotFoundError:
        return None
    return os.fdopen(fd, "rb")


def legacy_batches(handle: IO[bytes]) -> Iterator[list[tuple[str, JournalEntry]]]:
    """The trusted entries of an earlier version's journal, in file order, a batch at a time."""
    batch: list[tuple[str, JournalEntry]] = []
    for entry in _entries(handle):
        batch.append(entry)
        if len(batch) >= IMPORT_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def remove_legacy(folder: Path) -> None:
    """Remove the earlier version's journal once its lines are imported (only this name: a
    hard link elsewhere keeps its bytes)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(folder / LEGACY_JOURNAL_NAME)


def _entries(handle: IO[bytes]) -> Iterator[tuple[str, JournalEntry]]:
    """The trusted entries of a journal, read within ``MAX_JOURNAL_BYTES`` and
    ``MAX_LINE_BYTES`` a line; a line that is too long, not UTF-8, not JSON or untrusted is
    skipped alone."""
    remaining = MAX_JOURNAL_BYTES
    while remaining > 0:
        raw = handle.readline(min(MAX_LINE_BYTES + 1, remaining))
        if not raw:
            return
        remaining -= len(raw)
        if len(raw) > MAX_LINE_BYTES:
            if not raw.endswith(b"\n"):
                remaining -= _skip_line(handle, remaining)
            continue
        parsed = _parse(raw)
        if parsed is not None:
            yield parsed


def _skip_line(handle: IO[bytes], at_most: int) -> int:
    """Read past the rest of an overlong line (reading ``at_most`` bytes); how many it took."""
    used = 0
    while used < at_most:
        piece = handle.readline(min(MAX_LINE_BYTES, at_most - used))
        used += len(piece)
        if not piece or piece.endswith(b"\n"):
            break
    return used


def _parse(raw: bytes) -> tuple[str, JournalEntry] | None:
    try:
        data: Any = json.loads(raw.decode("utf-8"))
        key, path = data["key"], data["path"]
        size, md5 = data["size"], data["md5"]
    except (ValueError, KeyError, TypeError):
        return None
    if not all(isinstance(value, str) for value in (key, path, md5)):
        return None
    if not isinstance(size, int) or not is_recordable(key, path, size, md5):
        return None
    return key, JournalEntry(path=path, size=size, md5=md5)
