"""A webhook endpoint to mount, not write: ``WebhookReceiver``, a plain ASGI app.

```python
from fastapi import FastAPI
from galatea_async import webhooks

async def on_event(event: webhooks.WebhookEvent, *, is_duplicate: bool) -> None:
    ...

app = FastAPI()
app.mount("/galatea/webhooks", webhooks.WebhookReceiver(
    secret=webhooks_secret, sender_host=webhooks.PRODUCTION_SENDER_HOST, on_event=on_event
))
```

Each request goes down one path: POST only (405), a declared length over ``max_body`` is
refused before a byte is read (413), the body is read up to ``max_body`` within
``read_timeout`` (413, 408), the signature is checked on those exact bytes (401), the event is
parsed (400), and ``on_event`` is awaited: 200 once it returns, 500 if it raised. Answers carry
no body, and nothing of a body or signature is logged; a failing handler's traceback is logged
with the receiver's secrets (and every secret a client holds) replaced.
"""

from __future__ import annotations

import collections
import inspect
import logging
import math
import time
import traceback
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any, Protocol

import anyio

from galatea_async._http._redact import redact_text
from galatea_async._webhook_events import OrderStatusEvent, WebhookEvent, parse_event
from galatea_async._webhook_signature import (
    WEBHOOK_SIGNATURE_HEADER,
    check_secrets,
    check_sender_host,
)
from galatea_async.errors import InvalidSignatureError

__all__ = ["WebhookHandler", "WebhookReceiver", "redacted_traceback"]

logger = logging.getLogger("galatea_async.webhooks")

# The ASGI types, spelled as Starlette spells them, so a receiver mounts without casts.
_Scope = MutableMapping[str, Any]
_Message = MutableMapping[str, Any]
_Receive = Callable[[], Awaitable[_Message]]
_Send = Callable[[_Message], Awaitable[None]]

_SIGNATURE_HEADER = WEBHOOK_SIGNATURE_HEADER.lower().encode("latin-1")
_DeliveryKey = tuple[str, str, str]


class WebhookHandler(Protocol):
    """What ``on_event`` must be: an async callable taking the event and ``is_duplicate``."""

    def __call__(self, event: WebhookEvent, /, *, is_duplicate: bool) -> Awaitable[object]: ...


def delivery_key(event: WebhookEvent) -> _DeliveryKey:
    """What makes two deliveries the same: the event's kind, its id and its new status."""
    if isinstance(event, OrderStatusEvent):
        return ("order", event.order_id, str(event.new_status))
    return ("file", event.source_file_id, str(event.new_status))


class RecentDeliveries:
    """The deliveries handled within the last ``window`` seconds, at most ``max_entries``.

    Pure bookkeeping: the caller passes the time, so a test moves it by hand.
    """

    def __init__(self, *, window: float, max_entries: int = 10_000) -> None:
        self.window = window
        self.max_entries = max_entries
        self._handled: collections.OrderedDict[_DeliveryKey, float] = collections.OrderedDict()

    def _forget_older_than(self, now: float) -> None:
        while self._handled:
            key, handled_at = next(iter(self._handled.items()))
            if now - handled_at < self.window and len(self._handled) <= self.max_entries:
                return
            del self._handled[key]

    def seen(self, key: _DeliveryKey, now: float) -> bool:
        """Whether a delivery with ``key`` was handled within the window before ``now``."""
        self._forget_older_than(now)
        return key in self._handled

    def remember(self, key: _DeliveryKey, now: float) -> None:
        """Record that a delivery with ``key`` was handled at ``now``."""
        self._handled.pop(key, None)
        self._handled[key] = now
        self._forget_older_than(now)


class _Refusal(Exception):
    """A request the receiver answers with ``status`` and nothing else."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def declared_length(headers: Sequence[tuple[bytes, bytes]]) -> int | None:
    """The request's ``Content-Length`` (``None`` if absent); ``_Refusal`` 400 if malformed."""
    values = [value for name, value in headers if name.lower() == b"content-length"]
    if not values:
        return None
    if len(set(values)) != 1 or not values[0].strip().isdigit():
        raise _Refusal(400, "the Content-Length header is malformed")
    return int(values[0])


def signature_header(headers: Sequence[tuple[bytes, bytes]]) -> str | None:
    """The one ``X-Octopod-Signature`` value, or ``None`` if it is absent or repeated."""
    values = [value for name, value in headers if name.lower() == _SIGNATURE_HEADER]
    if len(values) != 1:
        return None
    return values[0].decode("latin-1")


class WebhookReceiver:
    """A plain ASGI app that verifies Galatea's webhook deliveries and hands you the events.

    Mount it (``app.mount("/galatea/webhooks", receiver)``; a mount answers under the path with
    a trailing slash) or serve it alone. ``on_event(event, *, is_duplicate)`` is awaited for
    every verified delivery; the sender gets 200 only once it has returned, and 500 (no detail)
    if it raised, so the delivery can be sent again. ``is_duplicate`` is true when a delivery
    with the same kind, id and status was handled successfully within ``duplicate_window``
    seconds (senders repeat deliveries): the handler decides what to do with it.

    ``secret`` is the organization's ``webhooks_secret``, or a list of them while rotating;
    ``sender_host`` the API host the deliveries come from (``PRODUCTION_SENDER_HOST`` or
    ``SANDBOX_SENDER_HOST``), from your configuration, never from the request. Bodies over
    ``max_body`` bytes are refused with 413 without reading the rest, and a body not received
    within ``read_timeout`` seconds with 408.
    """

    def __init__(
        self,
        *,
        secret: str | Sequence[str],
        sender_host: str,
        on_event: WebhookHandler,
        max_body: int = 1 << 20,
        read_timeout: float = 30.0,
        duplicate_window: float = 3600.0,
    ) -> None:
        secrets = check_secrets([secret] if isinstance(secret, str) else list(secret))
        check_sender_host(sender_host)
        if not callable(on_event):
            raise TypeError(
                "on_event must be an async function `async def on_event(event, *, "
                "is_duplicate): ...`"
            )
        if isinstance(max_body, bool) or not isinstance(max_body, int) or max_body < 1:
            raise ValueError(f"max_body must be a positive number of bytes, got {max_body!r}")
        for name, value in (("read_timeout", read_timeout), ("duplicate_window", duplicate_window)):
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
        self._secrets = secrets
        self.sender_host = sender_host
        self.on_event = on_event
        self.max_body = max_body
        self.read_timeout = float(read_timeout)
        self.recent = RecentDeliveries(window=float(duplicate_window))

    def __repr__(self) -> str:
        return f"WebhookReceiver(sender_host={self.sender_host!r}, max_body={self.max_body})"

    async def __call__(self, scope: _Scope, receive: _Receive, send: _Send) -> None:
        """Answer one ASGI connection (HTTP requests; lifespan events are acknowledged)."""
        if scope["type"] == "lifespan":
            await _acknowledge_lifespan(receive, send)
            return
        if scope["type"] != "http":
            raise RuntimeError(f"WebhookReceiver serves HTTP only, not {scope['type']!r}")
        try:
            status = await self._handle(scope, receive)
        except _Refusal as refusal:
            # A stray GET is noise; a bad signature or body usually means wrong settings.
            level = logging.INFO if refusal.status == 405 else logging.WARNING
            logger.log(level, "webhook delivery refused (%d): %s", refusal.status, refusal.reason)
            status = refusal.status
        if status is not None:
            await _answer(send, status)

    async def _handle(self, scope: _Scope, receive: _Receive) -> int | None:
        if scope["method"] != "POST":
            raise _Refusal(405, f"method {scope['method']} (deliveries are POSTed)")
        headers: list[tuple[bytes, bytes]] = list(scope.get("headers", ()))
        length = declared_length(headers)
        if length is not None and length > self.max_body:
            raise _Refusal(413, f"the body is larger than max_body ({self.max_body} bytes)")
        body = await self._read_body(receive)
        if body is None:
            return None  # the sender went away: nobody to answer
        try:
            event = parse_event(
                body, signature_header(headers), secret=self._secrets, sender_host=self.sender_host
            )
        except InvalidSignatureError:
            raise _Refusal(
                401,
                "the signature is missing or does not match: check the webhooks secret "
                "(org.webhooks_secret from users.me()) and sender_host "
                f"({self.sender_host!r})",
            ) from None
        except (ValueError, RecursionError):
            raise _Refusal(400, "a verified body that is not a known event") from None
        return await self._dispatch(event)

    async def _read_body(self, receive: _Receive) -> bytes | None:
        body = bytearray()
        with anyio.move_on_after(self.read_timeout):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return None
                chunk: bytes = message.get("body", b"")
                if len(body) + len(chunk) > self.max_body:
                    raise _Refusal(413, f"the body is larger than max_body ({self.max_body} bytes)")
                body += chunk
                if not message.get("more_body", False):
                    return bytes(body)
        raise _Refusal(408, f"the body did not arrive within read_timeout ({self.read_timeout} s)")

    async def _dispatch(self, event: WebhookEvent) -> int:
        key = delivery_key(event)
        is_duplicate = self.recent.seen(key, time.monotonic())
        try:
            pending = self.on_event(event, is_duplicate=is_duplicate)
            if not inspect.isawaitable(pending):
                raise TypeError("on_event must be an async function (it returned no awaitable)")
            await pending
        except Exception as error:
            kind, identifier, status = key
            # Formatted here, not by the handler: a traceback quoting the receiver's secret
            # (a handler's message, a source line) must be redacted before any handler sees it.
            logger.error(
                "webhook handler failed on the %s %s event (%s)\n%s",
                kind,
                identifier,
                status,
                redacted_traceback(error, self._secrets),
            )
            return 500
        self.recent.remember(key, time.monotonic())
        return 200


def redacted_traceback(error: BaseException, secrets: Sequence[str]) -> str:
    """``error``'s traceback (its causes included) with ``secrets`` and every known secret
    replaced."""
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return redact_text(text.rstrip("\n"), secrets)


async def _answer(send: _Send, status: int) -> None:
    headers = [(b"content-length", b"0")]
    if status == 405:
        headers.append((b"allow", b"POST"))
    if status in (408, 413):
        headers.append((b"connection", b"close"))  # the rest of the body is never read
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


async def _acknowledge_lifespan(receive: _Receive, send: _Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
