"""The journal ``results.sync`` keeps in its folder: which files are finished, and what they are.

``.galatea-journal.sqlite3`` (SQLite, opened and checked by ``_journal_file.py``) holds a row
per finished file: its key (``<order_id>/<RESULT_TYPE>``, or ``<order_id>/PDF_REPORT/<report_id>``
for one PDF report), its path relative to the folder, size and md5, found by key or by path
through indexes, so a run reads only the rows of the slice it plans and memory does not grow
with the folder. It also holds the outcome rows of the last two runs, which a ``SyncReport``
reads back (``_sync_outcomes.py``).

A row is recorded only once its file is durable; rows are written in batches, one transaction
(one fsync of SQLite's write-ahead log) per ``commit``, and are durable once it returns. Every
method blocks: the caller runs it in a worker thread (``run_blocking``), from any thread, one
call at a time being served.

The folder may have been tampered with, so the journal trusts nothing it reads:

- a row counts only when its path is its key's own file, ``<order_id>/<name>`` in that key's
  order folder (``is_trusted_line``); any other row is ignored, so its file is fetched again;
- the database is a regular file of its own, never followed through a link, and a damaged or
  foreign one is set aside with a warning (``_journal_file.py``);
- one path has one key: a key recorded for a path drops any other key of that path (paths
  compared as file systems do, ``name_key``);
- a folder synced by an earlier version (``.galatea-manifest.jsonl``) has its trusted lines
  imported once, in bounded batches, and that file is removed only after the import is
  committed (``_journal_legacy.py``).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from galatea_async._download._journal_connection import StoreConnection
from galatea_async._download._journal_file import (
    JOURNAL_NAME,
    open_regular,
    open_store,
    remove_stale_copies,
)
from galatea_async._download._journal_legacy import legacy_batches, open_legacy, remove_legacy
from galatea_async._download._journal_rules import (
    JournalEntry,
    OutcomeRow,
    is_recordable,
    is_trusted_line,
    path_hash,
)
from galatea_async._download._names import name_key
from galatea_async._download._sync_outcomes import RunLog

__all__ = [
    "JOURNAL_NAME",
    "Journal",
    "JournalEntry",
    "OutcomeRow",
    "RunLog",
    "is_trusted_line",
    "open_regular",
]

# SQLite before 3.32 takes at most 999 parameters in one statement.
_KEYS_PER_QUERY = 500
_RECORD = "INSERT OR REPLACE INTO files (key, path, path_hash, size, md5) VALUES (?, ?, ?, ?, ?)"
_SELECT = "SELECT key, path, size, md5 FROM files"
_BY_PATH = f"{_SELECT} WHERE substr(key, 1, 36) = ? AND path_hash = ?"  # files_by_path
# A run keeps the outcome rows of the run before it, so the report a caller still holds from
# that run stays readable; older ones go.
_PRUNE = (
    "DELETE FROM outcomes WHERE run NOT IN (SELECT id FROM runs ORDER BY number DESC LIMIT 1)",
    "DELETE FROM runs WHERE id NOT IN (SELECT id FROM runs ORDER BY number DESC LIMIT 1)",
)


class Journal:
    """The finished files of one folder (blocking: use it from a worker thread)."""

    def __init__(self, folder: Path, store: StoreConnection) -> None:
        self.folder = folder
        self._store = store
        self._closed = False

    @property
    def path(self) -> Path:
        """The journal's database file."""
        return self._store.path

    @classmethod
    def load(cls, folder: Path) -> Journal:
        """The folder's journal, created if missing, with an earlier version's journal imported.

        ``GalateaError`` if the journal (or the earlier one) is not a regular file. Temporaries
        a killed run left are removed.
        """
        legacy = open_legacy(folder)
        try:
            path = folder / JOURNAL_NAME
            journal = cls(folder, StoreConnection(path, open_store(path)))
            if legacy is not None:
                try:
                    journal._import(legacy)
                except BaseException:
                    journal.close()
                    raise
        finally:
            if legacy is not None:
                legacy.close()
        remove_stale_copies(folder)
        return journal

    def lookup(self, keys: Sequence[str]) -> dict[str, JournalEntry]:
        """The trusted entries of those ``keys`` the journal holds (any number of keys)."""
        found: dict[str, JournalEntry] = {}
        for start in range(0, len(keys), _KEYS_PER_QUERY):
            chunk = list(keys[start : start + _KEYS_PER_QUERY])
            marks = ", ".join("?" * len(chunk))
            rows = self._store.read(f"{_SELECT} WHERE key IN ({marks})", chunk)
            found.update(_trusted_entries(rows))
        return found

    def owner_of(self, relative: str) -> str | None:
        """The key journalled at ``relative`` (``<order_id>/<name>``, compared as file systems
        compare names), or None."""
        order_id = relative.partition("/")[0]
        rows = self._store.read(_BY_PATH, [order_id, path_hash(relative)])
        wanted = name_key(relative)
        owners = _trusted_entries(rows).items()
        return next((key for key, entry in owners if name_key(entry.path) == wanted), None)

    def record(self, key: str, relative: str, size: int, md5: str) -> None:
        """Add a finished file (``relative`` to the folder); durable at the next ``commit``.

        ``ValueError`` for a path that is not ``key``'s own (or a row the journal cannot hold).
        """
        if not is_recordable(key, relative, size, md5):
            raise ValueError(f"{relative!r} is not a place for {key!r}")
        self._store.write(_RECORD, [(key, relative, path_hash(relative), size, md5)])

    def commit(self) -> None:
        """Every row recorded so far is durable when this returns."""
        self._store.commit()

    def start_run(self) -> RunLog:
        """A new run's outcome log; outcome rows older than the previous run's are removed."""
        run_id = secrets.randbits(62)  # never one of another database's, if this one is replaced
        for statement in _PRUNE:
            self._store.write(statement, [()])
        self._store.write("INSERT INTO runs (id) VALUES (?)", [(run_id,)])
        self._store.commit()
        return RunLog(self._store, self.folder, run_id)

    def close(self) -> None:
        """Commit what was recorded and close the database (idempotent)."""
        if not self._closed:
            self._closed = True
            self._store.close()

    @property
    def entries(self) -> dict[str, JournalEntry]:
        """Every trusted entry, loaded whole: for small folders and tests only (``lookup``
        reads a slice)."""
        return dict(_trusted_entries(self._store.read(_SELECT)))

    def _import(self, legacy: IO[bytes]) -> None:
        """Import an earlier version's journal (later lines win), then remove it."""
        for batch in legacy_batches(legacy):
            rows = [(k, e.path, path_hash(e.path), e.size, e.md5) for k, e in batch]
            self._store.write(_RECORD, rows)
        self._store.commit()
        remove_legacy(self.folder)


def _trusted_entries(rows: list[tuple[object, ...]]) -> dict[str, JournalEntry]:
    """The rows that may be believed, as entries by key."""
    found: dict[str, JournalEntry] = {}
    for key, path, size, md5 in rows:
        if (
            isinstance(key, str)
            and isinstance(path, str)
            and isinstance(size, int)
            and isinstance(md5, str)
            and is_trusted_line(key, path)
        ):
            found[key] = JournalEntry(path=path, size=size, md5=md5)
    return found
