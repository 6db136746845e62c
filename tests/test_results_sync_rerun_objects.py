"""A nothing-to-do ``results.sync`` rerun costs little per file it keeps: no download request,
outcome or path is built for a file the journal holds intact (the report's rows are made from
the journal's own entries), so a rerun's CPU and the objects the collector walks stay small."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from galatea_async import AsyncGalatea
from galatea_async._download._batch import DownloadOutcome, DownloadRequest
from galatea_async._download._folder_lock import locked_folder
from galatea_async._download._sync import PLAN_SLICE
from galatea_async._download._sync_plan import SyncItem
from galatea_async._enums import ResultType
from galatea_async.emulator import Emulator

TYPES = ["SUMMARY_CHROMS", "DETAILED_CHROMS", "SUMMARY_SUPERSET", "DETAILED_SUPERSET"]


def counted(monkeypatch: pytest.MonkeyPatch, cls: type[Any]) -> list[int]:
    """A counter of the instances of ``cls`` built from now on."""
    built = [0]
    original: Callable[..., None] = cls.__init__

    def counting_init(self: Any, *args: Any, **kwargs: Any) -> None:
        built[0] += 1
        original(self, *args, **kwargs)

    monkeypatch.setattr(cls, "__init__", counting_init)
    return built


async def test_a_rerun_builds_no_request_or_outcome_for_the_files_it_keeps(
    emulator: Emulator, live_client: AsyncGalatea, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(25):
        emulator.add_order(result_sizes=dict.fromkeys(TYPES, 512))
    first = await live_client.results.sync(tmp_path, result_types=TYPES)
    assert len(first.downloaded) == 100 and first.ok

    requests = counted(monkeypatch, DownloadRequest)
    outcomes = counted(monkeypatch, DownloadOutcome)
    again = await live_client.results.sync(tmp_path, result_types=TYPES)

    assert (len(again.downloaded), again.skipped_bytes, again.ok) == (
        0,
        first.downloaded_bytes,
        True,
    )
    assert (requests[0], outcomes[0]) == (0, 0)
    # The report still reads each kept file back as a whole outcome.
    kept = list(again.skipped)
    assert len(kept) == 100 and all(o.skipped and o.path and o.path.is_file() for o in kept)
    assert {o.request for o in kept} == {o.request for o in first.downloaded}


class CountingSource:
    """The client's download source, counting the jobs built and not yet finished."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.waiting = 0
        self.most_waiting = 0

    def mirrored(self, *args: Any) -> Any:
        self.waiting += 1
        self.most_waiting = max(self.most_waiting, self.waiting)
        return self._inner.mirrored(*args)

    def finished(self, _outcome: DownloadOutcome) -> None:
        self.waiting -= 1


@pytest.mark.slow
async def test_a_first_run_builds_the_jobs_of_a_few_folders_ahead_not_of_a_whole_slice(
    emulator: Emulator, live_client: AsyncGalatea, tmp_path: Path
) -> None:
    orders = [emulator.add_order(result_sizes=dict.fromkeys(TYPES, 512)) for _ in range(80)]
    source = CountingSource(live_client.results._downloads)

    async def pages() -> AsyncIterator[list[SyncItem]]:
        yield [SyncItem(order, ResultType(kind)) for order in orders for kind in TYPES]

    async with locked_folder(tmp_path) as locked:
        report = await locked.sync(
            pages(),
            source,  # type: ignore[arg-type]
            concurrency=4,
            verify=False,
            file_done=source.finished,
        )

    assert (len(report.downloaded), report.ok) == (320, True)
    # Jobs waiting in the queue outlive young collections and cost every full one after;
    # a whole slice of them (PLAN_SLICE files) built at once is what this bounds.
    assert source.most_waiting < PLAN_SLICE // 2, source.most_waiting
