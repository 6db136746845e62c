"""A FastAPI service that keeps a local copy of every completed order's results.

Galatea POSTs a webhook when an order reaches a final status. The mounted
``WebhookReceiver`` verifies it; on "completed" the service fetches the order (the event is a
trigger, the API is the truth) and runs ``results.sync``, which brings its result files into
``RESULTS_DIR/<order_id>/``. ``GET /orders/{order_id}/results`` lists what it holds.

Run it (the webhook URL to give Galatea is ``https://YOUR-HOST/galatea/webhooks/``)::

    GALATEA_API_KEY=... RESULTS_DIR=results \\
        uvicorn --factory examples.fastapi_service.app:app_from_environment

At startup the service asks the API for the organization's webhook secret, unless
``GALATEA_WEBHOOKS_SECRET`` gives it (``new,old`` while you rotate it).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import anyio
from fastapi import FastAPI, HTTPException
from starlette.types import Receive, Scope, Send

from galatea_async import AsyncGalatea, Order, OrderStatus, webhooks
from galatea_async.webhooks import OrderStatusEvent, WebhookEvent, WebhookReceiver


class ResultsMirror:
    """Brings completed orders' results into ``results_dir``, one order at a time."""

    def __init__(self, client: AsyncGalatea, results_dir: Path) -> None:
        self.client = client
        self.results_dir = results_dir
        self._one_at_a_time = anyio.Lock()

    async def on_event(self, event: WebhookEvent, *, is_duplicate: bool) -> None:
        """The receiver's ``on_event``: sync the order an "order completed" event names."""
        if not isinstance(event, OrderStatusEvent) or event.new_status != OrderStatus.COMPLETED:
            return
        if is_duplicate:
            return  # handled successfully moments ago: nothing new to fetch
        order = await event.fetch(self.client)  # the order as it is now, not as the event says
        if order.status == OrderStatus.COMPLETED:
            async with self._one_at_a_time:
                await self.sync(order)

    async def sync(self, order: Order) -> None:
        """Sync the results of the orders of ``order``'s days; raise if any file failed.

        ``results.sync`` keeps a journal in ``results_dir``: files already there cost no
        request, so this fetches the new order's files (and any an earlier run missed). The
        dates keep the listing short; the API's dates are UTC, hence a day either side.
        """
        day = (order.started_at or datetime.now(timezone.utc)).date()
        report = await self.client.results.sync(
            self.results_dir, min_date=day - timedelta(days=1), max_date=day + timedelta(days=1)
        )
        for outcome in report.failed:
            outcome.result()  # raises the stored error: the sender gets 500 and retries

    def files_of(self, order_id: str) -> list[str]:
        """The names of the result files held for ``order_id`` (none if it was never synced)."""
        folder = self.results_dir / order_id
        if not folder.is_dir():
            return []
        return sorted(path.name for path in folder.iterdir() if path.is_file())


async def organization_webhooks_secret(client: AsyncGalatea) -> str:
    """The secret that signs the organization's webhooks, as the API gives it."""
    organization = (await client.users.me()).org
    secret = organization.webhooks_secret if organization else None
    if not secret:
        raise RuntimeError("this organization has no webhook secret: enable its webhooks")
    return secret


async def galatea_webhooks(scope: Scope, receive: Receive, send: Send) -> None:
    """Each delivery goes to the receiver the lifespan made with the secret."""
    await scope["app"].state.webhook_receiver(scope, receive, send)


def create_app(
    client: AsyncGalatea,
    *,
    results_dir: Path,
    webhooks_secret: str | list[str] | None = None,
    sender_host: str = webhooks.PRODUCTION_SENDER_HOST,
    owns_client: bool = False,
) -> FastAPI:
    """The service around ``client`` (closed at shutdown only if ``owns_client``).

    Without ``webhooks_secret``, the lifespan fetches the organization's at startup.
    """
    mirror = ResultsMirror(client, results_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            secret = webhooks_secret or await organization_webhooks_secret(client)
            app.state.webhook_receiver = WebhookReceiver(
                secret=secret, sender_host=sender_host, on_event=mirror.on_event
            )
            yield
        finally:
            if owns_client:
                await client.aclose()

    app = FastAPI(title="Galatea results mirror", lifespan=lifespan)
    app.mount("/galatea/webhooks", galatea_webhooks)

    @app.get("/orders/{order_id}/results")
    async def order_results(order_id: uuid.UUID) -> list[str]:  # a UUID: never a path
        names = mirror.files_of(str(order_id))
        if not names:
            raise HTTPException(status_code=404, detail="no results held for this order yet")
        return names

    app.state.mirror = mirror
    return app


def app_from_environment() -> FastAPI:
    """The service configured from GALATEA_* variables and RESULTS_DIR (for ``--factory``)."""
    configured_secret = os.environ.get("GALATEA_WEBHOOKS_SECRET")
    return create_app(
        AsyncGalatea(),  # GALATEA_API_KEY (or GALATEA_EMAIL + GALATEA_PASSWORD)
        results_dir=Path(os.environ.get("RESULTS_DIR", "results")),
        # None: fetched from the API at startup. "new,old" while rotating.
        webhooks_secret=configured_secret.split(",") if configured_secret else None,
        sender_host=os.environ.get("GALATEA_SENDER_HOST", webhooks.PRODUCTION_SENDER_HOST),
        owns_client=True,
    )
