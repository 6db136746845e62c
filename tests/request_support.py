"""A scripted HTTP/1.1 server on 127.0.0.1 for the request path's tests.

Each path answers from a list of ``Answer`` objects, one per request in turn (the last one
repeats), so a test can say "503, then 200", "401 with this token, 200 with that one", "a
redirect loop", "a body cut after 10 bytes" or "a body that stalls". Every request is kept
(method, target, headers) for the test to count and inspect. Raw asyncio, no framework.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import attrs


@attrs.define
class Answer:
    """One scripted response."""

    status: int = 200
    headers: dict[str, str] = attrs.field(factory=dict)
    body: bytes = b""
    # Announce this Content-Length but send only ``cut_after`` bytes, then close.
    cut_after: int | None = None
    # Send ``stall_after`` body bytes, then send nothing more (the connection stays open).
    stall_after: int | None = None
    # Close the connection without answering at all.
    hang_up: bool = False


@attrs.define
class Seen:
    method: str
    target: str
    headers: dict[str, str]

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


Script = list[Answer] | Callable[[Seen], Answer]


@attrs.define
class ScriptedServer:
    """Answers each path from its script; ``requests`` holds everything received."""

    scripts: dict[str, Script] = attrs.field(factory=dict)
    requests: list[Seen] = attrs.field(factory=list)
    base_url: str = ""
    _server: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = attrs.field(factory=set)

    def on(self, path: str, *answers: Answer) -> str:
        """Answer ``path`` with ``answers`` in turn (the last repeats); its absolute URL."""
        self.scripts[path] = list(answers)
        return self.base_url + path

    def on_call(self, path: str, answer: Callable[[Seen], Answer]) -> str:
        """Answer ``path`` with whatever ``answer(request)`` returns."""
        self.scripts[path] = answer
        return self.base_url + path

    def seen(self, path: str) -> list[Seen]:
        return [request for request in self.requests if request.path == path]

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while await self._one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            self._writers.discard(writer)
            writer.transport.abort()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
        if "content-length" in headers:
            await reader.readexactly(int(headers["content-length"]))
        seen = Seen(method, target, headers)
        self.requests.append(seen)
        answer = self._answer_for(seen)
        if answer.hang_up:
            writer.transport.abort()
            return False
        head_lines = [f"HTTP/1.1 {answer.status} X"]
        response_headers = {"Content-Length": str(len(answer.body)), **answer.headers}
        head_lines += [f"{key}: {value}" for key, value in response_headers.items()]
        writer.write(("\r\n".join(head_lines) + "\r\n\r\n").encode("latin-1"))
        if answer.cut_after is not None:
            writer.write(answer.body[: answer.cut_after])
            await writer.drain()
            writer.transport.abort()
            return False
        if answer.stall_after is not None:
            writer.write(answer.body[: answer.stall_after])
            await writer.drain()
            await asyncio.Event().wait()
        writer.write(answer.body)
        await writer.drain()
        return True

    def _answer_for(self, seen: Seen) -> Answer:
        script = self.scripts.get(seen.path)
        if script is None:
            return Answer(404, {"Content-Type": "application/json"}, b'{"detail": "Not found."}')
        if callable(script):
            return script(seen)
        count = len(self.seen(seen.path))
        return script[min(count, len(script)) - 1]


@contextlib.asynccontextmanager
async def scripted_server() -> AsyncIterator[ScriptedServer]:
    server = ScriptedServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
