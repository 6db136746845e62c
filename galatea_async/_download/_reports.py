"""PDF reports in batches: the listed report each item names, and a report as a sync item (pure).

A PDF report's listing gives its size and md5, which every download of it is verified
against: ``download_many`` lists each order's reports once and finds each item's report there
(``listed_report``); ``results.sync`` turns each listed report into a ``SyncItem``
(``report_item``), refused when its id could not be a file name.
"""

from __future__ import annotations

from collections.abc import Mapping

from galatea_async._download._batch import DownloadRequest
from galatea_async._download._confinement import describe_id, is_canonical_id
from galatea_async._download._sync import SyncItem
from galatea_async._enums import ResultType
from galatea_async._models import PdfReport
from galatea_async.errors import GalateaError, InvalidResponseError, NotFoundError

__all__ = ["ReportListings", "listed_report", "report_item"]

ReportListings = Mapping[str, "list[PdfReport] | GalateaError"]
"""Each order's listed PDF reports, or the error its listing ended in."""


def listed_report(
    listed: ReportListings, request: DownloadRequest
) -> PdfReport | GalateaError | None:
    """The listed PDF report ``request`` names (None for a result file), or why there is none."""
    if not request.pdf_request_id:
        return None
    reports = listed[request.order_id]
    if isinstance(reports, GalateaError):
        return reports
    for report in reports:
        if report.id == request.pdf_request_id:
            return report
    return NotFoundError(
        f"order {request.order_id} lists no PDF report {request.pdf_request_id}", status_code=404
    )


def report_item(
    order_id: str, report: PdfReport, position: int, *, expected_md5: str | None
) -> SyncItem:
    """Report ``position`` of an order's listing as a sync item; refused when its id is not a
    canonical UUID."""
    refusal = None
    if not is_canonical_id(report.id):
        refusal = InvalidResponseError(
            f"report {position} of the PDF report listing of order {order_id} "
            f"(data/results/{order_id}/pdf_report) has an id that is not a canonical UUID "
            f"({describe_id(report.id)}); it becomes a file name, so it was not downloaded"
        )
    request = DownloadRequest(
        order_id=order_id, result_type=ResultType.PDF_REPORT, pdf_request_id=report.id
    )
    return SyncItem(
        request, expected_size=report.file_size_bytes, expected_md5=expected_md5, refusal=refusal
    )
