"""Verify and parse the webhooks Galatea delivers.

Galatea signs each delivery: the ``X-Octopod-Signature`` header holds
``base64(HMAC-SHA256(key=webhooks_secret, msg=sender_host + raw_body))``, where
``sender_host`` is the API's host name (``api.galatea.bio``, sandbox
``api.sandbox.galatea.bio``) and the secret is ``(await client.users.me()).org.webhooks_secret``.

In a Starlette or FastAPI handler::

    from galatea_async import webhooks

    body = await request.body()  # the raw bytes: re-encoded JSON would not verify
    event = webhooks.parse_event(
        body,
        request.headers.get(webhooks.WEBHOOK_SIGNATURE_HEADER),
        secret=webhooks_secret,
        sender_host=webhooks.PRODUCTION_SENDER_HOST,
    )
    current = await event.fetch(client)  # the Order or SourceFile as it is now

The signature carries no timestamp or nonce, so a captured delivery can be replayed later and
still verify. Treat an event as a trigger, not as the truth: fetch the current state
(``await client.orders.get(event.order_id)``, ``await client.files.get(event.source_file_id)``)
and make the handler idempotent, so a replayed or repeated delivery does no harm.

A secret being rotated can be given as a list: a delivery signed with any of them verifies.
"""

from __future__ import annotations

from galatea_async._webhook_events import (
    FileValidatedEvent,
    OrderStatusEvent,
    WebhookEvent,
    parse_event,
)
from galatea_async._webhook_receiver import WebhookHandler, WebhookReceiver
from galatea_async._webhook_signature import (
    PRODUCTION_SENDER_HOST,
    SANDBOX_SENDER_HOST,
    WEBHOOK_SIGNATURE_HEADER,
    sign,
    verify_signature,
)

__all__ = [
    "PRODUCTION_SENDER_HOST",
    "SANDBOX_SENDER_HOST",
    "WEBHOOK_SIGNATURE_HEADER",
    "FileValidatedEvent",
    "OrderStatusEvent",
    "WebhookEvent",
    "WebhookHandler",
    "WebhookReceiver",
    "parse_event",
    "sign",
    "verify_signature",
]
