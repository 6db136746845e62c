"""A 206 answering a download that asked for no range.

A plain ``GET`` (no ``Range``) answered ``206 Content-Range: bytes 51200-102399/102400`` carries
the second half of the file: written from offset 0 it would end as half a file, or the second
half twice. Such a first answer is accepted only when it covers the whole file
(``bytes 0-(N-1)/N``); anything else is a broken answer, asked again, and never written.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from galatea_async.errors import InvalidResponseError
from tests.integration.hostile.checks import assert_no_canary, leftovers, rendered
from tests.integration.hostile.conftest import SMALL_TRANSFERS, Connect
from tests.integration.hostile.scripts import in_turn, new_id, serve_file
from tests.integration.hostile.server import HostileServer, Reply, Request, Script

DOWNLOAD = r"data/results/[^/]+/download"


def file_bytes(size: int) -> bytes:
    return hashlib.shake_256(b"partial answers").digest(size)


def part_of(data: bytes, start: int, end: int) -> Script:
    """A 206 of ``data[start:end]`` whatever was asked."""

    async def script(request: Request, reply: Reply) -> None:
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Disposition": 'attachment; filename="result.tsv"',
            "Accept-Ranges": "bytes",
            "ETag": '"v1"',
            "Content-Range": f"bytes {start}-{end - 1}/{len(data)}",
        }
        await reply.send(206, data[start:end], headers)

    return script


@pytest.mark.parametrize("size", [102_400, 4_000], ids=["to-file", "in-memory"])
async def test_second_half_answering_a_plain_download_is_never_written(
    server: HostileServer,
    connect: Connect,
    dest: Path,
    caplog: pytest.LogCaptureFixture,
    size: int,
) -> None:
    data = file_bytes(size)
    server.on("GET", DOWNLOAD, part_of(data, size // 2, size))
    with pytest.raises(InvalidResponseError, match="Content-Range") as caught:
        await connect().results.download(new_id(), "SUMMARY_CHROMS", dest)
    assert f"bytes {size // 2}-{size - 1}/{size}" in str(caught.value)
    requests = server.seen("GET", DOWNLOAD)
    assert len(requests) == 1 + SMALL_TRANSFERS.max_resume_attempts
    assert all("range" not in request.headers for request in requests)
    assert leftovers(dest) == []
    assert leftovers(dest.parent) == ["out"]
    assert_no_canary(rendered(caught.value), caplog.text)


async def test_plain_download_answered_with_a_part_then_whole_is_the_whole_file(
    server: HostileServer, connect: Connect, dest: Path
) -> None:
    data = file_bytes(102_400)
    server.on("GET", DOWNLOAD, in_turn(part_of(data, 51_200, 102_400), serve_file(data)))
    path = await connect().results.download(new_id(), "SUMMARY_CHROMS", dest)
    assert path.read_bytes() == data
    assert server.count("GET", DOWNLOAD) == 2
    assert leftovers(dest) == [path.name]


async def test_206_covering_the_whole_file_is_accepted(
    server: HostileServer, connect: Connect, dest: Path
) -> None:
    data = file_bytes(102_400)
    server.on("GET", DOWNLOAD, part_of(data, 0, len(data)))
    path = await connect().results.download(new_id(), "SUMMARY_CHROMS", dest)
    assert path.read_bytes() == data
    assert server.count("GET", DOWNLOAD) == 1


async def test_streamed_download_refuses_a_part_answering_a_plain_request(
    server: HostileServer, connect: Connect
) -> None:
    data = file_bytes(102_400)
    server.on("GET", DOWNLOAD, part_of(data, 51_200, 102_400))
    received = bytearray()

    async def read_stream() -> None:
        async with connect().results.stream(new_id(), "SUMMARY_CHROMS") as download:
            async for chunk in download:
                received.extend(chunk)

    with pytest.raises(InvalidResponseError, match="Content-Range"):
        await read_stream()
    assert received == b""
    assert server.count("GET", DOWNLOAD) == 1 + SMALL_TRANSFERS.max_resume_attempts
