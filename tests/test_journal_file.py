"""The journal's database file: a regular file of its own, never followed, checked before use;
one that cannot be trusted is set aside with a warning and the run starts afresh."""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

import pytest

import galatea_async._download._journal_file as journal_file
from galatea_async._download._journal import JOURNAL_NAME, Journal, JournalEntry
from galatea_async.errors import GalateaError

A = "a" * 8 + "-0000-0000-0000-000000000001"
KEY = f"{A}/SUMMARY_CHROMS"
MD5 = "0123456789abcdef0123456789abcdef"


def journal_with_a_row(folder: Path) -> None:
    journal = Journal.load(folder)
    journal.record(KEY, f"{A}/a.tsv", 3, MD5)
    journal.close()


def entries_of(folder: Path) -> dict[str, JournalEntry]:
    journal = Journal.load(folder)
    try:
        return journal.entries
    finally:
        journal.close()


def set_aside(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".unusable-" in p.name)


@pytest.mark.parametrize("kind", ["symlink", "fifo", "directory"])
def test_a_journal_that_is_not_a_regular_file_is_refused(tmp_path: Path, kind: str) -> None:
    journal = tmp_path / JOURNAL_NAME
    if kind == "symlink":
        journal.symlink_to(tmp_path / "elsewhere")
    elif kind == "fifo":
        os.mkfifo(journal)
    else:
        journal.mkdir()
    with pytest.raises(GalateaError, match=r"symbolic link|not a regular file") as caught:
        Journal.load(tmp_path)
    assert JOURNAL_NAME in str(caught.value)
    assert not (tmp_path / "elsewhere").exists()


def test_a_hard_linked_journal_is_copied_to_a_file_of_its_own(tmp_path: Path) -> None:
    folder = tmp_path / "dest"
    folder.mkdir()
    journal_with_a_row(folder)
    outside = tmp_path / "outside.sqlite3"
    os.link(folder / JOURNAL_NAME, outside)
    before = outside.read_bytes()
    journal = Journal.load(folder)
    try:
        journal.record(f"{A}/DETAILED_CHROMS", f"{A}/b.tsv", 4, MD5)
        journal.commit()
        assert sorted(journal.entries) == [f"{A}/DETAILED_CHROMS", KEY]
    finally:
        journal.close()
    assert os.stat(folder / JOURNAL_NAME).st_nlink == 1
    assert outside.read_bytes() == before
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize("suffix", ["-journal", "-wal", "-shm"])
def test_a_planted_side_file_link_is_removed_never_written_through(
    tmp_path: Path, suffix: str
) -> None:
    folder = tmp_path / "dest"
    folder.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (folder / (JOURNAL_NAME + suffix)).symlink_to(victim)
    journal_with_a_row(folder)
    assert victim.read_text() == "precious"
    assert not (folder / (JOURNAL_NAME + suffix)).is_symlink()
    assert entries_of(folder) == {KEY: JournalEntry(f"{A}/a.tsv", 3, MD5)}


def test_a_hard_linked_side_file_is_removed_never_written_through(tmp_path: Path) -> None:
    folder = tmp_path / "dest"
    folder.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    os.link(victim, folder / (JOURNAL_NAME + "-wal"))
    journal_with_a_row(folder)
    assert victim.read_text() == "precious"
    assert victim.stat().st_nlink == 1


@pytest.mark.parametrize("damage", ["garbage", "truncated-header", "foreign", "trigger", "rows"])
def test_a_journal_that_cannot_be_trusted_is_set_aside_with_a_warning(
    tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / JOURNAL_NAME
    if damage == "garbage":
        path.write_bytes(b"not a database at all\n" * 100)
    elif damage == "truncated-header":
        journal_with_a_row(tmp_path)
        path.write_bytes(path.read_bytes()[:50])
    elif damage == "foreign":
        with sqlite3.connect(path) as other:
            other.execute("CREATE TABLE files (key TEXT, path TEXT, size INTEGER, md5 TEXT)")
            other.execute("INSERT INTO files VALUES (?, ?, 3, ?)", (KEY, f"{A}/a.tsv", MD5))
        other.close()
    elif damage == "trigger":
        journal_with_a_row(tmp_path)
        with sqlite3.connect(path) as other:
            other.execute("CREATE TRIGGER t AFTER INSERT ON files BEGIN DELETE FROM files; END")
        other.close()
    else:  # a row past the schema's checks, written with the checks switched off
        journal_with_a_row(tmp_path)
        with sqlite3.connect(path) as other:
            other.execute("PRAGMA writable_schema=ON")
            (sql,) = other.execute("SELECT sql FROM sqlite_master WHERE name='files'").fetchone()
            bare = sql.replace("CHECK (typeof(path) = 'text' AND length(path) <= 1024)", "")
            other.execute("UPDATE sqlite_master SET sql = ? WHERE name = 'files'", (bare,))
        other.close()
        with sqlite3.connect(path) as other:
            other.execute("UPDATE files SET path = ?", ("x" * 50_000,))
        other.close()
        with sqlite3.connect(path) as other:
            other.execute("PRAGMA writable_schema=ON")
            other.execute("UPDATE sqlite_master SET sql = ? WHERE name = 'files'", (sql,))
        other.close()
    with caplog.at_level(logging.WARNING, logger="galatea_async"):
        assert entries_of(tmp_path) == {}
    assert len(set_aside(tmp_path)) == 1
    (record,) = [r for r in caplog.records if "set aside" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert str(path) in record.getMessage() and "kept only if it is found complete" in (
        record.getMessage()
    )
    journal_with_a_row(tmp_path)  # the fresh journal works
    assert list(entries_of(tmp_path)) == [KEY]


def test_a_journal_larger_than_the_bound_is_set_aside_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal_with_a_row(tmp_path)
    monkeypatch.setattr(journal_file, "MAX_STORE_BYTES", 1024)
    assert entries_of(tmp_path) == {}
    assert len(set_aside(tmp_path)) == 1


def test_a_temporary_copy_a_killed_run_left_is_removed(tmp_path: Path) -> None:
    left = [
        tmp_path / f"{JOURNAL_NAME}.0123456789abcdef.tmp",
        tmp_path / ".galatea-manifest.jsonl.0123456789abcdef.tmp",
    ]
    for path in left:
        path.write_text("half")
    entries_of(tmp_path)
    assert [path for path in left if path.exists()] == []


def test_a_journal_the_file_system_refuses_is_an_error_not_set_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal_with_a_row(tmp_path)

    def refused(connection: sqlite3.Connection) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(journal_file, "_verify", refused)
    with pytest.raises(GalateaError, match=r"cannot open the sync journal .*disk I/O error"):
        Journal.load(tmp_path)
    assert set_aside(tmp_path) == []
