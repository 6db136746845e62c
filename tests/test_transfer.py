"""The download engine over real TCP, on both transports: whole, verified files or no file."""

from __future__ import annotations

import asyncio
import functools
import gc
import hashlib
import itertools
import os
import stat
import tracemalloc
from pathlib import Path

import anyio
import httpx
import pytest

from galatea_async._download import (
    DownloadOutcome,
    DownloadRequest,
    TransferOptions,
    download_file,
    open_download,
    run_downloads,
)
from galatea_async._download._ranges import (
    Resumption,
    describe_response,
    judge_part,
    judge_resumed,
    plan_parts,
    resume_headers,
    should_split,
)
from galatea_async.errors import (
    APIConnectionError,
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
    make_transport,
    opener,
    pattern,
    pattern_md5,
)

SMALL = TransferOptions(chunk_size=64 * 1024, fsync=False)
MiB = 1 << 20


def read(path: Path) -> bytes:
    return path.read_bytes()


async def fetch(
    http_client: httpx.AsyncClient,
    file_server: FileServer,
    resource: Resource,
    dest: Path | str,
    **kwargs: object,
) -> Path:
    url = file_server.add("/file", resource)
    job = job_for(http_client, url, dest, **kwargs)  # type: ignore[arg-type]
    return (await download_file(job)).path


def request(order_id: str) -> DownloadRequest:
    return DownloadRequest(order_id=order_id, result_type="SUMMARY_CHROMS")


# -- pure decisions -------------------------------------------------------------------------


def test_plan_parts_covers_every_byte_once() -> None:
    parts = plan_parts(10 * MiB + 5, 3 * MiB)
    assert parts[0][0] == 0
    assert parts[-1][1] == 10 * MiB + 5
    assert all(a[1] == b[0] for a, b in itertools.pairwise(parts))


def test_resume_uses_if_range_with_a_strong_etag_only() -> None:
    strong = describe_response(
        200, {"etag": '"abc"', "accept-ranges": "bytes", "content-length": "9"}
    )
    assert resume_headers(strong, 4) == {"Range": "bytes=4-", "If-Range": '"abc"'}
    weak = describe_response(
        200, {"etag": 'W/"abc"', "accept-ranges": "bytes", "last-modified": "Wed, 21 Oct 2015"}
    )
    assert resume_headers(weak, 4) == {"Range": "bytes=4-", "If-Range": "Wed, 21 Oct 2015"}
    assert resume_headers(describe_response(200, {"content-length": "9"}), 4) is None


def test_a_200_to_a_range_is_never_appended() -> None:
    first = describe_response(200, {"accept-ranges": "bytes", "content-length": "100"})
    whole = describe_response(200, {"content-length": "100"})
    exact = describe_response(206, {"content-range": "bytes 40-99/100"})
    elsewhere = describe_response(206, {"content-range": "bytes 0-99/100"})
    assert judge_resumed(first, whole, 40) is Resumption.RESTART
    assert judge_resumed(first, exact, 40) is Resumption.APPEND
    assert judge_resumed(first, elsewhere, 40) is Resumption.REOPEN


def test_split_only_large_rangeable_versioned_files() -> None:
    headers = {"accept-ranges": "bytes", "etag": '"v"', "content-length": str(100 * MiB)}
    assert should_split(describe_response(200, headers), threshold=64 * MiB, part_size=16 * MiB)
    no_etag = {k: v for k, v in headers.items() if k != "etag"}
    assert not should_split(describe_response(200, no_etag), threshold=64 * MiB, part_size=MiB)
    assert not should_split(describe_response(200, headers), threshold=200 * MiB, part_size=MiB)
    part = describe_response(206, {"content-range": "bytes 10-19/100", "content-length": "10"})
    assert judge_part(part, 10, 20, 100, '"v"')
    assert not judge_part(part, 10, 21, 100, '"v"')
    newer = describe_response(
        206, {"content-range": "bytes 10-19/100", "content-length": "10", "etag": '"w"'}
    )
    assert not judge_part(newer, 10, 20, 100, '"v"')  # another version: never spliced in


def test_a_206_of_another_version_is_never_appended() -> None:
    first = describe_response(
        200, {"accept-ranges": "bytes", "etag": '"v"', "content-length": "100"}
    )
    same = describe_response(206, {"content-range": "bytes 40-99/100", "etag": '"v"'})
    newer = describe_response(206, {"content-range": "bytes 40-99/100", "etag": '"w"'})
    silent = describe_response(206, {"content-range": "bytes 40-99/100"})
    assert judge_resumed(first, same, 40) is Resumption.APPEND
    assert judge_resumed(first, newer, 40) is Resumption.REOPEN
    assert judge_resumed(first, silent, 40) is Resumption.APPEND  # no validator: its word


# -- whole downloads ------------------------------------------------------------------------


async def test_completed_download_matches_bytes_and_md5(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    size = 3 * MiB + 7
    progress = ProgressLog()
    path = await fetch(
        http_client,
        file_server,
        Resource(size=size),
        tmp_path,
        expected_size=size,
        expected_md5=pattern_md5(size),
        progress=progress,
    )
    assert path == tmp_path / "result.tsv"
    assert read(path) == pattern(0, size)
    assert progress.last == (size, size)
    assert listdir(tmp_path) == ["result.tsv"]
    assert file_server.gets("/file")[0].headers["accept-encoding"] == "identity"


async def test_truncated_body_is_resumed_with_range(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    size = 2 * MiB
    progress = ProgressLog()
    resource = Resource(size=size, cuts=[MiB + 1000])
    path = await fetch(
        http_client,
        file_server,
        resource,
        tmp_path,
        expected_md5=pattern_md5(size),
        progress=progress,
    )
    assert read(path) == pattern(0, size)
    second = file_server.gets("/file")[1].headers
    assert second["range"].startswith("bytes=")
    assert second["range"] != "bytes=0-"
    assert second["if-range"] == '"v1"'
    assert not progress.rewound()


async def test_server_without_ranges_restarts_cleanly_and_progress_rewinds(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    size = 2 * MiB
    progress = ProgressLog()
    resource = Resource(size=size, accept_ranges=False, cuts=[MiB + 1000])
    path = await fetch(http_client, file_server, resource, tmp_path, progress=progress)
    assert read(path) == pattern(0, size)
    assert "range" not in file_server.gets("/file")[1].headers
    assert progress.rewound()
    assert progress.last == (size, size)


async def test_a_200_answering_a_range_is_written_from_the_start(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    size = 2 * MiB
    progress = ProgressLog()
    resource = Resource(size=size, range_answers_200=True, cuts=[MiB + 1000])
    path = await fetch(http_client, file_server, resource, tmp_path, progress=progress)
    assert "range" in file_server.gets("/file")[1].headers
    assert read(path) == pattern(0, size)
    assert progress.rewound()


async def test_resume_starts_from_what_the_disk_really_holds(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    size, cut = 2 * MiB, MiB
    gate = asyncio.Event()
    resource = Resource(size=size, notify_after=cut, gate=gate, cuts=[cut])
    async with anyio.create_task_group() as group:
        group.start_soon(
            functools.partial(
                fetch,
                http_client,
                file_server,
                resource,
                tmp_path,
                expected_md5=pattern_md5(size),
                # Every piece written as it arrives, so the disk holds all that was received.
                options=TransferOptions(chunk_size=1, fsync=False),
            )
        )
        await resource.reached.wait()
        with anyio.fail_after(5):
            while not (parts := [tmp_path / n for n in listdir(tmp_path) if n.endswith(".part")]):
                await anyio.sleep(0.01)
            while parts[0].stat().st_size < cut:
                await anyio.sleep(0.01)
        os.truncate(parts[0], 1000)  # the disk lost what the engine believes it wrote
        gate.set()
    assert file_server.gets("/file")[1].headers["range"] == "bytes=1000-"
    assert read(tmp_path / "result.tsv") == pattern(0, size)


async def test_body_encoded_despite_identity_with_no_known_size_is_refused(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    # Issue 10.1: its decoded size is unknown, so decoding it could fill the disk.
    with pytest.raises(InvalidResponseError, match="gzip"):
        await fetch(http_client, file_server, Resource(size=300_000, gzip=True), tmp_path)
    assert listdir(tmp_path) == []


async def test_stalled_body_is_resumed_after_a_read_timeout(
    transport_kind: str, file_server: FileServer, tmp_path: Path
) -> None:
    size = MiB
    transport = make_transport(transport_kind)
    async with httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(5.0, read=0.3)) as c:
        path = await fetch(c, file_server, Resource(size=size, stalls=[300_000]), tmp_path)
    assert read(path) == pattern(0, size)
    assert len(file_server.gets("/file")) == 2


async def test_body_that_keeps_breaking_fails_and_leaves_nothing(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    resource = Resource(size=MiB, cuts=[100_000, 200_000, 300_000, 400_000])
    with pytest.raises(APIConnectionError) as caught:
        await fetch(http_client, file_server, resource, tmp_path)
    assert "4 times" in str(caught.value)
    assert listdir(tmp_path) == []


async def test_oversized_body_is_a_mismatch_and_leaves_nothing(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    resource = Resource(size=MiB, extra_bytes=100_000)
    with pytest.raises(ChecksumMismatchError):
        await fetch(http_client, file_server, resource, tmp_path, expected_size=MiB)
    assert listdir(tmp_path) == []


async def test_announced_size_differing_from_expected_fails_before_writing(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    with pytest.raises(ChecksumMismatchError) as caught:
        await fetch(http_client, file_server, Resource(size=MiB), tmp_path, expected_size=MiB - 1)
    assert caught.value.expected == MiB - 1
    assert caught.value.actual == MiB
    assert listdir(tmp_path) == []


async def test_md5_mismatch_is_an_error_and_leaves_nothing(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    size = MiB
    resource = Resource(size=size, corrupt_at=12345)
    with pytest.raises(ChecksumMismatchError) as caught:
        await fetch(http_client, file_server, resource, tmp_path, expected_md5=pattern_md5(size))
    assert caught.value.expected == pattern_md5(size)
    assert listdir(tmp_path) == []


async def test_cancelled_download_leaves_no_file(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    gate = asyncio.Event()
    resource = Resource(size=4 * MiB, notify_after=2 * MiB, gate=gate)
    async with anyio.create_task_group() as group:
        group.start_soon(fetch, http_client, file_server, resource, tmp_path)
        await resource.reached.wait()
        with anyio.fail_after(5):
            while not any(name.endswith(".part") for name in listdir(tmp_path)):
                await anyio.sleep(0.01)
        group.cancel_scope.cancel()
    assert listdir(tmp_path) == []


async def test_existing_file_is_refused_before_any_request(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    target = tmp_path / "mine.tsv"
    target.write_bytes(b"keep me")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        await fetch(http_client, file_server, Resource(size=1000), target)
    assert file_server.requests == []
    assert target.read_bytes() == b"keep me"


async def test_existing_server_named_file_is_refused_and_kept(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    (tmp_path / "result.tsv").write_bytes(b"keep me")
    with pytest.raises(FileExistsError):
        await fetch(http_client, file_server, Resource(size=1000), tmp_path)
    assert (tmp_path / "result.tsv").read_bytes() == b"keep me"
    assert listdir(tmp_path) == ["result.tsv"]


async def test_overwrite_replaces_an_existing_file(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    target = tmp_path / "mine.tsv"
    target.write_bytes(b"old")
    path = await fetch(http_client, file_server, Resource(size=1000), target, overwrite=True)
    assert path == target
    assert read(target) == pattern(0, 1000)


async def test_temporary_and_final_files_are_private(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    gate = asyncio.Event()
    resource = Resource(size=2 * MiB, notify_after=MiB, gate=gate)
    async with anyio.create_task_group() as group:
        group.start_soon(fetch, http_client, file_server, resource, tmp_path)
        await resource.reached.wait()
        with anyio.fail_after(5):
            while not (parts := [n for n in listdir(tmp_path) if n.endswith(".part")]):
                await anyio.sleep(0.01)
        assert parts[0].startswith(".result.tsv.")
        assert stat.S_IMODE(os.stat(tmp_path / parts[0]).st_mode) == 0o600
        gate.set()
    assert stat.S_IMODE(os.stat(tmp_path / "result.tsv").st_mode) == 0o600


HOSTILE = [
    'attachment; filename="../../etc/passwd"',
    'attachment; filename="/etc/shadow"',
    'attachment; filename="..\\\\..\\\\windows\\\\system32.dll"',
    "attachment; filename*=UTF-8''..%2F..%2Fescape.tsv",
    'attachment; filename=".."',
    'attachment; filename="."',
    'attachment; filename=""',
    'attachment; filename="CON"',
    'attachment; filename="a\x01b\u202egpj.exe"',
    'attachment; filename=".hidden"',
    "attachment; filename=" + "x" * 400 + ".tsv",
    "inline",
]


@pytest.mark.parametrize("disposition", HOSTILE)
async def test_hostile_names_land_inside_dest(
    disposition: str, file_server: FileServer, tmp_path: Path
) -> None:
    dest = tmp_path / "out"
    resource = Resource(size=100, content_disposition=disposition)
    async with httpx.AsyncClient(transport=make_transport("aiohttp")) as http:
        path = await fetch(http, file_server, resource, f"{dest}{os.sep}")
    assert path.parent == dest
    assert path.resolve().parent == dest.resolve()
    assert not path.name.startswith(".")
    assert listdir(dest) == [path.name]
    assert read(path) == pattern(0, 100)


async def test_missing_name_falls_back(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    path = await fetch(
        http_client, file_server, Resource(size=10, content_disposition=None), tmp_path
    )
    assert path.name == "order_SUMMARY_CHROMS.tsv"


# -- ranged parallel ------------------------------------------------------------------------

PARALLEL = TransferOptions(
    chunk_size=64 * 1024, parallel_threshold=MiB, part_size=512 * 1024, concurrency=4, fsync=False
)


async def test_large_file_is_fetched_as_concurrent_ranged_parts(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    size = 4 * MiB + 123
    progress = ProgressLog()
    resource = Resource(size=size, range_barrier=3)
    path = await fetch(
        http_client,
        file_server,
        resource,
        tmp_path,
        options=PARALLEL,
        progress=progress,
        expected_md5=pattern_md5(size),
    )
    assert read(path) == pattern(0, size)
    ranged = [r for r in file_server.gets("/file") if "range" in r.headers]
    # The first (whole-file) response goes on through the parts nobody else has taken.
    assert 3 <= len(ranged) <= len(plan_parts(size, 512 * 1024)) - 1
    assert all(r.headers["if-range"] == '"v1"' for r in ranged)
    assert resource.barrier_open.is_set()  # three parts were in flight at once
    assert file_server.max_in_flight <= 4
    assert progress.last == (size, size)


async def test_broken_part_is_resumed_on_its_own(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    size = 3 * MiB
    # The 3rd request is a part; it breaks after 100 kB and is resumed from there.
    resource = Resource(size=size, cuts=[size + 1, size + 1, 100_000])
    path = await fetch(http_client, file_server, resource, tmp_path, options=PARALLEL)
    assert read(path) == pattern(0, size)
    starts = [
        int(r.headers["range"].removeprefix("bytes=").split("-")[0])
        for r in file_server.gets("/file")
        if "range" in r.headers
    ]
    boundaries = {start for start, _ in plan_parts(size, 512 * 1024)}
    assert len([start for start in starts if start not in boundaries]) == 1  # one resumption


async def test_file_changed_mid_download_starts_over(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    size = 3 * MiB
    resource = Resource(size=size, range_answers_200=True)
    with pytest.raises(APIConnectionError, match="kept changing"):
        await fetch(http_client, file_server, resource, tmp_path, options=PARALLEL)
    assert listdir(tmp_path) == []


async def test_parallel_parts_in_a_batch_stay_within_its_concurrency(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    size = 3 * MiB + 1
    for index in range(3):
        disposition = f'a; filename="{index}.bin"'
        file_server.add(f"/r{index}", Resource(size=size, content_disposition=disposition))
    items = [
        (
            request(str(index)),
            job_for(http_client, f"{file_server.base_url}/r{index}", tmp_path, options=PARALLEL),
        )
        for index in range(3)
    ]
    outcomes = await run_downloads(items, concurrency=2)
    assert all(outcome.ok for outcome in outcomes)
    for index in range(3):
        assert read(tmp_path / f"{index}.bin") == pattern(0, size)
    # Parts only ever borrow free slots: with the batch's two slots busy, a download reads on
    # through its own response instead of waiting for one.
    assert file_server.max_in_flight <= 2


# -- streaming --------------------------------------------------------------------------------


async def test_streamed_download_yields_the_file_and_resumes(
    http_client: httpx.AsyncClient, file_server: FileServer
) -> None:
    size = 2 * MiB
    url = file_server.add(
        "/file", Resource(size=size, cuts=[MiB + 5], content_disposition='a; filename="../x.tsv"')
    )
    async with open_download(
        opener(http_client, url), fallback_name="f.tsv", chunk_size=256 * 1024
    ) as download:
        assert download.filename == "x.tsv"
        assert download.size == size
        data = b"".join([chunk async for chunk in download])
    assert data == pattern(0, size)
    assert len(file_server.gets("/file")) == 2


async def test_streaming_a_huge_file_keeps_memory_flat(
    http_client: httpx.AsyncClient, file_server: FileServer
) -> None:
    size = 256 * MiB
    file_server.piece = 256 * 1024
    url = file_server.add("/huge", Resource(size=size))
    digest = hashlib.md5()
    gc.collect()
    tracemalloc.start()
    try:
        async with open_download(opener(http_client, url), fallback_name="f") as download:
            async for chunk in download:
                digest.update(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 1 MiB chunks, httpx's re-chunking buffer and the transport's read buffer: a few MiB.
    assert peak < 8 * MiB, f"peak {peak / MiB:.1f} MiB"


# -- batches ----------------------------------------------------------------------------------


async def test_batch_keeps_order_isolates_failures_and_limits_concurrency(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    sizes = [100_000 + 1000 * index for index in range(10)]
    for index, size in enumerate(sizes):
        file_server.add(
            f"/r{index}", Resource(size=size, content_disposition=f'a; filename="{index}.bin"')
        )
    requests = [request(f"order-{index}") for index in range(10)]
    requests[3] = request("missing")
    progress = ProgressLog()
    items = [
        (
            item,
            job_for(
                http_client,
                f"{file_server.base_url}/r{item.order_id.removeprefix('order-')}",
                tmp_path,
            ),
        )
        for item in requests
    ]
    outcomes = await run_downloads(items, concurrency=3, progress=progress)
    assert [o.request for o in outcomes] == requests
    assert [o.ok for o in outcomes] == [index != 3 for index in range(10)]
    assert isinstance(outcomes[3].error, NotFoundError)
    assert outcomes[5].path == tmp_path / "5.bin"
    assert file_server.max_in_flight <= 3
    expected_total = sum(size for index, size in enumerate(sizes) if index != 3)
    assert progress.last[0] == expected_total
    assert "NotFoundError" in repr(outcomes[3])


async def test_cancelled_batch_leaves_no_temporary_file(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    gate = asyncio.Event()
    resources = [
        Resource(
            size=2 * MiB, notify_after=MiB, gate=gate, content_disposition=f'a; filename="{i}"'
        )
        for i in range(4)
    ]
    for index, resource in enumerate(resources):
        file_server.add(f"/r{index}", resource)

    items = [
        (request(str(i)), job_for(http_client, f"{file_server.base_url}/r{i}", tmp_path))
        for i in range(4)
    ]
    async with anyio.create_task_group() as group:
        group.start_soon(functools.partial(run_downloads, items, concurrency=2))
        for resource in resources[:2]:
            await resource.reached.wait()
        group.cancel_scope.cancel()
    assert listdir(tmp_path) == []


def test_outcome_repr_shows_no_traceback() -> None:
    request = DownloadRequest(order_id="o", result_type="SUMMARY_CHROMS")
    outcome = DownloadOutcome(request=request, error=ValueError("bad"))
    assert not outcome.ok
    assert "ValueError('bad')" in repr(outcome)
    assert request.result_type == "SUMMARY_CHROMS"


# -- small files: gathered in memory, written in one thread hop ------------------------------


@pytest.mark.parametrize("ranges", [True, False])
async def test_small_file_cut_mid_body_is_completed(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path, ranges: bool
) -> None:
    size = 300_000
    progress = ProgressLog()
    resource = Resource(size=size, accept_ranges=ranges, cuts=[100_000])
    path = await fetch(
        http_client,
        file_server,
        resource,
        tmp_path,
        options=TransferOptions(),
        expected_md5=pattern_md5(size),
        progress=progress,
    )
    assert read(path) == pattern(0, size)
    assert listdir(tmp_path) == ["result.tsv"]
    assert progress.last == (size, size)
    assert ("range" in file_server.gets("/file")[1].headers) is ranges


async def test_small_file_with_a_bad_md5_leaves_nothing(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    with pytest.raises(ChecksumMismatchError):
        await fetch(
            http_client,
            file_server,
            Resource(size=5000, corrupt_at=10),
            tmp_path,
            options=TransferOptions(),
            expected_md5=pattern_md5(5000),
        )
    assert listdir(tmp_path) == []


async def test_small_file_is_private_and_never_clobbers(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    path = await fetch(
        http_client, file_server, Resource(size=5000), tmp_path, options=TransferOptions()
    )
    assert path.stat().st_mode & 0o777 == 0o600
    with pytest.raises(FileExistsError):
        await fetch(
            http_client, file_server, Resource(size=5000), tmp_path, options=TransferOptions()
        )
    assert read(path) == pattern(0, 5000)


async def test_large_file_in_a_full_batch_is_read_through_one_response(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    size = 3 * MiB + 1
    url = file_server.add("/big", Resource(size=size))

    item = (request("1"), job_for(http_client, url, tmp_path, options=PARALLEL))
    outcomes = await run_downloads([item], concurrency=1)
    assert outcomes[0].ok
    assert read(tmp_path / "result.tsv") == pattern(0, size)
    # No slot was free for a part: no connection was cut short to ask for the rest again.
    assert [r.headers.get("range") for r in file_server.gets("/big")] == [None]


@pytest.mark.parametrize("size", [5000, 2 * MiB])
async def test_a_symlink_at_the_target_name_is_never_followed(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path, size: int
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim.tsv"
    victim.write_bytes(b"precious")
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "result.tsv").symlink_to(victim)
    with pytest.raises(FileExistsError):
        await fetch(http_client, file_server, Resource(size=size), dest, options=TransferOptions())
    path = await fetch(
        http_client,
        file_server,
        Resource(size=size),
        dest,
        options=TransferOptions(),
        overwrite=True,
    )
    assert not path.is_symlink()
    assert read(path) == pattern(0, size)
    assert victim.read_bytes() == b"precious"
    assert sorted(listdir(dest)) == ["result.tsv"]
