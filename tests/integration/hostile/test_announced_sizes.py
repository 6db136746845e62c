"""Sizes a server announces cost neither memory nor time, and never more disk than there is.

A 200 announcing ``Content-Length: 10**15`` with ranges once built the whole list of parts on
the event loop (3 GB, seconds of stall). Parts are planned on demand; a download larger than
the free space of the destination's file system fails before anything is written, naming both
sizes; a size beyond any real file (more than 2**60 bytes) is refused as a broken answer.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from galatea_async import TransferOptions
from galatea_async.errors import GalateaError, InvalidResponseError
from tests.integration.hostile.checks import assert_no_canary, leftovers, peak_memory, rendered
from tests.integration.hostile.conftest import Connect
from tests.integration.hostile.scripts import new_id, serve_file
from tests.integration.hostile.server import HostileServer, Reply, Request, Script

DOWNLOAD = r"data/results/[^/]+/download"
PETABYTE = 10**15
SPLIT = TransferOptions(
    chunk_size=64 << 10, parallel_threshold=1 << 20, part_size=1 << 20, fsync=False
)
WHOLE = TransferOptions(chunk_size=64 << 10, parallel_threshold=1 << 62, fsync=False)


def announcing(length: int, *, extra: dict[str, str] | None = None) -> Script:
    """A 200 announcing ``length`` bytes (with ranges and a validator), then 100 bytes and a
    close."""

    async def script(request: Request, reply: Reply) -> None:
        headers = {
            "Content-Disposition": 'attachment; filename="huge.tsv"',
            "Accept-Ranges": "bytes",
            "ETag": '"v1"',
            **(extra or {}),
        }
        await reply.send(200, b"x" * 100, headers, length=length)
        reply.close()

    return script


@pytest.mark.parametrize("options", [SPLIT, WHOLE], ids=["in-parts", "in-one-piece"])
async def test_file_larger_than_the_free_space_fails_before_writing(
    server: HostileServer,
    connect: Connect,
    dest: Path,
    caplog: pytest.LogCaptureFixture,
    options: TransferOptions,
) -> None:
    assert shutil.disk_usage(dest).free < PETABYTE
    server.on("GET", DOWNLOAD, announcing(PETABYTE))
    with peak_memory() as peak, pytest.raises(GalateaError) as caught:
        await connect(transfer_options=options).results.download(new_id(), "SUMMARY_CHROMS", dest)
    assert type(caught.value) is GalateaError
    message = str(caught.value)
    assert f"needs {PETABYTE} bytes" in message
    assert " free; nothing was written" in message and str(dest) in message
    assert peak.bytes < 8 << 20, f"peaked at {peak.mebibytes:.0f} MiB"
    assert server.count("GET", DOWNLOAD) == 1
    assert leftovers(dest) == []
    assert leftovers(dest.parent) == ["out"]
    assert_no_canary(rendered(caught.value), caplog.text)


async def test_content_length_beyond_any_file_is_refused_naming_it(
    server: HostileServer, connect: Connect, dest: Path
) -> None:
    server.on("GET", DOWNLOAD, announcing(10**19))
    with pytest.raises(InvalidResponseError, match="Content-Length"):
        await connect(transfer_options=SPLIT).results.download(new_id(), "SUMMARY_CHROMS", dest)
    assert server.count("GET", DOWNLOAD) == 1
    assert leftovers(dest) == []


async def test_content_range_beyond_any_file_is_refused_naming_it(
    server: HostileServer, connect: Connect, dest: Path
) -> None:
    data = b"y" * 200_000
    cut = serve_file(data, cut_first_after=50_000)
    calls = 0

    async def cut_then_absurd(request: Request, reply: Reply) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            await cut(request, reply)
            return
        headers = {
            "ETag": '"v1"',
            "Accept-Ranges": "bytes",
            "Content-Range": f"bytes 50000-{10**19 - 1}/{10**19}",
        }
        await reply.send(206, data[50_000:], headers)

    server.on("GET", DOWNLOAD, cut_then_absurd)
    with pytest.raises(InvalidResponseError, match="Content-Range"):
        await connect(transfer_options=WHOLE).results.download(new_id(), "SUMMARY_CHROMS", dest)
    assert server.count("GET", DOWNLOAD) == 2
    assert leftovers(dest) == []
