"""How a batch's workers take items: every item of every group once, in order, groups read by
one task, and a long run of items that end at once still lets the other tasks run."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import anyio
import pytest

from galatea_async._download import DownloadJob, DownloadRequest
from galatea_async._download._batch import DownloadGroup, DownloadOutcome, stream_downloads
from galatea_async._download._claims import NameClaims
from galatea_async._download._target import Destination
from galatea_async._http._tracing import CallSpan
from galatea_async._http._wire import WireResponse


class Refused(Exception):
    """What every request of these tests ends with, at once."""


@contextlib.asynccontextmanager
async def refused_at_once(
    headers: Mapping[str, str], span: CallSpan
) -> AsyncIterator[WireResponse]:
    raise Refused("no server here")
    yield  # pragma: no cover


def group_of(directory: Path, numbers: range) -> DownloadGroup:
    items = [
        (
            DownloadRequest(order_id=str(number), result_type="SUMMARY_CHROMS"),
            DownloadJob(
                open_stream=refused_at_once,
                destination=Destination(directory=directory),
                fallback_name=f"{number}.tsv",
            ),
        )
        for number in numbers
    ]
    return DownloadGroup(items, NameClaims([directory] * len(items)))


@pytest.mark.parametrize("concurrency", [1, 3])
async def test_every_item_of_every_group_is_taken_once_in_order_empty_groups_too(
    tmp_path: Path, concurrency: int
) -> None:
    sizes = [3, 0, 5, 0, 0, 1, 7]
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    read_by: set[object] = set()

    async def groups() -> AsyncIterator[DownloadGroup]:
        for start, size in zip(starts, sizes, strict=True):
            read_by.add(anyio.get_current_task().id)
            yield group_of(tmp_path, range(start, start + size))

    seen: list[DownloadOutcome] = []
    await stream_downloads(
        groups(), concurrency=concurrency, on_outcome=lambda _, outcome: seen.append(outcome)
    )
    numbers = [int(outcome.request.order_id) for outcome in seen]
    assert sorted(numbers) == list(range(sum(sizes)))
    assert all(isinstance(outcome.error, Refused) for outcome in seen)
    assert len(read_by) == 1  # an iterable bound to its task is read in that task only


async def test_a_long_run_of_items_that_end_at_once_lets_other_tasks_run(tmp_path: Path) -> None:
    count = 2000
    turns_during_batch = 0
    batch_done = False

    async def other_task() -> None:
        nonlocal turns_during_batch
        while not batch_done:
            turns_during_batch += 1
            await anyio.lowlevel.checkpoint()

    async def one_group() -> AsyncIterator[DownloadGroup]:
        yield group_of(tmp_path, range(count))

    async def batch() -> None:
        nonlocal batch_done
        await stream_downloads(one_group(), concurrency=1)
        batch_done = True

    async with anyio.create_task_group() as group:
        group.start_soon(batch)
        group.start_soon(other_task)
    # Every item fails without waiting for anything: only the batch's own checkpoints let the
    # other task in, at least once per few dozen items.
    assert turns_during_batch >= count // 100
