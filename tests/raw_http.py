"""The raw asyncio HTTP/1.1 server under the suite's purpose-built servers.

Raw sockets rather than a framework, so a subclass controls every byte that goes back. This
module does the parts they share: accepting on 127.0.0.1, reading each request (head, and a
body by Content-Length or chunked), recording it, and on ``stop`` cutting every connection and
ending every connection's task, so a script stalled on purpose never outlives its test.

A subclass answers in ``respond(request, writer)`` and returns whether the connection may carry
another request. The servers are async context managers (started on entry, stopped on exit).
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

import attrs

__all__ = ["RawServer", "Request", "read_request"]

_Server = TypeVar("_Server", bound="RawServer")


@attrs.frozen
class Request:
    """One request as a server received it."""

    method: str
    target: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    head: bytes  # the raw request line and headers, for "no secret crossed" checks

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.target).query, keep_blank_values=True))


async def read_request(reader: asyncio.StreamReader) -> Request:
    """The next request on ``reader``; ``IncompleteReadError`` once the client has gone."""
    raw_head = await reader.readuntil(b"\r\n\r\n")
    lines = raw_head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = b""
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        pieces = bytearray()
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16):
            pieces += await reader.readexactly(size)
            await reader.readexactly(2)
        await reader.readuntil(b"\r\n")
        body = bytes(pieces)
    return Request(method=method, target=target, headers=headers, body=body, head=raw_head)


@attrs.define
class RawServer:
    """Accepts, reads and records requests; a subclass's ``respond`` answers them."""

    requests: list[Request] = attrs.field(factory=list)
    base_url: str = ""
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[Any]] = attrs.field(factory=set)
    _writers: set[asyncio.StreamWriter] = attrs.field(factory=set)

    async def respond(self, request: Request, writer: asyncio.StreamWriter) -> bool:
        """Answer ``request``; whether the connection may carry another one."""
        raise NotImplementedError

    async def start(self) -> str:
        # Header blocks of a megabyte are read whole (a hostile client test sends them).
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, limit=1 << 20)
        port = self._server.sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def __aenter__(self: _Server) -> _Server:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            while True:
                request = await read_request(reader)
                self.requests.append(request)
                if not await self.respond(request, writer) or writer.is_closing():
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            # Only stop() cancels a connection's task: end quietly, stop() is waiting for it.
            pass
        finally:
            self._tasks.discard(task)
            self._writers.discard(writer)
            writer.transport.abort()
