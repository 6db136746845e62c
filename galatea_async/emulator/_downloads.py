"""File downloads: range planning (pure) and a streaming ASGI response over a blob."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from email.utils import format_datetime
from urllib.parse import quote

import anyio
import attrs
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from galatea_async.emulator._blob import Blob

__all__ = ["BlobResponse", "DownloadCounter", "RangePlan", "plan_range"]

_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


@attrs.frozen
class RangePlan:
    """What to send: ``status`` 200, 206 or 416, and the byte span ``[start, end)``."""

    status: int
    start: int = 0
    end: int = 0


def plan_range(size: int, range_header: str | None, if_range: str | None, etag: str) -> RangePlan:
    """Decide a download's answer from its ``Range`` and ``If-Range`` headers.

    One range only (``a-b``, ``a-``, ``-n``); anything unparseable or multi-range is ignored
    (a full 200), as RFC 9110 allows. ``If-Range`` that does not match ``etag`` means the
    client's copy is stale: the whole file comes back with 200.
    """
    full = RangePlan(200, 0, size)
    if not range_header:
        return full
    if if_range is not None and if_range.strip() != etag:
        return full
    match = _RANGE.match(range_header)
    if match is None:
        return full
    first, last = match.group(1), match.group(2)
    if not first and not last:
        return full
    if not first:  # a suffix: the last n bytes
        length = int(last)
        if length == 0:
            return RangePlan(416)
        return RangePlan(206, max(size - length, 0), size)
    start = int(first)
    if start >= size:
        return RangePlan(416)
    end = size if not last else min(int(last) + 1, size)
    if end <= start:
        return full  # last < first: syntactically invalid, so ignored
    return RangePlan(206, start, end)


def content_disposition(filename: str) -> str:
    """``attachment; filename="..."; filename*=UTF-8''...`` for ``filename``."""
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "_").replace("\\", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


class DownloadCounter:
    """How many download bodies are in flight now, and the peak."""

    def __init__(self) -> None:
        self.active = 0
        self.peak = 0

    def enter(self) -> None:
        self.active += 1
        self.peak = max(self.peak, self.active)

    def leave(self) -> None:
        self.active -= 1


class BlobResponse(Response):
    """Streams (a range of) a blob in 1 MiB chunks, with the download headers."""

    def __init__(
        self,
        blob: Blob,
        *,
        filename: str,
        etag: str,
        last_modified: datetime,
        range_header: str | None,
        if_range: str | None,
        accept_ranges: bool,
        counter: DownloadCounter,
        media_type: str = "application/octet-stream",
    ) -> None:
        self.blob = blob
        self.counter = counter
        self.background = None
        plan = plan_range(blob.size, range_header if accept_ranges else None, if_range, etag)
        self.plan = plan
        headers = {
            "content-type": media_type,
            "content-disposition": content_disposition(filename),
            "etag": etag,
            "last-modified": format_datetime(last_modified, usegmt=True),
        }
        if accept_ranges:
            headers["accept-ranges"] = "bytes"
        if plan.status == 416:
            headers = {"content-range": f"bytes */{blob.size}", "content-type": "application/json"}
            self.body_length = len(self._unsatisfiable)
        else:
            self.body_length = plan.end - plan.start
            if plan.status == 206:
                headers["content-range"] = f"bytes {plan.start}-{plan.end - 1}/{blob.size}"
        headers["content-length"] = str(self.body_length)
        self.status_code = plan.status
        self.raw_headers = [(k.encode(), v.encode()) for k, v in headers.items()]

    _unsatisfiable = b'{"detail": "Requested range not satisfiable."}'

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_headers = [(k.encode(), v.encode()) for k, v in self.headers.items()]
        await send(
            {"type": "http.response.start", "status": self.plan.status, "headers": raw_headers}
        )
        if self.plan.status == 416 or scope.get("method") == "HEAD":
            body = self._unsatisfiable if self.plan.status == 416 else b""
            await send({"type": "http.response.body", "body": body})
            return
        self.counter.enter()
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(_cancel_on_disconnect, receive, group.cancel_scope.cancel)
                for chunk in self.blob.chunks(self.plan.start, self.plan.end):
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b""})
                group.cancel_scope.cancel()
        finally:
            self.counter.leave()


async def _cancel_on_disconnect(receive: Receive, cancel: Callable[[], None]) -> None:
    # Stop generating a multi-GiB body for a client that went away.
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            cancel()
            return
