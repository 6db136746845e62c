"""``client.results``: result files, JSON results, PDF reports and batch downloads."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio

from galatea_async._download import (
    DownloadOutcome,
    DownloadRequest,
    FileProgress,
    StreamedDownload,
    SyncReport,
    SyncWants,
    locked_folder,
)
from galatea_async._download._sync_plan import SyncItem
from galatea_async._enums import ResultType, StatusGroup, StatusGroupValue
from galatea_async._models import Order, PdfReport
from galatea_async._progress import Progress
from galatea_async._validation import (
    check_download_arguments,
    check_id,
    check_result_type,
)
from galatea_async.errors import GalateaError, NotFoundError
from galatea_async.resources._base import Resource
from galatea_async.resources.orders import OrdersResource

# A page of orders means hundreds of files to plan and download, which take far longer than the
# next page takes to arrive: a deeper look-ahead would only hold orders in memory (and make the
# collector walk them).
SYNC_PAGES_AHEAD = 8

__all__ = ["DownloadItem", "FileProgress", "ResultsResource", "as_download_request"]


# What download_many accepts for one file.
DownloadItem = (
    DownloadRequest
    | tuple[str | uuid.UUID, ResultType | str]
    | tuple[str | uuid.UUID, ResultType | str, str | uuid.UUID | None]
)

# Orders a sync plans together: a listing page's worth.
_ORDERS_A_PAGE = 100
# The reference lists PDF reports with page_size=1000.
_PDF_PAGE_SIZE = 1000


def as_download_request(item: DownloadItem) -> DownloadRequest:
    """A checked ``DownloadRequest`` from a request or an ``(order_id, result_type)`` pair."""
    order_id: str | uuid.UUID
    result_type: ResultType | str
    pdf_request_id: str | uuid.UUID | None
    if isinstance(item, DownloadRequest):
        order_id, result_type, pdf_request_id = item.order_id, item.result_type, item.pdf_request_id
    elif isinstance(item, tuple) and len(item) in (2, 3):
        order_id, result_type = item[0], item[1]
        pdf_request_id = item[2] if len(item) == 3 else None
    else:
        raise TypeError(
            "download_many items are (order_id, result_type) pairs or DownloadRequest objects, "
            f"got {type(item).__name__}"
        )
    return DownloadRequest(
        order_id=check_id(order_id, "order_id"),
        result_type=check_result_type(result_type),
        pdf_request_id=check_id(pdf_request_id, "pdf_request_id") if pdf_request_id else None,
    )


class ResultsResource(Resource):
    """Download what completed orders produced."""

    @asynccontextmanager
    async def stream(
        self,
        order_id: str | uuid.UUID,
        result_type: ResultType | str,
        *,
        pdf_request_id: str | uuid.UUID | None = None,
    ) -> AsyncIterator[StreamedDownload]:
        """Stream a result file: ``download.filename``, ``download.size``, ``async for chunk``."""
        request = as_download_request((order_id, result_type, pdf_request_id))
        async with self._downloads.stream_result(request) as download:
            yield download

    async def download(
        self,
        order_id: str | uuid.UUID,
        result_type: ResultType | str,
        dest: str | os.PathLike[str] = ".",
        *,
        pdf_request_id: str | uuid.UUID | None = None,
        overwrite: bool = False,
        progress: Progress | None = None,
    ) -> Path:
        """Download a result file into ``dest`` (a directory or a file path); its ``Path``."""
        check_download_arguments(dest, progress)
        request = as_download_request((order_id, result_type, pdf_request_id))
        return await self._downloads.download_result(
            request, dest, overwrite=overwrite, progress=progress
        )

    async def json(
        self, order_id: str | uuid.UUID, result_type: ResultType | str | None = None
    ) -> Any:
        """A result as decoded JSON (summary and detailed result types only)."""
        params = {"result_type": check_result_type(result_type).value if result_type else None}
        return await self._requester.request(
            "GET",
            "data/results/{order_id}/json",
            path_params={"order_id": check_id(order_id, "order_id")},
            params=params,
        )

    def pdf_reports(
        self,
        order_id: str | uuid.UUID,
        *,
        sample_id: str | None = None,
        request_version: int | None = None,
        report_version: str | None = None,
        limit: int | None = None,
        page_size: int | None = None,
    ) -> AsyncIterator[PdfReport]:
        """Iterate over an order's PDF reports."""
        wanted = check_id(order_id, "order_id")
        params = {
            "sample_id": sample_id,
            "request_version": request_version,
            "report_version": report_version,
        }
        return self._listing(
            "data/results/{order_id}/pdf_report",
            PdfReport,
            params,
            path_params={"order_id": wanted},
            limit=limit,
            page_size=page_size,
            default_page_size=_PDF_PAGE_SIZE,
        )

    async def download_pdf_report(
        self,
        order_id: str | uuid.UUID,
        report: PdfReport | str | uuid.UUID,
        dest: str | os.PathLike[str] = ".",
        *,
        overwrite: bool = False,
        progress: Progress | None = None,
    ) -> Path:
        """Download one PDF report, verified against its listed size and md5; its ``Path``."""
        check_download_arguments(dest, progress)
        wanted_order = check_id(order_id, "order_id")
        if not isinstance(report, PdfReport):
            report_id = check_id(report, "report")
            found = [r async for r in self.pdf_reports(wanted_order) if r.id == report_id]
            if not found:
                raise NotFoundError(
                    f"order {wanted_order} has no PDF report {report_id}", status_code=404
                )
            report = found[0]
        return await self._downloads.download_report(
            wanted_order, report, dest, overwrite=overwrite, progress=progress
        )

    async def samples(self, order_id: str | uuid.UUID) -> Any:
        """The samples of an order's results, as decoded JSON."""
        return await self._requester.request(
            "GET",
            "data/results/{order_id}/samples",
            path_params={"order_id": check_id(order_id, "order_id")},
        )

    async def download_many(
        self,
        items: Iterable[DownloadItem],
        dest: str | os.PathLike[str],
        *,
        concurrency: int = 8,
        overwrite: bool = False,
        skip_existing: bool = False,
        progress: Progress | None = None,
        file_progress: FileProgress | None = None,
    ) -> list[DownloadOutcome]:
        """Download many results at once into the directory ``dest``; one outcome per item.

        At most ``concurrency`` downloads run at a time; one failure never stops the others.
        With ``skip_existing``, a file already at its final name with the size the server
        announces is kept, not downloaded again (its outcome has ``skipped=True``); an
        incomplete one is replaced; a PDF report must also match the md5 its listing gives
        (each order's reports are listed once). An item the server names like an earlier item
        gets a distinct name of its own. ``progress(done_bytes, total_bytes_or_None)`` hears of
        the whole batch, ``file_progress(request, done_bytes, total_bytes_or_None)`` each file.
        Outcomes are returned once every file written is durable on disk.
        """
        check_download_arguments(dest, progress, file_progress)
        requests = [as_download_request(item) for item in items]
        self._check_concurrency(concurrency)
        destination = await self._downloads.batch_destination(dest)
        listings = await self._reports_of(
            [r.order_id for r in requests if r.pdf_request_id], concurrency
        )
        return await self._downloads.download_results(
            requests,
            listings,
            destination,
            overwrite=overwrite,
            skip_existing=skip_existing,
            concurrency=concurrency,
            progress=progress,
            file_progress=file_progress,
        )

    async def sync(
        self,
        dest: str | os.PathLike[str],
        *,
        status_group: StatusGroup | StatusGroupValue | None = "completed",
        tag_ids: Sequence[str | uuid.UUID] | None = None,
        min_date: dt.date | str | None = None,
        max_date: dt.date | str | None = None,
        result_types: Sequence[ResultType | str] | None = None,
        pdf_reports: bool = False,
        concurrency: int = 8,
        verify: bool = False,
        progress: Progress | None = None,
        file_progress: FileProgress | None = None,
        file_done: Callable[[DownloadOutcome], object] | None = None,
    ) -> SyncReport:
        """Mirror every result of the matching orders into ``dest/<order_id>/``; what it did.

        With ``pdf_reports=True`` each PDF report is fetched too (verified against its listed
        size and md5). A journal in ``dest`` records each file once it is durable, so a second
        run with nothing new sends no download request; a file deleted or truncated since is
        fetched again, and with ``verify=True`` every journalled file is re-hashed and fetched
        again if it changed. Orders that completed since the last run are picked up. One
        failure never stops the others: it is in ``SyncReport.failed``, where an order or
        report whose id is not a canonical UUID, or whose folder is a link, is without a request.
        ``file_done(outcome)``, a plain function, hears of each fetched file once it is durable
        or has failed, as the run goes (a log line per file).

        The orders are read page by page and their files planned and fetched as pages arrive,
        so memory stays flat however many files there are: ``file_progress(request, done,
        total)`` hears of each page's files as it is planned (``(size, size)`` for a file kept,
        ``(0, None)`` for one to fetch), and ``progress(done_bytes, total_bytes_or_None)``'s
        total grows as pages arrive.
        """
        check_download_arguments(dest, progress, file_progress)
        self._check_concurrency(concurrency)
        types = [check_result_type(t) for t in result_types] if result_types else None
        listing = OrdersResource(self._context, pages_ahead=SYNC_PAGES_AHEAD).list(
            status_group=status_group,
            tag_ids=tag_ids,
            min_date=min_date,
            max_date=max_date,
        )
        async with locked_folder(Path(dest)) as folder:
            wanted = self._wanted_pages(listing, types, pdf_reports, concurrency)
            return await folder.sync(
                wanted,
                self._downloads,
                concurrency=concurrency,
                verify=verify,
                progress=progress,
                file_progress=file_progress,
                file_done=file_done,
            )

    async def _wanted_pages(
        self,
        listing: AsyncIterator[Order],
        types: Sequence[ResultType] | None,
        pdf_reports: bool,
        concurrency: int,
    ) -> AsyncIterator[list[SyncItem]]:
        """The files a sync wants, a page of orders at a time, with their PDF reports when
        asked (listed ``concurrency`` at a time)."""
        page: list[tuple[str, Sequence[ResultType]]] = []
        async for order in listing:
            page.append((order.id, order.result_types))
            if len(page) == _ORDERS_A_PAGE:
                # Emptied before the yield: a page held through its downloads would outlive
                # young collections and cost every full collection after.
                yield await self._wanted(SyncWants(_taken(page), types, pdf_reports), concurrency)
        if page:
            yield await self._wanted(SyncWants(_taken(page), types, pdf_reports), concurrency)

    async def _wanted(self, wants: SyncWants, concurrency: int) -> list[SyncItem]:
        return wants.items(await self._reports_of(wants.report_orders, concurrency))

    async def _reports_of(
        self, order_ids: Iterable[str], concurrency: int
    ) -> dict[str, list[PdfReport] | GalateaError]:
        """Each order's PDF reports, or the error that listing them ended in (each order
        listed once, ``concurrency`` at a time)."""
        found: dict[str, list[PdfReport] | GalateaError] = {}
        limiter = anyio.CapacityLimiter(concurrency)

        async def one(order_id: str) -> None:
            async with limiter:
                try:
                    found[order_id] = [report async for report in self.pdf_reports(order_id)]
                except GalateaError as exc:
                    found[order_id] = exc

        async with anyio.create_task_group() as group:
            for order_id in dict.fromkeys(order_ids):
                group.start_soon(one, order_id)
        return found

    def _check_concurrency(self, concurrency: int) -> None:
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ValueError("concurrency must be a positive int")
        if concurrency > self._context.max_connections:
            raise ValueError(
                f"concurrency={concurrency} exceeds the connection pool "
                f"(max_connections={self._context.max_connections}); queued downloads would hit "
                "pool timeouts: raise AsyncGalatea(max_connections=...) or lower concurrency"
            )


def _taken(page: list[tuple[str, Sequence[ResultType]]]) -> list[tuple[str, Sequence[ResultType]]]:
    """The orders of ``page``, which is left empty."""
    taken = page[:]
    page.clear()
    return taken
