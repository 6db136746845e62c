"""The sync journal's open database: one caller at a time, rows committed in batches.

A commit is an fsync of SQLite's write-ahead log, and it writes every page its transaction
touched (about two pages an order, in the table and in its path index, whatever the number of
its rows), so rows committed together share that cost: ``write`` gathers rows into one
transaction, committed by ``commit``, or by ``write`` itself once the transaction holds
``COMMIT_ROWS`` rows or is ``COMMIT_SECONDS`` old. Measured on 2 busy cores, 20,000 rows into a
journal of as many (random order ids, 4 rows an order): a commit every 4 rows costs 560-750 us
of wall time and 13 KiB written a row, every 512 rows 80-190 us and 10 KiB, every 8,192 rows
40-50 us and 3.4 KiB (12-14 us of CPU). A row is durable once a commit returns; one lost to a
crash before that costs only a check of its file on the next run.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from galatea_async.errors import GalateaError

__all__ = ["StoreConnection"]


class StoreConnection:
    """The journal's open database: one caller at a time (calls come from worker threads),
    rows written into one transaction that is committed on ``commit``, and by ``write`` itself
    once it holds ``COMMIT_ROWS`` rows or is ``COMMIT_SECONDS`` old: a commit is an fsync and
    writes every page the transaction touched, so rows committed together share that cost.

    Each cursor is closed before its call returns: one that outlived it (held by anything
    that lists every object, as ``gc.get_objects()`` does) would reset SQLite's cached
    statement on whichever thread drops it, maybe while another call is stepping it."""

    COMMIT_ROWS = 8192
    COMMIT_SECONDS = 0.5

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self._connection = connection
        self._lock = threading.Lock()
        self._uncommitted = 0
        self._began = 0.0

    def write(self, statement: str, rows: Sequence[Sequence[object]]) -> None:
        """Write ``rows`` with ``statement`` in the open transaction (durable once committed)."""
        with self._lock, self._mapped_errors():
            if not self._connection.in_transaction:
                self._connection.execute("BEGIN").close()
                self._began = time.monotonic()
            self._connection.executemany(statement, rows).close()
            self._uncommitted += len(rows)
            if (
                self._uncommitted >= self.COMMIT_ROWS
                or time.monotonic() - self._began >= self.COMMIT_SECONDS
            ):
                self._commit()

    def read(self, statement: str, parameters: Sequence[object] = ()) -> list[Any]:
        """The rows ``statement`` selects (what this connection wrote included)."""
        with (
            self._lock,
            self._mapped_errors(),
            contextlib.closing(self._connection.execute(statement, parameters)) as cursor,
        ):
            return cursor.fetchall()

    def commit(self) -> None:
        """Every row written so far is durable when this returns."""
        with self._lock, self._mapped_errors():
            self._commit()

    def close(self) -> None:
        """Commit what was written, and close the database."""
        with self._lock:
            try:
                with self._mapped_errors():
                    self._commit()
            finally:
                self._connection.close()

    def _commit(self) -> None:
        if self._connection.in_transaction:
            self._connection.execute("COMMIT").close()
        self._uncommitted = 0

    @contextlib.contextmanager
    def _mapped_errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                if self._connection.in_transaction:
                    self._connection.execute("ROLLBACK").close()
            self._uncommitted = 0
            raise GalateaError(
                f"cannot use the sync journal {self.path}: {exc}; the files are in place, "
                "and the next run checks them again"
            ) from None
