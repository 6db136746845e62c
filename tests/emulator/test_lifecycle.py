"""Pure life-cycle rules: statuses by elapsed time, models' result types, their spellings."""

from __future__ import annotations

import pytest

from galatea_async.emulator import _lifecycle
from galatea_async.emulator._clock import Clock


@pytest.mark.parametrize(
    ("elapsed", "makes_report", "fails", "expected"),
    [
        (0, False, False, "Registered"),
        (10, False, False, "Submitted"),
        (20, False, False, "Running"),
        (30, False, False, "Completed"),
        (30, True, False, "Making report"),
        (40, True, False, "Completed"),
        (30, True, True, "Failed"),
    ],
)
def test_order_status_follows_the_stages(
    elapsed: float, makes_report: bool, fails: bool, expected: str
) -> None:
    status = _lifecycle.order_status(elapsed, 10, makes_report=makes_report, fails=fails)
    assert status == expected


def test_file_status_is_pending_until_validation_ends() -> None:
    assert _lifecycle.file_status(59, 60, valid=True) == "PENDING"
    assert _lifecycle.file_status(60, 60, valid=True) == "VALID"
    assert _lifecycle.file_status(60, 60, valid=False) == "NOT_VALID"


def test_each_model_produces_the_reference_result_types() -> None:
    ancestry = {"SUMMARY_CHROMS", "SUMMARY_SUPERSET", "DETAILED_CHROMS", "DETAILED_SUPERSET"}
    assert set(_lifecycle.model_result_types("ancestry data model one")) == ancestry
    assert set(_lifecycle.model_result_types("ancestry pdf model")) == ancestry | {"PDF_REPORT"}
    assert set(_lifecycle.model_result_types("prs ruo model")) == {
        "SUMMARY_SUPERSET",
        "DETAILED_SUPERSET",
        "PDF_REPORT",
        "PRS_JSON_DATA",
        "PRS_IMAGES",
    }


def test_completed_pdf_orders_list_pdf_report_twice_and_patch_dedupes() -> None:
    entries = _lifecycle.result_type_entries("prs ruo model", "Completed")
    labels = [e["label"] for e in entries if e["type"] == "PDF_REPORT"]
    assert labels == ["PDF reports zip", "View PDF reports"]
    assert _lifecycle.plain_result_types(entries).count("PDF_REPORT") == 1


def test_failed_orders_offer_only_exec_errors_and_running_ones_nothing() -> None:
    assert _lifecycle.result_type_entries("prs ruo model", "Failed") == [
        {"type": "EXEC_ERRORS", "label": "Execution errors"}
    ]
    assert _lifecycle.result_type_entries("prs ruo model", "Running") == []


def test_manual_clock_stands_still_until_advanced() -> None:
    clock = Clock()
    before = clock.now()
    assert clock.now() == before
    assert (clock.advance(90) - before).total_seconds() == 90
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)
