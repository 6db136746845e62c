"""Framing headers sent twice with different values, read the same way on both transports.

httpx joins repeated header lines (``identity, gzip``); aiohttp's ``get`` gives the first
(``identity``), so the same answer was a gzip-encoded file to one transport and a plain one
(saved as gzip bytes) to the other. Conflicting duplicates of ``Content-Length``,
``Content-Encoding``, ``Content-Range`` or ``Content-Disposition`` are refused on both, with an
``InvalidResponseError`` naming the header; nothing is written.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest

from galatea_async.errors import APIConnectionError, InvalidResponseError
from tests.integration.hostile.checks import assert_no_canary, leftovers, rendered
from tests.integration.hostile.conftest import SMALL_TRANSFERS, Connect
from tests.integration.hostile.scripts import new_id
from tests.integration.hostile.server import HostileServer, Reply, Request, Script

DOWNLOAD = r"data/results/[^/]+/download"
DATA = hashlib.shake_256(b"framing").digest(3000)


def raw_answer(status: str, lines: list[str], body: bytes) -> Script:
    """An answer with exactly these header lines (repeats kept), then ``body``."""

    async def script(request: Request, reply: Reply) -> None:
        head = "\r\n".join([f"HTTP/1.1 {status}", *lines]) + "\r\n\r\n"
        await reply.raw(head.encode("latin-1") + body)

    return script


GZIPPED = gzip.compress(DATA)
NAME = 'Content-Disposition: attachment; filename="result.tsv"'
CASES = {
    "content-encoding": (
        "200 OK",
        [
            f"Content-Length: {len(GZIPPED)}",
            "Content-Encoding: identity",
            "Content-Encoding: gzip",
            NAME,
        ],
        GZIPPED,
    ),
    "content-disposition": (
        "200 OK",
        [
            f"Content-Length: {len(DATA)}",
            NAME,
            'Content-Disposition: attachment; filename="other.tsv"',
        ],
        DATA,
    ),
    "content-range": (
        "206 Partial Content",
        [
            f"Content-Length: {len(DATA)}",
            f"Content-Range: bytes 0-{len(DATA) - 1}/{len(DATA)}",
            f"Content-Range: bytes 0-{len(DATA) - 1}/{len(DATA) + 1}",
            NAME,
        ],
        DATA,
    ),
}


@pytest.mark.parametrize("header", sorted(CASES))
async def test_conflicting_duplicate_framing_header_is_refused_naming_it(
    server: HostileServer,
    connect: Connect,
    dest: Path,
    caplog: pytest.LogCaptureFixture,
    header: str,
) -> None:
    status, lines, body = CASES[header]
    server.on("GET", DOWNLOAD, raw_answer(status, lines, body))
    with pytest.raises(InvalidResponseError) as caught:
        await connect().results.download(new_id(), "SUMMARY_CHROMS", dest)
    assert header in str(caught.value).lower()
    assert server.count("GET", DOWNLOAD) <= 1 + SMALL_TRANSFERS.max_resume_attempts
    assert leftovers(dest) == []
    assert leftovers(dest.parent) == ["out"]
    assert_no_canary(rendered(caught.value), caplog.text)


async def test_conflicting_content_lengths_are_refused_by_both_parsers(
    server: HostileServer, connect: Connect, dest: Path
) -> None:
    # h11 and aiohttp's parser both refuse the answer before its headers reach the SDK: a
    # protocol error, mapped to APIConnectionError naming the header on both transports.
    lines = [f"Content-Length: {len(DATA)}", f"Content-Length: {len(DATA) - 1000}", NAME]
    server.on("GET", DOWNLOAD, raw_answer("200 OK", lines, DATA))
    with pytest.raises(APIConnectionError, match="Content-Length"):
        await connect().results.download(new_id(), "SUMMARY_CHROMS", dest)
    assert leftovers(dest) == []


async def test_identical_duplicate_disposition_is_one_header(
    server: HostileServer, connect: Connect, dest: Path
) -> None:
    lines = [f"Content-Length: {len(DATA)}", NAME, NAME]
    server.on("GET", DOWNLOAD, raw_answer("200 OK", lines, DATA))
    path = await connect().results.download(new_id(), "SUMMARY_CHROMS", dest)
    assert path.name == "result.tsv"
    assert path.read_bytes() == DATA
