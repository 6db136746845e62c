"""Batches of downloads over real TCP, on both transports: a slot given back before the file is
synced, a directory reported only once synced, outcomes that give the path or the error."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

import galatea_async._download._durability as durability
import galatea_async._download._small_files as small_files
from galatea_async._download import DownloadOutcome, DownloadRequest, TransferOptions, run_downloads
from galatea_async.errors import NotFoundError
from tests.transfer_support import FileServer, Resource, job_for


async def test_a_batch_reports_a_directory_only_after_syncing_it(
    http_client: httpx.AsyncClient,
    file_server: FileServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events: list[str] = []
    monkeypatch.setattr(durability, "fsync_directory", lambda d: events.append(f"sync {d.name}"))
    folders = [tmp_path / "a", tmp_path / "b"]
    items = []
    for index in range(6):
        folder = folders[index % 2]
        resource = Resource(size=2000 + index, content_disposition=f'a; filename="{index}.tsv"')
        url = file_server.add(f"/r{index}", resource)
        request = DownloadRequest(order_id=str(index), result_type="SUMMARY_CHROMS")
        options = TransferOptions(fsync=True)
        items.append((request, job_for(http_client, url, f"{folder}/", options=options)))

    def on_durable(done: list[tuple[Path, list[DownloadOutcome]]]) -> None:
        for directory, outcomes in done:
            assert f"sync {directory.name}" in events  # synced before it is reported
            assert all(outcome.path and outcome.path.is_file() for outcome in outcomes)
            events.append(f"durable {directory.name} {len(outcomes)}")

    outcomes = await run_downloads(items, concurrency=2, on_durable=on_durable)
    assert all(outcome.ok for outcome in outcomes)
    assert sorted(e for e in events if e.startswith("durable")) == ["durable a 3", "durable b 3"]
    assert sorted(e for e in events if e.startswith("sync")) == ["sync a", "sync b"]


async def test_a_batch_gives_a_slot_back_before_syncing_the_file(
    http_client: httpx.AsyncClient,
    file_server: FileServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # With one slot, the second download's request must reach the server while the first
    # file is still being written: the write waits (in its thread) until it does.
    second_requested = threading.Event()
    real = small_files.write_small_files
    first_write = threading.Lock()
    waited: list[bool] = []

    def slow_write(*args: Any) -> Any:
        # Only the first hop waits.
        if first_write.acquire(blocking=False):
            waited.append(second_requested.wait(10))
        return real(*args)

    monkeypatch.setattr(small_files, "write_small_files", slow_write)
    resources = [
        Resource(size=1000, content_disposition=f'a; filename="{i}.tsv"', notify_after=0)
        for i in range(2)
    ]
    items = []
    for index, resource in enumerate(resources):
        url = file_server.add(f"/r{index}", resource)
        request = DownloadRequest(order_id=str(index), result_type="SUMMARY_CHROMS")
        items.append((request, job_for(http_client, url, tmp_path)))

    async def bridge() -> None:  # the server's event, seen by the writing thread
        await resources[1].reached.wait()
        second_requested.set()

    async with anyio.create_task_group() as group:
        group.start_soon(bridge)
        outcomes = await run_downloads(items, concurrency=1)
    assert waited == [True]
    assert [outcome.ok for outcome in outcomes] == [True, True]


async def test_outcome_result_gives_the_path_or_raises_the_error(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    url = file_server.add("/r", Resource(size=100))
    items = [
        (
            DownloadRequest(order_id="1", result_type="SUMMARY_CHROMS"),
            job_for(http_client, url, tmp_path),
        ),
        (
            DownloadRequest(order_id="2", result_type="SUMMARY_CHROMS"),
            job_for(http_client, f"{file_server.base_url}/missing", tmp_path),
        ),
    ]
    good, bad = await run_downloads(items, concurrency=2)
    assert good.result() == tmp_path / "result.tsv"
    assert good.size == 100
    assert not good.skipped
    with pytest.raises(NotFoundError):
        bad.result()
