"""The earlier versions' JSON-lines journal: its trusted lines imported once, within bounds, in
batches, and the file removed only once the import is committed."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

import galatea_async._download._journal_legacy as legacy
from galatea_async._download._journal import JOURNAL_NAME, Journal, JournalEntry
from galatea_async._download._journal_connection import StoreConnection
from galatea_async._download._journal_legacy import (
    LEGACY_JOURNAL_NAME,
    MAX_LINE_BYTES,
    legacy_batches,
)
from galatea_async.errors import GalateaError

A, B = "a" * 8 + "-0000-0000-0000-000000000001", "b" * 8 + "-0000-0000-0000-000000000002"


def journal_line(key: str, path: str, size: int = 3) -> bytes:
    return json.dumps({"key": key, "path": path, "size": size, "md5": "m"}).encode() + b"\n"


def imported(folder: Path) -> dict[str, JournalEntry]:
    journal = Journal.load(folder)
    try:
        return journal.entries
    finally:
        journal.close()


def test_a_folder_synced_by_an_earlier_version_keeps_its_entries(tmp_path: Path) -> None:
    (tmp_path / LEGACY_JOURNAL_NAME).write_bytes(
        journal_line(f"{A}/SUMMARY_CHROMS", f"{A}/a.tsv")
        + journal_line(f"{B}/SUMMARY_CHROMS", f"{B}/b.tsv", size=7)
    )
    assert imported(tmp_path) == {
        f"{A}/SUMMARY_CHROMS": JournalEntry(f"{A}/a.tsv", 3, "m"),
        f"{B}/SUMMARY_CHROMS": JournalEntry(f"{B}/b.tsv", 7, "m"),
    }
    assert not (tmp_path / LEGACY_JOURNAL_NAME).exists()  # imported once
    assert len(imported(tmp_path)) == 2


def test_torn_untrusted_and_damaged_lines_are_skipped_alone(tmp_path: Path) -> None:
    (tmp_path / LEGACY_JOURNAL_NAME).write_bytes(
        journal_line(f"{A}/SUMMARY_CHROMS", f"{A}/a.tsv")
        + journal_line(f"{A}/DETAILED_CHROMS", "../victim.txt")
        + b'{"key": "\xff\xfe"}\n'
        + b"x" * (MAX_LINE_BYTES * 3)
        + b"\n"
        + journal_line(f"{B}/SUMMARY_CHROMS", f"{B}/b.tsv", size=-1)
        + json.dumps(
            {"key": f"{B}/EXEC_ERRORS", "path": f"{B}/\udcff", "size": 1, "md5": "m"}
        ).encode()
        + b"\n"
        + journal_line(f"{B}/SUMMARY_CHROMS", f"{B}/b.tsv")
        + f'{{"key": "{A}/EXEC_ERRORS", "pa'.encode()
    )
    assert sorted(imported(tmp_path)) == [f"{A}/SUMMARY_CHROMS", f"{B}/SUMMARY_CHROMS"]


def test_reading_stops_at_the_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = journal_line(f"{A}/SUMMARY_CHROMS", f"{A}/a.tsv")
    (tmp_path / LEGACY_JOURNAL_NAME).write_bytes(
        first + journal_line(f"{B}/SUMMARY_CHROMS", f"{B}/b")
    )
    monkeypatch.setattr(legacy, "MAX_JOURNAL_BYTES", len(first))
    assert list(imported(tmp_path)) == [f"{A}/SUMMARY_CHROMS"]


def test_the_lines_stream_through_in_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(legacy, "IMPORT_BATCH", 3)
    lines = b"".join(journal_line(f"{A}/T{n}", f"{A}/{n}.tsv") for n in range(8))
    sizes = [len(batch) for batch in legacy_batches(io.BytesIO(lines))]
    assert sizes == [3, 3, 2]


def test_one_path_has_one_key_the_later_line_wins(tmp_path: Path) -> None:
    (tmp_path / LEGACY_JOURNAL_NAME).write_bytes(
        journal_line(f"{A}/SUMMARY_CHROMS", f"{A}/Report.tsv")
        + journal_line(f"{A}/DETAILED_CHROMS", f"{A}/report.TSV")
    )
    assert list(imported(tmp_path)) == [f"{A}/DETAILED_CHROMS"]


def test_the_old_file_stays_until_the_import_is_committed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / LEGACY_JOURNAL_NAME).write_bytes(journal_line(f"{A}/SUMMARY_CHROMS", f"{A}/a"))

    def failing_commit(self: StoreConnection) -> None:
        raise GalateaError("disk full")

    with monkeypatch.context() as patched:
        patched.setattr(StoreConnection, "commit", failing_commit)
        with pytest.raises(GalateaError, match="disk full"):
            Journal.load(tmp_path)
    assert (tmp_path / LEGACY_JOURNAL_NAME).exists()
    assert list(imported(tmp_path)) == [f"{A}/SUMMARY_CHROMS"]


@pytest.mark.parametrize("kind", ["symlink", "fifo", "directory"])
def test_an_old_journal_that_is_not_a_regular_file_is_refused(tmp_path: Path, kind: str) -> None:
    old = tmp_path / LEGACY_JOURNAL_NAME
    if kind == "symlink":
        (tmp_path / "elsewhere").write_bytes(journal_line(f"{A}/SUMMARY_CHROMS", f"{A}/a"))
        old.symlink_to(tmp_path / "elsewhere")
    elif kind == "fifo":
        os.mkfifo(old)
    else:
        old.mkdir()
    with pytest.raises(GalateaError, match=r"symbolic link|not a regular file") as caught:
        Journal.load(tmp_path)
    assert LEGACY_JOURNAL_NAME in str(caught.value)
    assert not (tmp_path / JOURNAL_NAME).exists()  # refused before anything is written
