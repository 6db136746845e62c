"""The log of a sync run off a terminal: a line per file when it is done or fails, a progress
line at least every interval (an injected clock: nothing sleeps), text or JSON lines."""

from __future__ import annotations

import io
import json
import types
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

import galatea_async.cli._sync_log as sync_log
from galatea_async import ResultType
from galatea_async._download import DownloadOutcome, DownloadRequest
from galatea_async.cli._output import Output
from galatea_async.cli._sync_log import SyncLog, text_line
from galatea_async.errors import ChecksumMismatchError

ORDER = "0b9a1f44-5b1e-4c55-9d0c-1c2f3e4d5a6b"
FIRST = DownloadRequest(order_id=ORDER, result_type=ResultType.SUMMARY_CHROMS)
SECOND = DownloadRequest(order_id=ORDER, result_type=ResultType.DETAILED_CHROMS)
KEPT = DownloadRequest(order_id=ORDER, result_type=ResultType.EXEC_ERRORS)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def text_output() -> tuple[Output, io.StringIO, io.StringIO]:
    stdout, stderr = io.StringIO(), io.StringIO()
    output = Output(stdout=Console(file=stdout, width=200), stderr=Console(file=stderr, width=200))
    return output, stdout, stderr


def words(error: BaseException) -> str:
    return f"worded: {error}"


def announce(log: SyncLog) -> None:
    log.file_progress(KEPT, 10, 10)  # kept as already complete
    log.file_progress(FIRST, 0, None)
    log.file_progress(SECOND, 0, None)


def test_a_finished_file_is_logged_at_once_with_its_path(tmp_path: Path) -> None:
    output, stdout, _ = text_output()
    log = SyncLog(output, words, clock=Clock())
    announce(log)
    log.file_done(DownloadOutcome(FIRST, path=tmp_path / ORDER / "summary.tsv", size=5))
    assert stdout.getvalue() == f"downloaded {tmp_path / ORDER / 'summary.tsv'}\n"


def test_a_failed_file_is_logged_at_once_on_stderr_with_the_cli_wording() -> None:
    output, stdout, stderr = text_output()
    log = SyncLog(output, words, clock=Clock())
    announce(log)
    log.file_done(DownloadOutcome(SECOND, error=ChecksumMismatchError("md5 differs")))
    assert stdout.getvalue() == ""
    assert stderr.getvalue() == f"failed {ORDER}/DETAILED_CHROMS: worded: md5 differs\n"


def test_a_progress_line_comes_once_the_interval_has_passed_and_not_before() -> None:
    output, stdout, _ = text_output()
    clock = Clock()
    log = SyncLog(output, words, clock=clock, interval=30.0)
    announce(log)
    clock.now = 29.9
    log.file_progress(FIRST, 1024, 4096)
    assert stdout.getvalue() == ""
    clock.now = 30.0
    log.file_progress(FIRST, 3 * 1024 * 1024, None)
    assert stdout.getvalue() == "progress: 0 of 2 files done, 3.0 MiB received in 30 s\n"
    clock.now = 45.0
    log.file_progress(SECOND, 10, None)
    assert stdout.getvalue().count("progress:") == 1
    clock.now = 60.0
    log.file_progress(SECOND, 20, None)
    assert stdout.getvalue().count("progress:") == 2


def test_a_file_line_restarts_the_interval() -> None:
    output, stdout, _ = text_output()
    clock = Clock()
    log = SyncLog(output, words, clock=clock, interval=30.0)
    announce(log)
    clock.now = 25.0
    log.file_done(DownloadOutcome(FIRST, path=Path("/x/a.tsv"), size=1))
    clock.now = 40.0
    log.file_progress(SECOND, 10, None)
    assert "progress:" not in stdout.getvalue()


def test_no_progress_line_once_every_file_is_done() -> None:
    output, stdout, _ = text_output()
    clock = Clock()
    log = SyncLog(output, words, clock=clock, interval=30.0)
    log.file_progress(FIRST, 0, None)
    log.file_done(DownloadOutcome(FIRST, path=Path("/x/a.tsv"), size=1))
    clock.now = 100.0
    log.tick()
    assert "progress:" not in stdout.getvalue()


async def test_a_stalled_transfer_still_gets_a_progress_line_every_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    output, stdout, _ = text_output()
    clock = Clock()
    log = SyncLog(output, words, clock=clock, interval=30.0)
    announce(log)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds
        if len(slept) == 3:
            raise LookupError("enough")

    monkeypatch.setattr(sync_log, "anyio", types.SimpleNamespace(sleep=sleep))
    with pytest.raises(LookupError):
        await log.keep_ticking()
    assert slept == [30.0, 30.0, 30.0]
    assert stdout.getvalue().count("progress: 0 of 2 files done") == 2


def test_json_lines_are_one_event_each_with_the_exact_values(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    output = Output(json_lines=True)
    clock = Clock()
    log = SyncLog(output, words, clock=clock, interval=30.0)
    announce(log)
    log.file_done(DownloadOutcome(FIRST, path=tmp_path / "a.tsv", size=5, md5="0" * 32))
    clock.now = 31.0
    log.file_progress(SECOND, 7, None)
    log.file_done(DownloadOutcome(SECOND, error=ChecksumMismatchError("md5 differs")))
    events: list[dict[str, Any]] = [
        json.loads(line) for line in capsys.readouterr().out.splitlines()
    ]
    assert [event["event"] for event in events] == ["file_done", "progress", "file_failed"]
    assert events[0]["path"] == str(tmp_path / "a.tsv")
    assert events[0]["result_type"] == "SUMMARY_CHROMS" and events[0]["size"] == 5
    assert events[1] == {
        "event": "progress",
        "files_done": 1,
        "files_failed": 0,
        "files_to_fetch": 2,
        "received_bytes": 7,
        "seconds": 31.0,
    }
    assert events[2]["error"] == {"type": "ChecksumMismatchError", "message": "worded: md5 differs"}


def test_json_mode_logs_nothing_while_it_runs(capsys: pytest.CaptureFixture[str]) -> None:
    output = Output(json_mode=True)
    log = SyncLog(output, words, clock=Clock())
    announce(log)
    log.file_done(DownloadOutcome(SECOND, error=ChecksumMismatchError("md5 differs")))
    log.file_done(DownloadOutcome(FIRST, path=Path("/x/a.tsv"), size=1))
    assert capsys.readouterr() == ("", "")


def test_a_failed_pdf_reports_line_names_its_request() -> None:
    event = {
        "event": "file_failed",
        "order_id": ORDER,
        "result_type": "PDF_REPORT",
        "pdf_request_id": "r1",
        "error": {"type": "X", "message": "m"},
    }
    assert text_line(event) == f"failed {ORDER}/PDF_REPORT/r1: m"


def test_a_file_found_complete_on_disk_is_logged_as_kept(tmp_path: Path) -> None:
    output, stdout, _ = text_output()
    log = SyncLog(output, words, clock=Clock())
    announce(log)
    log.file_done(DownloadOutcome(FIRST, path=tmp_path / "a.tsv", size=5, skipped=True))
    assert stdout.getvalue() == f"kept (already complete) {tmp_path / 'a.tsv'}\n"
