"""The journal's connection closes each cursor inside its call: a cursor that outlives the call
(held by anything that lists every object, as ``gc.get_objects()`` does) would otherwise reset
SQLite's cached statement when it finally goes, on whatever thread drops it, while another
call is using that statement (seen as "bad parameter or other API misuse" mid-sync)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from galatea_async._download._journal_connection import StoreConnection

SELECT = "SELECT n FROM numbers ORDER BY n"


class HoldingCursors:
    """A connection whose cursors are also kept elsewhere, as a list of every object keeps
    them."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self.held: list[sqlite3.Cursor] = []

    @property
    def in_transaction(self) -> bool:
        return self._connection.in_transaction

    def execute(self, *args: Any) -> sqlite3.Cursor:
        cursor = self._connection.execute(*args)
        self.held.append(cursor)
        return cursor

    def executemany(self, *args: Any) -> sqlite3.Cursor:
        cursor = self._connection.executemany(*args)
        self.held.append(cursor)
        return cursor

    def close(self) -> None:
        self._connection.close()


def test_every_cursor_of_a_journal_call_is_closed_before_the_call_returns(
    tmp_path: Path,
) -> None:
    connection = sqlite3.connect(tmp_path / "j.sqlite3", isolation_level=None)
    connection.execute("CREATE TABLE numbers (n INTEGER)")
    holding = HoldingCursors(connection)
    store = StoreConnection(tmp_path / "j.sqlite3", holding)  # type: ignore[arg-type]

    store.write("INSERT INTO numbers VALUES (?)", [(n,) for n in range(5)])
    store.commit()
    assert store.read(SELECT) == [(n,) for n in range(5)]

    assert len(holding.held) == 4  # BEGIN, the rows, COMMIT, the reading
    for cursor in holding.held:
        with pytest.raises(sqlite3.ProgrammingError, match="closed cursor"):
            cursor.fetchall()
