"""The emulator the ``galatea_emulator`` fixture hands a test: served, with its URL at hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.types import ASGIApp

from galatea_async.emulator import Emulator
from galatea_async.emulator._serve import serve_app

__all__ = ["ServedEmulator"]


class ServedEmulator(Emulator):
    """An ``Emulator`` that knows where it is served.

    Everything an ``Emulator`` has (``api_key``, ``faults``, ``clock``, ``add_file``,
    ``add_order``, ``fail_order``, ``deliver_pending_webhooks``, ...) plus ``base_url``
    while ``serve`` runs, and ``deliver_webhooks_to`` to point its webhooks at your
    app for a block.
    """

    _served_at: str | None = None

    @property
    def base_url(self) -> str:
        """Where the API is served: ``http://127.0.0.1:PORT`` (no ``/api/v1``)."""
        if self._served_at is None:
            raise RuntimeError(
                "this emulator is not being served: use it inside `async with "
                "emulator.serve():`, or take the galatea_emulator fixture, which serves it"
            )
        return self._served_at

    @asynccontextmanager
    async def serve(
        self, *, host: str = "127.0.0.1", port: int = 0, prepare_results: bool = False
    ) -> AsyncIterator[str]:
        """Serve the API over TCP while the block runs; yields (and sets) ``base_url``."""
        async with super().serve(host=host, port=port, prepare_results=prepare_results) as url:
            self._served_at = url
            try:
                yield url
            finally:
                self._served_at = None

    @asynccontextmanager
    async def deliver_webhooks_to(self, app: ASGIApp, *, path: str = "/") -> AsyncIterator[str]:
        """Serve ``app`` (any ASGI app) on 127.0.0.1 and send this emulator's webhooks to it.

        For the block, ``webhook_urls`` is ``[served URL + path]``: deliveries made by
        ``deliver_pending_webhooks`` (or in the background as the clock moves) reach
        ``app`` over real TCP, signed with ``webhooks_secret`` for ``sender_host``.
        Yields the URL the deliveries go to. ``app`` is served without its lifespan: build
        it around the test's client rather than one it opens itself.
        """
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/', got {path!r}")
        previous = list(self.webhook_urls)
        async with serve_app(app) as url:
            self.set_webhook_urls([url + path])
            try:
                yield url + path
            finally:
                self.set_webhook_urls(previous)
