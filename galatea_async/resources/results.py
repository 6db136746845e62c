"""``client.results``: result files, JSON results, PDF reports and batch downloads."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio

from galatea_async._download import (
    BatchProgress,
    Destination,
    DownloadJob,
    DownloadOutcome,
    DownloadRequest,
    Existing,
    FileProgress,
    Progress,
    StreamedDownload,
    SyncItem,
    SyncReport,
    download_file,
    existing_policy,
    fallback_name,
    file_and_batch_progress,
    open_download,
    plan_items,
    prepare_destination,
    run_downloads,
    sync_folder,
)
from galatea_async._download._confinement import is_canonical_id
from galatea_async._download._reports import ReportListings, listed_report, report_item
from galatea_async._enums import ResultType, StatusGroup, StatusGroupValue
from galatea_async._http._tracing import CallSpan
from galatea_async._http._wire import WireResponse
from galatea_async._models import PdfReport
from galatea_async._validation import (
    check_download_arguments,
    check_id,
    check_limit,
    check_page_size,
    check_result_type,
)
from galatea_async.errors import GalateaError, NotFoundError
from galatea_async.resources._base import Resource
from galatea_async.resources.files import is_md5
from galatea_async.resources.orders import OrdersResource

__all__ = ["DownloadItem", "FileProgress", "ResultsResource", "as_download_request"]


# What download_many accepts for one file.
DownloadItem = (
    DownloadRequest
    | tuple[str | uuid.UUID, ResultType | str]
    | tuple[str | uuid.UUID, ResultType | str, str | uuid.UUID | None]
)

# The status groups orders.list accepts (orders.py types them as literals).
StatusGroupArgument = StatusGroup | StatusGroupValue

_RESULT_DOWNLOAD = "data/results/{order_id}/download"

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

    def _opener(self, order_id: str, result_type: ResultType, pdf_request_id: str | None) -> Any:
        params = {"result_type": result_type.value, "pdf_request_id": pdf_request_id}

        def open_stream(
            headers: Mapping[str, str], span: CallSpan
        ) -> AbstractAsyncContextManager[WireResponse]:
            return self._requester.stream(
                "GET",
                _RESULT_DOWNLOAD,
                path_params={"order_id": order_id},
                params=params,
                headers=headers,
                span=span,
            )

        return open_stream

    def _trace(self) -> AbstractContextManager[CallSpan]:
        """The span of one result download (none unless the application traces)."""
        return self._requester.download_span(_RESULT_DOWNLOAD)

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
        async with open_download(
            self._opener(request.order_id, request.result_type, request.pdf_request_id),
            fallback_name=_fallback(request),
            options=self._context.transfer_options,
            trace=self._trace,
        ) as download:
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
        job = self._job(
            request,
            prepare_destination(dest),
            existing=existing_policy(overwrite=overwrite),
            progress=progress,
        )
        return (await download_file(job)).path

    def _job(
        self,
        request: DownloadRequest,
        destination: Destination,
        *,
        existing: Existing,
        progress: Progress | None,
        report: PdfReport | None = None,
        expected: SyncItem | None = None,
    ) -> DownloadJob:
        """The engine's job for one result file or PDF report: verified against the listed
        ``report``'s size and md5, or against those a sync item lists (and then its md5 is
        computed, for the journal)."""
        expected_size = expected_md5 = None
        if report is not None:
            expected_size, expected_md5 = report.file_size_bytes, _md5(report)
        if expected is not None:
            expected_size, expected_md5 = expected.expected_size, expected.expected_md5
        return DownloadJob(
            open_stream=self._opener(request.order_id, request.result_type, request.pdf_request_id),
            destination=destination,
            fallback_name=_fallback(request),
            existing=existing,
            expected_size=expected_size,
            expected_md5=expected_md5,
            want_md5=expected is not None,
            options=self._context.transfer_options,
            progress=progress,
            trace=self._trace,
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
            limit=check_limit(limit),
            page_size=check_page_size(page_size),
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
        request = DownloadRequest(
            order_id=wanted_order, result_type=ResultType.PDF_REPORT, pdf_request_id=report.id
        )
        job = self._job(
            request,
            prepare_destination(dest),
            existing=existing_policy(overwrite=overwrite),
            progress=progress,
            report=report,
        )
        return (await download_file(job)).path

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
        gets a distinct name of its own. ``progress(done_bytes, total_bytes_or_None)`` reports
        the whole batch, ``file_progress(request, done_bytes, total_bytes_or_None)`` each file.
        Outcomes are returned once every file written is durable on disk.
        """
        check_download_arguments(dest, progress, file_progress)
        requests = [as_download_request(item) for item in items]
        self._check_concurrency(concurrency)
        destination = Destination(directory=Path(dest))
        await anyio.Path(destination.directory).mkdir(parents=True, exist_ok=True)
        existing = existing_policy(overwrite=overwrite, skip_existing=skip_existing)
        batch_progress = BatchProgress(progress, len(requests))
        listed = await self._reports_of(
            [r.order_id for r in requests if r.pdf_request_id], concurrency
        )
        outcomes: list[DownloadOutcome | None] = [None] * len(requests)
        jobs: list[tuple[int, DownloadRequest, DownloadJob]] = []
        for index, request in enumerate(requests):
            report = listed_report(listed, request)
            if isinstance(report, GalateaError):
                outcomes[index] = DownloadOutcome(request=request, error=report)
                batch_progress.ended(index)
                continue
            each = file_and_batch_progress(batch_progress.for_item(index), file_progress, request)
            job = self._job(request, destination, existing=existing, progress=each, report=report)
            jobs.append((index, request, job))
        done = await run_downloads(
            [(request, job) for _, request, job in jobs],
            concurrency=concurrency,
            progress=batch_progress,
        )
        for (index, _, _), outcome in zip(jobs, done, strict=True):
            outcomes[index] = outcome
        return [outcome for outcome in outcomes if outcome is not None]

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
        """
        check_download_arguments(dest, progress, file_progress)
        self._check_concurrency(concurrency)
        types = [check_result_type(t) for t in result_types] if result_types else None
        listing = OrdersResource(self._context).list(
            status_group=status_group,
            tag_ids=tag_ids,
            min_date=min_date,
            max_date=max_date,
        )

        async def items() -> list[SyncItem]:
            orders = [order async for order in listing]
            wanted = plan_items(((o.id, o.result_types) for o in orders), types)
            if pdf_reports:
                with_reports = [
                    o.id
                    for o in orders
                    if ResultType.PDF_REPORT in o.result_types and is_canonical_id(o.id)
                ]
                wanted += await self._report_items(with_reports, concurrency)
            return wanted

        def job_for(
            item: SyncItem, destination: Destination, existing: Existing, progress: Progress
        ) -> DownloadJob:
            return self._job(
                item.request, destination, existing=existing, progress=progress, expected=item
            )

        return await sync_folder(
            Path(dest),
            items,
            job_for,
            concurrency=concurrency,
            verify=verify,
            progress=progress,
            file_progress=file_progress,
            file_done=file_done,
        )

    async def _report_items(self, order_ids: list[str], concurrency: int) -> list[SyncItem]:
        """The PDF reports of these orders, as sync items (listed ``concurrency`` at a time)."""
        listed = await self._reports_of(order_ids, concurrency)
        items = []
        for order_id in order_ids:
            reports = listed[order_id]
            if isinstance(reports, GalateaError):
                raise reports
            items += [
                report_item(order_id, r, n, expected_md5=_md5(r)) for n, r in enumerate(reports, 1)
            ]
        return items

    async def _reports_of(self, order_ids: Iterable[str], concurrency: int) -> ReportListings:
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


def _md5(report: PdfReport) -> str | None:
    """A report's listed md5 (None when its check_sum is not one)."""
    return report.check_sum if is_md5(report.check_sum) else None


def _fallback(request: DownloadRequest) -> str:
    return fallback_name(
        request.order_id, request.result_type.value, pdf_request_id=request.pdf_request_id
    )
