"""Webhooks: file-validated and order-final events, signed as the reference says."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from galatea_async.emulator import Emulator
from galatea_async.emulator._serve import serve_app
from galatea_async.emulator._webhooks import sign


def _reference_signature(secret: str, sender_host: str, body: bytes) -> str:
    # Exactly the reference's FastAPI example.
    signature_data = sender_host + body.decode("utf-8")
    return base64.b64encode(
        hmac.new(
            key=bytes(secret, "utf-8"), msg=bytes(signature_data, "utf-8"), digestmod=hashlib.sha256
        ).digest()
    ).decode()


def test_sign_matches_the_reference_example() -> None:
    body = b'{"order_id": "1", "new_status": "COMPLETED"}'
    assert sign("s3cret", "api.galatea.bio", body) == _reference_signature(
        "s3cret", "api.galatea.bio", body
    )


async def test_file_and_order_events_are_delivered_once_with_valid_signatures() -> None:
    received: list[tuple[bytes, str | None]] = []

    async def handler(request: Request) -> Response:
        received.append((await request.body(), request.headers.get("x-octopod-signature")))
        return Response(status_code=200)

    receiver = Starlette(routes=[Route("/hook", handler, methods=["POST"])])
    emulator = Emulator(
        validation_seconds=60, order_stage_seconds=10, sender_host="api.sandbox.galatea.bio"
    )
    async with serve_app(receiver) as receiver_url:
        emulator.set_webhook_urls([f"{receiver_url}/hook"])
        upload = emulator.add_file("g.txt", status=None)
        emulator.clock.advance(60)
        order_id = emulator.add_order(upload["id"], status="Running")
        assert [d.payload for d in await emulator.deliver_pending_webhooks()] == [
            {"source_file_id": upload["id"], "new_status": "VALID", "source_file_name": "g.txt"}
        ]
        emulator.clock.advance(10)
        deliveries = await emulator.deliver_pending_webhooks()
        assert await emulator.deliver_pending_webhooks() == []
    assert [d.payload for d in deliveries] == [
        {
            "order_id": order_id,
            "new_status": "COMPLETED",
            "source_file_id": upload["id"],
            "source_file_name": "g.txt",
        }
    ]
    assert len(received) == 2
    for body, signature in received:
        expected = _reference_signature(emulator.webhooks_secret, "api.sandbox.galatea.bio", body)
        assert signature == expected
        assert json.loads(body)["source_file_id"] == upload["id"]
    assert all(d.status_code == 200 for d in emulator.webhook_deliveries)


async def test_unreachable_webhook_urls_are_recorded_not_raised() -> None:
    emulator = Emulator(validation_seconds=1)
    emulator.set_webhook_urls(["http://127.0.0.1:9/nothing-listens-here"])
    emulator.add_file("g.txt", status=None)
    emulator.clock.advance(1)
    [delivery] = await emulator.deliver_pending_webhooks()
    assert delivery.status_code is None
    assert delivery.error
