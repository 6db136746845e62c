"""The engine's newer rules over real TCP, on both transports: existing copies kept, slow bodies
broken off, encoded bodies decoded only under a cap, batches durable before they report."""

from __future__ import annotations

import gzip
import threading
import tracemalloc
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

import galatea_async._download._durability as durability
import galatea_async._download._files as files
from galatea_async._download import (
    DownloadOutcome,
    DownloadRequest,
    TransferOptions,
    download_file,
    run_downloads,
)
from galatea_async.errors import (
    APITimeoutError,
    ChecksumMismatchError,
    InvalidResponseError,
    NotFoundError,
)
from tests.transfer_support import (
    FileServer,
    ProgressLog,
    Resource,
    job_for,
    listdir,
    pattern,
    pattern_md5,
)

SMALL = TransferOptions(chunk_size=64 * 1024, fsync=False)
MiB = 1 << 20


# -- skip_existing ----------------------------------------------------------------------------


@pytest.mark.parametrize("size", [5000, 300_000])  # one hop, and streamed
async def test_a_complete_copy_is_kept_without_reading_the_body(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path, size: int
) -> None:
    (tmp_path / "result.tsv").write_bytes(pattern(0, size))
    before = (tmp_path / "result.tsv").stat().st_mtime_ns
    url = file_server.add("/file", Resource(size=size))
    progress = ProgressLog()
    done = await download_file(
        job_for(http_client, url, tmp_path, skip_existing=True, progress=progress)
    )
    assert done.skipped
    assert done.path == tmp_path / "result.tsv"
    assert done.size == size
    assert (tmp_path / "result.tsv").stat().st_mtime_ns == before
    assert listdir(tmp_path) == ["result.tsv"]
    assert progress.last == (size, size)


@pytest.mark.parametrize("size", [5000, 300_000])
async def test_an_incomplete_copy_is_fetched_again(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path, size: int
) -> None:
    (tmp_path / "result.tsv").write_bytes(pattern(0, size - 10))  # truncated
    url = file_server.add("/file", Resource(size=size))
    done = await download_file(job_for(http_client, url, tmp_path, skip_existing=True))
    assert not done.skipped
    assert (tmp_path / "result.tsv").read_bytes() == pattern(0, size)
    assert listdir(tmp_path) == ["result.tsv"]


async def test_a_same_size_copy_with_the_wrong_md5_is_fetched_again(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    size = 5000
    (tmp_path / "result.tsv").write_bytes(b"x" * size)  # same size, other bytes
    url = file_server.add("/file", Resource(size=size))
    done = await download_file(
        job_for(
            http_client, url, tmp_path, skip_existing=True, expected_size=size,
            expected_md5=pattern_md5(size),
        )
    )  # fmt: skip
    assert not done.skipped
    assert done.md5 == pattern_md5(size)
    assert (tmp_path / "result.tsv").read_bytes() == pattern(0, size)


async def test_a_symlink_is_never_taken_for_a_complete_copy(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    size = 5000
    victim = tmp_path / "victim.tsv"
    victim.write_bytes(pattern(0, size))
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "result.tsv").symlink_to(victim)
    url = file_server.add("/file", Resource(size=size))
    done = await download_file(job_for(http_client, url, dest, skip_existing=True))
    assert not done.skipped
    assert not (dest / "result.tsv").is_symlink()  # the link itself was replaced
    assert victim.read_bytes() == pattern(0, size)


# -- the low-speed rule ----------------------------------------------------------

SLOW_FLOOR = TransferOptions(
    chunk_size=64 * 1024, fsync=False, low_speed_limit=50_000, low_speed_time=0.2
)


@pytest.mark.parametrize("size", [20_000, 300_000])
async def test_a_dripping_body_is_broken_off_and_resumed(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path, size: int
) -> None:
    resource = Resource(size=size, drips=[10_000])
    url = file_server.add("/file", resource)
    path = (await download_file(job_for(http_client, url, tmp_path, options=SLOW_FLOOR))).path
    assert path.read_bytes() == pattern(0, size)
    second = file_server.gets("/file")[1].headers["range"]
    assert second.startswith("bytes=")
    assert int(second.removeprefix("bytes=").rstrip("-")) >= 10_000  # what came is kept


async def test_a_body_that_keeps_dripping_fails_naming_the_rule(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    options = TransferOptions(
        chunk_size=64 * 1024, fsync=False, low_speed_limit=50_000, low_speed_time=0.2,
        max_resume_attempts=1,
    )  # fmt: skip
    url = file_server.add("/file", Resource(size=300_000, drips=[1000, 1000, 1000]))
    with pytest.raises(APITimeoutError, match="low_speed_limit") as caught:
        await download_file(job_for(http_client, url, tmp_path, options=options))
    assert "50000 B/s for 0.2 s" in str(caught.value)
    assert len(file_server.gets("/file")) == 2
    assert listdir(tmp_path) == []


def test_the_speed_floor_can_be_turned_off_but_not_set_to_nonsense() -> None:
    assert TransferOptions(low_speed_limit=0).low_speed_limit == 0
    with pytest.raises(ValueError, match="low_speed_time"):
        TransferOptions(low_speed_time=0)
    with pytest.raises(ValueError, match="low_speed_limit"):
        TransferOptions(low_speed_limit=-1)


# -- encoded bodies --------------------------------------------------------------


@pytest.mark.parametrize("size", [5000, 300_000])
async def test_an_encoded_body_of_listed_size_is_decoded_and_verified(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path, size: int
) -> None:
    url = file_server.add("/file", Resource(size=size, gzip=True))
    done = await download_file(
        job_for(http_client, url, tmp_path, expected_size=size, expected_md5=pattern_md5(size))
    )
    assert done.path.read_bytes() == pattern(0, size)


async def test_an_encoded_body_never_decodes_past_the_listed_size(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    # A gzip of 64 MiB of zeros: 64 KiB on the wire, announced as a 1,000-byte file.
    bomb = gzip.compress(bytes(64 * MiB))
    assert len(bomb) < MiB
    url = file_server.add("/file", Resource(size=64 * MiB, gzip=True, encoded_body=bomb))
    tracemalloc.start()
    try:
        with pytest.raises(ChecksumMismatchError, match="1000 bytes listed"):
            await download_file(job_for(http_client, url, tmp_path, expected_size=1000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * MiB, f"peak {peak / MiB:.1f} MiB"
    assert listdir(tmp_path) == []


async def test_an_encoding_the_sdk_does_not_decode_is_refused(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    url = file_server.add("/file", Resource(size=1000, gzip=True, encoding_label="br"))
    with pytest.raises(InvalidResponseError, match="br-encoded"):
        await download_file(job_for(http_client, url, tmp_path, expected_size=1000))
    assert listdir(tmp_path) == []


# -- batches: slots given back early, directories synced before reporting ---------------------


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

    def on_durable(directory: Path, outcomes: list[DownloadOutcome]) -> None:
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
    real = files._write_small_file
    first_write = threading.Lock()
    waited: list[bool] = []

    def slow_write(*args: Any) -> Any:
        # Only the first file's write waits (two writer threads may get here at once).
        if first_write.acquire(blocking=False):
            waited.append(second_requested.wait(10))
        return real(*args)

    monkeypatch.setattr(files, "_write_small_file", slow_write)
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
