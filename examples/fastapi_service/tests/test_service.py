"""The results mirror, tested with galatea_async's pytest plugin and nothing else.

``galatea_emulator`` is a demo Galatea API served on 127.0.0.1 with a manual clock;
``galatea_client`` is an ``AsyncGalatea`` bound to it. ``deliver_webhooks_to(app)`` serves the
app and points the emulator's signed webhooks at it, so deliveries arrive as Galatea sends them.
The app's lifespan runs first, as a server runs it at startup: it fetches the webhook secret
from the emulator.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI

from examples.fastapi_service.app import create_app
from galatea_async import AsyncGalatea
from galatea_async.testing import ServedEmulator

WEBHOOK_PATH = "/galatea/webhooks/"


def make_app(emulator: ServedEmulator, client: AsyncGalatea, results_dir: Path) -> FastAPI:
    return create_app(client, results_dir=results_dir, sender_host=emulator.sender_host)


@asynccontextmanager
async def running(app: FastAPI, emulator: ServedEmulator) -> AsyncIterator[str]:
    """The app started (its lifespan) and receiving the emulator's webhooks; yields their URL."""
    async with (
        app.router.lifespan_context(app),
        emulator.deliver_webhooks_to(app, path=WEBHOOK_PATH) as url,
    ):
        yield url


def downloads_made(emulator: ServedEmulator) -> int:
    return sum(1 for record in emulator.requests if "/download" in record.path)


def files_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.is_dir() else []


async def test_a_completed_order_is_mirrored_when_its_webhook_arrives(
    galatea_emulator: ServedEmulator, galatea_client: AsyncGalatea, tmp_path: Path
) -> None:
    app = make_app(galatea_emulator, galatea_client, tmp_path)
    order_id = galatea_emulator.add_order(status="Running", result_sizes={"SUMMARY_CHROMS": 4096})
    async with running(app, galatea_emulator):
        galatea_emulator.clock.advance(3600)  # the order completes
        [delivery] = await galatea_emulator.deliver_pending_webhooks()
    assert delivery.status_code == 200  # answered once the files were in place
    order = await galatea_client.orders.get(order_id)
    held = files_in(tmp_path / order_id)
    assert len(held) == len(order.result_types) > 0
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://service"
    ) as service:
        listed = await service.get(f"/orders/{order_id}/results")
        unknown = await service.get("/orders/8f14e45f-ceea-467f-a9b8-1a2b3c4d5e6f/results")
        not_an_id = await service.get("/orders/..%2F..%2Fetc/results")
    assert listed.json() == held
    assert unknown.status_code == 404
    assert not_an_id.status_code in (404, 422)


async def test_a_repeated_delivery_downloads_nothing_again(
    galatea_emulator: ServedEmulator, galatea_client: AsyncGalatea, tmp_path: Path
) -> None:
    app = make_app(galatea_emulator, galatea_client, tmp_path)
    galatea_emulator.add_order(status="Running")
    async with running(app, galatea_emulator) as url:
        galatea_emulator.clock.advance(3600)
        [first] = await galatea_emulator.deliver_pending_webhooks()
        downloads = downloads_made(galatea_emulator)
        async with httpx.AsyncClient() as sender:  # the same signed bytes, sent again
            again = await sender.post(
                url, content=first.body, headers={"X-Octopod-Signature": first.signature}
            )
    assert first.status_code == again.status_code == 200
    assert downloads > 0
    assert downloads_made(galatea_emulator) == downloads


async def test_a_failed_order_is_acknowledged_and_mirrors_nothing(
    galatea_emulator: ServedEmulator, galatea_client: AsyncGalatea, tmp_path: Path
) -> None:
    app = make_app(galatea_emulator, galatea_client, tmp_path)
    order_id = galatea_emulator.add_order(status="Running")
    galatea_emulator.fail_order(order_id)
    async with running(app, galatea_emulator):
        galatea_emulator.clock.advance(3600)
        [delivery] = await galatea_emulator.deliver_pending_webhooks()
    assert delivery.status_code == 200
    assert delivery.payload["new_status"] == "FAILED"
    assert files_in(tmp_path / order_id) == []


async def test_an_unsigned_webhook_is_refused(
    galatea_emulator: ServedEmulator, galatea_client: AsyncGalatea, tmp_path: Path
) -> None:
    app = make_app(galatea_emulator, galatea_client, tmp_path)
    async with (
        running(app, galatea_emulator) as url,
        httpx.AsyncClient() as stranger,
    ):
        answer = await stranger.post(url, json={"order_id": "x", "new_status": "COMPLETED"})
    assert answer.status_code == 401
    assert files_in(tmp_path) == []
