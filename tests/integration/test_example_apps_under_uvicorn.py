"""The guides' example apps, run as their docs say: ``uvicorn`` in a process of its own.

Each app is a module (``examples/fastapi_webhooks.py`` of the webhooks guide,
``examples/fastapi_service`` of the FastAPI guide) served by the ``uvicorn`` command against
the demo emulator, configured by ``GALATEA_*`` variables only. Its lifespan fetches the
webhook secret from the API at startup; the emulator's signed deliveries then reach it over
TCP, and a delivery not signed with that secret is refused.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx
from anyio.abc import ByteReceiveStream

from galatea_async import webhooks
from galatea_async.testing import ServedEmulator

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK_PATH = "/galatea/webhooks/"
_ANNOUNCED = re.compile(r"Uvicorn running on (http://127\.0\.0\.1:\d+)")


def _environment(emulator: ServedEmulator, **more: str) -> dict[str, str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("GALATEA_")
    }
    environment.update(
        PYTHONPATH=str(ROOT),
        GALATEA_API_KEY=emulator.api_key,
        GALATEA_BASE_URL=emulator.base_url,
        GALATEA_SENDER_HOST=emulator.sender_host,
        **more,
    )
    return environment


async def _announced_url(stderr: ByteReceiveStream) -> str:
    """Read uvicorn's log until it says where it listens (after the app's startup)."""
    log = b""
    async for chunk in stderr:
        log += chunk
        found = _ANNOUNCED.search(log.decode(errors="replace"))
        if found:
            return found[1]
    raise AssertionError(f"uvicorn ended before serving:\n{log.decode(errors='replace')}")


@asynccontextmanager
async def uvicorn_serving(*target: str, environment: dict[str, str]) -> AsyncIterator[str]:
    """``python -m uvicorn TARGET`` on a free port of 127.0.0.1; yields its URL."""
    command = [sys.executable, "-m", "uvicorn", *target, "--host", "127.0.0.1", "--port", "0"]
    command += ["--lifespan", "on", "--no-access-log"]
    async with await anyio.open_process(
        command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL
    ) as process:
        assert process.stderr is not None
        try:
            with anyio.fail_after(60):
                url = await _announced_url(process.stderr)
            yield url
        finally:
            process.terminate()  # uvicorn shuts down on SIGTERM, running the lifespan's exit
            await process.wait()


async def _forged_delivery(url: str) -> int:
    async with httpx.AsyncClient() as stranger:
        answer = await stranger.post(
            url,
            content=b'{"order_id": "x", "new_status": "COMPLETED"}',
            headers={webhooks.WEBHOOK_SIGNATURE_HEADER: "AAAA"},
        )
    return answer.status_code


def _requested(emulator: ServedEmulator, path_end: str, query_part: str = "") -> bool:
    return any(
        record.path.endswith(path_end) and query_part in record.query
        for record in emulator.requests
    )


async def test_the_webhooks_guide_app_fetches_its_secret_and_receives_deliveries(
    galatea_emulator: ServedEmulator,
) -> None:
    async with uvicorn_serving(
        "examples.fastapi_webhooks:app", environment=_environment(galatea_emulator)
    ) as url:
        assert _requested(galatea_emulator, "users/me")  # the secret, fetched at startup
        galatea_emulator.set_webhook_urls([url + WEBHOOK_PATH])
        order_id = galatea_emulator.add_order(status="Running")
        galatea_emulator.clock.advance(3600)  # the order completes
        deliveries = await galatea_emulator.deliver_pending_webhooks()
        forged = await _forged_delivery(url + WEBHOOK_PATH)
    assert [delivery.status_code for delivery in deliveries] == [200]
    assert _requested(galatea_emulator, "exec/orders", order_id)  # the handler's fetch
    assert forged == 401


async def test_the_fastapi_service_mirrors_a_completed_order_when_served_by_uvicorn(
    galatea_emulator: ServedEmulator, tmp_path: Path
) -> None:
    environment = _environment(galatea_emulator, RESULTS_DIR=str(tmp_path))
    async with uvicorn_serving(
        "--factory", "examples.fastapi_service.app:app_from_environment", environment=environment
    ) as url:
        galatea_emulator.set_webhook_urls([url + WEBHOOK_PATH])
        order_id = galatea_emulator.add_order(status="Running")
        galatea_emulator.clock.advance(3600)
        deliveries = await galatea_emulator.deliver_pending_webhooks()
        async with httpx.AsyncClient(base_url=url) as service:
            listed = await service.get(f"/orders/{order_id}/results")
        forged = await _forged_delivery(url + WEBHOOK_PATH)
    assert [delivery.status_code for delivery in deliveries] == [200]
    held = sorted(path.name for path in (tmp_path / order_id).iterdir())
    assert held and listed.json() == held
    assert forged == 401
