"""The journal's memory does not grow with the folder: looking up every key in slices costs the
same Python memory at 20,000 rows as at 200,000, and logging a run's outcomes and reading its
report back the same at 2,000 outcomes as at 20,000."""

from __future__ import annotations

import contextlib
import sqlite3
import sys
import tracemalloc
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from galatea_async import DownloadOutcome, DownloadRequest
from galatea_async._download._journal import JOURNAL_NAME, Journal
from galatea_async._download._journal_rules import path_hash

TYPES = ("SUMMARY_CHROMS", "DETAILED_CHROMS", "SUMMARY_SUPERSET", "EXEC_ERRORS")
MD5 = "0123456789abcdef0123456789abcdef"
SLICE = 500


def keys_and_paths(files: int) -> Iterator[tuple[str, str]]:
    for n in range(files // len(TYPES)):
        order_id = str(uuid.UUID(int=n + 1))
        for result_type in TYPES:
            yield f"{order_id}/{result_type}", f"{order_id}/{result_type.lower()}.tsv"


def slices(files: int) -> Iterator[list[tuple[str, str]]]:
    chunk: list[tuple[str, str]] = []
    for pair in keys_and_paths(files):
        chunk.append(pair)
        if len(chunk) == SLICE:
            yield chunk
            chunk = []


def folder_of(tmp_path: Path, files: int) -> Path:
    """A folder whose journal holds ``files`` rows, written into the journal's table in one
    transaction (the fastest way in; what is measured is reading them)."""
    folder = tmp_path / str(files)
    folder.mkdir()
    Journal.load(folder).close()
    rows = ((key, path, path_hash(path), 4096, MD5) for key, path in keys_and_paths(files))
    with contextlib.closing(sqlite3.connect(folder / JOURNAL_NAME)) as connection, connection:
        connection.executemany("INSERT INTO files VALUES (?, ?, ?, ?, ?)", rows)
    return folder


def held_parts(files: int) -> list[str]:
    """Every path part of ``files`` files, interned. pathlib (CPython 3.11) interns each part
    of a path it parses, in a table that reallocates itself (a few MiB, as large as the
    process's other interned strings) whenever enough names come and go; holding the parts
    keeps that table as it is, so what is measured is the journal's own memory."""
    return [sys.intern(part) for _, path in keys_and_paths(files) for part in path.split("/")]


def looked_up(folder: Path, files: int) -> tuple[int, int]:
    """The Python memory peak of looking up every key of a folder in slices, as a sync plans
    them; and how many entries were found."""
    journal = Journal.load(folder)
    found = 0
    tracemalloc.start()
    try:
        for chunk in slices(files):
            found += len(journal.lookup([key for key, _ in chunk]))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        journal.close()
    return peak, found


def logged_and_read(folder: Path, files: int) -> tuple[int, int]:
    """The Python memory peak of logging ``files`` kept files as a run's outcomes, then reading
    the report back whole; and how many outcomes were read."""
    journal = Journal.load(folder)
    read = 0
    tracemalloc.start()
    try:
        run = journal.start_run()
        for chunk in slices(files):
            run.kept(kept_outcome(folder, key, path) for key, path in chunk)
        report = run.report([], seconds=0.0)
        read = sum(1 for _ in report.skipped)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        journal.close()
    return peak, read


def kept_outcome(folder: Path, key: str, path: str) -> DownloadOutcome:
    order_id, result_type = key.split("/")
    request = DownloadRequest(order_id=order_id, result_type=result_type)
    return DownloadOutcome(request, folder / path, skipped=True, size=4096, md5=MD5)


@pytest.mark.slow
def test_looking_up_every_key_costs_the_same_memory_at_any_number_of_rows(
    tmp_path: Path,
) -> None:
    small, large = folder_of(tmp_path, 20_000), folder_of(tmp_path, 200_000)
    looked_up(small, 20_000)  # first-use allocations (caches, compiled statements) out of the way
    small_peak, small_found = looked_up(small, 20_000)
    large_peak, large_found = looked_up(large, 200_000)
    assert (small_found, large_found) == (20_000, 200_000)
    # Ten times the rows: the peaks differ by noise only (under 6 bytes a row), where a dict
    # of entries costs hundreds of bytes a row (about 100 MiB more at 200,000).
    assert large_peak - small_peak < 1 << 20, (small_peak, large_peak)


def test_a_reports_memory_does_not_grow_with_its_outcomes(tmp_path: Path) -> None:
    small, large = tmp_path / "small", tmp_path / "large"
    small.mkdir()
    large.mkdir()
    held = held_parts(20_000)
    logged_and_read(small, 2_000)
    small_peak, small_read = logged_and_read(small, 2_000)
    large_peak, large_read = logged_and_read(large, 20_000)
    assert (small_read, large_read) == (2_000, 20_000)
    # Ten times the outcomes: the peaks differ by noise only (under 60 bytes an outcome),
    # where a list of outcomes costs about 1 KiB an outcome (18 MiB more at 20,000).
    assert large_peak - small_peak < 1 << 20, (small_peak, large_peak)
    assert held
