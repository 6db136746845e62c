"""A hostile Galatea API on 127.0.0.1: raw asyncio, one script per route, every request counted.

Raw sockets rather than a framework, so a script controls every byte that goes back: a body cut
after K bytes, a stall after the headers, a Content-Length that lies, a header block of
megabytes, a storm of 1xx answers, a gzip bomb, a body dripped a few bytes at a time.

A test scripts the server route by route::

    server.on("GET", "users/me", answer({"id": ...}))
    server.on("GET", r"data/results/[^/]+/download", serve_file(data))

A route is a regular expression matched (whole) against the path after ``/api/v1/``; a script
is ``async def script(request, reply)``. The latest ``on`` for a route wins; an unscripted
route answers 404. Every request is recorded (``server.requests``, ``server.count``) as soon as
its head and body have arrived, before the script runs.

A fuse bounds a test that would otherwise loop: past ``fuse`` requests every answer is a
``418`` (an error no client retries), so a listing that never ends fails in well under a second
instead of hanging the suite.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import attrs
from anyio.from_thread import start_blocking_portal

from tests.raw_http import RawServer, Request

__all__ = [
    "API_PREFIX",
    "HostileServer",
    "Reply",
    "Request",
    "Script",
    "route_of",
    "serve_in_thread",
]

API_PREFIX = "/api/v1/"
# The most a script's answer puts in the socket's buffer at a time.
_SLICE = 64 << 10
_REASONS = {
    100: "Continue",
    103: "Early Hints",
    200: "OK",
    201: "Created",
    206: "Partial Content",
    301: "Moved Permanently",
    302: "Found",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    418: "I'm a teapot",
    503: "Service Unavailable",
}


def route_of(request: Request) -> str:
    """The request's path after ``/api/v1/``, without slashes at its ends."""
    path = request.path
    if path.startswith(API_PREFIX):
        path = path[len(API_PREFIX) :]
    return path.strip("/")


class Reply:
    """What a script answers with: whole answers, raw bytes, a cut, or a hang."""

    def __init__(self, writer: asyncio.StreamWriter, stopping: asyncio.Event) -> None:
        self._writer = writer
        self._stopping = stopping
        self.keep_alive = True

    async def raw(self, data: bytes) -> None:
        """Send ``data`` exactly as given (in slices, so the server never buffers much)."""
        view = memoryview(data)
        for start in range(0, len(view), _SLICE):
            self._writer.write(view[start : start + _SLICE])
            await self._writer.drain()

    async def send(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        *,
        length: int | str | None = "auto",
    ) -> None:
        """A whole answer. ``length``: ``"auto"`` (the truth), a number (a lie), or ``None``
        (no Content-Length: the body ends when the connection closes)."""
        headers = dict(headers or {})
        if length == "auto":
            headers["Content-Length"] = str(len(body))
        elif length is None:
            headers["Connection"] = "close"
            self.keep_alive = False
        else:
            headers["Content-Length"] = str(length)
        await self.raw(head(status, headers) + body)
        if length is None:
            self.close()

    async def json(
        self, value: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> None:
        """A JSON answer (``bytes`` are sent as they are, as the JSON text)."""
        body = value if isinstance(value, bytes) else json.dumps(value).encode()
        await self.send(status, body, {"Content-Type": "application/json", **(headers or {})})

    async def hang(self) -> None:
        """Send nothing more until the server stops (the client's timeouts must end it)."""
        self.keep_alive = False
        await self._stopping.wait()

    def cut(self) -> None:
        """Drop the connection at once (an RST, whatever was promised)."""
        self.keep_alive = False
        self._writer.transport.abort()

    def close(self) -> None:
        """Close the connection after what was sent."""
        self.keep_alive = False
        self._writer.close()


Script = Callable[[Request, Reply], Awaitable[None]]


def head(status: int, headers: dict[str, str]) -> bytes:
    """A response's status line and headers, blank line included."""
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Hostile')}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _not_found(request: Request, reply: Reply) -> None:
    await reply.json({"detail": "Not found."}, status=404)


async def _fuse_blown(request: Request, reply: Reply) -> None:
    await reply.json({"detail": "hostile server: request fuse blown"}, status=418)


@attrs.define
class HostileServer(RawServer):
    """The server; ``base_url`` is ``http://127.0.0.1:PORT`` once started."""

    fuse: int = 60
    _routes: list[tuple[str, re.Pattern[str], Script]] = attrs.field(factory=list)
    # Set by stop(): what a script that hangs on purpose waits for.
    _stopping: asyncio.Event = attrs.field(factory=asyncio.Event)

    @property
    def fuse_blown(self) -> bool:
        return len(self.requests) > self.fuse

    @property
    def api_url(self) -> str:
        return f"{self.base_url}{API_PREFIX}"

    def on(self, method: str, route: str, script: Script) -> None:
        """Answer ``method`` requests whose route matches ``route`` with ``script``."""
        self._routes.insert(0, (method.upper(), re.compile(route), script))

    def seen(self, method: str | None = None, route: str | None = None) -> list[Request]:
        """The requests received so far, of this method and route (a pattern) if given."""
        pattern = re.compile(route) if route is not None else None
        return [
            r
            for r in list(self.requests)
            if (method is None or r.method == method.upper())
            and (pattern is None or pattern.fullmatch(route_of(r)))
        ]

    def count(self, method: str | None = None, route: str | None = None) -> int:
        return len(self.seen(method, route))

    async def stop(self) -> None:
        self._stopping.set()
        await super().stop()

    async def respond(self, request: Request, writer: asyncio.StreamWriter) -> bool:
        reply = Reply(writer, self._stopping)
        await self._script_for(request)(request, reply)
        return reply.keep_alive

    def _script_for(self, request: Request) -> Script:
        if self.fuse_blown:
            return _fuse_blown
        for method, pattern, script in self._routes:
            if method == request.method and pattern.fullmatch(route_of(request)):
                return script
        return _not_found


@contextlib.contextmanager
def serve_in_thread(fuse: int = 60) -> Iterator[HostileServer]:
    """A server on an event loop of its own thread, for code that runs its own loop (the CLI)."""
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(HostileServer(fuse=fuse)) as server,
    ):
        yield server
