"""Hostile download bodies: encodings not asked for, a false gzip, and variants.

What a download may never do: write more than the server promised or the API listed, decode
without a cap, or keep a file (or a temporary file) after failing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from galatea_async import AsyncGalatea
from galatea_async.errors import (
    ChecksumMismatchError,
    InvalidResponseError,
)
from tests.integration.hostile.bombs import deflate_bomb, gzip_bomb, gzip_of
from tests.integration.hostile.checks import (
    assert_no_canary,
    leftovers,
    peak_memory,
    rendered,
)
from tests.integration.hostile.conftest import Connect
from tests.integration.hostile.scripts import (
    answer,
    new_id,
    page,
    pdf_report,
    serve_file,
    source_file,
)
from tests.integration.hostile.server import HostileServer

DOWNLOAD = r"data/results/[^/]+/download"
FILE_DOWNLOAD = r"data/files/[^/]+/download"
# A 256 MiB bomb decoded in memory, or written out, blows through this many times over.
MEMORY_BOUND = 24 << 20


def file_bytes(size: int) -> bytes:
    """``size`` bytes that do not compress to nothing (so a wrong offset would show)."""
    return hashlib.shake_256(b"hostile download").digest(size)


async def download_result(client: AsyncGalatea, dest: Path) -> Path:
    return await client.results.download(new_id(), "SUMMARY_CHROMS", dest)


def serve_pdf_report(server: HostileServer, listed: bytes) -> tuple[str, str]:
    """List one PDF report for ``listed`` (its size and md5); the order and report ids."""
    order_id, report_id = new_id(), new_id()
    server.on(
        "GET",
        r"data/results/[^/]+/pdf_report",
        answer(page([pdf_report(report_id, order_id, listed)])),
    )
    return order_id, report_id


def serve_source_file(server: HostileServer, listed: bytes) -> str:
    file_id = new_id()
    server.on("GET", "data/files", answer(page([source_file(file_id, listed)])))
    return file_id


# -- 10.1: an encoded body of unknown decoded size is refused before anything is written ----

ENCODED_BODIES = [
    pytest.param("gzip", lambda: gzip_bomb(256), id="gzip-bomb"),
    pytest.param("gzip, gzip", lambda: gzip_bomb(256, layers=2), id="gzip-of-gzip-bomb"),
    pytest.param("deflate", lambda: deflate_bomb(256), id="deflate-bomb"),
    pytest.param("br", lambda: b"\x1b\xff\xff\x0f" * 64, id="brotli-claimed"),
    pytest.param("x-hostile", lambda: b"whatever" * 64, id="unknown-encoding"),
]


@pytest.mark.parametrize(("encoding", "body"), ENCODED_BODIES)
async def test_encoded_result_is_refused_before_anything_is_written(
    server: HostileServer, connect: Connect, dest: Path, caplog: pytest.LogCaptureFixture,
    encoding: str, body: Callable[[], bytes],
) -> None:  # fmt: skip
    server.on("GET", DOWNLOAD, serve_file(b"", body=body(), encoding=encoding))
    client = connect()
    with peak_memory() as peak, pytest.raises(InvalidResponseError) as caught:
        await download_result(client, dest)
    assert encoding.split(",")[0] in str(caught.value)
    assert server.count("GET", DOWNLOAD) == 1  # refused, not retried
    assert server.seen("GET", DOWNLOAD)[0].headers.get("accept-encoding") == "identity"
    assert leftovers(dest) == []
    assert peak.bytes < MEMORY_BOUND, f"{peak.mebibytes:.0f} MiB"
    assert_no_canary(rendered(caught.value), caplog.text)


async def test_encoded_result_stream_yields_nothing(
    server: HostileServer, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    server.on("GET", DOWNLOAD, serve_file(b"", body=gzip_bomb(256), encoding="gzip"))
    client = connect()
    received: list[bytes] = []

    async def read_stream() -> None:
        async with client.results.stream(new_id(), "SUMMARY_CHROMS") as download:
            async for chunk in download:
                received.append(chunk)

    with peak_memory() as peak, pytest.raises(InvalidResponseError, match="gzip") as caught:
        await read_stream()
    assert received == []
    assert server.count("GET", DOWNLOAD) == 1
    assert peak.bytes < MEMORY_BOUND, f"{peak.mebibytes:.0f} MiB"
    assert_no_canary(rendered(caught.value), caplog.text)


async def test_gzip_result_with_a_lying_content_length_is_refused(
    server: HostileServer, connect: Connect, dest: Path
) -> None:
    bomb = gzip_bomb(64)
    server.on("GET", DOWNLOAD, serve_file(b"", body=bomb, encoding="gzip", length=len(bomb) * 10))
    with pytest.raises(InvalidResponseError, match="gzip") as caught:
        await download_result(connect(), dest)
    assert_no_canary(rendered(caught.value))
    assert server.count("GET", DOWNLOAD) == 1
    assert leftovers(dest) == []


# -- 10.1: with the size listed by the API, gzip/deflate are decoded under that size --------


async def test_gzip_pdf_report_of_its_listed_size_is_decoded(
    server: HostileServer, connect: Connect, dest: Path
) -> None:
    data = file_bytes(300_000)
    order_id, report_id = serve_pdf_report(server, data)
    server.on("GET", DOWNLOAD, serve_file(data, body=gzip_of(data), encoding="gzip"))
    path = await connect().results.download_pdf_report(order_id, report_id, dest)
    assert path.read_bytes() == data
    assert leftovers(dest) == [path.name]


@pytest.mark.parametrize(
    ("encoding", "bomb"),
    [
        ("gzip", lambda: gzip_bomb(256)),
        ("deflate", lambda: deflate_bomb(256)),
        ("gzip, gzip", lambda: gzip_bomb(256, layers=2)),
    ],
    ids=["gzip", "deflate", "gzip-of-gzip"],
)
async def test_pdf_report_bomb_stops_at_its_listed_size(
    server: HostileServer, connect: Connect, dest: Path, caplog: pytest.LogCaptureFixture,
    encoding: str, bomb: Callable[[], bytes],
) -> None:  # fmt: skip
    order_id, report_id = serve_pdf_report(server, file_bytes(100_000))
    server.on("GET", DOWNLOAD, serve_file(b"", body=bomb(), encoding=encoding))
    client = connect()
    with peak_memory() as peak, pytest.raises(ChecksumMismatchError) as caught:
        await client.results.download_pdf_report(order_id, report_id, dest)
    assert server.count("GET", DOWNLOAD) == 1
    assert leftovers(dest) == []
    assert peak.bytes < MEMORY_BOUND, f"{peak.mebibytes:.0f} MiB"
    assert_no_canary(rendered(caught.value), caplog.text)


async def test_source_file_deflate_bomb_stops_at_its_listed_size(
    server: HostileServer, connect: Connect, dest: Path
) -> None:
    file_id = serve_source_file(server, file_bytes(100_000))
    server.on("GET", FILE_DOWNLOAD, serve_file(b"", body=deflate_bomb(256), encoding="deflate"))
    with (
        peak_memory() as peak,
        pytest.raises(ChecksumMismatchError, match="nothing was kept") as caught,
    ):
        await connect().files.download(file_id, dest)
    assert_no_canary(rendered(caught.value))
    assert server.count("GET", FILE_DOWNLOAD) == 1
    assert leftovers(dest) == []
    assert peak.bytes < MEMORY_BOUND, f"{peak.mebibytes:.0f} MiB"


async def test_pdf_report_in_another_encoding_is_refused_naming_it(
    server: HostileServer, connect: Connect, dest: Path
) -> None:
    data = file_bytes(50_000)
    order_id, report_id = serve_pdf_report(server, data)
    server.on("GET", DOWNLOAD, serve_file(data, body=b"\x1b\xff\xff\x0f" * 100, encoding="br"))
    with pytest.raises(InvalidResponseError, match="br") as caught:
        await connect().results.download_pdf_report(order_id, report_id, dest)
    assert_no_canary(rendered(caught.value))
    assert server.count("GET", DOWNLOAD) == 1
    assert leftovers(dest) == []


@pytest.mark.parametrize(
    ("body", "expected", "fragment"),
    [
        (lambda data: gzip_of(data)[:-40], InvalidResponseError, "gzip"),
        (lambda data: gzip_of(data[:-1]), ChecksumMismatchError, "bytes"),
        (lambda data: gzip_of(gzip_of(data)), ChecksumMismatchError, "bytes"),
    ],
    ids=["gzip-truncated", "gzip-one-byte-short", "gzip-of-gzip-as-gzip"],
)
async def test_pdf_report_whose_gzip_does_not_decode_to_the_file_is_not_kept(
    server: HostileServer, connect: Connect, dest: Path,
    body: Callable[[bytes], bytes], expected: type[Exception], fragment: str,
) -> None:  # fmt: skip
    data = file_bytes(200_000)
    order_id, report_id = serve_pdf_report(server, data)
    server.on("GET", DOWNLOAD, serve_file(data, body=body(data), encoding="gzip"))
    with pytest.raises(expected, match=fragment) as caught:
        await connect().results.download_pdf_report(order_id, report_id, dest)
    assert_no_canary(rendered(caught.value))
    assert leftovers(dest) == []


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"chrom\tpos\tancestry\n" * 2_000, id="compressible"),
        pytest.param(file_bytes(20_000), id="incompressible"),
    ],
)
async def test_pdf_report_in_stacked_encodings_is_decoded(
    server: HostileServer, connect: Connect, dest: Path, data: bytes
) -> None:
    order_id, report_id = serve_pdf_report(server, data)
    server.on("GET", DOWNLOAD, serve_file(data, body=gzip_of(gzip_of(data)), encoding="gzip, gzip"))
    path = await connect().results.download_pdf_report(order_id, report_id, dest)
    assert path.read_bytes() == data
    assert server.count("GET", DOWNLOAD) == 1
    assert leftovers(dest) == [path.name]


async def test_gzip_pdf_report_cut_mid_body_starts_over_whole(
    server: HostileServer, connect: Connect, dest: Path
) -> None:
    data = file_bytes(300_000)
    order_id, report_id = serve_pdf_report(server, data)
    encoded = gzip_of(data)
    server.on(
        "GET",
        DOWNLOAD,
        serve_file(data, body=encoded, encoding="gzip", cut_first_after=len(encoded) // 2),
    )
    path = await connect().results.download_pdf_report(order_id, report_id, dest)
    assert path.read_bytes() == data
    downloads = server.seen("GET", DOWNLOAD)
    assert len(downloads) == 2
    assert "range" not in downloads[1].headers  # no resuming inside an encoded stream
    assert leftovers(dest) == [path.name]


# -- 10.11 on downloads: a body that claims gzip but is not ---------------------------------


async def test_result_claiming_gzip_is_refused_before_decoding(
    server: HostileServer, connect: Connect, dest: Path
) -> None:
    server.on("GET", DOWNLOAD, serve_file(file_bytes(10_000), encoding="gzip"))
    with pytest.raises(InvalidResponseError, match="gzip") as caught:
        await download_result(connect(), dest)
    assert_no_canary(rendered(caught.value))
    assert server.count("GET", DOWNLOAD) == 1
    assert leftovers(dest) == []


async def test_pdf_report_claiming_gzip_fails_to_decode(
    server: HostileServer, connect: Connect, dest: Path
) -> None:
    data = file_bytes(10_000)
    order_id, report_id = serve_pdf_report(server, data)
    server.on("GET", DOWNLOAD, serve_file(data, encoding="gzip"))
    with pytest.raises(InvalidResponseError, match="gzip") as caught:
        await connect().results.download_pdf_report(order_id, report_id, dest)
    assert_no_canary(rendered(caught.value))
    assert server.count("GET", DOWNLOAD) == 1
    assert leftovers(dest) == []


# -- never more than promised ---------------------------------------------------------------


@pytest.mark.parametrize("length", ["auto", None], ids=["content-length", "close-delimited"])
async def test_pdf_report_longer_than_listed_is_not_kept(
    server: HostileServer, connect: Connect, dest: Path, length: str | None
) -> None:
    listed = file_bytes(1_000)
    order_id, report_id = serve_pdf_report(server, listed)
    server.on("GET", DOWNLOAD, serve_file(file_bytes(200_000), ranges=False, length=length))
    with pytest.raises(ChecksumMismatchError, match="nothing was kept") as caught:
        await connect().results.download_pdf_report(order_id, report_id, dest)
    assert_no_canary(rendered(caught.value))
    assert server.count("GET", DOWNLOAD) == 1
    assert leftovers(dest) == []


async def test_html_page_answering_a_result_download_is_not_saved(
    server: HostileServer, connect: Connect, dest: Path
) -> None:
    page_html = b"<!doctype html><html><body>Please sign in to continue</body></html>"
    server.on("GET", DOWNLOAD, serve_file(page_html, content_type="text/html; charset=utf-8"))
    with pytest.raises(InvalidResponseError, match="HTML") as caught:
        await download_result(connect(), dest)
    assert_no_canary(rendered(caught.value))
    assert leftovers(dest) == []


async def test_html_page_answering_a_pdf_report_download_is_not_saved(
    server: HostileServer, connect: Connect, dest: Path
) -> None:
    order_id, report_id = serve_pdf_report(server, file_bytes(5_000))
    page_html = b"<!doctype html><html><body>Please sign in to continue</body></html>"
    server.on("GET", DOWNLOAD, serve_file(page_html, content_type="text/html"))
    with pytest.raises(InvalidResponseError, match="HTML page") as caught:
        await connect().results.download_pdf_report(order_id, report_id, dest)
    assert_no_canary(rendered(caught.value))
    assert leftovers(dest) == []
