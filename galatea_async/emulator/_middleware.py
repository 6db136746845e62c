"""The ASGI layer around the API: request log, latency, bandwidth and the armed faults."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from email.utils import format_datetime

import anyio
import attrs
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from galatea_async.emulator._faults import FaultInjector, FaultRule

__all__ = ["ConnectionDropped", "EmulatorMiddleware", "RequestRecord"]

_CONTROL_PREFIX = "/_emulator"
_ERROR_TEXT = {
    429: "Request was throttled.",
    500: "Internal server error.",
    502: "Bad gateway.",
    503: "Service temporarily unavailable, try again later.",
    504: "Gateway timeout.",
}
_HTML = (
    b"<!DOCTYPE html><html><head><title>Maintenance</title></head>"
    b"<body><h1>We'll be back soon</h1><p>The service is under maintenance.</p></body></html>"
)


class ConnectionDropped(Exception):
    """Raised mid-body on purpose so the server closes the connection abruptly."""


@attrs.frozen
class RequestRecord:
    """One request the emulator answered."""

    method: str
    path: str
    query: str
    status: int  # 0 when no answer was started
    authorized: bool  # whether an Authorization header was present
    time: float  # time.monotonic() when the request arrived (real seconds)


async def _send_simple(send: Send, status: int, body: bytes, headers: dict[str, str]) -> None:
    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def _error_headers(rule: FaultRule) -> dict[str, str]:
    headers = {"content-type": "application/json"}
    if rule.retry_after is not None:
        headers["retry-after"] = rule.retry_after
    return headers


def _error_body(status: int) -> bytes:
    return json.dumps({"detail": _ERROR_TEXT.get(status, "Injected failure.")}).encode()


class _Recorder:
    """Collects a whole answer so it can be replayed later or changed."""

    def __init__(self) -> None:
        self.start: Message | None = None
        self.body = bytearray()

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")

    async def replay(self, send: Send, *, truncate: bool = False) -> None:
        if self.start is None:
            return
        body = bytes(self.body[: len(self.body) // 2] if truncate else self.body)
        headers = [(k, v) for k, v in self.start["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**self.start, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class EmulatorMiddleware:
    """Records every request and applies the fault injector's knobs to API requests."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        faults: FaultInjector,
        log: list[RequestRecord],
    ) -> None:
        self.app = app
        self.faults = faults
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        headers = dict(scope.get("headers") or [])
        status = 0
        arrived = time.monotonic()

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            if path.startswith(_CONTROL_PREFIX):
                await self.app(scope, receive, observed_send)
            else:
                await self._faulty(scope, receive, self._throttled(observed_send), method, path)
        finally:
            self.log.append(
                RequestRecord(
                    method=method,
                    path=path,
                    query=scope.get("query_string", b"").decode("latin-1"),
                    status=status,
                    authorized=b"authorization" in headers,
                    time=arrived,
                )
            )

    def _throttled(self, send: Send) -> Send:
        faults = self.faults

        async def throttled_send(message: Message) -> None:
            rate = faults.bandwidth_bytes_per_second
            body = message.get("body", b"") if message["type"] == "http.response.body" else b""
            if rate is None or not body:
                await send(message)
                return
            piece = max(int(rate / 20), 512)
            more = message.get("more_body", False)
            for offset in range(0, len(body), piece):
                part = body[offset : offset + piece]
                last = offset + piece >= len(body)
                # Each piece takes its time on the wire before it arrives: waiting after it
                # instead would deliver a body one piece sooner than the rate allows.
                await anyio.sleep(len(part) / rate)
                await send({**message, "body": part, "more_body": more or not last})

        return throttled_send

    async def _faulty(
        self, scope: Scope, receive: Receive, send: Send, method: str, path: str
    ) -> None:
        faults = self.faults
        if faults.latency_seconds:
            await anyio.sleep(faults.latency_seconds)
        rule = faults.take(method, path)
        if rule is None:
            await self.app(scope, receive, send)
        elif rule.kind == "fail" and not rule.after_handling:
            await _send_simple(send, rule.status, _error_body(rule.status), _error_headers(rule))
        elif rule.kind == "fail":
            await self.app(scope, receive, _Recorder())
            await _send_simple(send, rule.status, _error_body(rule.status), _error_headers(rule))
        elif rule.kind == "redirect":
            await _send_simple(send, rule.status, b"", {"location": rule.location})
        elif rule.kind == "html":
            await _send_simple(send, 200, _HTML, {"content-type": "text/html; charset=utf-8"})
        elif rule.kind == "stall" and not rule.after_handling:
            await anyio.sleep(rule.seconds)
            await self.app(scope, receive, send)
        elif rule.kind in ("stall", "truncate_json"):
            recorder = _Recorder()
            await self.app(scope, receive, recorder)
            if rule.kind == "stall":
                with anyio.move_on_after(rule.seconds):
                    await _disconnected(receive)
                    return  # the client gave up waiting: nobody to answer
            await recorder.replay(send, truncate=rule.kind == "truncate_json")
        else:  # drop
            await self.app(scope, receive, _dropping_send(send, rule.drop_after))


async def _disconnected(receive: Receive) -> None:
    """Return once the client has gone away."""
    while (await receive())["type"] != "http.disconnect":
        pass


def _dropping_send(send: Send, limit: int) -> Send:
    sent = 0

    async def dropping_send(message: Message) -> None:
        nonlocal sent
        if message["type"] != "http.response.body":
            await send(message)
            return
        body = message.get("body", b"")
        if sent + len(body) < limit or (sent + len(body) == limit and not message.get("more_body")):
            sent += len(body)
            await send(message)
            return
        if limit - sent > 0:
            await send(
                {"type": "http.response.body", "body": body[: limit - sent], "more_body": True}
            )
        raise ConnectionDropped(f"connection dropped after {limit} body bytes (injected fault)")

    return dropping_send


def http_date(moment: datetime | None = None) -> str:
    """An HTTP date, for ``Retry-After`` values in tests."""
    return format_datetime(moment or datetime.now(timezone.utc), usegmt=True)
