"""WebhookReceiver served by uvicorn over TCP: the emulator's signed deliveries, and attacks.

Forged, tampered, oversized and slow requests are written on a raw socket, so the test decides
exactly which bytes the receiver has seen when it answers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx
import pytest
from fastapi import FastAPI

from galatea_async import webhooks
from galatea_async.emulator._serve import serve_app
from galatea_async.webhooks import OrderStatusEvent, WebhookEvent, WebhookReceiver
from tests.emulator_fixtures import make_emulator

SECRET = "receiver-test-secret-0123456789"
HOST = webhooks.SANDBOX_SENDER_HOST
ORDER_BODY = json.dumps(
    {
        "order_id": "8f14e45f-ceea-467f-a9b8-1a2b3c4d5e6f",
        "new_status": "COMPLETED",
        "source_file_id": "c9f0f895-fb98-4b91-9b5f-1a2b3c4d5e6f",
        "source_file_name": "sample.txt.zip",
    }
).encode()
SIGNATURE = webhooks.sign(ORDER_BODY, secret=SECRET, sender_host=HOST)


class Recorder:
    """An on_event that records (event, is_duplicate) and can be told to fail."""

    def __init__(self) -> None:
        self.calls: list[tuple[WebhookEvent, bool]] = []
        self.failures_left = 0

    async def __call__(self, event: WebhookEvent, *, is_duplicate: bool) -> None:
        await anyio.lowlevel.checkpoint()
        if self.failures_left:
            self.failures_left -= 1
            raise RuntimeError(f"database down while handling {event!r}")
        self.calls.append((event, is_duplicate))


@asynccontextmanager
async def served(receiver: Any) -> AsyncIterator[str]:
    async with serve_app(receiver) as url:
        yield url


async def raw_request(url: str, head: bytes, body: bytes = b"") -> tuple[int, bytes]:
    """Send ``head`` + ``body`` on a fresh connection; the status and body of the answer."""
    where = urlsplit(url)
    assert where.hostname and where.port
    async with await anyio.connect_tcp(where.hostname, where.port) as stream:
        await stream.send(head + b"\r\n" + body)
        answer = b""
        with anyio.fail_after(30):
            while b"\r\n\r\n" not in answer:
                answer += await stream.receive()
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


def post_head(path: str, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n").encode()


def make_receiver(recorder: Recorder, **options: Any) -> WebhookReceiver:
    settings: dict[str, Any] = {"secret": SECRET, "sender_host": HOST, "on_event": recorder}
    settings.update(options)
    return WebhookReceiver(**settings)


async def test_the_emulators_signed_deliveries_reach_the_handler_and_repeats_are_flagged() -> None:
    recorder = Recorder()
    receiver = make_receiver(recorder, secret=["old-secret-being-rotated", SECRET])
    async with served(receiver) as url:
        # The same URL twice: the emulator delivers every event twice, as senders repeat.
        emulator = make_emulator(webhook_urls=[url, url], sender_host=HOST)
        emulator.state.org.webhooks_secret = SECRET
        upload = emulator.add_file("hook.txt", status=None)
        emulator.clock.advance(60)
        deliveries = await emulator.deliver_pending_webhooks()
        order_id = emulator.add_order(upload["id"], status="Running")
        emulator.clock.advance(3600)
        deliveries += await emulator.deliver_pending_webhooks()
    assert [d.status_code for d in deliveries] == [200, 200, 200, 200]
    assert [(type(e).__name__, dup) for e, dup in recorder.calls] == [
        ("FileValidatedEvent", False),
        ("FileValidatedEvent", True),
        ("OrderStatusEvent", False),
        ("OrderStatusEvent", True),
    ]
    order_event = recorder.calls[2][0]
    assert isinstance(order_event, OrderStatusEvent)
    assert order_event.order_id == order_id and order_event.new_status == "Completed"


async def test_forged_tampered_and_unsigned_deliveries_get_a_bare_401(
    caplog: pytest.LogCaptureFixture,
) -> None:
    recorder = Recorder()
    caplog.set_level(logging.DEBUG)
    tampered = ORDER_BODY.replace(b"COMPLETED", b"FAILED")
    other_secret = webhooks.sign(ORDER_BODY, secret="someone-elses-secret", sender_host=HOST)
    async with served(make_receiver(recorder)) as url, httpx.AsyncClient() as http:
        answers = [
            await http.post(url, content=ORDER_BODY),
            await http.post(url, content=ORDER_BODY, headers={"x-octopod-signature": "AAAA"}),
            await http.post(url, content=ORDER_BODY, headers={"x-octopod-signature": other_secret}),
            await http.post(url, content=tampered, headers={"x-octopod-signature": SIGNATURE}),
        ]
    assert [(a.status_code, a.content) for a in answers] == [(401, b"")] * 4
    assert recorder.calls == []
    logged = caplog.text
    assert "receiver-test-secret" not in logged and SIGNATURE not in logged
    assert "sample.txt.zip" not in logged and "8f14e45f" not in logged


async def test_a_verified_body_of_an_unknown_kind_is_a_400() -> None:
    recorder = Recorder()
    async with served(make_receiver(recorder)) as url, httpx.AsyncClient() as http:
        answers = []
        for body in (b'{"hello": "world"}', b"not json", b"[1, 2]"):
            signature = webhooks.sign(body, secret=SECRET, sender_host=HOST)
            answers.append(
                await http.post(url, content=body, headers={"x-octopod-signature": signature})
            )
    assert [(a.status_code, a.content) for a in answers] == [(400, b"")] * 3
    assert recorder.calls == []


async def test_any_method_but_post_is_a_405() -> None:
    async with served(make_receiver(Recorder())) as url, httpx.AsyncClient() as http:
        answers = [await http.request(method, url) for method in ("GET", "PUT", "DELETE")]
    assert {a.status_code for a in answers} == {405}
    assert all(a.headers["allow"] == "POST" for a in answers)


async def test_a_declared_length_over_max_body_is_refused_before_the_body_is_sent() -> None:
    recorder = Recorder()
    async with served(make_receiver(recorder, max_body=1024)) as url:
        # Headers only: the answer comes although not one byte of the body was sent.
        status, body = await raw_request(
            url, post_head("/", {"Content-Length": str(4 << 20), "X-Octopod-Signature": SIGNATURE})
        )
    assert (status, body) == (413, b"")
    assert recorder.calls == []


async def test_a_chunked_body_over_max_body_is_refused_without_reading_the_rest() -> None:
    recorder = Recorder()
    async with served(make_receiver(recorder, max_body=1024)) as url:
        # 1,025 bytes of a body that never ends: the answer cannot wait for the rest.
        status, _ = await raw_request(
            url,
            post_head("/", {"Transfer-Encoding": "chunked", "X-Octopod-Signature": SIGNATURE}),
            b"401\r\n" + b"x" * 0x401 + b"\r\n",
        )
    assert status == 413
    assert recorder.calls == []


async def test_a_body_that_stops_arriving_is_a_408() -> None:
    recorder = Recorder()
    async with served(make_receiver(recorder, read_timeout=0.2)) as url:
        head = post_head(
            "/", {"Content-Length": str(len(ORDER_BODY)), "X-Octopod-Signature": SIGNATURE}
        )
        status, _ = await raw_request(url, head, ORDER_BODY[:10])
    assert status == 408
    assert recorder.calls == []


async def test_a_body_sent_in_small_pieces_verifies() -> None:
    recorder = Recorder()

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(ORDER_BODY), 7):
            yield ORDER_BODY[start : start + 7]

    async with served(make_receiver(recorder)) as url, httpx.AsyncClient() as http:
        answer = await http.post(url, content=pieces(), headers={"x-octopod-signature": SIGNATURE})
    assert answer.status_code == 200
    assert len(recorder.calls) == 1


async def test_a_failing_handler_is_a_bare_500_and_the_redelivery_is_not_a_duplicate() -> None:
    recorder = Recorder()
    recorder.failures_left = 1
    headers = {"x-octopod-signature": SIGNATURE}
    async with served(make_receiver(recorder)) as url, httpx.AsyncClient() as http:
        failed = await http.post(url, content=ORDER_BODY, headers=headers)
        retried = await http.post(url, content=ORDER_BODY, headers=headers)
        repeated = await http.post(url, content=ORDER_BODY, headers=headers)
    assert (failed.status_code, failed.content) == (500, b"")
    assert (retried.status_code, repeated.status_code) == (200, 200)
    assert [dup for _, dup in recorder.calls] == [False, True]


async def test_mounted_in_fastapi_under_a_path() -> None:
    recorder = Recorder()
    app = FastAPI()
    app.mount("/galatea/webhooks", make_receiver(recorder))
    async with served(app) as url, httpx.AsyncClient(base_url=url) as http:
        delivered = await http.post(
            "/galatea/webhooks/", content=ORDER_BODY, headers={"x-octopod-signature": SIGNATURE}
        )
        wrong_method = await http.get("/galatea/webhooks/")
    assert delivered.status_code == 200 and wrong_method.status_code == 405
    assert len(recorder.calls) == 1
