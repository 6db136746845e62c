"""A small hostile HTTP/1.1 file server on 127.0.0.1 for the transport and transfer tests.

Raw asyncio rather than a framework, so a test can cut a connection after exactly K body bytes,
stall mid-body, lie about sizes, ignore ranges or answer a Range with a 200, and count how many
requests are in flight at once. Bodies are generated from a short periodic block, so a 256 MiB
file costs the server no memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import json
import os
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import attrs
import httpx
import pytest

from galatea_async._download import (
    DownloadJob,
    TransferOptions,
    existing_policy,
    prepare_destination,
)
from galatea_async._http._wire import HttpxWireResponse, OpenStream, WireResponse
from galatea_async._progress import Progress
from galatea_async.errors import error_class_for_status
from tests.raw_http import RawServer, Request
from tests.transports import make_transport

# A prime period: a part written at a wrong offset can never line up with the pattern by luck.
_PERIOD = 65_521
_BLOCK = hashlib.shake_256(b"galatea transfer tests").digest(_PERIOD)
_DOUBLE = _BLOCK * 2


def pattern(start: int, end: int) -> bytes:
    """The bytes ``[start, end)`` of every generated file."""
    out = bytearray()
    position = start
    while position < end:
        offset = position % _PERIOD
        take = min(_PERIOD - offset, end - position)
        out += _DOUBLE[offset : offset + take]
        position += take
    return bytes(out)


def pattern_md5(size: int) -> str:
    digest = hashlib.md5()
    for start in range(0, size, 1 << 20):
        digest.update(pattern(start, min(size, start + (1 << 20))))
    return digest.hexdigest()


def _pattern_pieces(start: int, end: int, piece: int) -> list[tuple[int, int]]:
    return [(offset, min(end, offset + piece)) for offset in range(start, end, piece)]


@attrs.define
class Resource:
    """One file the server serves, with the knobs that make it misbehave."""

    size: int
    etag: str | None = '"v1"'
    last_modified: str | None = None
    accept_ranges: bool = True
    # Advertise ranges but answer every Range with a full 200 (as when If-Range fails).
    range_answers_200: bool = False
    # For the n-th GET of this resource, cut the connection abruptly after that many body bytes.
    cuts: list[int] = attrs.field(factory=list)
    # For the n-th GET, send that many body bytes, then stall until the connection closes.
    stalls: list[int] = attrs.field(factory=list)
    # For the n-th GET, send that many body bytes, then drip one byte every 5 ms (at most
    # 2,000 of them, then cut): a server too slow to finish, never quite silent.
    drips: list[int] = attrs.field(factory=list)
    chunked: bool = False
    # Bytes sent beyond ``size`` (with chunked encoding, so nothing on the wire is wrong).
    extra_bytes: int = 0
    # Flip one byte of the body (a corrupted copy).
    corrupt_at: int | None = None
    content_disposition: str | None = 'attachment; filename="result.tsv"'
    content_type: str = "application/octet-stream"
    gzip: bool = False
    # The Content-Encoding a gzip body is labelled with (a server may claim another).
    encoding_label: str = "gzip"
    # The encoded body to send as it is (a bomb built once), instead of gzip of the pattern.
    encoded_body: bytes | None = None
    # Set once a response has sent this many body bytes (then ``reached`` is set).
    notify_after: int | None = None
    reached: asyncio.Event = attrs.field(factory=asyncio.Event)
    # While set, body sending waits on ``gate`` after ``notify_after`` bytes.
    gate: asyncio.Event | None = None
    # Hold ranged requests until this many are in flight at once (or 5 s pass): proves the
    # client really sends them concurrently.
    range_barrier: int | None = None
    ranged_waiting: int = 0
    barrier_open: asyncio.Event = attrs.field(factory=asyncio.Event)

    def body(self, start: int, end: int) -> bytes:
        data = pattern(start, end)
        if self.corrupt_at is not None and start <= self.corrupt_at < end:
            index = self.corrupt_at - start
            data = data[:index] + bytes([data[index] ^ 0xFF]) + data[index + 1 :]
        return data


@attrs.define
class FileServer(RawServer):
    """Serves ``resources`` by path; ``/json``, ``/echo``, ``/redirect``, ``/gzip-json`` too."""

    resources: dict[str, Resource] = attrs.field(factory=dict)
    in_flight: int = 0
    max_in_flight: int = 0
    # Held open while a request is being answered: lets a test see concurrency at the server.
    hold: asyncio.Event | None = None
    piece: int = 64 * 1024
    last_body: bytes = b""

    def add(self, path: str, resource: Resource) -> str:
        self.resources[path] = resource
        return f"{self.base_url}{path}"

    def gets(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.method == "GET" and r.path == path]

    async def respond(self, request: Request, writer: asyncio.StreamWriter) -> bool:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.hold is not None:
                await self.hold.wait()
            return await self._answer(request, writer)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: Request, writer: asyncio.StreamWriter) -> bool:
        path = request.path
        if path == "/json":
            return await _send(writer, 200, {"Content-Type": "application/json"}, b'{"ok": true}')
        if path == "/gzip-json":
            data = gzip.compress(json.dumps({"zipped": True}).encode())
            headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
            return await _send(writer, 200, headers, data)
        if path == "/echo-auth" and request.headers.get("authorization") != "Bearer fresh":
            return await _send(writer, 401, {"Content-Type": "application/json"}, b"{}")
        if path == "/echo-auth":
            path = "/echo"
        if path == "/echo":
            self.last_body = request.body
            digest = hashlib.md5(request.body).hexdigest()
            payload = {
                "length": len(request.body),
                "md5": digest,
                "content_type": request.headers.get("content-type"),
                "content_length": request.headers.get("content-length"),
                "transfer_encoding": request.headers.get("transfer-encoding"),
            }
            return await _send(
                writer, 200, {"Content-Type": "application/json"}, json.dumps(payload).encode()
            )
        if path == "/redirect":
            return await _send(writer, 302, {"Location": "/json"}, b"")
        if path == "/stall":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
            await writer.drain()
            await asyncio.Event().wait()
        resource = self.resources.get(path)
        if resource is None:
            return await _send(writer, 404, {"Content-Type": "application/json"}, b"{}")
        return await self._send_resource(request, resource, writer)

    async def _send_resource(
        self, request: Request, resource: Resource, writer: asyncio.StreamWriter
    ) -> bool:
        if resource.range_barrier is not None and "range" in request.headers:
            resource.ranged_waiting += 1
            if resource.ranged_waiting >= resource.range_barrier:
                resource.barrier_open.set()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(resource.barrier_open.wait(), 5)
        count = len(self.gets(request.path))
        cut = resource.cuts[count - 1] if count - 1 < len(resource.cuts) else None
        stall = resource.stalls[count - 1] if count - 1 < len(resource.stalls) else None
        drip = resource.drips[count - 1] if count - 1 < len(resource.drips) else None
        start, end, status = 0, resource.size, 200
        wanted = _requested_range(request.headers, resource)
        if wanted is not None and not resource.range_answers_200:
            start, end = wanted
            status = 206
        headers: dict[str, str] = {"Content-Type": resource.content_type}
        if resource.etag:
            headers["ETag"] = resource.etag
        if resource.last_modified:
            headers["Last-Modified"] = resource.last_modified
        if resource.accept_ranges:
            headers["Accept-Ranges"] = "bytes"
        if resource.content_disposition is not None:
            headers["Content-Disposition"] = resource.content_disposition
        if status == 206:
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{resource.size}"
        if resource.gzip:
            data = resource.encoded_body or gzip.compress(resource.body(0, resource.size))
            headers["Content-Encoding"] = resource.encoding_label
            return await _send(writer, 200, headers, data)
        chunked = resource.chunked or resource.extra_bytes > 0
        if chunked:
            headers["Transfer-Encoding"] = "chunked"
        else:
            headers["Content-Length"] = str(end - start)
        writer.write(_head(status, headers))
        sent = 0
        notified = False
        for piece_start, piece_end in _pattern_pieces(
            start, end + resource.extra_bytes, self.piece
        ):
            if not notified and resource.notify_after is not None and sent >= resource.notify_after:
                # Checked before the cut, so a test can act between "K bytes sent" and the cut.
                notified = True
                resource.reached.set()
                if resource.gate is not None:
                    await resource.gate.wait()
            data = resource.body(piece_start, piece_end)
            if drip is not None and sent + len(data) > drip:
                return await _drip(writer, data, drip - sent, chunked)
            limit = cut if cut is not None else stall
            if limit is not None and sent + len(data) > limit:
                data = data[: limit - sent]
                writer.write(_frame(data, chunked))
                await writer.drain()
                if stall is not None and cut is None:
                    await asyncio.Event().wait()
                writer.transport.abort()
                return False
            writer.write(_frame(data, chunked))
            sent += len(data)
            await writer.drain()
        if chunked:
            writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True


async def _drip(writer: asyncio.StreamWriter, data: bytes, fast: int, chunked: bool) -> bool:
    writer.write(_frame(data[:fast], chunked))
    for index in range(fast, min(len(data), fast + 2000)):
        await asyncio.sleep(0.005)
        writer.write(_frame(data[index : index + 1], chunked))
        await writer.drain()
    writer.transport.abort()
    return False


def _requested_range(headers: dict[str, str], resource: Resource) -> tuple[int, int] | None:
    value = headers.get("range")
    if value is None or not resource.accept_ranges:
        return None
    if_range = headers.get("if-range")
    if if_range is not None and if_range not in (resource.etag, resource.last_modified):
        return None
    spec = value.removeprefix("bytes=")
    first_text, _, last_text = spec.partition("-")
    first = int(first_text)
    last = int(last_text) if last_text else resource.size - 1
    return first, min(last, resource.size - 1) + 1


def _frame(data: bytes, chunked: bool) -> bytes:
    if not chunked:
        return data
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def _head(status: int, headers: dict[str, str]) -> bytes:
    reason = {
        200: "OK",
        206: "Partial Content",
        302: "Found",
        401: "Unauthorized",
        404: "Not Found",
    }.get(status, "X")
    lines = [f"HTTP/1.1 {status} {reason}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


async def _send(
    writer: asyncio.StreamWriter, status: int, headers: dict[str, str], body: bytes
) -> bool:
    writer.write(_head(status, {**headers, "Content-Length": str(len(body))}) + body)
    await writer.drain()
    return True


def opener(client: httpx.AsyncClient, url: str) -> OpenStream:
    """An ``OpenStream`` for ``url``, raising the client's errors for error statuses."""

    @contextlib.asynccontextmanager
    async def open_stream(
        headers: Mapping[str, str], span: object = None
    ) -> AsyncIterator[WireResponse]:
        async with client.stream("GET", url, headers=dict(headers)) as response:
            if response.status_code >= 300:
                await response.aread()
                error = error_class_for_status(response.status_code)
                raise error("refused", status_code=response.status_code, method="GET", path=url)
            yield HttpxWireResponse(response)

    return open_stream


def job_for(
    http_client: httpx.AsyncClient,
    url: str,
    dest: Path | str,
    *,
    options: TransferOptions | None = None,
    overwrite: bool = False,
    skip_existing: bool = False,
    progress: Progress | None = None,
    expected_size: int | None = None,
    expected_md5: str | None = None,
    want_md5: bool = False,
    fallback_name: str = "order_SUMMARY_CHROMS.tsv",
) -> DownloadJob:
    """The engine's job for ``url`` into ``dest`` (decided as the public methods decide it);
    small chunks and no fsync unless ``options`` says otherwise."""
    return DownloadJob(
        open_stream=opener(http_client, url),
        destination=prepare_destination(dest),
        fallback_name=fallback_name,
        existing=existing_policy(overwrite=overwrite, skip_existing=skip_existing),
        expected_size=expected_size,
        expected_md5=expected_md5,
        want_md5=want_md5,
        options=options or TransferOptions(chunk_size=64 * 1024, fsync=False),
        progress=progress,
    )


def listdir(path: str | os.PathLike[str]) -> list[str]:
    """Every entry in ``path``, hidden temporary files included."""
    return sorted(os.listdir(path))


class ProgressLog:
    """A progress callback that keeps every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int | None]] = []

    def __call__(self, done: int, total: int | None) -> None:
        self.calls.append((done, total))

    @property
    def last(self) -> tuple[int, int | None]:
        return self.calls[-1]

    def rewound(self) -> bool:
        return any(b[0] < a[0] for a, b in zip(self.calls, self.calls[1:], strict=False))


# Fixtures (this module is a pytest plugin, see tests/conftest.py): a fault-injecting file
# server, and an httpx client on it over the transport of ``transport_kind``.


@pytest.fixture
async def file_server() -> AsyncIterator[FileServer]:
    """The file server, on 127.0.0.1."""
    async with FileServer() as running:
        yield running


@pytest.fixture
async def http_client(
    transport_kind: str, file_server: FileServer
) -> AsyncIterator[httpx.AsyncClient]:
    """A plain httpx client for ``file_server`` over the transport under test."""
    async with httpx.AsyncClient(
        transport=make_transport(transport_kind), base_url=file_server.base_url, timeout=5.0
    ) as http:
        yield http
