"""The control endpoints under ``/_emulator``: faults, the clock, tokens and webhook URLs.

For tests in another process or language; no authentication, never faulted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from galatea_async._emulator_command import check_webhook_url
from galatea_async.emulator._clock import Clock
from galatea_async.emulator._faults import FaultInjector
from galatea_async.emulator._http import ApiProblem, json_body
from galatea_async.emulator._webhooks import WebhookDelivery

__all__ = ["ControlRoutes", "Controlled"]

# How many of the latest webhook deliveries GET /_emulator/webhooks shows.
_SHOWN_DELIVERIES = 20


class Controlled(Protocol):
    """What the control endpoints turn: the :class:`Emulator` itself."""

    faults: FaultInjector
    clock: Clock
    sender_host: str
    webhook_urls: list[str]
    webhook_deliveries: list[WebhookDelivery]

    def set_webhook_urls(self, urls: Iterable[str]) -> None: ...


def webhook_urls_of(body: dict[str, Any]) -> list[str]:
    """The ``urls`` of a ``POST /_emulator/webhooks`` body; ``ApiProblem(400)`` naming a bad one."""
    urls = body.get("urls")
    if not isinstance(urls, list) or not all(isinstance(url, str) for url in urls):
        raise ApiProblem(400, 'urls: a list of URLs is required, e.g. {"urls": ["http://..."]}')
    try:
        return [check_webhook_url(url) for url in urls]
    except ValueError as error:
        raise ApiProblem(400, f"urls: {error}") from None


def _delivery_json(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "url": delivery.url,
        "status_code": delivery.status_code,
        "error": delivery.error,
        "event": delivery.payload,
    }


class ControlRoutes:
    """The handlers of ``/_emulator``, over the emulator they control."""

    def __init__(self, emulator: Controlled) -> None:
        self.emulator = emulator

    def routes(self) -> list[Route]:
        """The routes, relative to ``/_emulator``."""
        return [
            Route("/faults", self.faults, methods=["GET", "POST"]),
            Route("/clock/advance", self.clock_advance, methods=["POST"]),
            Route("/expire-tokens", self.expire_tokens, methods=["POST"]),
            Route("/webhooks", self.webhooks, methods=["GET", "POST"]),
        ]

    async def faults(self, request: Request) -> Response:
        faults = self.emulator.faults
        if request.method == "POST":
            try:
                faults.apply(await json_body(request))
            except (TypeError, ValueError) as exc:
                raise ApiProblem(400, str(exc)) from None
        return JSONResponse(faults.snapshot())

    async def clock_advance(self, request: Request) -> Response:
        seconds = (await json_body(request)).get("seconds")
        if not isinstance(seconds, (int, float)) or seconds < 0:
            raise ApiProblem(400, "seconds: a non-negative number is required")
        return JSONResponse({"now": self.emulator.clock.advance(float(seconds)).isoformat()})

    async def expire_tokens(self, request: Request) -> Response:
        self.emulator.faults.expire_tokens()
        return JSONResponse({"expired": True})

    async def webhooks(self, request: Request) -> Response:
        emulator = self.emulator
        if request.method == "POST":
            emulator.set_webhook_urls(webhook_urls_of(await json_body(request)))
        latest: Sequence[WebhookDelivery] = emulator.webhook_deliveries[-_SHOWN_DELIVERIES:]
        return JSONResponse(
            {
                "urls": list(emulator.webhook_urls),
                "sender_host": emulator.sender_host,
                "latest_deliveries": [_delivery_json(delivery) for delivery in latest],
            }
        )
