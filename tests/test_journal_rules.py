"""What the sync journal trusts, and its rows as values (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from galatea_async._download import DownloadOutcome, DownloadRequest
from galatea_async._download._journal_rules import (
    is_recordable,
    is_trusted_line,
    outcome_of_row,
    outcome_row,
    path_hash,
)

A, B = "a" * 8 + "-0000-0000-0000-000000000001", "b" * 8 + "-0000-0000-0000-000000000002"
MD5 = "0123456789abcdef0123456789abcdef"


def test_a_line_for_its_own_orders_file_is_trusted() -> None:
    assert is_trusted_line(f"{A}/SUMMARY_CHROMS", f"{A}/a.tsv")
    assert is_trusted_line(f"{A}/PDF_REPORT/{B}", f"{A}/résumé (1).pdf")


@pytest.mark.parametrize(
    "path",
    [
        "../outside/victim.txt",
        "/etc/passwd",
        f"{B}/a.tsv",
        f"{A}/./a.tsv",
        f"{A}/sub/a.tsv",
        f"{A}/..",
        f"{A}/",
        f"{A}\\a.tsv",
        f"{A}/a.tsv\x00",
        f"{A}/ a.tsv",
        "a.tsv",
    ],
)
def test_a_line_pointing_anywhere_else_is_not_trusted(path: str) -> None:
    assert not is_trusted_line(f"{A}/SUMMARY_CHROMS", path)


def test_a_line_whose_key_is_not_an_order_id_is_not_trusted() -> None:
    assert not is_trusted_line("../SUMMARY_CHROMS", "../a.tsv")
    assert not is_trusted_line(f"{A.upper()}/SUMMARY_CHROMS", f"{A.upper()}/a.tsv")


@pytest.mark.parametrize(
    ("path", "size", "md5"),
    [
        ("../victim.txt", 3, MD5),  # not its own file
        (f"{A}/\udcff.tsv", 3, MD5),  # a lone surrogate SQLite cannot hold
        (f"{A}/" + "x" * 1100, 3, MD5),  # longer than any real path
        (f"{A}/a.tsv", -1, MD5),
        (f"{A}/a.tsv", 1 << 63, MD5),
        (f"{A}/a.tsv", 3, "m" * 65),
    ],
    ids=["untrusted", "surrogate", "long-path", "negative", "too-large", "long-md5"],
)
def test_a_row_the_journal_cannot_hold_is_not_recordable(path: str, size: int, md5: str) -> None:
    assert not is_recordable(f"{A}/SUMMARY_CHROMS", path, size, md5)
    assert is_recordable(f"{A}/SUMMARY_CHROMS", f"{A}/a.tsv", 3, MD5)


def test_paths_a_file_system_takes_for_one_have_one_hash() -> None:
    nfc, nfd = f"{A}/r\u00e9sum\u00e9.tsv", f"{A}/re\u0301sume\u0301.tsv"
    assert path_hash(nfc) == path_hash(nfd)
    assert path_hash(f"{A}/Report.TSV") == path_hash(f"{A}/report.tsv")
    assert path_hash(f"{A}/report.tsv") != path_hash(f"{A}/report2.tsv")


def test_an_outcome_round_trips_through_its_row(tmp_path: Path) -> None:
    request = DownloadRequest(order_id=A, result_type="PDF_REPORT", pdf_request_id=B)
    outcome = DownloadOutcome(request=request, path=tmp_path / A / "r.pdf", size=7, md5=MD5)
    row = outcome_row(tmp_path, outcome)
    assert row == (A, "PDF_REPORT", B, f"{A}/r.pdf", 7, MD5)
    assert outcome_of_row(tmp_path, row, skipped=False) == outcome
    kept = outcome_of_row(tmp_path, row, skipped=True)
    assert kept is not None and kept.skipped


@pytest.mark.parametrize(
    "where", ["other-folder", "other-order", "failed", "no-path"], ids=lambda where: where
)
def test_an_outcome_outside_its_order_folder_is_refused(tmp_path: Path, where: str) -> None:
    request = DownloadRequest(order_id=A, result_type="SUMMARY_CHROMS")
    outcome = {
        "other-folder": DownloadOutcome(request=request, path=tmp_path / "x" / A / "a", size=1),
        "other-order": DownloadOutcome(request=request, path=tmp_path / B / "a", size=1),
        "failed": DownloadOutcome(request=request, error=ValueError("no")),
        "no-path": DownloadOutcome(request=request, size=1),
    }[where]
    with pytest.raises(ValueError, match=r"no file to record|not a place for"):
        outcome_row(tmp_path, outcome)


@pytest.mark.parametrize(
    "row",
    [
        (A, "SUMMARY_CHROMS", None, "../victim", 3, MD5),
        (A, "SUMMARY_CHROMS", None, f"{B}/a.tsv", 3, MD5),
        ("../x", "SUMMARY_CHROMS", None, "../x/a.tsv", 3, MD5),
        (A, "SUMMARY_CHROMS", None, b"bytes", 3, MD5),
        (A, "SUMMARY_CHROMS", None, f"{A}/a.tsv", "3", MD5),
        (A, 7, None, f"{A}/a.tsv", 3, MD5),
    ],
    ids=["parent", "other-order", "bad-order", "bytes-path", "text-size", "number-type"],
)
def test_a_stored_outcome_row_that_is_not_its_own_file_gives_no_outcome(
    tmp_path: Path, row: tuple[object, ...]
) -> None:
    assert outcome_of_row(tmp_path, row, skipped=False) is None
