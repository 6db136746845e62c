"""results.sync's pure parts: which files a run wants, and which it fetches; the journal."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import attrs
import pytest

from galatea_async._download import DownloadRequest
from galatea_async._download._batch import request_key
from galatea_async._download._journal import JournalEntry
from galatea_async._download._order_folders import FolderState
from galatea_async._download._sync_plan import SyncItem, plan_sync
from galatea_async._download._target import Existing
from galatea_async._download._wants import plan_items
from galatea_async._enums import ResultType
from galatea_async.errors import GalateaError, InvalidResponseError

A, B = "a" * 8 + "-0000-0000-0000-000000000001", "b" * 8 + "-0000-0000-0000-000000000002"
ORDERS = [
    (A, [ResultType.SUMMARY_CHROMS, ResultType.PDF_REPORT]),
    (B, [ResultType.SUMMARY_CHROMS, ResultType.SUMMARY_CHROMS]),
]


def test_plan_takes_every_result_type_of_every_order_once() -> None:
    keys = [item.key for item in plan_items(ORDERS, None)]
    assert keys == [f"{A}/SUMMARY_CHROMS", f"{A}/PDF_REPORT", f"{B}/SUMMARY_CHROMS"]


def test_plan_keeps_only_the_asked_result_types() -> None:
    assert [item.key for item in plan_items(ORDERS, [ResultType.PDF_REPORT])] == [f"{A}/PDF_REPORT"]


def test_a_pdf_reports_key_names_the_report() -> None:
    request = DownloadRequest(order_id=A, result_type="PDF_REPORT", pdf_request_id="r1")
    assert request_key(request) == f"{A}/PDF_REPORT/r1"


@pytest.mark.parametrize("report_id", [None, "r1"])
def test_an_items_key_is_its_requests_key(report_id: str | None) -> None:
    wanted = SyncItem(A, ResultType.PDF_REPORT, pdf_request_id=report_id)
    assert wanted.key == request_key(wanted.request)
    assert wanted.request == DownloadRequest(
        order_id=A, result_type=ResultType.PDF_REPORT, pdf_request_id=report_id
    )


def item(order: str, result_type: str = "SUMMARY_CHROMS") -> SyncItem:
    return SyncItem(order, ResultType(result_type))


def entry(size: int, md5: str = "m", order: str = A) -> JournalEntry:
    return JournalEntry(path=f"{order}/x.tsv", size=size, md5=md5)


def test_a_journalled_file_intact_on_disk_is_kept_without_a_request() -> None:
    plan = plan_sync(
        [item(A)], {f"{A}/SUMMARY_CHROMS": entry(10)}, {A: FolderState(files={"x.tsv": 10})}
    )
    assert [kept.key for kept, _ in plan.kept] == [f"{A}/SUMMARY_CHROMS"]
    assert plan.fetched == []


@pytest.mark.parametrize(
    ("files", "hashes"),
    [
        (None, None),  # the order's folder was not read
        ({}, None),  # gone
        ({"x.tsv": 4}, None),  # truncated
        ({"x.tsv": 10}, {"": "m"}),  # with verify, not hashed
        ({"x.tsv": 10}, {f"{A}/SUMMARY_CHROMS": None}),  # with verify, could not be hashed
        ({"x.tsv": 10}, {f"{A}/SUMMARY_CHROMS": "other"}),  # with verify, changed
    ],
)
def test_a_journalled_file_gone_truncated_or_changed_is_replaced(
    files: dict[str, int] | None, hashes: dict[str, str | None] | None
) -> None:
    key = f"{A}/SUMMARY_CHROMS"
    folders = {} if files is None else {A: FolderState(files=files)}
    plan = plan_sync([item(A)], {key: entry(10)}, folders, hashes)
    assert plan.kept == []
    assert [(i.key, existing) for i, existing in plan.fetched] == [(key, Existing.REPLACE)]


def test_an_entry_naming_another_orders_folder_keeps_nothing() -> None:
    key = f"{A}/SUMMARY_CHROMS"
    folders = {A: FolderState(files={"x.tsv": 10}), B: FolderState(files={"x.tsv": 10})}
    plan = plan_sync([item(A)], {key: entry(10, order=B)}, folders)
    assert [(i.key, existing) for i, existing in plan.fetched] == [(key, Existing.REPLACE)]


def test_a_file_the_journal_does_not_know_is_fetched_unless_complete_at_its_name() -> None:
    plan = plan_sync([item(B)], {}, {B: FolderState(files={"other.tsv": 1})})
    assert [(i.key, existing) for i, existing in plan.fetched] == [
        (f"{B}/SUMMARY_CHROMS", Existing.SKIP_IF_COMPLETE)
    ]


def test_requests_outcomes_and_reports_become_json_ready_data() -> None:

    from galatea_async import DownloadOutcome, NotFoundError, SyncReport

    request = DownloadRequest(order_id=A, result_type="PDF_REPORT", pdf_request_id="r1")
    assert DownloadRequest.from_dict(json.loads(request.to_json())) == request
    good = DownloadOutcome(request=request, path=Path("out/a.pdf"), size=3, md5="m")
    bad = DownloadOutcome(request=request, error=NotFoundError("no order", status_code=404))
    report = SyncReport(
        downloaded=[good], skipped=[], failed=[bad], downloaded_bytes=3, skipped_bytes=0,
        seconds=0.5,
    )  # fmt: skip
    data = json.loads(json.dumps(report.to_dict()))
    assert data["downloaded"][0] == {
        "order_id": A, "result_type": "PDF_REPORT", "pdf_request_id": "r1",
        "path": str(Path("out/a.pdf")), "size": 3, "md5": "m", "skipped": False, "error": None,
    }  # fmt: skip
    assert data["failed"][0]["error"]["type"] == "NotFoundError"
    assert "no order" in data["failed"][0]["error"]["message"]
    assert data["downloaded_bytes"] == 3


def test_refused_items_and_folders_fail_without_a_request() -> None:
    refusal = GalateaError("not a UUID")
    folder = GalateaError("a symbolic link")
    items = [attrs.evolve(item(A), refusal=refusal), item(B)]
    plan = plan_sync(items, {}, {B: FolderState(refusal=folder)})
    assert plan.kept == [] and plan.fetched == []
    assert [(i.key, error) for i, error in plan.failed] == [
        (f"{A}/SUMMARY_CHROMS", refusal),
        (f"{B}/SUMMARY_CHROMS", folder),
    ]


def test_orders_whose_id_is_not_canonical_are_planned_as_refused() -> None:
    items = plan_items(
        [("../../x", [ResultType.SUMMARY_CHROMS]), (A, [ResultType.SUMMARY_CHROMS])], None
    )
    assert [type(i.refusal) for i in items] == [InvalidResponseError, type(None)]
    message = str(items[0].refusal)
    assert "order 1 of the orders listing (exec/orders)" in message and "../" not in message


def test_verify_never_waits_on_a_fifo_swapped_in_after_the_size_was_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    import galatea_async._download._sync as sync_module

    (tmp_path / A).mkdir()
    fifo = tmp_path / A / "a.tsv"
    os.mkfifo(fifo)
    journalled = JournalEntry(path=f"{A}/a.tsv", size=3, md5="m")
    measured = {A: FolderState(files={"a.tsv": 3})}  # the folder read before the swap
    stop = threading.Event()

    def unblock_a_reader() -> None:  # a guard, so a blocking read cannot hang the suite
        if not stop.wait(10):
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))

    guard = threading.Thread(target=unblock_a_reader, daemon=True)
    guard.start()
    try:
        hashes = sync_module._hashes(tmp_path, {"k": journalled}, measured)
    finally:
        stop.set()
        guard.join()
    assert hashes == {"k": None}  # not hashed, so not kept (fetched again)
