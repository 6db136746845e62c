"""``results.sync`` at scale: no step on the event loop grows with the number of files, and
memory does not either.

Both run over folders whose files are all journalled and on disk, so no download is needed
and thousands of files cost a second: the planning, the journal and the report are what is
measured. Time is never asserted: the loop test counts the files handled between two turns of
a ticker task, the memory test compares ``tracemalloc`` peaks at two sizes.
"""

from __future__ import annotations

import hashlib
import json
import threading
import tracemalloc
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import anyio.lowlevel
import pytest

import galatea_async._download._sync as sync_module
from galatea_async import AsyncGalatea, DownloadRequest
from galatea_async._download._folder_lock import locked_folder
from galatea_async._download._journal import Journal
from galatea_async._download._journal_legacy import LEGACY_JOURNAL_NAME
from galatea_async._download._sync import PLAN_SLICE
from galatea_async._download._sync_plan import SyncItem
from galatea_async._enums import ResultType
from galatea_async.emulator import Emulator

TYPES = [
    ResultType.SUMMARY_CHROMS,
    ResultType.DETAILED_CHROMS,
    ResultType.SUMMARY_SUPERSET,
    ResultType.DETAILED_SUPERSET,
]
EMPTY_MD5 = hashlib.md5(b"").hexdigest()


def journalled_lines(folder: Path, order_ids: list[str]) -> Iterator[str]:
    """Each result of ``order_ids`` as an empty file in its order's folder, with its journal
    line (the JSON-lines form every version reads)."""
    for order_id in order_ids:
        (folder / order_id).mkdir()
        for result_type in TYPES:
            relative = f"{order_id}/{result_type}.tsv"
            (folder / relative).touch()
            key = f"{order_id}/{result_type}"
            yield json.dumps({"key": key, "path": relative, "size": 0, "md5": EMPTY_MD5})


class Ticker:
    """A task that turns once per round of the event loop and keeps the largest number of
    files reported between two of its turns."""

    def __init__(self) -> None:
        self.since_last_turn = 0
        self.most_between_turns = 0
        self.turns = 0

    def file_progress(self, request: DownloadRequest, done: int, total: int | None) -> None:
        self.since_last_turn += 1

    async def run(self, stop: anyio.Event) -> None:
        while not stop.is_set():
            self.most_between_turns = max(self.most_between_turns, self.since_last_turn)
            self.since_last_turn = 0
            self.turns += 1
            await anyio.lowlevel.checkpoint()


@pytest.mark.slow
async def test_no_step_on_the_loop_handles_more_than_a_slice_of_files(
    emulator: Emulator, live_client: AsyncGalatea, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    order_ids = [emulator.add_order(result_sizes=dict.fromkeys(TYPES, 0)) for _ in range(300)]
    lines = list(journalled_lines(tmp_path, order_ids))
    (tmp_path / LEGACY_JOURNAL_NAME).write_text("\n".join(lines) + "\n", encoding="utf-8")
    loop_thread = threading.get_ident()
    planned_on_the_loop: list[int] = []
    real_plan = sync_module.plan_sync

    def watched_plan(*args: object, **options: object) -> object:
        if threading.get_ident() == loop_thread:
            planned_on_the_loop.append(len(args[0]))  # type: ignore[arg-type]
        return real_plan(*args, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(sync_module, "plan_sync", watched_plan)
    ticker, stop = Ticker(), anyio.Event()
    async with anyio.create_task_group() as group:
        group.start_soon(ticker.run, stop)
        report = await live_client.results.sync(
            tmp_path, result_types=TYPES, file_progress=ticker.file_progress
        )
        stop.set()
    assert len(report.skipped) == 1200
    assert report.downloaded == []
    assert planned_on_the_loop == []
    # Every file was reported, a slice at most between two turns of the loop.
    assert 0 < ticker.most_between_turns <= PLAN_SLICE


class NoDownloads:
    """A ``DownloadSource`` for runs that must fetch nothing."""

    def mirrored(self, *args: object) -> None:
        raise AssertionError("a file that is journalled and on disk was fetched")


async def pages_of(order_ids: list[str], per_page: int) -> AsyncIterator[list[SyncItem]]:
    for start in range(0, len(order_ids), per_page):
        yield [
            SyncItem(order_id, result_type)
            for order_id in order_ids[start : start + per_page]
            for result_type in TYPES
        ]


def journalled_folder(folder: Path, orders: int) -> list[str]:
    order_ids = [str(uuid.uuid4()) for _ in range(orders)]
    folder.mkdir()
    journal = Journal.load(folder)
    for line in journalled_lines(folder, order_ids):
        row = json.loads(line)
        journal.record(row["key"], row["path"], row["size"], row["md5"])
    journal.commit()
    journal.close()
    return order_ids


async def peak_of_sync(folder: Path, order_ids: list[str]) -> tuple[int, int]:
    """The ``tracemalloc`` peak of a sync of ``folder``, and how many files it kept."""
    tracemalloc.start()
    try:
        async with locked_folder(folder) as locked:
            report = await locked.sync(
                pages_of(order_ids, 100),
                NoDownloads(),  # type: ignore[arg-type]
                concurrency=8,
                verify=False,
            )
        return tracemalloc.get_traced_memory()[1], len(report.skipped)
    finally:
        tracemalloc.stop()


@pytest.mark.slow
async def test_memory_does_not_grow_with_the_number_of_files(tmp_path: Path) -> None:
    small = journalled_folder(tmp_path / "small", 500)
    large = journalled_folder(tmp_path / "large", 5000)
    small_peak, small_kept = await peak_of_sync(tmp_path / "small", small)
    large_peak, large_kept = await peak_of_sync(tmp_path / "large", large)
    assert (small_kept, large_kept) == (2000, 20000)
    # Ten times the files: the peak is what a few pages in flight hold, at either size.
    assert large_peak < small_peak * 1.25 + 256 * 1024, (small_peak, large_peak)
