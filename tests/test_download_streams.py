"""``stream_downloads``: groups of downloads taken from an async iterable only as workers free
up, so what a batch holds is bounded by its concurrency, not by how many items there are."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import anyio

from galatea_async._download import DownloadJob, DownloadRequest
from galatea_async._download._batch import DownloadGroup, stream_downloads
from galatea_async._download._claims import NameClaims
from galatea_async._download._target import Destination
from galatea_async._http._tracing import CallSpan
from galatea_async._http._wire import WireResponse


@contextlib.asynccontextmanager
async def never_answers(headers: Mapping[str, str], span: CallSpan) -> AsyncIterator[WireResponse]:
    await anyio.sleep_forever()
    raise AssertionError("unreachable")  # pragma: no cover
    yield  # pragma: no cover


async def test_groups_are_taken_only_as_workers_free_up(tmp_path: Path) -> None:
    pulled = 0

    async def groups() -> AsyncIterator[DownloadGroup]:
        nonlocal pulled
        for number in range(1000):
            pulled += 1
            request = DownloadRequest(order_id=str(number), result_type="SUMMARY_CHROMS")
            job = DownloadJob(
                open_stream=never_answers,
                destination=Destination(directory=tmp_path),
                fallback_name=f"{number}.tsv",
            )
            yield DownloadGroup([(request, job)], NameClaims([tmp_path]))

    async with anyio.create_task_group() as group:
        group.start_soon(lambda: stream_downloads(groups(), concurrency=2))
        await anyio.wait_all_tasks_blocked()
        # Four workers (twice the concurrency) hold one item each, the feeder one more.
        assert pulled <= 2 * 2 + 1
        group.cancel_scope.cancel()
    assert list(tmp_path.iterdir()) == []
