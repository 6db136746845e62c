"""A scripted HTTP/1.1 server on 127.0.0.1 for the request path's tests.

Each path answers from a list of ``Answer`` objects, one per request in turn (the last one
repeats), so a test can say "503, then 200", "401 with this token, 200 with that one", "a
redirect loop", "a body cut after 10 bytes" or "a body that stalls". Every request is kept
(method, target, headers) for the test to count and inspect. Raw asyncio (``tests.raw_http``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import attrs

from tests.raw_http import RawServer, Request


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


Script = list[Answer] | Callable[[Request], Answer]


@attrs.define
class ScriptedServer(RawServer):
    """Answers each path from its script; ``requests`` holds everything received."""

    scripts: dict[str, Script] = attrs.field(factory=dict)

    def on(self, path: str, *answers: Answer) -> str:
        """Answer ``path`` with ``answers`` in turn (the last repeats); its absolute URL."""
        self.scripts[path] = list(answers)
        return self.base_url + path

    def on_call(self, path: str, answer: Callable[[Request], Answer]) -> str:
        """Answer ``path`` with whatever ``answer(request)`` returns."""
        self.scripts[path] = answer
        return self.base_url + path

    def seen(self, path: str) -> list[Request]:
        return [request for request in self.requests if request.path == path]

    async def respond(self, request: Request, writer: asyncio.StreamWriter) -> bool:
        answer = self._answer_for(request)
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

    def _answer_for(self, request: Request) -> Answer:
        script = self.scripts.get(request.path)
        if script is None:
            return Answer(404, {"Content-Type": "application/json"}, b'{"detail": "Not found."}')
        if callable(script):
            return script(request)
        count = len(self.seen(request.path))
        return script[min(count, len(script)) - 1]
