"""The sync journal as a store: rows found by key and by path, recorded in batches, durable on
commit, and only trusted rows believed."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from galatea_async._download._journal import JOURNAL_NAME, Journal, JournalEntry
from galatea_async._download._journal_connection import StoreConnection
from galatea_async._download._journal_rules import path_hash

A, B = "a" * 8 + "-0000-0000-0000-000000000001", "b" * 8 + "-0000-0000-0000-000000000002"
MD5 = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    opened = Journal.load(tmp_path)
    try:
        yield opened
    finally:
        opened.close()


def raw(folder: Path) -> sqlite3.Connection:
    """A connection of the test's own to the journal's database."""
    return sqlite3.connect(folder / JOURNAL_NAME, isolation_level=None)


def test_a_recorded_file_is_found_by_key_after_a_reload(tmp_path: Path, journal: Journal) -> None:
    journal.record(f"{A}/SUMMARY_CHROMS", f"{A}/summary.tsv", 10, MD5)
    journal.record(f"{A}/SUMMARY_CHROMS", f"{A}/summary.tsv", 10, "again")
    journal.close()
    reloaded = Journal.load(tmp_path)
    try:
        found = reloaded.lookup([f"{A}/SUMMARY_CHROMS", f"{B}/SUMMARY_CHROMS"])
    finally:
        reloaded.close()
    assert found == {f"{A}/SUMMARY_CHROMS": JournalEntry(f"{A}/summary.tsv", 10, "again")}


def test_the_journal_file_is_private(tmp_path: Path, journal: Journal) -> None:
    journal.record(f"{A}/SUMMARY_CHROMS", f"{A}/a.tsv", 3, MD5)
    journal.commit()
    for path in tmp_path.iterdir():
        assert path.stat().st_mode & 0o777 == 0o600, path.name


def test_lookup_takes_any_number_of_keys(journal: Journal) -> None:
    orders = [str(uuid.UUID(int=n + 1)) for n in range(1200)]
    for order_id in orders:
        journal.record(f"{order_id}/SUMMARY_CHROMS", f"{order_id}/s.tsv", 1, MD5)
    wanted = [f"{order_id}/SUMMARY_CHROMS" for order_id in orders] + [f"{A}/SUMMARY_CHROMS"]
    assert sorted(journal.lookup(wanted)) == sorted(wanted[:-1])


def test_the_owner_of_a_path_is_the_key_journalled_there_as_file_systems_compare(
    journal: Journal,
) -> None:
    journal.record(f"{A}/SUMMARY_CHROMS", f"{A}/Résumé.tsv", 3, MD5)
    assert journal.owner_of(f"{A}/Résumé.tsv") == f"{A}/SUMMARY_CHROMS"
    assert journal.owner_of(f"{A}/re\u0301sume\u0301.TSV") == f"{A}/SUMMARY_CHROMS"
    assert journal.owner_of(f"{A}/other.tsv") is None
    assert journal.owner_of(f"{B}/Résumé.tsv") is None


def test_one_path_has_one_key(journal: Journal) -> None:
    journal.record(f"{A}/SUMMARY_CHROMS", f"{A}/Report.tsv", 3, MD5)
    journal.record(f"{A}/DETAILED_CHROMS", f"{A}/report.TSV", 3, MD5)
    keys = [f"{A}/SUMMARY_CHROMS", f"{A}/DETAILED_CHROMS"]
    assert list(journal.lookup(keys)) == [f"{A}/DETAILED_CHROMS"]  # the latest says whose
    journal.record(f"{A}/SUMMARY_CHROMS", f"{A}/Report.tsv", 3, MD5)
    assert list(journal.lookup(keys)) == [f"{A}/SUMMARY_CHROMS"]


def test_recording_a_path_outside_its_order_folder_is_refused(
    tmp_path: Path, journal: Journal
) -> None:
    with pytest.raises(ValueError, match="not a place for"):
        journal.record(f"{A}/SUMMARY_CHROMS", "../victim.txt", 3, MD5)
    journal.close()
    assert raw(tmp_path).execute("SELECT count(*) FROM files").fetchone() == (0,)


def test_rows_that_are_not_their_keys_own_file_are_never_believed(
    tmp_path: Path, journal: Journal
) -> None:
    journal.close()
    with raw(tmp_path) as connection:  # written past record's check, as a tampered file is
        for key, path in [
            (f"{A}/SUMMARY_CHROMS", "../outside/victim.txt"),
            (f"{A}/DETAILED_CHROMS", f"{B}/b.tsv"),
            ("../SUMMARY_CHROMS", "../a.tsv"),
        ]:
            connection.execute(
                "INSERT INTO files VALUES (?, ?, ?, 3, ?)", (key, path, path_hash(path), MD5)
            )
    reloaded = Journal.load(tmp_path)
    try:
        keys = [f"{A}/SUMMARY_CHROMS", f"{A}/DETAILED_CHROMS", "../SUMMARY_CHROMS"]
        assert reloaded.lookup(keys) == {}
        assert reloaded.owner_of(f"{B}/b.tsv") is None
        assert reloaded.entries == {}
    finally:
        reloaded.close()


def test_recorded_rows_reach_the_file_on_commit_not_before(
    tmp_path: Path, journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(StoreConnection, "COMMIT_SECONDS", 3600.0)
    journal.record(f"{A}/SUMMARY_CHROMS", f"{A}/a.tsv", 3, MD5)
    reader = raw(tmp_path)
    try:
        assert reader.execute("SELECT count(*) FROM files").fetchone() == (0,)
        journal.commit()
        assert reader.execute("SELECT count(*) FROM files").fetchone() == (1,)
    finally:
        reader.close()


def test_rows_are_committed_in_batches_of_a_bounded_size(
    tmp_path: Path, journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(StoreConnection, "COMMIT_SECONDS", 3600.0)
    monkeypatch.setattr(StoreConnection, "COMMIT_ROWS", 10)
    for n in range(25):
        order_id = str(uuid.UUID(int=n + 1))
        journal.record(f"{order_id}/SUMMARY_CHROMS", f"{order_id}/s.tsv", 1, MD5)
    reader = raw(tmp_path)
    try:
        assert reader.execute("SELECT count(*) FROM files").fetchone() == (20,)
    finally:
        reader.close()


def test_the_database_is_a_write_ahead_log_so_a_commit_is_one_fsync(
    tmp_path: Path, journal: Journal
) -> None:
    journal.commit()
    header = (tmp_path / JOURNAL_NAME).read_bytes()[:20]
    assert header[:16] == b"SQLite format 3\x00"
    assert (header[18], header[19]) == (2, 2)  # WAL read and write versions


def test_calls_from_many_threads_are_served_one_at_a_time(journal: Journal) -> None:
    orders = [str(uuid.UUID(int=n + 1)) for n in range(400)]

    def record(order_id: str) -> None:
        journal.record(f"{order_id}/SUMMARY_CHROMS", f"{order_id}/s.tsv", 1, MD5)
        journal.owner_of(f"{order_id}/s.tsv")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(record, orders))
    journal.commit()
    assert len(journal.lookup([f"{order_id}/SUMMARY_CHROMS" for order_id in orders])) == 400


def test_closing_twice_is_harmless(journal: Journal) -> None:
    journal.close()
    journal.close()
