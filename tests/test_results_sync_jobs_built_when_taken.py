"""A sync builds an order folder's download jobs only when the downloads take that folder:
the folders queued ahead of them wait as plain values, so a first run's jobs die young
instead of outliving young collections in the queue (and costing every full collection)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import attrs

from galatea_async import AsyncGalatea
from galatea_async._download._folder_lock import locked_folder
from galatea_async._download._sync_plan import SyncItem
from galatea_async._enums import ResultType
from galatea_async.emulator import Emulator

TYPES = ["SUMMARY_CHROMS", "DETAILED_CHROMS", "SUMMARY_SUPERSET", "DETAILED_SUPERSET"]
CONCURRENCY = 2


class CountingSource:
    """The client's download source, counting the jobs built and not yet started (a job
    starts when its download opens its first request)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.waiting = 0
        self.most_waiting = 0

    def mirrored(self, *args: Any) -> Any:
        job = self._inner.mirrored(*args)
        self.waiting += 1
        self.most_waiting = max(self.most_waiting, self.waiting)
        started = [False]

        def open_stream(*call: Any, **options: Any) -> Any:
            if not started[0]:
                started[0] = True
                self.waiting -= 1
            return job.open_stream(*call, **options)

        return attrs.evolve(job, open_stream=open_stream)


async def test_a_sync_builds_jobs_for_the_downloads_running_and_a_folder_or_two_next(
    emulator: Emulator, live_client: AsyncGalatea, tmp_path: Path
) -> None:
    orders = [emulator.add_order(result_sizes=dict.fromkeys(TYPES, 512)) for _ in range(40)]
    source = CountingSource(live_client.results._downloads)

    async def pages() -> AsyncIterator[list[SyncItem]]:
        yield [SyncItem(order, ResultType(kind)) for order in orders for kind in TYPES]

    async with locked_folder(tmp_path) as locked:
        report = await locked.sync(
            pages(),
            source,  # type: ignore[arg-type]
            concurrency=CONCURRENCY,
            verify=False,
        )

    assert (len(report.downloaded), report.ok) == (160, True)
    # The engine holds the folder it is handing out to its workers and the next one; the
    # queued folders wait as plain values, their jobs not built yet.
    assert source.most_waiting <= 3 * len(TYPES), source.most_waiting
