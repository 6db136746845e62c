"""Uploads: every source kind, the size limit before sending, and a body that replays."""

from __future__ import annotations

import gzip
import io
import os
import re
import tempfile
import zipfile
from collections.abc import AsyncGenerator, AsyncIterator, Generator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import respx

from galatea_async import AsyncGalatea, SourceFile, UploadOutcome
from galatea_async._upload import (
    MAX_API_UPLOAD_BYTES,
    PreparedUpload,
    UploadTooLargeError,
    prepare_upload,
)
from galatea_async._upload_batch import (
    UploadRoute,
    run_in_order,
    upload_route,
)
from galatea_async.errors import ArchiveIntegrityError, ChecksumMismatchError, GalateaError
from tests import payloads
from tests.transfer_support import FileServer, ProgressLog

# Starts with a byte no archive starts with: random bytes must never look like gzip or zip.
DATA = b"R" + os.urandom(2 * (1 << 20) + 333)


@pytest.fixture(autouse=True)
def private_tempdir(tmp_path: Path) -> Generator[Path, None, None]:
    spool = tmp_path / "spool"
    spool.mkdir()
    previous = tempfile.tempdir
    tempfile.tempdir = str(spool)
    try:
        yield spool
    finally:
        tempfile.tempdir = previous


def parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, str], bytes]:
    """The part headers and content of a one-part multipart body."""
    boundary = content_type.split("boundary=", 1)[1].encode()
    assert body.startswith(b"--" + boundary + b"\r\n")
    assert body.endswith(b"\r\n--" + boundary + b"--\r\n")
    inner = body[len(boundary) + 4 : -(len(boundary) + 8)]
    head, _, content = inner.partition(b"\r\n\r\n")
    headers = {}
    for line in head.decode().split("\r\n"):
        key, _, value = line.partition(": ")
        headers[key.lower()] = value
    return headers, content


async def send(http_client: httpx.AsyncClient, upload: PreparedUpload, path: str = "/echo") -> Any:
    response = await http_client.post(path, content=upload.stream(), headers=upload.headers())
    return response.json()


async def collect(upload: PreparedUpload) -> bytes:
    return b"".join([chunk async for chunk in upload.stream()])


async def chunks_of(data: bytes, size: int = 100_000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def test_upload_from_a_path(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    source = tmp_path / "sample.txt.zip"
    source.write_bytes(DATA)
    progress = ProgressLog()
    async with await prepare_upload(source, progress=progress) as upload:
        echoed = await send(http_client, upload)
    assert echoed["length"] == upload.content_length
    assert echoed["transfer_encoding"] is None
    headers, content = parse_multipart(file_server.last_body, echoed["content_type"])
    assert content == DATA
    assert headers["content-disposition"] == 'form-data; name="file"; filename="sample.txt.zip"'
    assert headers["content-type"] == "application/zip"
    assert progress.last == (len(DATA), len(DATA))
    assert source.exists()


async def test_upload_from_bytes(http_client: httpx.AsyncClient, file_server: FileServer) -> None:
    async with await prepare_upload(DATA, filename="dir/../a.txt") as upload:
        echoed = await send(http_client, upload)
    headers, content = parse_multipart(file_server.last_body, echoed["content_type"])
    assert content == DATA
    assert 'filename="a.txt"' in headers["content-disposition"]


async def test_upload_from_a_file_object_starts_where_it_stands(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    source = tmp_path / "genome.txt"
    source.write_bytes(b"HEADER" + DATA)
    with source.open("rb") as handle:
        handle.read(6)
        async with await prepare_upload(handle) as upload:
            assert upload.filename == "genome.txt"
            echoed = await send(http_client, upload)
    _, content = parse_multipart(file_server.last_body, echoed["content_type"])
    assert content == DATA


async def test_upload_from_an_unseekable_file_object_is_spooled(
    http_client: httpx.AsyncClient, file_server: FileServer, private_tempdir: Path
) -> None:
    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self._data = io.BytesIO(DATA)

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            return self._data.read(size)

    async with await prepare_upload(Pipe(), filename="piped.zip") as upload:  # type: ignore[arg-type]
        assert upload.size == len(DATA)
        echoed = await send(http_client, upload)
        assert len(os.listdir(private_tempdir)) == 1
    _, content = parse_multipart(file_server.last_body, echoed["content_type"])
    assert content == DATA
    assert os.listdir(private_tempdir) == []


async def test_upload_from_an_async_iterable(
    http_client: httpx.AsyncClient, file_server: FileServer, private_tempdir: Path
) -> None:
    async with await prepare_upload(chunks_of(DATA), filename="stream.zip") as upload:
        echoed = await send(http_client, upload)
    _, content = parse_multipart(file_server.last_body, echoed["content_type"])
    assert content == DATA
    assert os.listdir(private_tempdir) == []


async def test_body_is_replayed_after_a_401_refresh(
    http_client: httpx.AsyncClient, file_server: FileServer
) -> None:
    class RefreshingAuth(httpx.Auth):
        async def async_auth_flow(
            self, request: httpx.Request
        ) -> AsyncGenerator[httpx.Request, httpx.Response]:
            request.headers["Authorization"] = "Bearer stale"
            response = yield request
            if response.status_code == 401:
                request.headers["Authorization"] = "Bearer fresh"
                yield request

    progress = ProgressLog()
    async with await prepare_upload(chunks_of(DATA), filename="s.zip", progress=progress) as upload:
        response = await http_client.post(
            "/echo-auth", content=upload.stream(), headers=upload.headers(), auth=RefreshingAuth()
        )
    assert response.status_code == 200
    _, content = parse_multipart(file_server.last_body, response.json()["content_type"])
    assert content == DATA
    assert progress.rewound()
    assert progress.last == (len(DATA), len(DATA))


async def test_stream_iterated_twice_gives_identical_bytes_and_rewinds_progress() -> None:
    progress = ProgressLog()
    upload = await prepare_upload(chunks_of(DATA), filename="s.zip", progress=progress)
    try:
        first = await collect(upload)
        second = await collect(upload)
    finally:
        await upload.aclose()
    assert first == second
    assert len(first) == upload.content_length
    assert progress.calls.count((0, len(DATA))) == 2


async def test_file_over_the_limit_is_refused_before_sending(tmp_path: Path) -> None:
    source = tmp_path / "huge.zip"
    with source.open("wb") as handle:
        handle.truncate(MAX_API_UPLOAD_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(UploadTooLargeError, match="SFTP") as caught:
        await prepare_upload(source)
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, GalateaError)
    assert caught.value.size == MAX_API_UPLOAD_BYTES + 1


async def test_file_at_the_limit_is_accepted(tmp_path: Path) -> None:
    source = tmp_path / "edge.zip"
    with source.open("wb") as handle:
        handle.truncate(MAX_API_UPLOAD_BYTES)
    upload = await prepare_upload(source)
    assert upload.size == MAX_API_UPLOAD_BYTES


async def test_oversized_iterable_stops_being_read_at_the_limit(private_tempdir: Path) -> None:
    pulled = 0
    block = b"x" * (1 << 20)

    async def endless() -> AsyncIterator[bytes]:
        nonlocal pulled
        while True:
            pulled += 1
            yield block

    with pytest.raises(UploadTooLargeError, match=r"galatea_async\.sftp"):
        await prepare_upload(endless(), filename="big.zip")
    assert pulled == MAX_API_UPLOAD_BYTES // len(block) + 1
    assert os.listdir(private_tempdir) == []


async def test_bytes_and_iterables_need_a_filename() -> None:
    with pytest.raises(ValueError, match="filename="):
        await prepare_upload(b"abc")
    with pytest.raises(ValueError, match="filename="):
        await prepare_upload(chunks_of(b"abc"))
    with pytest.raises(ValueError, match="filename="):
        await prepare_upload(io.BytesIO(b"abc"))


async def test_text_mode_file_is_refused_before_sending(tmp_path: Path) -> None:
    source = tmp_path / "t.txt"
    source.write_text("hello")
    with source.open() as handle, pytest.raises(TypeError, match="binary mode"):
        await prepare_upload(handle)  # type: ignore[arg-type]


async def test_quotes_in_the_name_cannot_break_the_part_header(file_server: FileServer) -> None:
    upload = await prepare_upload(b"abc", filename='evil"; name="other\r\nX: y.zip')
    body = await collect(upload)
    head = body.split(b"\r\n\r\n", 1)[0]
    assert head.count(b"\r\n") == 2
    assert b'filename="evil%22; name=%22other%0D%0AX: y.zip"' in head


# --- the archive check and the size the API reports ------------------------------------------

GENOTYPE = b"rsid\tchromosome\tposition\tgenotype\n" + b"rs1\t1\t100\tAA\n" * 2000


def zipped(content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("genome.txt", content)
    return buffer.getvalue()


def api_upload_route(router: respx.Router, size: int) -> respx.Route:
    return router.post("/data/files/upload").respond(
        201, json=payloads.source_file(status="PENDING", file_size_bytes=size)
    )


@pytest.mark.parametrize(
    ("name", "damaged"),
    [
        ("sample.vcf.gz", gzip.compress(GENOTYPE)[:-5]),
        ("sample.txt.zip", zipped(GENOTYPE)[:-30]),
        ("sample.vcf.gz", gzip.compress(GENOTYPE)[:100] + b"\xff" + gzip.compress(GENOTYPE)[101:]),
    ],
)
async def test_damaged_archive_is_refused_before_any_request(
    client: AsyncGalatea, router: respx.Router, tmp_path: Path, name: str, damaged: bytes
) -> None:
    route = api_upload_route(router, len(damaged))
    source = tmp_path / name
    source.write_bytes(damaged)
    with pytest.raises(ArchiveIntegrityError, match=re.escape(name)) as caught:
        await client.files.upload(source)
    assert caught.value.name == name
    assert 0 < caught.value.offset <= len(damaged)
    assert not route.called


async def test_plain_text_named_like_an_archive_is_sent_as_it_is(
    client: AsyncGalatea, router: respx.Router, tmp_path: Path
) -> None:
    route = api_upload_route(router, len(GENOTYPE))
    source = tmp_path / "genome.txt.zip"
    source.write_bytes(GENOTYPE)
    await client.files.upload(source)
    assert GENOTYPE in route.calls.last.request.content


async def test_damaged_archive_from_a_stream_is_refused_and_its_spool_removed(
    client: AsyncGalatea, router: respx.Router, private_tempdir: Path
) -> None:
    route = api_upload_route(router, 0)
    with pytest.raises(ArchiveIntegrityError, match=r"stream\.gz"):
        await client.files.upload(chunks_of(gzip.compress(GENOTYPE)[:-1]), filename="stream.gz")
    assert not route.called
    assert os.listdir(private_tempdir) == []


async def test_sound_archives_from_every_source_kind_are_sent(
    client: AsyncGalatea, router: respx.Router, tmp_path: Path
) -> None:
    archive = gzip.compress(GENOTYPE)
    route = api_upload_route(router, len(archive))
    path = tmp_path / "s.vcf.gz"
    path.write_bytes(archive)
    with path.open("rb") as handle:
        for source in (path, archive, handle, chunks_of(archive, 1000)):
            await client.files.upload(source, filename="s.vcf.gz")
            assert archive in route.calls.last.request.content
    assert route.call_count == 4


async def test_check_archive_false_sends_a_damaged_archive(
    client: AsyncGalatea, router: respx.Router
) -> None:
    damaged = gzip.compress(GENOTYPE)[:-5]
    route = api_upload_route(router, len(damaged))
    await client.files.upload(damaged, filename="sample.vcf.gz", check_archive=False)
    assert damaged in route.calls.last.request.content


async def test_size_the_api_reports_must_be_the_size_sent(
    client: AsyncGalatea, router: respx.Router
) -> None:
    api_upload_route(router, len(GENOTYPE) - 1)
    with pytest.raises(ChecksumMismatchError) as caught:
        await client.files.upload(GENOTYPE, filename="genome.txt")
    message = str(caught.value)
    assert f"{len(GENOTYPE) - 1} bytes" in message
    assert f"{len(GENOTYPE)} bytes" in message
    assert payloads.FILE_ID in message
    assert (caught.value.expected, caught.value.actual) == (len(GENOTYPE), len(GENOTYPE) - 1)


async def test_upload_without_a_reported_size_is_accepted(
    client: AsyncGalatea, router: respx.Router
) -> None:
    router.post("/data/files/upload").respond(
        201, json=payloads.source_file(status="PENDING", file_size_bytes=None)
    )
    uploaded = await client.files.upload(GENOTYPE, filename="genome.txt")
    assert uploaded.file_size_bytes is None


# --- upload_many's decisions ----------------------------------------------------------------


def test_route_is_the_api_up_to_the_limit_then_sftp_when_given() -> None:
    assert upload_route(MAX_API_UPLOAD_BYTES, sftp_given=False) is UploadRoute.API
    assert upload_route(MAX_API_UPLOAD_BYTES + 1, sftp_given=True) is UploadRoute.SFTP
    with pytest.raises(UploadTooLargeError, match=r"sftp=SftpUploader\(\.\.\.\)") as caught:
        upload_route(MAX_API_UPLOAD_BYTES + 1, sftp_given=False)
    assert caught.value.size == MAX_API_UPLOAD_BYTES + 1


async def test_run_in_order_keeps_the_order_and_the_concurrency() -> None:
    running = 0
    most = 0

    async def work(index: int, item: str) -> str:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await anyio.sleep(0)
        running -= 1
        return item * 2

    assert await run_in_order(list("abcdefg"), work, concurrency=3) == [c * 2 for c in "abcdefg"]
    assert most == 3
    with pytest.raises(ValueError, match="at least 1"):
        await run_in_order(["a"], work, concurrency=0)


def test_outcome_result_raises_the_stored_error_and_repr_shows_only_its_message() -> None:
    error = ArchiveIntegrityError(name="s.gz", kind="gzip", offset=7, problem="truncated")
    outcome = UploadOutcome(path=Path("s.gz"), error=error, via=UploadRoute.API, size=9)
    assert not outcome.ok
    with pytest.raises(ArchiveIntegrityError):
        outcome.result()
    assert "offset 7" in repr(outcome)
    assert outcome.to_dict()["error"] == {"type": "ArchiveIntegrityError", "message": str(error)}


def test_outcome_repr_shows_the_file_id_and_status_but_no_alias() -> None:
    uploaded = SourceFile.from_dict(
        payloads.source_file(status="PENDING", sample_alias="JANE-DOE-1980")
    )
    shown = repr(UploadOutcome(path=Path("batch/a.txt"), file=uploaded, via=UploadRoute.API))
    assert payloads.FILE_ID in shown
    assert "PENDING" in shown
    assert "JANE-DOE" not in shown


async def test_upload_many_refuses_one_path_given_alone(client: AsyncGalatea) -> None:
    with pytest.raises(TypeError, match=r"upload_many\(\[path\]\)"):
        await client.files.upload_many("genome.txt")
    with pytest.raises(TypeError, match=r"upload_many\(\[path\]\)"):
        await client.files.upload_many(Path("genome.txt"))  # type: ignore[arg-type]
