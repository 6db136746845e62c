"""The CLI's view and log of a ``results.sync`` whose files are announced page by page: files
announced after the transfers began are counted, and nothing is kept for a file once it ended
(or for one kept as complete), so neither grows with the number of files."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

import galatea_async.cli._sync_view as sync_view
from galatea_async import ResultType
from galatea_async._download import DownloadOutcome, DownloadRequest
from galatea_async._progress import Progress
from galatea_async.cli._output import Output
from galatea_async.cli._progress import TransferBars
from galatea_async.cli._sync_log import SyncLog
from galatea_async.cli._sync_view import SyncView

ORDER = "0b9a1f44-5b1e-4c55-9d0c-1c2f3e4d5a6b"
FIRST = DownloadRequest(order_id=ORDER, result_type=ResultType.SUMMARY_CHROMS)
SECOND = DownloadRequest(order_id=ORDER, result_type=ResultType.DETAILED_CHROMS)
KEPT = DownloadRequest(order_id=ORDER, result_type=ResultType.EXEC_ERRORS)


def quiet_output() -> Output:
    return Output(stdout=Console(file=io.StringIO()), stderr=Console(file=io.StringIO()))


def done(request: DownloadRequest, tmp_path: Path) -> DownloadOutcome:
    return DownloadOutcome(request, path=tmp_path / request.result_type.value, size=10)


def test_the_log_counts_later_pages_and_forgets_ended_and_kept_files(tmp_path: Path) -> None:
    log = SyncLog(quiet_output(), str, clock=lambda: 0.0)
    log.file_progress(FIRST, 0, None)  # page 1
    log.file_progress(FIRST, 5, 10)
    log.file_progress(SECOND, 0, None)  # page 2, after the first bytes
    log.file_progress(KEPT, 10, 10)
    log.file_progress(FIRST, 10, 10)
    log.file_done(done(FIRST, tmp_path))
    log.file_progress(SECOND, 10, 10)
    log.file_done(done(SECOND, tmp_path))
    assert (log._counts.to_fetch, log._counts.done, log._counts.received_bytes) == (2, 2, 20)
    assert log._received == {}


class RecordingDisplay:
    """A ``BatchDisplay`` that records what it is told."""

    def __init__(self, total_files: int, already_complete: int) -> None:
        self.events: list[Any] = [("opened", total_files, already_complete)]

    def __enter__(self) -> RecordingDisplay:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def start(self, key: str, label: str) -> Progress:
        self.events.append(("start", key))
        return lambda done, total: None

    def finished(self, key: str, path: Path | None) -> None:
        self.events.append(("finished", key))

    def failed(self, key: str, label: str, message: str) -> None:
        self.events.append(("failed", key))

    def more_files(self, to_fetch: int, complete: int) -> None:
        self.events.append(("more", to_fetch, complete))


def test_the_view_grows_with_later_pages_and_keeps_nothing_of_ended_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    displays: list[RecordingDisplay] = []

    def recording(output: Output, *, total_files: int, already_complete: int) -> Any:
        displays.append(RecordingDisplay(total_files, already_complete))
        return displays[-1]

    monkeypatch.setattr(sync_view, "batch_display", recording)
    view = SyncView(quiet_output())
    view.file_progress(FIRST, 0, None)  # page 1
    view.file_progress(FIRST, 5, 10)  # the first bytes open the display
    view.file_progress(SECOND, 0, None)  # page 2
    view.file_progress(KEPT, 10, 10)
    view.file_progress(FIRST, 10, 10)
    view.file_progress(FIRST, 10, 10)  # a last call after its bar went changes nothing
    view.file_done(done(FIRST, tmp_path))
    view.file_progress(SECOND, 10, 10)
    view.file_done(done(SECOND, tmp_path))
    view.close()
    keys = {
        request.result_type.value: f"{ORDER}/{request.result_type.value}"
        for request in (FIRST, SECOND)
    }
    assert displays[0].events == [
        ("opened", 1, 0),
        ("start", keys["SUMMARY_CHROMS"]),
        ("more", 1, 0),
        ("more", 0, 1),
        ("finished", keys["SUMMARY_CHROMS"]),
        ("start", keys["DETAILED_CHROMS"]),
        ("finished", keys["DETAILED_CHROMS"]),
    ]
    assert view._bars == {} and view._finished == set()


def test_the_bars_count_files_announced_after_they_opened() -> None:
    bars = TransferBars(Console(file=io.StringIO()), total_files=1)
    with bars:
        bars.more_files(to_fetch=2, complete=3)
        assert bars._overall is not None  # a batch of several files now: an overall bar
        assert bars._overall_label() == "all 0/3 files (+3 done before)"
