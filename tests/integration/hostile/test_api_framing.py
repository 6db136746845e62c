"""Hostile HTTP framing on API calls: what arrives before, or instead of, a usable answer.

A header block of megabytes, a storm of 1xx answers, headers sent one byte at a time, framing
that HTTP forbids, a connection reset on accept, a ``Retry-After`` of a year. Each ends as a
mapped ``GalateaError`` (nothing raw from httpx or aiohttp), within the call's deadline, with a
bounded number of requests and bounded memory.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from galatea_async import RetryPolicy
from galatea_async.errors import (
    APIConnectionError,
    APITimeoutError,
    ServiceUnavailableError,
)
from tests.integration.hostile.checks import assert_no_canary, leftovers, peak_memory, rendered
from tests.integration.hostile.conftest import Connect
from tests.integration.hostile.scripts import answer, me, new_id
from tests.integration.hostile.server import HostileServer, Reply, Request, Script, head

JSON = {"Content-Type": "application/json"}
ME_BODY = b'{"id": "11111111-1111-1111-1111-111111111111", "org": null}'
# A client that keeps none of the junk needs far less; one that buffered the 4 MiB header
# block, or the 1xx answers of a second, would blow through it.
MEMORY_BOUND = 4 << 20


def huge_header_block(*, one_header: bool) -> Script:
    """An answer whose header block is 4 MiB: one huge header, or 4,096 of 1 KiB each.

    Built before the test measures memory, so only the client's share is counted.
    """
    if one_header:
        headers = {"X-Hostile": "a" * (4 << 20)}
    else:
        headers = {f"X-Hostile-{n}": "b" * 1024 for n in range(4096)}
    data = head(200, {**headers, **JSON, "Content-Length": str(len(ME_BODY))}) + ME_BODY

    async def script(request: Request, reply: Reply) -> None:
        await reply.raw(data)

    return script


def informational_storm(count: int | None) -> Script:
    """``count`` 1xx answers (endless with ``None``), then the real one."""

    async def script(request: Request, reply: Reply) -> None:
        sent = 0
        while count is None or sent < count:
            await reply.raw(b"HTTP/1.1 103 Early Hints\r\nLink: </x>; rel=preload\r\n\r\n" * 100)
            sent += 100
            await asyncio.sleep(0.005)  # a storm, not a busy loop that starves the client
        await reply.json(me())

    return script


async def slow_headers(request: Request, reply: Reply) -> None:
    """A status line, then header bytes one at a time, never reaching the blank line."""
    await reply.raw(b"HTTP/1.1 200 OK\r\n")
    while True:
        await reply.raw(b"X")
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("one_header", [True, False], ids=["one-4MiB-header", "4096-headers"])
async def test_megabytes_of_headers_end_as_a_connection_error(
    server: HostileServer, connect: Connect, caplog: pytest.LogCaptureFixture, one_header: bool
) -> None:
    server.on("GET", "users/me", huge_header_block(one_header=one_header))
    client = connect()
    with peak_memory() as peak, pytest.raises(APIConnectionError) as caught:
        await client.users.me()
    assert type(caught.value) is APIConnectionError
    assert 1 <= server.count("GET", "users/me") <= 3
    assert peak.bytes < MEMORY_BOUND, f"{peak.mebibytes:.0f} MiB"
    assert_no_canary(rendered(caught.value), caplog.text)


async def test_endless_informational_storm_is_cut_by_the_deadline(
    server: HostileServer, connect: Connect
) -> None:
    server.on("GET", "users/me", informational_storm(None))
    client = connect().with_options(deadline=0.4)
    with peak_memory() as peak, pytest.raises(APITimeoutError, match="deadline") as caught:
        await client.users.me()
    assert_no_canary(rendered(caught.value))
    assert server.count("GET", "users/me") == 1
    assert peak.bytes < MEMORY_BOUND, f"{peak.mebibytes:.0f} MiB"


async def test_informational_answers_before_the_real_one_are_skipped(
    server: HostileServer, connect: Connect
) -> None:
    server.on("GET", "users/me", informational_storm(300))
    assert (await connect().users.me()).org is not None
    assert server.count("GET", "users/me") == 1


async def test_headers_dripped_a_byte_at_a_time_are_cut_by_the_deadline(
    server: HostileServer, connect: Connect
) -> None:
    server.on("GET", "users/me", slow_headers)
    with pytest.raises(APITimeoutError, match="deadline") as caught:
        await connect().with_options(deadline=0.4).users.me()
    assert_no_canary(rendered(caught.value))
    assert server.count("GET", "users/me") == 1


async def test_download_headers_dripped_are_cut_by_the_deadline(
    server: HostileServer, connect: Connect, dest: Path
) -> None:
    server.on("GET", r"data/results/[^/]+/download", slow_headers)
    client = connect().with_options(deadline=0.4)
    with pytest.raises(APITimeoutError, match="deadline") as caught:
        await client.results.download(new_id(), "SUMMARY_CHROMS", dest)
    assert server.count("GET", r"data/results/[^/]+/download") == 1
    assert leftovers(dest) == []
    assert_no_canary(rendered(caught.value))


def raw_then_cut(data: bytes) -> Script:
    async def script(request: Request, reply: Reply) -> None:
        await reply.raw(data)
        reply.close()

    return script


BROKEN_FRAMING = [
    pytest.param(b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n" + ME_BODY, id="negative-length"),
    pytest.param(
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nContent-Length: 12\r\n\r\n" + ME_BODY,
        id="two-lengths",
    ),
    pytest.param(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" + ME_BODY, id="bad-chunk"
    ),
    pytest.param(b"HELLO THERE\r\n\r\n", id="not-http"),
    pytest.param(b"HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\n{}", id="bad-status"),
    pytest.param(b"HTTP/1.1 200 OK\r\nBad Header Line\r\n\r\n{}", id="bad-header"),
    pytest.param(b"", id="reset-on-accept"),
]


@pytest.mark.parametrize("data", BROKEN_FRAMING)
async def test_broken_framing_is_retried_then_a_connection_error(
    server: HostileServer, connect: Connect, caplog: pytest.LogCaptureFixture, data: bytes
) -> None:
    server.on("GET", "users/me", raw_then_cut(data))
    with pytest.raises(APIConnectionError) as caught:
        await connect().users.me()
    assert type(caught.value) is APIConnectionError
    assert server.count("GET", "users/me") == 3
    assert_no_canary(rendered(caught.value), caplog.text)


@pytest.mark.parametrize("data", [*BROKEN_FRAMING, pytest.param(None, id="4MiB-header")])
async def test_broken_framing_on_a_download_is_a_connection_error(
    server: HostileServer, connect: Connect, dest: Path, caplog: pytest.LogCaptureFixture,
    data: bytes | None,
) -> None:  # fmt: skip
    script = huge_header_block(one_header=True) if data is None else raw_then_cut(data)
    server.on("GET", r"data/results/[^/]+/download", script)
    with peak_memory() as peak, pytest.raises(APIConnectionError) as caught:
        await connect().results.download(new_id(), "SUMMARY_CHROMS", dest)
    assert type(caught.value) is APIConnectionError
    assert server.count("GET", r"data/results/[^/]+/download") == 3
    assert leftovers(dest) == []
    assert peak.bytes < MEMORY_BOUND, f"{peak.mebibytes:.0f} MiB"
    assert_no_canary(rendered(caught.value), caplog.text)


@pytest.mark.parametrize(
    "retry_after", ["31536000", "Fri, 31 Dec 9999 23:59:59 GMT"], ids=["seconds", "date"]
)
async def test_retry_after_of_a_year_never_outlives_the_deadline(
    server: HostileServer, connect: Connect, retry_after: str
) -> None:
    server.on(
        "GET", "users/me", answer({"detail": "busy"}, 503, headers={"Retry-After": retry_after})
    )
    client = connect(retry_policy=RetryPolicy(max_retries=2)).with_options(deadline=0.4)
    with pytest.raises((APITimeoutError, ServiceUnavailableError)) as caught:
        await client.users.me()
    assert type(caught.value) is APITimeoutError, "the SDK waits up to retry_after_max (60 s)"
    assert "deadline" in str(caught.value)
    assert server.count("GET", "users/me") == 1
