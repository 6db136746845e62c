"""The :class:`Emulator` facade: state, clock, faults, app, serving and test-data helpers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from typing import Any

import anyio
from starlette.types import ASGIApp

from galatea_async._enums import FileStatus, OrderStatus
from galatea_async.emulator import _lifecycle
from galatea_async.emulator._app import build_app
from galatea_async.emulator._blob import Blob
from galatea_async.emulator._clock import Clock
from galatea_async.emulator._content import genotype_file
from galatea_async.emulator._downloads import DownloadCounter
from galatea_async.emulator._faults import FaultInjector
from galatea_async.emulator._genotype import Verdict, inspect_source_file
from galatea_async.emulator._middleware import RequestRecord
from galatea_async.emulator._records import OrderSpec, SourceFileRecord, web_upload_path
from galatea_async.emulator._serve import serve_app, serve_app_in_thread
from galatea_async.emulator._shapes import file_json
from galatea_async.emulator._state import State
from galatea_async.emulator._webhooks import WebhookDelivery, collect_events, send_events

__all__ = ["Emulator"]

# serve_app or serve_app_in_thread: serves an ASGI app while a block runs, yielding its URL.
_AppServer = Callable[..., AbstractAsyncContextManager[str]]


class Emulator:
    """A stateful, local stand-in for the Galatea API.

    ``time_scale=None`` (the default) gives a manual clock: uploads stay PENDING and orders
    stay Registered until ``emulator.clock.advance(seconds)``. ``time_scale=60.0`` runs
    emulated time 60 times faster than real time. Durations are emulated seconds.
    """

    def __init__(
        self,
        *,
        time_scale: float | None = None,
        start: datetime | None = None,
        validation_seconds: float = 120.0,
        order_stage_seconds: float = 30.0,
        access_token_ttl: float = 300.0,
        accept_ranges: bool = True,
        webhook_urls: Iterable[str] = (),
        sender_host: str = "api.galatea.bio",
        email: str = "user@example.com",
        password: str = "emulator-password",  # noqa: S107  (a local emulator)
        api_key: str | None = None,
        organization_name: str = "Emulated Lab",
        seed: int | None = None,
    ) -> None:
        self.clock = Clock(time_scale=time_scale, start=start)
        self.state = State(
            self.clock,
            validation_seconds=validation_seconds,
            order_stage_seconds=order_stage_seconds,
            access_token_ttl=access_token_ttl,
            seed=seed,
        )
        self.state.org.name = organization_name
        self.faults = FaultInjector(
            lambda refresh: self.state.accounts.expire_tokens(refresh=refresh)
        )
        self.requests: list[RequestRecord] = []
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.webhook_urls: list[str] = list(webhook_urls)
        self.sender_host = sender_host
        self._downloads = DownloadCounter()
        self._accept_ranges = [accept_ranges]
        self.user = self.state.accounts.add_user(email, password)
        self.password = password
        self.api_key = self.state.accounts.add_api_key(self.user.id, api_key)
        self.app: ASGIApp = build_app(
            self.state,
            self.faults,
            log=self.requests,
            counter=self._downloads,
            accept_ranges=self._accept_ranges,
            controls=self,
        )

    # --- identity and observation ------------------------------------------------------------

    @property
    def email(self) -> str:
        """The emulated user's email (log in with it and :attr:`password`)."""
        return self.user.email

    @property
    def org_id(self) -> str:
        """The emulated organization's id."""
        return self.state.org.id

    @property
    def webhooks_secret(self) -> str:
        """The organization's webhook signing secret (also in ``GET users/me``)."""
        return self.state.org.webhooks_secret

    @property
    def active_downloads(self) -> int:
        """Download bodies being streamed right now."""
        return self._downloads.active

    @property
    def max_concurrent_downloads(self) -> int:
        """The most download bodies ever streamed at once."""
        return self._downloads.peak

    @property
    def accept_ranges(self) -> bool:
        """Whether downloads honour ``Range`` (turn off to test restarts without ranges)."""
        return self._accept_ranges[0]

    @accept_ranges.setter
    def accept_ranges(self, value: bool) -> None:
        self._accept_ranges[0] = value

    def file_status(self, file_id: str) -> str:
        """A source file's current status."""
        return self.state.file_status(self.state.files[file_id])

    def order_status(self, order_id: str) -> str:
        """An order's current status."""
        return self.state.order_status(self.state.orders[order_id])

    # --- webhooks ----------------------------------------------------------------------------

    def set_webhook_urls(self, urls: Iterable[str]) -> None:
        """Where file-validated and order-final events are POSTed."""
        self.webhook_urls = list(urls)

    async def deliver_pending_webhooks(self) -> list[WebhookDelivery]:
        """Send every event that became due (by the clock) and return those deliveries."""
        events = collect_events(self.state)
        deliveries = await send_events(
            events, self.webhook_urls, secret=self.webhooks_secret, sender_host=self.sender_host
        )
        self.webhook_deliveries.extend(deliveries)
        return deliveries

    async def _deliver_forever(self, interval: float = 0.1) -> None:
        while True:
            await self.deliver_pending_webhooks()
            await anyio.sleep(interval)

    # --- serving -----------------------------------------------------------------------------

    def serve(
        self, *, host: str = "127.0.0.1", port: int = 0, prepare_results: bool = False
    ) -> AbstractAsyncContextManager[str]:
        """Serve the API over TCP while the block runs; yields ``http://127.0.0.1:PORT``.

        Webhooks due by the clock are delivered in the background meanwhile. With
        ``prepare_results``, every result file the orders have is built before the server
        listens (see :meth:`prepare_results`).
        """
        return self._serving(serve_app, host, port, prepare_results)

    def serve_in_thread(
        self, *, host: str = "127.0.0.1", port: int = 0, prepare_results: bool = False
    ) -> AbstractAsyncContextManager[str]:
        """Serve the API from a thread with its own event loop while the block runs; yields
        ``http://127.0.0.1:PORT``.

        For a client in the same process that should not share its event loop with the
        server (``galatea demo`` downloads faster this way), or that runs on trio. The
        emulator's state is then shared with that thread: change it (``add_order``,
        ``faults``, ``clock.advance``...) only while no request is in flight.
        """
        return self._serving(serve_app_in_thread, host, port, prepare_results)

    @asynccontextmanager
    async def _serving(
        self, serve: _AppServer, host: str, port: int, prepare_results: bool
    ) -> AsyncIterator[str]:
        if prepare_results:
            await anyio.to_thread.run_sync(self.prepare_results)
        async with serve(self.app, host=host, port=port, background=self._deliver_forever) as url:
            yield url

    def prepare_results(self) -> int:
        """Build now every result file the orders have at this moment; returns how many.

        Result files are generated on their first download (about 15 ms per MiB of TSV
        rows), inside the server, in the downloading client's event loop when both share a
        process: a demo or a benchmark that times downloads prepares them first, so that it
        times the client. The bytes are the same either way.
        """
        built = 0
        for order in list(self.state.orders.values()):
            status = self.state.order_status(order)
            kinds = {entry["type"] for entry in _lifecycle.result_type_entries(order.model, status)}
            for kind in sorted(kinds):
                self.state.result_blob(order, kind, None)
                built += 1
        return built

    # --- test data ---------------------------------------------------------------------------

    def add_tag(self, name: str) -> str:
        """Create a tag; returns its id."""
        return self.state.add_tag(name).id

    def add_file(
        self,
        name: str = "sample.txt",
        content: bytes | None = None,
        *,
        size: int | None = None,
        status: FileStatus | str | None = FileStatus.VALID,
        sample_alias: str | None = None,
        created_at: datetime | None = None,
    ) -> dict[str, Any]:
        """Add a source file; returns its JSON as ``GET data/files`` shows it.

        Without ``content`` a genotype file is generated (exactly ``size`` bytes when given,
        streamed on download, never held whole). ``status=None`` lets it validate by the
        clock like an upload; any other status is fixed.
        """
        blob = Blob.of(content) if content is not None else genotype_file(name, size)
        verdict = inspect_source_file(blob.read(0, 256 * 1024))
        if status is not None and FileStatus(status) != FileStatus.VALID and verdict.valid:
            verdict = Verdict(
                "file content is not a plausible genotype file", verdict.genome_type, 0
            )
        elif status == FileStatus.VALID and not verdict.valid:
            verdict = Verdict(None, verdict.genome_type, 1)
        moment = created_at or self.clock.now()
        record = SourceFileRecord(
            id=self.state.new_id(),
            name=name,
            short_path=web_upload_path(name, moment),
            content=blob,
            created_at=moment,
            verdict=verdict,
            pinned_status=None if status is None else str(FileStatus(status)),
            sample_alias=sample_alias,
            announced=status is not None,
        )
        self.state.add_source_file(record)
        return file_json(self.state, record)

    def add_order(
        self,
        file_id: str | None = None,
        *,
        model: str = "ancestry data model one",
        status: OrderStatus | str = OrderStatus.COMPLETED,
        result_sizes: Mapping[str, int] | None = None,
        pdf_report_types: Iterable[str] = (),
        pdf_metadata: Mapping[str, Any] | None = None,
        tags: Iterable[str] = (),
        report_size: int | None = None,
        created_at: datetime | None = None,
    ) -> str:
        """Add an order in ``status``; returns its id.

        ``result_sizes`` maps result types to exact sizes in bytes (any size: contents are
        generated on the fly); ``report_size`` sizes each PDF report. ``tags`` are tag ids.
        Statuses on the normal path (Registered ... Completed/Failed) keep moving with the
        clock; others (QC failed, Canceled ...) stay as set.
        """
        if file_id is None:
            file_id = self.add_file(f"sample-{len(self.state.files) + 1}.txt")["id"]
        wanted = OrderStatus(status)
        now = self.clock.now()
        began, pinned = _lifecycle.order_placement(
            wanted, created_at, now, stage_seconds=self.state.order_stage_seconds, model=model
        )
        metadata = json.dumps(dict(pdf_metadata)) if pdf_metadata is not None else None
        spec = OrderSpec(
            file_id=file_id,
            model=model,
            submitted_by=self.email,
            tag_ids=self.state.check_tags(tags),
            pdf_report_types=pdf_report_types,
            pdf_metadata=metadata,
            fails=wanted == OrderStatus.FAILED,
            created_at=began,
            pinned_status=pinned,
            result_sizes=result_sizes,
            report_size=report_size,
        )
        order = self.state.add_order(spec)
        if wanted == OrderStatus.CANCELED:
            order.canceled_at = now
        order.announced = wanted in _lifecycle.FINAL_STATUSES
        return order.id

    def fail_order(self, order_id: str) -> None:
        """Make an order that is still running end Failed (with EXEC_ERRORS)."""
        self.state.orders[order_id].fails = True

    def set_order_status(self, order_id: str, status: OrderStatus | str) -> None:
        """Fix an order's status from now on."""
        self.state.orders[order_id].pinned_status = str(OrderStatus(status))

    @classmethod
    def demo(cls, *, time_scale: float | None = 60.0, **options: Any) -> Emulator:
        """An emulator seeded with a demo organization, files, tags and 30+ orders."""
        from galatea_async.emulator._demo import seed_demo

        return seed_demo(cls, time_scale=time_scale, **options)
