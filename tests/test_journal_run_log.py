"""A sync report whose outcomes live in the journal: read-only sequences that behave as the
lists they replace, read back in chunks, kept for the last two runs."""

from __future__ import annotations

import operator
import sqlite3
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from galatea_async import DownloadOutcome, DownloadRequest, NotFoundError, SyncReport
from galatea_async._download._journal import JOURNAL_NAME, Journal, RunLog
from galatea_async._download._sync_outcomes import StoredOutcomes
from galatea_async.errors import GalateaError

MD5 = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    opened = Journal.load(tmp_path)
    try:
        yield opened
    finally:
        opened.close()


def outcomes(folder: Path, count: int, *, skipped: bool = False) -> list[DownloadOutcome]:
    made = []
    for n in range(count):
        order_id = str(uuid.UUID(int=n + 1))
        request = DownloadRequest(order_id=order_id, result_type="SUMMARY_CHROMS")
        path = folder / order_id / f"s{n}.tsv"
        made.append(DownloadOutcome(request, path, skipped=skipped, size=n, md5=MD5))
    return made


def report_of(run: RunLog, folder: Path, fetched: int, kept: int) -> SyncReport:
    run.downloaded(outcomes(folder, fetched))
    run.kept(outcomes(folder, kept, skipped=True))
    return run.report([], seconds=1.5)


def test_the_report_holds_what_was_logged_with_its_totals(tmp_path: Path, journal: Journal) -> None:
    failure = DownloadOutcome(
        DownloadRequest(order_id=str(uuid.uuid4()), result_type="SUMMARY_CHROMS"),
        error=NotFoundError("no order", status_code=404),
    )
    run = journal.start_run()
    run.downloaded(outcomes(tmp_path, 3))
    run.kept(outcomes(tmp_path, 2, skipped=True))
    report = run.report([failure], seconds=1.5)
    assert list(report.downloaded) == outcomes(tmp_path, 3)
    assert list(report.skipped) == outcomes(tmp_path, 2, skipped=True)
    assert report.failed == [failure] and not report.ok
    assert (report.downloaded_bytes, report.skipped_bytes) == (0 + 1 + 2, 0 + 1)
    assert report.to_dict() == {
        "downloaded": [o.to_dict() for o in outcomes(tmp_path, 3)],
        "skipped": [o.to_dict() for o in outcomes(tmp_path, 2, skipped=True)],
        "failed": [failure.to_dict()],
        "downloaded_bytes": 3,
        "skipped_bytes": 1,
        "seconds": 1.5,
    }


def test_the_outcomes_behave_as_the_lists_they_replace(
    tmp_path: Path, journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(StoredOutcomes, "CHUNK", 4)  # several chunks, and their edges
    expected = outcomes(tmp_path, 10)
    report = report_of(journal.start_run(), tmp_path, 10, 0)
    downloaded = report.downloaded
    assert len(downloaded) == 10 and bool(downloaded) and not report.skipped
    assert [downloaded[n] for n in range(10)] == expected
    assert (downloaded[-1], downloaded[3], downloaded[4]) == (expected[-1], *expected[3:5])
    assert downloaded[2:7] == expected[2:7] and downloaded[::3] == expected[::3]
    assert downloaded[8:100] == expected[8:] and downloaded[5:2] == []
    assert [outcome for outcome in downloaded] == expected
    assert downloaded == tuple(expected)
    assert expected == downloaded
    assert downloaded == expected
    assert downloaded != expected[:-1] and downloaded != expected[::-1]
    assert report.skipped == [] and [] == report.skipped  # noqa: SIM300 - the list's side too
    assert expected[4] in downloaded and downloaded.index(expected[6]) == 6
    with pytest.raises(IndexError):
        downloaded[10]
    with pytest.raises(TypeError):
        operator.setitem(downloaded, 0, expected[0])  # read-only


def test_a_report_shows_its_count_never_its_rows(tmp_path: Path, journal: Journal) -> None:
    report = report_of(journal.start_run(), tmp_path, 3, 0)
    assert repr(report.downloaded) == "<3 downloaded outcomes of a results.sync run>"
    assert "s0.tsv" not in repr(report)


def test_the_previous_runs_report_stays_readable_and_an_older_one_says_what_to_do(
    tmp_path: Path, journal: Journal
) -> None:
    first = report_of(journal.start_run(), tmp_path, 2, 1)
    second = report_of(journal.start_run(), tmp_path, 1, 0)
    assert list(first.downloaded) == outcomes(tmp_path, 2)  # the previous run's: kept
    report_of(journal.start_run(), tmp_path, 1, 0)
    assert list(second.downloaded) == outcomes(tmp_path, 1)
    assert len(first.downloaded) == 2  # counts are numbers, known without reading
    with pytest.raises(GalateaError, match=r"no longer in .* read a report .*to_dict") as caught:
        list(first.downloaded)
    assert type(caught.value) is GalateaError
    with pytest.raises(GalateaError, match="no longer in"):
        first.skipped[0]


def test_a_report_whose_journal_was_removed_or_replaced_says_so(
    tmp_path: Path, journal: Journal
) -> None:
    report = report_of(journal.start_run(), tmp_path, 2, 0)
    journal.close()
    (tmp_path / JOURNAL_NAME).unlink()
    with pytest.raises(GalateaError, match="no longer in"):
        list(report.downloaded)
    Journal.load(tmp_path).close()  # a fresh journal: another run's ids
    with pytest.raises(GalateaError, match="no longer in"):
        report.downloaded[1]


def test_tampered_outcome_rows_are_never_turned_into_paths(
    tmp_path: Path, journal: Journal
) -> None:
    report = report_of(journal.start_run(), tmp_path, 2, 0)
    journal.close()
    with sqlite3.connect(tmp_path / JOURNAL_NAME) as connection:
        connection.execute("UPDATE outcomes SET path = '../../etc/passwd' WHERE position = 1")
    connection.close()
    with pytest.raises(GalateaError, match="damaged"):
        list(report.downloaded)


def test_an_outcome_outside_its_order_folder_is_not_logged(
    tmp_path: Path, journal: Journal
) -> None:
    run = journal.start_run()
    (outside,) = outcomes(tmp_path / "elsewhere", 1)
    with pytest.raises(ValueError, match="not a place for"):
        run.downloaded([*outcomes(tmp_path, 1), outside])
    assert len(run.report([], seconds=0).downloaded) == 0  # the batch is refused whole


def test_a_report_built_from_lists_still_works() -> None:
    request = DownloadRequest(order_id=str(uuid.uuid4()), result_type="SUMMARY_CHROMS")
    good = DownloadOutcome(request=request, path=Path("out/a.tsv"), size=3, md5="m")
    report = SyncReport(
        downloaded=[good], skipped=[], failed=[], downloaded_bytes=3, skipped_bytes=0, seconds=0
    )
    assert report.ok and report.to_dict()["downloaded"] == [good.to_dict()]


def test_outcomes_logged_from_many_threads_are_all_kept(tmp_path: Path, journal: Journal) -> None:
    run = journal.start_run()
    made = outcomes(tmp_path, 400)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: run.downloaded(made[n : n + 4]), range(0, 400, 4)))
    report = run.report([], seconds=0)
    assert sorted(o.size or 0 for o in report.downloaded) == list(range(400))
