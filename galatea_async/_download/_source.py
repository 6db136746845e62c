"""Where every download starts: ``DownloadSource`` builds each ``DownloadJob`` and stream.

One place knows how a result file, a PDF report or a source file is fetched (its API path
through the client's request path, its trace span), what it is verified against (the size its
listing gives, and the listed ``check_sum`` when that is a plain md5: SFTP uploads carry
multipart ETags instead) and which name it falls back to when the server gives none.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from pathlib import Path
from typing import Any

import attrs

from galatea_async._download._batch import (
    DownloadOutcome,
    DownloadRequest,
    FileProgress,
    run_downloads,
)
from galatea_async._download._engine import download_file
from galatea_async._download._folders import destination_of, made_directory
from galatea_async._download._job import DownloadJob
from galatea_async._download._names import fallback_name
from galatea_async._download._options import TransferOptions
from galatea_async._download._reports import ReportListings, listed_report
from galatea_async._download._stream import StreamedDownload, open_download
from galatea_async._download._target import Destination, Existing, existing_policy
from galatea_async._enums import ResultType
from galatea_async._http._requester import Requester
from galatea_async._http._tracing import CallSpan
from galatea_async._http._wire import OpenStream, WireResponse
from galatea_async._models import PdfReport, SourceFile
from galatea_async._progress import Progress
from galatea_async.errors import GalateaError

__all__ = ["DownloadSource", "Listed", "is_md5"]

_RESULT_DOWNLOAD = "data/results/{order_id}/download"
_FILE_DOWNLOAD = "data/files/{file_id}/download"

_MD5 = re.compile(r"^[0-9a-fA-F]{32}$")


def is_md5(check_sum: str | None) -> bool:
    """Whether a ``check_sum`` is a plain md5 (SFTP uploads carry multipart ETags instead)."""
    return bool(check_sum and _MD5.match(check_sum))


@attrs.frozen
class Listed:
    """What a listing says a file is: its size, and its md5 where the listing gives one."""

    size: int | None = None
    md5: str | None = None

    @classmethod
    def from_listing(cls, size: int | None, check_sum: str | None) -> Listed:
        """The listed size, and the listed ``check_sum`` when it is a plain md5."""
        return cls(size=size, md5=check_sum if is_md5(check_sum) else None)

    @classmethod
    def of_report(cls, report: PdfReport) -> Listed:
        """What a PDF report's listing says of its file."""
        return cls.from_listing(report.file_size_bytes, report.check_sum)


@attrs.frozen
class _Fetch:
    """How one file is fetched: its API path template and parameters."""

    template: str
    path_params: Mapping[str, str]
    params: Mapping[str, Any] = attrs.field(factory=dict)

    @classmethod
    def of_result(cls, request: DownloadRequest) -> _Fetch:
        # The member's stored ``_value_``, not the ``value`` property: two Python calls an item.
        return cls(
            _RESULT_DOWNLOAD,
            {"order_id": request.order_id},
            {"result_type": request.result_type._value_, "pdf_request_id": request.pdf_request_id},
        )


@attrs.frozen
class DownloadSource:
    """Where every download starts: the engine's job (or stream) for a result file, a PDF report
    or a source file, built here only; and the downloads of one such file or of a batch of
    results, run on the engine."""

    requester: Requester
    options: TransferOptions

    async def download_result(
        self,
        request: DownloadRequest,
        dest: str | os.PathLike[str],
        *,
        overwrite: bool,
        progress: Progress | None,
    ) -> Path:
        """One result file into ``dest`` (a directory or a file path); its path."""
        existing = existing_policy(overwrite=overwrite)
        job = self.result(request, await destination_of(dest), existing=existing, progress=progress)
        return (await download_file(job)).path

    async def download_report(
        self,
        order_id: str,
        report: PdfReport,
        dest: str | os.PathLike[str],
        *,
        overwrite: bool,
        progress: Progress | None,
    ) -> Path:
        """One listed PDF report into ``dest``, verified against its listed size and md5."""
        request = DownloadRequest(
            order_id=order_id, result_type=ResultType.PDF_REPORT, pdf_request_id=report.id
        )
        job = self.result(
            request,
            await destination_of(dest),
            existing=existing_policy(overwrite=overwrite),
            listed=Listed.of_report(report),
            progress=progress,
        )
        return (await download_file(job)).path

    async def download_source_file(
        self,
        source_file: SourceFile,
        dest: str | os.PathLike[str],
        *,
        overwrite: bool,
        progress: Progress | None,
    ) -> Path:
        """One uploaded source file into ``dest``, verified against its listed size and md5."""
        job = self.source_file(
            source_file,
            await destination_of(dest),
            existing=existing_policy(overwrite=overwrite),
            progress=progress,
        )
        return (await download_file(job)).path

    async def batch_destination(self, dest: str | os.PathLike[str]) -> Destination:
        """The folder ``dest`` a batch writes into, made if missing before anything is asked."""
        return Destination(directory=await made_directory(Path(dest)))

    async def download_results(
        self,
        requests: Sequence[DownloadRequest],
        listings: ReportListings,
        destination: Destination,
        *,
        overwrite: bool,
        skip_existing: bool,
        concurrency: int,
        progress: Progress | None,
        file_progress: FileProgress | None,
    ) -> list[DownloadOutcome]:
        """Many results into ``destination``, one outcome per request, in order; a PDF report
        is verified against its report in ``listings`` (and fails without a request when its
        listing failed or lacks it)."""
        existing = existing_policy(overwrite=overwrite, skip_existing=skip_existing)
        outcomes: list[DownloadOutcome | None] = [None] * len(requests)
        jobs: list[tuple[int, DownloadRequest, DownloadJob]] = []
        for index, request in enumerate(requests):
            report = listed_report(listings, request)
            if isinstance(report, GalateaError):
                outcomes[index] = DownloadOutcome(request=request, error=report)
                continue
            listed = Listed() if report is None else Listed.of_report(report)
            job = self.result(request, destination, existing=existing, listed=listed)
            jobs.append((index, request, job))
        done = await run_downloads(
            [(request, job) for _, request, job in jobs],
            concurrency=concurrency,
            progress=progress,
            file_progress=file_progress,
        )
        for (index, _, _), outcome in zip(jobs, done, strict=True):
            outcomes[index] = outcome
        return [outcome for outcome in outcomes if outcome is not None]

    def result(
        self,
        request: DownloadRequest,
        destination: Destination,
        *,
        existing: Existing = Existing.REFUSE,
        listed: Listed = Listed(),
        progress: Progress | None = None,
    ) -> DownloadJob:
        """The job for one result file or PDF report, verified against what is ``listed``."""
        return self._job(
            _Fetch.of_result(request),
            destination,
            _result_fallback(request),
            existing=existing,
            listed=listed,
            progress=progress,
        )

    def mirrored(
        self, request: DownloadRequest, folder: Path, existing: Existing, listed: Listed
    ) -> DownloadJob:
        """The job for a file ``results.sync`` mirrors into ``folder/<order_id>/``: its md5
        computed for the journal, and what an interrupted download fetched kept for the next
        run to resume."""
        return self._job(
            _Fetch.of_result(request),
            Destination(directory=folder / request.order_id),
            _result_fallback(request),
            existing=existing,
            listed=listed,
            mirrored=True,
        )

    def source_file(
        self,
        source_file: SourceFile,
        destination: Destination,
        *,
        existing: Existing = Existing.REFUSE,
        progress: Progress | None = None,
    ) -> DownloadJob:
        """The job for one uploaded source file, verified against its listed size and md5."""
        name = source_file.src_file_name or ""
        suffix = "".join(Path(name).suffixes[-2:]) if name else ""
        return self._job(
            _Fetch(_FILE_DOWNLOAD, {"file_id": source_file.id}),
            destination,
            f"{source_file.id}{suffix or '.bin'}",
            existing=existing,
            listed=Listed.from_listing(source_file.file_size_bytes, source_file.check_sum),
            progress=progress,
        )

    def stream_result(
        self, request: DownloadRequest
    ) -> AbstractAsyncContextManager[StreamedDownload]:
        """A result file read chunk by chunk by the caller."""
        fetch = _Fetch.of_result(request)
        return open_download(
            self._opener(fetch),
            fallback_name=_result_fallback(request),
            options=self.options,
            trace=self._trace(fetch),
        )

    def _job(
        self,
        fetch: _Fetch,
        destination: Destination,
        fallback: str,
        *,
        existing: Existing,
        listed: Listed,
        progress: Progress | None = None,
        mirrored: bool = False,
    ) -> DownloadJob:
        return DownloadJob(
            open_stream=self._opener(fetch),
            destination=destination,
            fallback_name=fallback,
            existing=existing,
            expected_size=listed.size,
            expected_md5=listed.md5,
            want_md5=mirrored,
            keep_partial=mirrored,
            options=self.options,
            progress=progress,
            trace=self._trace(fetch),
        )

    def _opener(self, fetch: _Fetch) -> OpenStream:
        def open_stream(
            headers: Mapping[str, str], span: CallSpan
        ) -> AbstractAsyncContextManager[WireResponse]:
            return self.requester.stream(
                "GET",
                fetch.template,
                path_params=fetch.path_params,
                params=fetch.params,
                headers=headers,
                span=span,
            )

        return open_stream

    def _trace(self, fetch: _Fetch) -> functools.partial[AbstractContextManager[CallSpan]]:
        """The span of one whole download (none unless the application traces)."""
        return functools.partial(self.requester.download_span, fetch.template)


def _result_fallback(request: DownloadRequest) -> str:
    return fallback_name(
        request.order_id, request.result_type._value_, pdf_request_id=request.pdf_request_id
    )
