"""results.sync's pure parts: which files a run wants, and which it fetches; the journal."""

from __future__ import annotations

import hashlib
from pathlib import Path

from galatea_async._download import DownloadRequest
from galatea_async._download._batch import request_key
from galatea_async._download._journal import JOURNAL_NAME, Journal, JournalEntry
from galatea_async._download._sync import OnDisk, SyncItem, plan_items, plan_sync
from galatea_async._download._target import Existing
from galatea_async._enums import ResultType

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


def item(order: str, result_type: str = "SUMMARY_CHROMS") -> SyncItem:
    return SyncItem(DownloadRequest(order_id=order, result_type=result_type))


def entry(size: int, md5: str = "m") -> JournalEntry:
    return JournalEntry(path="x", size=size, md5=md5)


def test_a_journalled_file_intact_on_disk_is_kept_without_a_request() -> None:
    plan = plan_sync(
        [item(A)], {f"{A}/SUMMARY_CHROMS": entry(10)}, {f"{A}/SUMMARY_CHROMS": OnDisk(10)}
    )
    assert [kept.key for kept, _ in plan.kept] == [f"{A}/SUMMARY_CHROMS"]
    assert plan.fetched == []


def test_a_journalled_file_gone_truncated_or_changed_is_replaced() -> None:
    key = f"{A}/SUMMARY_CHROMS"
    for on_disk in ({}, {key: OnDisk(None)}, {key: OnDisk(4)}, {key: OnDisk(10, md5="other")}):
        plan = plan_sync([item(A)], {key: entry(10)}, on_disk)
        assert plan.kept == []
        assert [(i.key, existing) for i, existing in plan.fetched] == [(key, Existing.REPLACE)]


def test_a_file_the_journal_does_not_know_is_fetched_unless_complete_at_its_name() -> None:
    plan = plan_sync([item(B)], {}, {})
    assert [(i.key, existing) for i, existing in plan.fetched] == [
        (f"{B}/SUMMARY_CHROMS", Existing.SKIP_IF_COMPLETE)
    ]


def test_the_journal_survives_a_reload_and_is_compacted_on_close(tmp_path: Path) -> None:
    target = tmp_path / A / "summary.tsv"
    target.parent.mkdir()
    target.write_bytes(b"0123456789")
    written = Journal(tmp_path)
    key = f"{A}/SUMMARY_CHROMS"
    written.record(key, f"{A}/summary.tsv", 10, hashlib.md5(b"0123456789").hexdigest())
    written.record(key, f"{A}/summary.tsv", 10, "again")
    assert len((tmp_path / JOURNAL_NAME).read_text().splitlines()) == 2  # appended as it goes
    assert (tmp_path / JOURNAL_NAME).stat().st_mode & 0o777 == 0o600
    written.close()
    assert len((tmp_path / JOURNAL_NAME).read_text().splitlines()) == 1
    assert (tmp_path / JOURNAL_NAME).stat().st_mode & 0o777 == 0o600  # compacted, still private
    reloaded = Journal.load(tmp_path)
    assert reloaded.entries[key] == JournalEntry(path=f"{A}/summary.tsv", size=10, md5="again")


def test_torn_or_damaged_journal_lines_are_skipped(tmp_path: Path) -> None:
    good = f'{{"key": "{A}/SUMMARY_CHROMS", "path": "{A}/a.tsv", "size": 3, "md5": "x"}}\n'
    (tmp_path / JOURNAL_NAME).write_text(good + f'{{"key": "{A}/EXEC_ERRORS", "pa')
    assert list(Journal.load(tmp_path).entries) == [f"{A}/SUMMARY_CHROMS"]


def test_requests_outcomes_and_reports_become_json_ready_data() -> None:
    import json

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
