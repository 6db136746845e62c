"""WebhookReceiver's pure parts and its checks at construction (no network)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from galatea_async import webhooks
from galatea_async._enums import FileStatus, OrderStatus
from galatea_async._webhook_receiver import (
    RecentDeliveries,
    _Refusal,
    declared_length,
    delivery_key,
    signature_header,
)
from galatea_async.webhooks import FileValidatedEvent, OrderStatusEvent, WebhookReceiver

SECRET = "e2Bib57PYkkTFCs7utEfSZd6yGZCmGYX"


async def _ignore(event: webhooks.WebhookEvent, *, is_duplicate: bool) -> None:
    return None


def test_receiver_is_exported_from_webhooks() -> None:
    assert "WebhookReceiver" in webhooks.__all__
    assert webhooks.WebhookReceiver is WebhookReceiver


def test_deliveries_are_the_same_when_kind_id_and_status_match() -> None:
    order = OrderStatusEvent("o1", OrderStatus.COMPLETED, "f1", "a.txt")
    same_order_later = OrderStatusEvent("o1", OrderStatus("COMPLETED"), "f1", "renamed.txt")
    failed = OrderStatusEvent("o1", OrderStatus.FAILED, "f1", "a.txt")
    file_event = FileValidatedEvent("o1", FileStatus.VALID, "a.txt")
    assert delivery_key(order) == delivery_key(same_order_later)
    assert delivery_key(order) != delivery_key(failed)
    assert delivery_key(file_event) != delivery_key(order)


def test_recent_deliveries_forget_after_the_window() -> None:
    recent = RecentDeliveries(window=60.0)
    key = ("order", "o1", "Completed")
    assert not recent.seen(key, now=100.0)
    recent.remember(key, now=100.0)
    assert recent.seen(key, now=159.9)
    assert not recent.seen(key, now=160.0)


def test_recent_deliveries_stay_bounded() -> None:
    recent = RecentDeliveries(window=1e9, max_entries=3)
    for number in range(10):
        recent.remember(("file", str(number), "VALID"), now=float(number))
    assert [recent.seen(("file", str(n), "VALID"), now=10.0) for n in range(10)] == [False] * 7 + [
        True
    ] * 3


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([], None),
        ([(b"content-length", b"12")], 12),
        ([(b"Content-Length", b"12"), (b"content-length", b"12")], 12),
    ],
)
def test_declared_length(headers: list[tuple[bytes, bytes]], expected: int | None) -> None:
    assert declared_length(headers) == expected


@pytest.mark.parametrize(
    "headers",
    [
        [(b"content-length", b"-1")],
        [(b"content-length", b"1e3")],
        [(b"content-length", b"12"), (b"content-length", b"13")],
    ],
)
def test_a_malformed_content_length_is_a_400(headers: list[tuple[bytes, bytes]]) -> None:
    with pytest.raises(_Refusal) as refused:
        declared_length(headers)
    assert refused.value.status == 400


def test_a_repeated_signature_header_counts_as_missing() -> None:
    assert signature_header([(b"x-octopod-signature", b"abc")]) == "abc"
    assert signature_header([]) is None
    assert (
        signature_header([(b"x-octopod-signature", b"a"), (b"x-octopod-signature", b"a")]) is None
    )


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"secret": ""}, ValueError, "webhook secret is empty"),
        ({"secret": []}, ValueError, "no webhook secret"),
        ({"sender_host": "https://api.galatea.bio/"}, ValueError, "not a URL"),
        ({"on_event": "not callable"}, TypeError, "async function"),
        ({"max_body": 0}, ValueError, "max_body"),
        ({"read_timeout": float("inf")}, ValueError, "read_timeout"),
        ({"duplicate_window": -1}, ValueError, "duplicate_window"),
    ],
)
def test_bad_settings_fail_at_construction(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    settings: dict[str, Any] = {
        "secret": SECRET,
        "sender_host": webhooks.PRODUCTION_SENDER_HOST,
        "on_event": _ignore,
    }
    settings.update(options)
    with pytest.raises(error, match=message):
        WebhookReceiver(**settings)


def test_repr_shows_no_secret() -> None:
    receiver = WebhookReceiver(
        secret=[SECRET, "old-secret-value"],
        sender_host=webhooks.PRODUCTION_SENDER_HOST,
        on_event=_ignore,
    )
    assert SECRET not in repr(receiver) and "old-secret-value" not in repr(receiver)


async def test_lifespan_events_are_acknowledged() -> None:
    receiver = WebhookReceiver(
        secret=SECRET, sender_host=webhooks.PRODUCTION_SENDER_HOST, on_event=_ignore
    )
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: Any) -> None:
        sent.append(message)

    await receiver({"type": "lifespan"}, receive, send)
    assert [m["type"] for m in sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]


async def _deliver(receiver: WebhookReceiver, body: bytes, signature: str) -> list[Any]:
    incoming = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "headers": [(b"x-octopod-signature", signature.encode())],
    }
    await receiver(scope, receive, send)
    return sent


def _order_event_body() -> bytes:
    return (
        b'{"order_id": "o1", "new_status": "COMPLETED", '
        b'"source_file_id": "f1", "source_file_name": "a.txt"}'
    )


async def test_a_failing_handlers_logged_traceback_never_shows_the_receivers_secrets(
    caplog: pytest.LogCaptureFixture,
) -> None:
    old_secret = "old-secret-value-0123"

    async def store(event: webhooks.WebhookEvent, *, is_duplicate: bool) -> None:
        try:
            raise ConnectionError(f"queue refused token {old_secret}")
        except ConnectionError as error:
            raise RuntimeError(f"cannot store event signed with {SECRET}") from error

    receiver = WebhookReceiver(
        secret=[SECRET, old_secret],
        sender_host=webhooks.PRODUCTION_SENDER_HOST,
        on_event=store,
    )
    body = _order_event_body()
    signature = webhooks.sign(body, secret=SECRET, sender_host=webhooks.PRODUCTION_SENDER_HOST)
    with caplog.at_level("ERROR", logger="galatea_async.webhooks"):
        sent = await _deliver(receiver, body, signature)
    assert sent[0]["status"] == 500
    formatted = "\n".join(logging.Formatter().format(record) for record in caplog.records)
    assert SECRET not in formatted
    assert old_secret not in formatted
    # The traceback itself is still there for whoever debugs the handler.
    assert "RuntimeError: cannot store event signed with [REDACTED]" in formatted
    assert "ConnectionError: queue refused token [REDACTED]" in formatted
    assert "in store" in formatted
