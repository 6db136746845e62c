"""Where downloads start: folders made off the event loop, listed sizes and md5s, sync wants."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
import respx

from galatea_async import AsyncGalatea, PdfReport, ResultType
from galatea_async._converter import structure
from galatea_async._download import SyncWants
from galatea_async._download._source import Listed
from galatea_async.errors import GalateaError, InvalidResponseError, NotFoundError
from tests import payloads
from tests.payloads import FILE_ID, ORDER_ID, REPORT_ID

BODY = b"hello world"
BODY_MD5 = "5eb63bbbe01eeed093cb22bb8f5acdc3"
OTHER_ORDER = "11111111-2222-4333-8444-555555555555"


def _file_response(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        200,
        content=BODY,
        headers={"Content-Disposition": 'attachment; filename="f.bin"'},
    )


def _serve_everything(router: respx.Router) -> None:
    router.get(path__regex=r"/download$").mock(side_effect=_file_response)
    router.get("/data/files").respond(
        json=payloads.page([payloads.source_file(file_size_bytes=11, check_sum=BODY_MD5)])
    )
    router.get(f"/data/results/{ORDER_ID}/pdf_report").respond(
        json=payloads.page([payloads.pdf_report(file_size_bytes=11, check_sum=BODY_MD5)])
    )


Download = Callable[[AsyncGalatea, str], Awaitable[object]]

DOWNLOADS: dict[str, Download] = {
    "results.download": lambda c, d: c.results.download(ORDER_ID, "SUMMARY_CHROMS", d),
    "results.download_pdf_report": lambda c, d: c.results.download_pdf_report(
        ORDER_ID, REPORT_ID, d
    ),
    "files.download": lambda c, d: c.files.download(FILE_ID, d),
    "results.download_many": lambda c, d: c.results.download_many(
        [(ORDER_ID, "SUMMARY_CHROMS")], d
    ),
    "results.sync": lambda c, d: c.results.sync(d),
}


@pytest.mark.parametrize("call", list(DOWNLOADS))
async def test_missing_folders_are_created_off_the_event_loop(
    call: str,
    client: AsyncGalatea,
    router: respx.Router,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _serve_everything(router)
    router.get("/exec/orders").respond(json=payloads.page([]))
    loop_thread = threading.current_thread()
    made_on_the_loop: list[Path] = []
    mkdir = Path.mkdir

    def recording_mkdir(self: Path, *args: object, **kwargs: object) -> None:
        if threading.current_thread() is loop_thread:
            made_on_the_loop.append(self)
        mkdir(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "mkdir", recording_mkdir)
    dest = tmp_path / "new" / "deeper"
    await DOWNLOADS[call](client, f"{dest}/")
    assert dest.is_dir()
    assert made_on_the_loop == []


def test_a_listed_md5_is_kept_and_a_multipart_etag_is_not() -> None:
    assert Listed.from_listing(11, BODY_MD5) == Listed(size=11, md5=BODY_MD5)
    assert Listed.from_listing(11, "0123456789abcdef0123456789abcdef-3") == Listed(size=11)
    assert Listed.from_listing(None, None) == Listed()


def _report(report_id: str = REPORT_ID) -> PdfReport:
    return structure(
        payloads.pdf_report(report_id, file_size_bytes=11, check_sum=BODY_MD5), PdfReport
    )


def test_sync_lists_reports_only_of_canonical_orders_that_have_them() -> None:
    orders = [
        (ORDER_ID, [ResultType.PDF_REPORT]),
        (OTHER_ORDER, [ResultType.SUMMARY_CHROMS]),
        ("../up", [ResultType.PDF_REPORT]),
    ]
    assert SyncWants(orders, None, pdf_reports=True).report_orders == [ORDER_ID]
    assert SyncWants(orders, None, pdf_reports=False).report_orders == []


def test_sync_items_are_the_result_files_then_each_listed_report() -> None:
    wants = SyncWants([(ORDER_ID, [ResultType.PDF_REPORT])], [ResultType.SUMMARY_CHROMS], True)
    items = wants.items({ORDER_ID: [_report(), _report("not-a-uuid")]})
    assert [item.key for item in items] == [
        f"{ORDER_ID}/PDF_REPORT/{REPORT_ID}",
        f"{ORDER_ID}/PDF_REPORT/not-a-uuid",
    ]
    assert items[0].listed == Listed(size=11, md5=BODY_MD5) and items[0].refusal is None
    assert isinstance(items[1].refusal, InvalidResponseError)


def test_a_failed_report_listing_fails_the_sync_plan() -> None:
    failure: GalateaError = NotFoundError("no such order", status_code=404)
    wants = SyncWants([(ORDER_ID, [ResultType.PDF_REPORT])], None, pdf_reports=True)
    with pytest.raises(NotFoundError):
        wants.items({ORDER_ID: failure})
