"""Webhook events (file validated, order final), signed as the reference says, and sent."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Any

import attrs
import httpx

from galatea_async._enums import FileStatus
from galatea_async.emulator._state import State

__all__ = ["WebhookDelivery", "collect_events", "send_events", "sign"]


def sign(secret: str, sender_host: str, body: bytes) -> str:
    """``base64(HMAC-SHA256(key=secret, msg=sender_host + body))``: X-Octopod-Signature."""
    mac = hmac.new(secret.encode(), sender_host.encode() + body, hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


@attrs.frozen
class WebhookDelivery:
    """One POST the emulator made to a webhook URL, and how it went."""

    url: str
    body: bytes
    signature: str
    status_code: int | None  # None when the request failed in transport
    error: str | None = None

    @property
    def payload(self) -> Any:
        """The decoded JSON body."""
        return json.loads(self.body)


def collect_events(state: State) -> list[dict[str, str]]:
    """Events that became due since the last call, each reported once."""
    events: list[dict[str, str]] = []
    # Snapshots: a plain test adds files and orders from its own thread while this runs in
    # the server's.
    for record in list(state.files.values()):
        if record.announced:
            continue
        status = state.file_status(record)
        if status != FileStatus.PENDING:
            record.announced = True
            events.append(
                {"source_file_id": record.id, "new_status": status, "source_file_name": record.name}
            )
    for order in list(state.orders.values()):
        if order.announced or state.order_finished_at(order) is None:
            continue
        order.announced = True
        events.append(
            {
                "order_id": order.id,
                "new_status": state.order_status(order).upper().replace(" ", "_"),
                "source_file_id": order.file_id,
                "source_file_name": order.file_name,
            }
        )
    return events


async def send_events(
    events: Sequence[dict[str, str]],
    urls: Sequence[str],
    *,
    secret: str,
    sender_host: str,
    timeout: float = 10.0,
) -> list[WebhookDelivery]:
    """POST every event to every URL; returns what happened to each delivery."""
    deliveries: list[WebhookDelivery] = []
    if not events or not urls:
        return deliveries
    async with httpx.AsyncClient(timeout=timeout) as client:
        for event in events:
            body = json.dumps(event).encode()
            signature = sign(secret, sender_host, body)
            headers = {"content-type": "application/json", "x-octopod-signature": signature}
            for url in urls:
                try:
                    response = await client.post(url, content=body, headers=headers)
                except httpx.HTTPError as exc:
                    deliveries.append(
                        WebhookDelivery(url, body, signature, None, type(exc).__name__)
                    )
                else:
                    deliveries.append(WebhookDelivery(url, body, signature, response.status_code))
    return deliveries
