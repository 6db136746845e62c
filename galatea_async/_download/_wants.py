"""What a ``results.sync`` run wants, from the listings (pure): ``SyncWants``.

The orders listing gives each order's id and result types; with ``pdf_reports``, each order
that has PDF reports also has its report listing read, and each listed report becomes an item
of its own, verified against its listed size and md5. An id becomes a folder's or a file's
name, so an order or report whose id is not a canonical UUID is an item with a refusal, and
an order's reports are listed only when its id is canonical.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from galatea_async._download._confinement import describe_id, is_canonical_id
from galatea_async._download._reports import ReportListings
from galatea_async._download._source import Listed
from galatea_async._download._sync_plan import SyncItem
from galatea_async._enums import ResultType
from galatea_async._models import PdfReport
from galatea_async.errors import GalateaError, InvalidResponseError

__all__ = ["SyncWants", "plan_items", "report_item"]


@attrs.frozen
class SyncWants:
    """The listed orders (``(order_id, its result types)``), the result types asked for (all
    when ``None``), and whether each PDF report is wanted too."""

    orders: Sequence[tuple[str, Sequence[ResultType]]]
    result_types: Sequence[ResultType] | None
    pdf_reports: bool

    @property
    def report_orders(self) -> list[str]:
        """The orders whose PDF reports are to be listed."""
        if not self.pdf_reports:
            return []
        return [
            order_id
            for order_id, types in self.orders
            if ResultType.PDF_REPORT in types and is_canonical_id(order_id)
        ]

    def items(self, listings: ReportListings) -> list[SyncItem]:
        """The files to sync, order by order: its result files, then each listed PDF report
        (an order's files together, so a sync plans and names them together); the error a
        report listing ended in is raised."""
        results = _by_order(plan_items(self.orders, self.result_types))
        reported = set(self.report_orders)
        items: list[SyncItem] = []
        for order_id, _types in self.orders:
            items += results.pop(order_id, [])
            if order_id not in reported:
                continue
            reported.discard(order_id)  # an order listed twice has its reports once
            reports = listings[order_id]
            if isinstance(reports, GalateaError):
                raise reports
            items += [report_item(order_id, r, n) for n, r in enumerate(reports, 1)]
        return items


def _by_order(items: list[SyncItem]) -> dict[str, list[SyncItem]]:
    """``items`` grouped by order."""
    groups: dict[str, list[SyncItem]] = {}
    for item in items:
        groups.setdefault(item.order_id, []).append(item)
    return groups


def report_item(order_id: str, report: PdfReport, position: int) -> SyncItem:
    """Report ``position`` of an order's listing as a sync item; refused when its id is not a
    canonical UUID."""
    refusal = None
    if not is_canonical_id(report.id):
        refusal = InvalidResponseError(
            f"report {position} of the PDF report listing of order {order_id} "
            f"(data/results/{order_id}/pdf_report) has an id that is not a canonical UUID "
            f"({describe_id(report.id)}); it becomes a file name, so it was not downloaded"
        )
    listed = Listed.of_report(report)
    return SyncItem(
        order_id,
        ResultType.PDF_REPORT,
        pdf_request_id=report.id,
        expected_size=listed.size,
        expected_md5=listed.md5,
        refusal=refusal,
    )


def plan_items(
    orders: Iterable[tuple[str, Sequence[ResultType]]], result_types: Sequence[ResultType] | None
) -> list[SyncItem]:
    """The result files of ``orders`` (``(order_id, its result types)``, as the orders listing
    gave them), filtered, once each; an order whose id is not a canonical UUID gives its
    items with an ``InvalidResponseError`` as their refusal."""
    wanted = set(result_types) if result_types else None
    seen: dict[str, SyncItem] = {}
    for position, (order_id, types) in enumerate(orders, start=1):
        refusal = None if is_canonical_id(order_id) else _refused_order(order_id, position)
        for result_type in types:
            if wanted is not None and result_type not in wanted:
                continue
            item = SyncItem(order_id, result_type, refusal=refusal)
            seen.setdefault(item.key, item)
    return list(seen.values())


def _refused_order(order_id: str, position: int) -> InvalidResponseError:
    return InvalidResponseError(
        f"order {position} of the orders listing (exec/orders) has an id that is not a "
        f"canonical UUID ({describe_id(order_id)}); an id becomes a folder name, so none was "
        "made and its results were not downloaded"
    )
