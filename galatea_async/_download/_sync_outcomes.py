"""A ``results.sync`` report whose outcomes live in the journal, not in memory.

A run logs each file it kept or downloaded as a row of the journal's outcome table
(``RunLog``), in the journal's batched transactions, and counts files and bytes as it goes;
``SyncReport.downloaded`` and ``.skipped`` are then read-only sequences over those rows
(``StoredOutcomes``): their length is known, and indexing or iterating reads the rows back in
chunks of ``StoredOutcomes.CHUNK``, so a report of a million files costs memory for one chunk.
The journal keeps the rows of the last two runs: a report stays readable until the second
sync after it starts in the same folder; then reading it raises ``GalateaError`` (its
``to_dict()`` taken before keeps everything).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, overload

import attrs

from galatea_async._download._batch import DownloadOutcome
from galatea_async._download._journal_connection import StoreConnection
from galatea_async._download._journal_file import open_store_for_reading
from galatea_async._download._journal_rules import OutcomeRow, outcome_of_row, outcome_row
from galatea_async.errors import GalateaError

__all__ = ["RunLog", "StoredOutcomes", "SyncReport"]

_DOWNLOADED, _SKIPPED = 0, 1
_KIND_NAMES = {_DOWNLOADED: "downloaded", _SKIPPED: "skipped"}
_INSERT = (
    "INSERT INTO outcomes (run, kind, position, order_id, result_type, pdf_request_id, path, "
    "size, md5) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@attrs.frozen
class SyncReport:
    """What a ``results.sync`` run did.

    ``downloaded`` and ``skipped`` are read-only sequences of ``DownloadOutcome`` (``len``,
    indexing, slicing to a list, ``for``, ``==`` against a list): their rows stay in the
    folder's journal, so a report costs the same memory at any size. They are read back from
    the journal, which keeps the rows of the last two runs: read a report (or keep its
    ``to_dict()``) before the second sync after it starts in the same folder; reading it
    later raises ``GalateaError``.

    :ivar downloaded: The files fetched.
    :ivar skipped: The files already complete (from the journal, or a complete copy found at
        their name).
    :ivar failed: The items that failed; each outcome holds its error.
    :ivar downloaded_bytes: The sizes of the files fetched, added up.
    :ivar skipped_bytes: The sizes of the files already complete, added up.
    :ivar seconds: How long the whole run took, listing included.
    """

    downloaded: Sequence[DownloadOutcome]
    skipped: Sequence[DownloadOutcome]
    failed: list[DownloadOutcome]
    downloaded_bytes: int
    skipped_bytes: int
    seconds: float

    @property
    def ok(self) -> bool:
        """Whether every file is there."""
        return not self.failed

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: each list's outcomes (``DownloadOutcome.to_dict``), totals and seconds."""
        return {
            "downloaded": [outcome.to_dict() for outcome in self.downloaded],
            "skipped": [outcome.to_dict() for outcome in self.skipped],
            "failed": [outcome.to_dict() for outcome in self.failed],
            "downloaded_bytes": self.downloaded_bytes,
            "skipped_bytes": self.skipped_bytes,
            "seconds": self.seconds,
        }


class RunLog:
    """One run's outcomes, logged into the journal's outcome table (blocking, like the
    journal), with its counts and byte totals kept as numbers."""

    def __init__(self, store: StoreConnection, folder: Path, run_id: int) -> None:
        self._store = store
        self._rows = _RunRows(store.path, folder, run_id)
        self._counts = {_DOWNLOADED: 0, _SKIPPED: 0}
        self._bytes = {_DOWNLOADED: 0, _SKIPPED: 0}
        self._positions = threading.Lock()  # callers log from several worker threads

    def kept(self, outcomes: Iterable[DownloadOutcome]) -> None:
        """Log files found complete (``skipped``); durable with the journal's next commit.

        ``ValueError`` for an outcome without a file at ``folder/<order_id>/<name>``.
        """
        self._log(_SKIPPED, outcomes)

    def downloaded(self, outcomes: Iterable[DownloadOutcome]) -> None:
        """Log files fetched, as ``kept`` does."""
        self._log(_DOWNLOADED, outcomes)

    def journalled(self, rows: Iterable[OutcomeRow]) -> None:
        """Log files kept because the journal holds them intact, as rows made from their
        trusted journal entries (``Journal.lookup``): a rerun builds no outcome or path per
        file it keeps."""
        self._log_rows(_SKIPPED, list(rows))

    def report(self, failed: Sequence[DownloadOutcome], seconds: float) -> SyncReport:
        """The run's report (its logged rows committed first; call it before the journal is
        closed); ``failed`` stays in memory."""
        self._store.commit()
        return SyncReport(
            downloaded=StoredOutcomes(self._rows, _DOWNLOADED, self._counts[_DOWNLOADED]),
            skipped=StoredOutcomes(self._rows, _SKIPPED, self._counts[_SKIPPED]),
            failed=list(failed),
            downloaded_bytes=self._bytes[_DOWNLOADED],
            skipped_bytes=self._bytes[_SKIPPED],
            seconds=seconds,
        )

    def _log(self, kind: int, outcomes: Iterable[DownloadOutcome]) -> None:
        self._log_rows(kind, [outcome_row(self._rows.folder, outcome) for outcome in outcomes])

    def _log_rows(self, kind: int, logged: list[OutcomeRow]) -> None:
        if not logged:
            return
        run_id = self._rows.run_id
        with self._positions:
            first = self._counts[kind]
            rows = [(run_id, kind, first + n, *row) for n, row in enumerate(logged)]
            self._store.write(_INSERT, rows)
            self._counts[kind] += len(rows)
            self._bytes[kind] += sum(row[4] for row in logged)


class StoredOutcomes(Sequence[DownloadOutcome]):
    """Outcomes of one run read back from the journal: a read-only sequence whose length is
    known and whose rows are read in chunks (a small blocking read per chunk)."""

    CHUNK = 512

    def __init__(self, rows: _RunRows, kind: int, count: int) -> None:
        self._rows = rows
        self._kind = kind
        self._count = count
        self._cached: tuple[int, list[DownloadOutcome]] = (0, [])

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> DownloadOutcome: ...

    @overload
    def __getitem__(self, index: slice) -> list[DownloadOutcome]: ...

    def __getitem__(self, index: int | slice) -> DownloadOutcome | list[DownloadOutcome]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._count)
            if step == 1:
                return [outcome for n, outcome in self._between(start, stop)]
            return [self[n] for n in range(start, stop, step)]
        position = index + self._count if index < 0 else index
        if not 0 <= position < self._count:
            raise IndexError("outcome index out of range")
        start, chunk = self._cached
        if not start <= position < start + len(chunk):
            start = position - position % self.CHUNK
            chunk = self._rows.read(self._kind, start, min(start + self.CHUNK, self._count))
            self._cached = (start, chunk)
        return chunk[position - start]

    def __iter__(self) -> Iterator[DownloadOutcome]:
        for _, outcome in self._between(0, self._count):
            yield outcome

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)):
            return NotImplemented
        if len(other) != self._count:
            return False
        return all(mine == theirs for mine, theirs in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{self._count} {_KIND_NAMES[self._kind]} outcomes of a results.sync run>"

    def _between(self, start: int, stop: int) -> Iterator[tuple[int, DownloadOutcome]]:
        for first in range(start, stop, self.CHUNK):
            last = min(first + self.CHUNK, stop)
            yield from enumerate(self._rows.read(self._kind, first, last), first)


@attrs.frozen
class _RunRows:
    """Where a run's outcome rows are: the journal's file, the folder, the run's id."""

    path: Path
    folder: Path
    run_id: int

    def read(self, kind: int, start: int, stop: int) -> list[DownloadOutcome]:
        """Outcomes ``start`` to ``stop`` (exclusive) of ``kind``; ``GalateaError`` when the
        journal no longer holds them all."""
        try:
            with contextlib.closing(open_store_for_reading(self.path)) as connection:
                if not connection.execute(
                    "SELECT 1 FROM runs WHERE id = ?", (self.run_id,)
                ).fetchall():
                    raise self._gone()
                rows = connection.execute(
                    "SELECT order_id, result_type, pdf_request_id, path, size, md5 FROM outcomes"
                    " WHERE run = ? AND kind = ? AND position >= ? AND position < ?"
                    " ORDER BY position",
                    (self.run_id, kind, start, stop),
                ).fetchall()
        except (FileNotFoundError, sqlite3.Error):
            raise self._gone() from None
        outcomes = [outcome_of_row(self.folder, row, kind == _SKIPPED) for row in rows]
        found = [outcome for outcome in outcomes if outcome is not None]
        if len(found) != stop - start:
            raise GalateaError(
                f"the outcomes of this results.sync report are damaged in {self.path}; run "
                "the sync again for a new report"
            )
        return found

    def _gone(self) -> GalateaError:
        return GalateaError(
            f"the outcomes of this results.sync report are no longer in {self.path}: the "
            "journal keeps those of the last two runs, and a later sync into "
            f"{self.folder} removed them; read a report (or keep its to_dict()) before the "
            "second sync after it"
        )
