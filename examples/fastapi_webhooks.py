"""A FastAPI app that receives Galatea's webhooks: the webhooks guide's example, whole.

Run it (the webhook URL to give Galatea is ``https://YOUR-HOST/galatea/webhooks/``)::

    GALATEA_API_KEY=... uvicorn examples.fastapi_webhooks:app --port 8000

At startup the lifespan opens one client for the app's life and asks the API for the
organization's webhook secret; ``GALATEA_SENDER_HOST`` names the sandbox sender when the
client talks to the sandbox.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from galatea_async import AsyncGalatea, webhooks
from galatea_async.webhooks import OrderStatusEvent, WebhookEvent, WebhookReceiver

logger = logging.getLogger(__name__)
# From configuration, never from the request.
SENDER_HOST = os.environ.get("GALATEA_SENDER_HOST", webhooks.PRODUCTION_SENDER_HOST)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with AsyncGalatea() as client:  # GALATEA_API_KEY, GALATEA_BASE_URL
        organization = (await client.users.me()).org
        secret = organization.webhooks_secret if organization else None
        if not secret:
            raise RuntimeError("this organization has no webhook secret: enable its webhooks")

        async def on_event(event: WebhookEvent, *, is_duplicate: bool) -> None:
            if isinstance(event, OrderStatusEvent) and event.is_final and not is_duplicate:
                order = await event.fetch(client)  # the order as it is now
                logger.info("order %s is %s", order.id, order.status)

        app.state.webhook_receiver = WebhookReceiver(
            secret=secret,  # or [new_secret, old_secret] while you rotate it
            sender_host=SENDER_HOST,
            on_event=on_event,
        )
        yield


async def galatea_webhooks(scope: Scope, receive: Receive, send: Send) -> None:
    """Each delivery goes to the receiver the lifespan made with the secret."""
    await scope["app"].state.webhook_receiver(scope, receive, send)


app = FastAPI(lifespan=lifespan)
app.mount("/galatea/webhooks", galatea_webhooks)
