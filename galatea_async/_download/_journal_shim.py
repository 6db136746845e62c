"""The journal interface ``results.sync`` is written against, over the JSON-lines journal.

A bridge until the indexed journal provides the same names (``lookup``, ``owner_of``,
``record``, ``commit``, ``start_run``): it holds the run's outcomes in memory, as the
JSON-lines journal holds its entries. Every method is blocking.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from galatea_async._download._batch import DownloadOutcome
from galatea_async._download._journal import Journal as _LinesJournal
from galatea_async._download._journal import JournalEntry
from galatea_async._download._names import name_key
from galatea_async._download._sync_report import SyncReport

__all__ = ["Journal", "JournalEntry", "RunLog"]


class RunLog:
    """This run's outcomes: files kept and files downloaded, and their bytes."""

    def __init__(self) -> None:
        self._kept: list[DownloadOutcome] = []
        self._downloaded: list[DownloadOutcome] = []

    def kept(self, outcomes: Sequence[DownloadOutcome]) -> None:
        """Files already complete."""
        self._kept.extend(outcomes)

    def downloaded(self, outcomes: Sequence[DownloadOutcome]) -> None:
        """Files fetched and durable."""
        self._downloaded.extend(outcomes)

    def report(self, failed: list[DownloadOutcome], started: float) -> SyncReport:
        """The run's report, ``started`` being its ``time.monotonic()`` start."""
        return SyncReport(
            downloaded=self._downloaded,
            skipped=self._kept,
            failed=failed,
            downloaded_bytes=sum(o.size or 0 for o in self._downloaded),
            skipped_bytes=sum(o.size or 0 for o in self._kept),
            seconds=time.monotonic() - started,
        )


class Journal:
    """The finished files of one folder."""

    def __init__(self, lines: _LinesJournal) -> None:
        self._lines = lines

    @classmethod
    def load(cls, folder: Path) -> Journal:
        """The folder's journal."""
        return cls(_LinesJournal.load(folder))

    def lookup(self, keys: Sequence[str]) -> dict[str, JournalEntry]:
        """The trusted entries of ``keys`` that the journal has."""
        entries = self._lines.entries
        return {key: entries[key] for key in keys if key in entries}

    def owner_of(self, relative: str) -> str | None:
        """The key journalled at ``<order_id>/<name>``, if any."""
        return self._lines._key_of_path.get(name_key(relative))

    def record(self, key: str, relative: str, size: int, md5: str) -> None:
        """Add a finished file."""
        self._lines.record(key, relative, size, md5)

    def commit(self) -> None:
        """Every recorded row is appended already."""

    def start_run(self) -> RunLog:
        """This run's outcome log."""
        return RunLog()

    def close(self) -> None:
        """Rewrite the journal compactly."""
        self._lines.close()
