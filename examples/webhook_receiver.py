"""A Starlette webhook receiver for Galatea deliveries (FastAPI works the same way).

Run with: uvicorn examples.webhook_receiver:app --port 8888
Configuration comes from GALATEA_API_KEY, GALATEA_WEBHOOKS_SECRET and GALATEA_SENDER_HOST.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from galatea_async import AsyncGalatea, InvalidSignatureError, webhooks


def create_app(client: AsyncGalatea, *, secret: str | list[str], sender_host: str) -> Starlette:
    """A receiver that verifies each delivery, then fetches what it is about."""
    seen: list[object] = []

    async def galatea_webhook(request: Request) -> Response:
        body = await request.body()  # the raw bytes: re-encoded JSON would not verify
        try:
            event = webhooks.parse_event(
                body,
                request.headers.get(webhooks.WEBHOOK_SIGNATURE_HEADER),
                secret=secret,  # a list of secrets is accepted while rotating
                sender_host=sender_host,  # from configuration, never from the request
            )
        except InvalidSignatureError:
            return Response(status_code=401)
        except ValueError:
            return Response(status_code=422)
        # No timestamp in the signature: a delivery can be replayed. Treat it as a trigger and
        # fetch the current state, which is idempotent.
        seen.append(await event.fetch(client))
        return Response(status_code=200)

    app = Starlette(routes=[Route("/galatea/webhook", galatea_webhook, methods=["POST"])])
    app.state.seen = seen
    return app


@asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    async with AsyncGalatea() as client:
        app.router.routes[:] = create_app(
            client,
            secret=os.environ["GALATEA_WEBHOOKS_SECRET"],
            sender_host=os.environ.get("GALATEA_SENDER_HOST", webhooks.PRODUCTION_SENDER_HOST),
        ).router.routes
        yield


app = Starlette(lifespan=_lifespan)
