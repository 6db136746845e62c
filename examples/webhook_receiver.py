"""A Starlette webhook endpoint for Galatea deliveries, built on ``WebhookReceiver``.

Run with: uvicorn --factory examples.webhook_receiver:app_from_environment --port 8888
Configuration comes from GALATEA_API_KEY, GALATEA_WEBHOOKS_SECRET and GALATEA_SENDER_HOST.
FastAPI works the same way (``app.mount(...)``, or a route as here); see
``examples/fastapi_service`` for a whole service.
"""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.routing import Route

from galatea_async import AsyncGalatea, webhooks
from galatea_async.webhooks import WebhookEvent, WebhookReceiver


def create_app(client: AsyncGalatea, *, secret: str | list[str], sender_host: str) -> Starlette:
    """A receiver at ``/galatea/webhook`` that fetches what each verified delivery is about."""
    seen: list[object] = []

    async def on_event(event: WebhookEvent, *, is_duplicate: bool) -> None:
        # No timestamp in the signature: a delivery can be replayed. Treat it as a trigger and
        # fetch the current state, which is idempotent.
        seen.append(await event.fetch(client))

    receiver = WebhookReceiver(
        secret=secret,  # a list of secrets is accepted while rotating
        sender_host=sender_host,  # from configuration, never from the request
        on_event=on_event,
    )
    # A route serves the exact path; a mount would answer under "/galatea/webhook/" only.
    app = Starlette(routes=[Route("/galatea/webhook", receiver)])
    app.state.seen = seen
    return app


def app_from_environment() -> Starlette:
    """The receiver configured from the environment (for ``uvicorn --factory``)."""
    return create_app(
        AsyncGalatea(),
        secret=os.environ["GALATEA_WEBHOOKS_SECRET"].split(","),
        sender_host=os.environ.get("GALATEA_SENDER_HOST", webhooks.PRODUCTION_SENDER_HOST),
    )
