"""PDF reports in batches: the listed report each item names (pure).

A PDF report's listing gives its size and md5, which every download of it is verified
against: ``download_many`` lists each order's reports once and finds each item's report there
(``listed_report``); ``results.sync`` turns each listed report into a ``SyncItem``
(``SyncWants.items``).
"""

from __future__ import annotations

from collections.abc import Mapping

from galatea_async._download._batch import DownloadRequest
from galatea_async._models import PdfReport
from galatea_async.errors import GalateaError, NotFoundError

__all__ = ["ReportListings", "listed_report"]

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
